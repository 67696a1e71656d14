import type { ApiDefinition } from '@tollgate/apidef';
import { reply, type Reply } from '../pipeline/decision.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import type { RequestContext } from '../pipeline/request-context.js';

/** rs/cors 1.11 fallbacks for empty lists (api-definition.md §6); `origin` added as the Tyk docs list it. */
const DEFAULT_METHODS = ['GET', 'POST', 'HEAD'];
const DEFAULT_HEADERS = ['accept', 'content-type', 'x-requested-with', 'origin'];
const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

/** The compiled `CORS` object of one API. */
export interface CorsPolicy {
  readonly isAnyOrigin: boolean;
  readonly origins: ReadonlySet<string>;
  /** `http://*.foo.com` → ['http://', '.foo.com']. */
  readonly wildcards: readonly (readonly [string, string])[];
  readonly methods: ReadonlySet<string>;
  readonly isAnyHeader: boolean;
  readonly headers: ReadonlySet<string>;
  /** `Access-Control-Expose-Headers` value ('' = none). */
  readonly exposed: string;
  readonly allowCredentials: boolean;
  /** `Access-Control-Max-Age` value ('' = omitted). */
  readonly maxAge: string;
}

/** Go's CanonicalMIMEHeaderKey: `x-expose-me` → `X-Expose-Me`. */
function canonical(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/**
 * Compiles `CORS.*` with the fallbacks for empty lists: origins lower-cased, `*` alone = all, one `*`
 * inside an entry matches any run of characters.
 *
 * @example
 * compileCors({ allowed_origins: ['http://*.foo.com'] }).wildcards // [['http://', '.foo.com']]
 */
export function compileCors(cors: NonNullable<ApiDefinition['CORS']>): CorsPolicy {
  const originList = (cors.allowed_origins ?? []).map((o) => o.toLowerCase());
  const isAnyOrigin = originList.length === 0 || originList.includes('*');
  const origins = new Set<string>();
  const wildcards: [string, string][] = [];
  for (const o of originList) {
    const star = o.indexOf('*');
    if (star < 0) origins.add(o);
    else wildcards.push([o.slice(0, star), o.slice(star + 1)]);
  }
  // Methods are case-sensitive (RFC 9110 §9.1): compared exactly as written (api-definition.md §6).
  const methodList = cors.allowed_methods?.length ? cors.allowed_methods : DEFAULT_METHODS;
  const headerList = cors.allowed_headers?.length ? cors.allowed_headers.map((h) => h.toLowerCase()) : DEFAULT_HEADERS;
  const maxAge = cors.max_age ?? 0;
  return {
    isAnyOrigin, origins, wildcards,
    methods: new Set(methodList),
    isAnyHeader: headerList.includes('*'),
    headers: new Set(headerList),
    exposed: (cors.exposed_headers ?? []).map(canonical).join(', '),
    allowCredentials: cors.allow_credentials === true,
    maxAge: maxAge > 0 ? String(maxAge) : maxAge < 0 ? '0' : '',
  };
}

export function isOriginAllowed(policy: CorsPolicy, origin: string): boolean {
  if (policy.isAnyOrigin) return true;
  const lower = origin.toLowerCase();
  if (policy.origins.has(lower)) return true;
  for (const [prefix, suffix] of policy.wildcards) {
    if (lower.length >= prefix.length + suffix.length && lower.startsWith(prefix) && lower.endsWith(suffix)) return true;
  }
  return false;
}

function areHeadersAllowed(policy: CorsPolicy, requested: string): boolean {
  if (policy.isAnyHeader || requested.trim() === '') return true;
  for (const h of requested.split(',')) {
    const name = h.trim().toLowerCase();
    if (name !== '' && !policy.headers.has(name)) return false;
  }
  return true;
}

/** `*` for any origin, except with credentials: browsers refuse `*` there, so the Origin is echoed (tollgate). */
function allowOriginValue(policy: CorsPolicy, origin: string): string {
  return policy.isAnyOrigin && !policy.allowCredentials ? '*' : origin;
}

/** The answer to a preflight: 204, with the allow headers only when everything asked for is allowed. */
export function preflightReply(policy: CorsPolicy, ctx: RequestContext, refused: Reply): Reply {
  const origin = ctx.header('origin');
  // Compared and echoed exactly as sent: `put` is not `PUT`.
  const method = ctx.header('access-control-request-method');
  const requestedHeaders = ctx.header('access-control-request-headers');
  if (origin === '' || !isOriginAllowed(policy, origin)) return refused;
  if (method !== 'OPTIONS' && !policy.methods.has(method)) return refused;
  if (!areHeadersAllowed(policy, requestedHeaders)) return refused;
  const headers = ['Vary', PREFLIGHT_VARY, 'Access-Control-Allow-Origin', allowOriginValue(policy, origin), 'Access-Control-Allow-Methods', method];
  if (requestedHeaders.trim() !== '') headers.push('Access-Control-Allow-Headers', requestedHeaders);
  if (policy.allowCredentials) headers.push('Access-Control-Allow-Credentials', 'true');
  if (policy.maxAge !== '') headers.push('Access-Control-Max-Age', policy.maxAge);
  return reply(204, '', headers, '');
}

/** Headers of an actual request: always `Vary: Origin`; the allow headers when origin and method are allowed. */
export function addActualHeaders(policy: CorsPolicy, ctx: RequestContext): void {
  ctx.addResponseHeader('vary', 'Origin');
  const origin = ctx.header('origin');
  if (origin === '' || !isOriginAllowed(policy, origin)) return;
  if (ctx.method !== 'OPTIONS' && !policy.methods.has(ctx.method)) return;
  ctx.addResponseHeader('access-control-allow-origin', allowOriginValue(policy, origin));
  if (policy.exposed !== '') ctx.addResponseHeader('access-control-expose-headers', policy.exposed);
  if (policy.allowCredentials) ctx.addResponseHeader('access-control-allow-credentials', 'true');
}

/**
 * CORS (api-definition.md §6, pipeline step 2). A preflight (OPTIONS with Access-Control-Request-Method)
 * is answered here with 204 — no auth, no upstream; another OPTIONS gets 200 with the actual-request
 * headers; other requests go on with those headers added to their response. With `options_passthrough`
 * the front door sends every OPTIONS upstream without running any middleware, as Tyk does.
 *
 * @example
 * const cors = createCors(def, deps); // null unless CORS.enable
 */
export function createCors(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  const cors = def.CORS;
  if (cors?.enable !== true) return null;
  const policy = compileCors(cors);
  const refused = reply(204, '', ['Vary', PREFLIGHT_VARY], '');
  const optionsOk = reply(200, '', [], '');
  const isDebug = cors.debug === true;
  const logger = deps.logger;
  return (ctx) => {
    if (ctx.method === 'OPTIONS') {
      if (ctx.header('access-control-request-method') !== '') {
        const answer = preflightReply(policy, ctx, refused);
        if (isDebug) logger.info({ api_id: ctx.api.apiId, origin: ctx.header('origin'), allowed: answer !== refused }, 'CORS preflight');
        return answer;
      }
      addActualHeaders(policy, ctx);
      return optionsOk;
    }
    addActualHeaders(policy, ctx);
    if (isDebug) logger.info({ api_id: ctx.api.apiId, origin: ctx.header('origin') }, 'CORS actual request');
    return undefined;
  };
}
