import type { GatewayConfig } from '@tollgate/apidef';
import type { Logger } from 'pino';
import { upstreamLatency } from './analytics/record-builder.js';
import type { ClientIpResolver } from './pipeline/client-ip.js';
import type { RequestContext } from './pipeline/request-context.js';
import { pathOnTarget } from './proxy/upstream-path.js';

/** One access-log line per finished request; null when `access_logs.enabled` is off (nothing runs then). */
export type AccessLog = (ctx: RequestContext) => void;

/** Flags of the proxy step (errors-and-flags.md §2.2): their `error_source` is the reverse proxy. */
const UPSTREAM_FLAGS = new Set(['TLE', 'TLI', 'TLM', 'TLN', 'TLH', 'TLP', 'TLA', 'TLC', 'UCF', 'UCT', 'URR', 'EPI', 'CAB', 'NRS', 'NRH', 'DNS', 'URT', 'UPE', 'URS', 'NHU', 'CBO', 'CDC']);

/** `response_code_details` per flag (errors-and-flags.md §4); RLT is told apart by its message. */
const DETAILS: Readonly<Record<string, string>> = {
  AMF: 'auth_field_missing', AKI: 'auth_key_not_found', TKE: 'jwt_token_expired', TKI: 'jwt_token_invalid', TCV: 'jwt_claims_invalid',
  EAD: 'external_auth_denied', CRQ: 'client_certificate_required', CMM: 'client_certificate_mismatch', IHD: 'invalid_header',
  QEX: 'quota_exceeded', BTL: 'body_too_large', CLM: 'content_length_missing', BIV: 'body_invalid',
  UCF: 'connection_refused', TLE: 'tls_certificate_expired', DNS: 'dns_not_found', URT: 'context_deadline_exceeded',
  CDC: 'client_disconnected', URS: 'upstream_response_5xx', CBO: 'circuit_breaker_open', NHU: 'no_healthy_upstreams',
};

/** `error_source` of a gateway-generated flag: the Tyk middleware that raises it. */
const SOURCES: Readonly<Record<string, string>> = {
  AMF: 'AuthKey', AKI: 'AuthKey', TKE: 'JWTMiddleware', TKI: 'JWTMiddleware', TCV: 'JWTMiddleware', IHD: 'BasicAuthKeyIsValid',
  CRQ: 'CertificateCheckMW', CMM: 'CertificateCheckMW', RLT: 'RateLimitAndQuotaCheck', QEX: 'RateLimitAndQuotaCheck',
  BTL: 'RequestSizeLimitMiddleware', CLM: 'RequestSizeLimitMiddleware', BIV: 'ValidateJSON', EAD: 'Oauth2KeyExists',
};

/**
 * Tyk's key obfuscation for logs: the last four characters behind `****`, `--` for shorter keys. With
 * `hash_keys` the storage id is already the hash and is logged as it is (errors-and-flags.md §4).
 */
export function obfuscateKey(key: string): string {
  if (key === '') return '';
  return key.length > 4 ? `****${key.slice(-4)}` : '--';
}

/** The trace id of a W3C `traceparent` header (`00-<32 hex>-<16 hex>-<2 hex>`); '' without a valid one. */
export function traceId(traceparent: string): string {
  const m = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/.exec(traceparent.trim());
  return m === null || /^0+$/.test(m[1]!) ? '' : m[1]!;
}

/**
 * tyk.conf `access_logs.enabled`: one pino line per request with `prefix: "access-log"` and Tyk's field
 * names (errors-and-flags.md §4); failures add `response_flag`, `response_code_details`, `error_source`,
 * `error_target` and `upstream_status`. Keys are never logged in clear.
 *
 * @example
 * const log = createAccessLog(config, logger, deps.clientIp); log?.(ctx);
 */
export function createAccessLog(config: Readonly<GatewayConfig>, logger: Logger, clientIp: ClientIpResolver): AccessLog | null {
  if (!config.access_logs?.enabled) return null;
  const isHashed = Boolean(config.hash_keys);
  return (ctx) => {
    const total = Math.max(0, Math.round((ctx.endMs || Date.now()) - ctx.startMs));
    const upstream = Math.min(total, Math.round(upstreamLatency(ctx)));
    const api = ctx.api;
    const target = ctx.target;
    // The path as the upstream got it (listen path stripped, target path joined); the client's as original_path.
    const path = target === null ? ctx.forwardPath : pathOnTarget(ctx, target);
    const line: Record<string, unknown> = {
      prefix: 'access-log',
      api_id: api.apiId,
      api_name: api.name,
      org_id: api.orgId,
      api_key: isHashed ? ctx.sessionKey : obfuscateKey(ctx.sessionKey),
      client_ip: clientIp(ctx),
      host: ctx.header('x-forwarded-host'),
      method: ctx.method,
      path,
      original_path: ctx.path,
      protocol: 'HTTP/1.1',
      remote_addr: ctx.peer,
      upstream_addr: target === null ? '' : target.origin,
      status: ctx.status,
      latency_total: total,
      latency_gateway: total - upstream,
      upstream_latency: upstream,
      user_agent: ctx.hasClientUserAgent ? ctx.header('user-agent') : '',
      trace_id: traceId(ctx.header('traceparent')),
    };
    const flag = ctx.flag;
    if (flag !== '') {
      const isUpstream = UPSTREAM_FLAGS.has(flag);
      line.response_flag = flag;
      line.response_code_details = flag === 'RLT'
        ? (ctx.error?.message === 'API Rate Limit Exceeded' ? 'api_rate_limited' : ctx.error?.code === 'TOLLGATE_ERR_RATE_LIMIT_STORAGE' ? 'rate_limiter_storage_error' : 'session_rate_limited')
        : DETAILS[flag] ?? (isUpstream ? 'upstream_error' : flag.toLowerCase());
      line.error_source = isUpstream ? 'ReverseProxy' : SOURCES[flag] ?? 'Gateway';
      if (isUpstream && target !== null) line.error_target = `${target.host}${path}`;
    }
    if (ctx.upstreamHeadMs > 0 && ctx.status >= 500) line.upstream_status = ctx.status;
    logger.info(line, 'access-log');
  };
}
