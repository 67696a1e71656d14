import type { AccessDefinition, AccessSpec, ApiDefinition, SessionState } from '@tollgate/apidef';
import { usesAuthToken } from '../auth/identity.js';
import { createVersionReader } from '../auth/requested-version.js';
import { compileUrlPattern } from '../auth/url-pattern.js';
import { errors } from '../errors.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import type { RequestContext } from '../pipeline/request-context.js';

interface CompiledAccessSpec {
  readonly regex: RegExp;
  readonly methods: readonly string[];
}

/**
 * Checks on the session an auth mode kept (auth.md §5; pipeline steps 12-14), in Tyk's order: no
 * session → 400; inactive → 403; expired → 401; API not in `access_rights` → 403; version not granted →
 * 403; `allowed_urls` miss → 403 `Access to this resource has been disallowed`. Null for keyless APIs.
 *
 * @example
 * const check = createKeyChecks(def, deps); check(ctx) // undefined, or errors.keyExpired, ...
 */
export function createKeyChecks(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  if (def.use_keyless === true) return null;
  if (!isKeyed(def)) return null;
  const apiId = String(def.api_id ?? '');
  const now = deps.now;
  const version = createVersionReader(def);
  const defaultVersion = def.version_data?.default_version ?? '';
  const fallbackToDefault = def.definition?.fallback_to_default === true;
  const options = deps.config.http_server_options;
  const anchors = { prefix: options?.enable_path_prefix_matching === true, suffix: options?.enable_path_suffix_matching === true };
  // Compiled allowed_urls per session entry; a session changes only by being replaced (cache invalidation).
  const compiled = new WeakMap<readonly AccessSpec[], readonly CompiledAccessSpec[]>();
  const compile = (specs: readonly AccessSpec[]): readonly CompiledAccessSpec[] => {
    let list = compiled.get(specs);
    if (list === undefined) {
      list = specs.flatMap((s) => {
        const regex = typeof s.url === 'string' ? compileUrlPattern(s.url, anchors) : null;
        return regex === null ? [] : [{ regex, methods: Array.isArray(s.methods) ? s.methods : [] }];
      });
      compiled.set(specs, list);
    }
    return list;
  };

  return (ctx) => {
    const session = ctx.session;
    if (session === null) return errors.sessionMissing;
    if (session.is_inactive === true) return errors.keyInactive;
    const expires = session.expires ?? 0;
    if (expires >= 1 && now() / 1000 > expires) return errors.keyExpired;
    const rights = accessRights(session);
    if (rights === null) return undefined; // master key: every API, every version, every URL
    const entry = rights[apiId];
    if (entry === undefined) return errors.apiAccessDisallowed;
    if (version !== null && !grantsVersion(entry, version(ctx), fallbackToDefault ? defaultVersion : null)) {
      return errors.apiAccessDisallowed;
    }
    const urls = entry.allowed_urls;
    if (Array.isArray(urls) && urls.length > 0 && !allowsUrl(compile(urls), ctx, anchors.prefix)) return errors.resourceDisallowed;
    return undefined;
  };
}

function isKeyed(def: ApiDefinition): boolean {
  return usesAuthToken(def) || def.use_basic_auth === true || def.enable_signature_checking === true || def.enable_jwt === true;
}

function accessRights(session: SessionState): Record<string, AccessDefinition> | null {
  const rights = session.access_rights;
  if (rights === null || rights === undefined) return null;
  for (const _ in rights) return rights;
  return null;
}

function grantsVersion(entry: AccessDefinition, requested: string, defaultVersion: string | null): boolean {
  const versions = entry.versions;
  if (!Array.isArray(versions)) return false;
  return versions.includes(requested) || (defaultVersion !== null && versions.includes(defaultVersion));
}

/**
 * auth.md §5: with prefix matching the anchored pattern is tried on the path without the listen path and
 * on the full path; without it, searched in the full path. The method must be listed, exact case.
 */
function allowsUrl(specs: readonly CompiledAccessSpec[], ctx: RequestContext, isPrefixMatching: boolean): boolean {
  const full = ctx.path;
  const stripped = isPrefixMatching ? withSlash(full.slice(ctx.matchedLength)) : '';
  for (const spec of specs) {
    if (!spec.methods.includes(ctx.method)) continue;
    if (spec.regex.test(full) || (isPrefixMatching && spec.regex.test(stripped))) return true;
  }
  return false;
}

function withSlash(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}
