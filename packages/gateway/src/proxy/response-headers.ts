import { isNameAt } from './ascii-names.js';

/**
 * Classifies upstream response header names (raw Buffers from the upstream client) without turning each into a string:
 * most names are rejected by their length alone.
 */
export const enum HeaderKind {
  Forward = 0,
  /** Hop-by-hop, or written by uWS itself (`date`): not copied to the client. */
  HopByHop = 1,
  ContentLength = 2,
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
const byLength = new Map<number, string[]>();
// uWS writes its own Date header on every response; the upstream's copy would make two.
for (const name of [...HOP_BY_HOP, 'date', 'content-length']) {
  const list = byLength.get(name.length) ?? [];
  list.push(name);
  byLength.set(name.length, list);
}

export function classifyHeader(name: Buffer): HeaderKind {
  return classifyNameAt(name, 0, name.length);
}

/** classifyHeader of the name `buf[pos, pos + length)`, without a view of it. */
export function classifyNameAt(buf: Buffer, pos: number, length: number): HeaderKind {
  const candidates = byLength.get(length);
  if (candidates === undefined) return HeaderKind.Forward;
  for (const candidate of candidates) {
    if (isNameAt(buf, pos, candidate)) return candidate === 'content-length' ? HeaderKind.ContentLength : HeaderKind.HopByHop;
  }
  return HeaderKind.Forward;
}

/**
 * Whether the gateway adds a header of this name itself (`extra` is the context's flat
 * `responseHeaders`, names in any case, e.g. `X-RateLimit-Limit`). `Vary` is never replaced: the
 * gateway's `Vary: Origin` adds to the upstream's.
 */
export function isSetByGateway(name: Buffer, extra: readonly string[]): boolean {
  for (let i = 0; i < extra.length; i += 2) {
    const own = extra[i]!;
    if (own.length === name.length && isNameAt(name, 0, own) && !(own.length === 4 && isNameAt(name, 0, 'vary'))) return true;
  }
  return false;
}

/** The `X-RateLimit-*` headers a gateway sets (rate-limits-and-quotas.md §8). */
export const RATE_LIMIT_HEADER_NAMES: readonly string[] = Object.freeze(['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);

let upstreamRateLimitHeadersDropped: readonly string[] | null = null;

/**
 * tyk.conf `rate_limit_response_headers: rate_limits`: the upstream's own `X-RateLimit-*` headers are never
 * relayed (§8), whether or not a rate check set the gateway's. Set once at worker start.
 */
export function dropUpstreamRateLimitHeaders(drop: boolean): void {
  upstreamRateLimitHeadersDropped = drop ? RATE_LIMIT_HEADER_NAMES : null;
}

/** The upstream headers never relayed on any response (null: none). */
export function upstreamHeadersDropped(): readonly string[] | null {
  return upstreamRateLimitHeadersDropped;
}

/** Whether a raw header name is one of `names` (lower-case). */
export function isNamed(name: Buffer, names: readonly string[]): boolean {
  for (const own of names) if (own.length === name.length && isNameAt(name, 0, own)) return true;
  return false;
}

/**
 * Request header names (already lower-cased by uWS) that are not copied to the upstream as they are: the
 * HeaderCollector reads X-Forwarded-*, Connection and Te (`Te: trailers` is re-added) before dropping them.
 */
export const REQUEST_HOP_BY_HOP: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP, 'host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host',
]);
