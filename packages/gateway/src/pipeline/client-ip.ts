import { compileIpMatcher, parseIpAddress, type GatewayConfig } from '@tollgate/apidef';
import type { RequestContext } from './request-context.js';

/** Returns the address a request counts as coming from (IP lists, analytics); '' when none can be told. */
export type ClientIpResolver = (ctx: RequestContext) => string;

/**
 * Tyk's client IP rule (api-definition.md §7): `X-Real-IP` if it parses as an address; else
 * `X-Forwarded-For`, its leftmost entry with `http_server_options.xff_depth` 0 or the n-th from the right
 * with n (beyond the list: no address); else the socket peer. With `security.trusted_proxy_cidrs` set,
 * the headers count only when the peer is one of those proxies (a client cannot pick its own address).
 *
 * @example
 * const clientIp = createClientIpResolver(config); clientIp(ctx) // "203.0.113.9"
 */
export function createClientIpResolver(config: Readonly<GatewayConfig>): ClientIpResolver {
  const depth = config.http_server_options?.xff_depth ?? 0;
  const isTrustedPeer = trustedProxies(config);
  return (ctx: RequestContext): string => {
    if (ctx.resolvedIp !== null) return ctx.resolvedIp;
    let ip = ctx.peer;
    if (isTrustedPeer(ctx.peer)) ip = fromHeaders(ctx, depth) ?? ctx.peer;
    ctx.resolvedIp = ip;
    return ip;
  };
}

/**
 * `security.trusted_proxy_cidrs` as a peer test: every peer when the list is empty (as Tyk, which takes
 * forwarding headers from anyone), else only the listed proxies.
 */
export function trustedProxies(config: Readonly<GatewayConfig>): (peer: string) => boolean {
  const trusted = config.security?.trusted_proxy_cidrs ?? [];
  return trusted.length > 0 ? compileIpMatcher(trusted) : () => true;
}

function fromHeaders(ctx: RequestContext, depth: number): string | null {
  const realIp = ctx.header('x-real-ip').trim();
  if (realIp !== '' && parseIpAddress(realIp) !== null) return realIp;
  const xff = ctx.forwardedFor;
  if (xff === '') return null;
  const entries = xff.split(',');
  if (depth === 0) return entries[0]!.trim();
  return depth <= entries.length ? entries[entries.length - depth]!.trim() : '';
}
