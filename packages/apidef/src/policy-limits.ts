/**
 * Limit arithmetic used when policies merge into a session (spec/gateway-api.md §8.3), mirroring Tyk's
 * internal/policy helpers: which of two rate limits allows more, -1 as the largest quota, and the merges of
 * per-endpoint limits and `allowed_urls`.
 */
import type { Policy, PolicyPartitions } from './policy.js';
import type { AccessSpec, APILimit, EndpointLimit, RateLimitSmoothing, SessionState } from './session.js';

/** Every numeric limit field set, `smoothing` null when absent: the shape merged and emitted. */
export interface FullLimit extends APILimit {
  rate: number;
  per: number;
  smoothing: RateLimitSmoothing | null;
  throttle_interval: number;
  throttle_retry_limit: number;
  max_query_depth: number;
  quota_max: number;
  quota_remaining: number;
  quota_renewal_rate: number;
  quota_renews: number;
}

export function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** A copy of `limit` with every field present (unknown fields kept). */
export function fullLimit(limit: APILimit | null | undefined): FullLimit {
  const l = limit ?? {};
  return {
    ...l,
    rate: num(l.rate),
    per: num(l.per),
    smoothing: l.smoothing ?? null,
    throttle_interval: num(l.throttle_interval),
    throttle_retry_limit: num(l.throttle_retry_limit),
    max_query_depth: num(l.max_query_depth),
    quota_max: num(l.quota_max),
    quota_remaining: num(l.quota_remaining),
    quota_renewal_rate: num(l.quota_renewal_rate),
    quota_renews: num(l.quota_renews),
  };
}

/** An all-zero limit object means "no per-API limit" (Tyk's APILimit.IsEmpty). */
export function isEmptyLimit(limit: APILimit | null | undefined): boolean {
  if (limit === null || limit === undefined) return true;
  const l = fullLimit(limit);
  return l.rate === 0 && l.per === 0 && l.throttle_interval === 0 && l.throttle_retry_limit === 0 &&
    l.max_query_depth === 0 && l.quota_max === 0 && l.quota_remaining === 0 && l.quota_renewal_rate === 0 &&
    l.quota_renews === 0 && l.smoothing === null;
}

/** Rate or per of zero = no rate limit (Tyk's emptyRateLimit). */
export function isEmptyRate(limit: { rate?: unknown; per?: unknown }): boolean {
  return num(limit.rate) === 0 || num(limit.per) === 0;
}

/**
 * Nanoseconds between two allowed requests (Tyk's RateLimit.Duration, truncated as Go's time.Duration
 * conversion does); 0 when there is no limit. A smaller duration allows more requests.
 */
export function rateDuration(limit: { rate?: unknown; per?: unknown }): number {
  const rate = num(limit.rate);
  const per = num(limit.per);
  if (per <= 0 || rate <= 0) return 0;
  return Math.trunc((per * 1e9) / rate);
}

/** `first` > `second` where -1 means unlimited, the largest value (Tyk's greaterThanInt64). */
export function greaterThan(first: number, second: number): boolean {
  if (first === -1) return true;
  if (second === -1) return false;
  return first > second;
}

/** `dest` plus every item of `items` it lacks, in order (Tyk's appendIfMissing). */
export function appendIfMissing(dest: readonly string[] | null | undefined, items: readonly string[] | null | undefined): string[] {
  const out = [...(dest ?? [])];
  const seen = new Set(out);
  for (const item of items ?? []) {
    if (seen.has(item)) continue;
    seen.add(item);
    out.push(item);
  }
  return out;
}

/** Merges allowed URL specs per URL (and conditions), unioning methods, first-seen order. */
export function mergeAllowedUrls(a: readonly AccessSpec[] | null | undefined, b: readonly AccessSpec[] | null | undefined): AccessSpec[] {
  const merged = new Map<string, AccessSpec>();
  for (const spec of [...(a ?? []), ...(b ?? [])]) {
    const conditions = spec.conditions;
    const key = conditions === undefined || conditions === null ? spec.url : `${spec.url}\u0000${JSON.stringify(conditions)}`;
    const seen = merged.get(key);
    if (seen === undefined) merged.set(key, { ...spec, methods: [...(spec.methods ?? [])] });
    else seen.methods = appendIfMissing(seen.methods, spec.methods);
  }
  return [...merged.values()];
}

type RateLimitValue = { rate?: number; per?: number; [key: string]: unknown };

function endpointMap(endpoints: readonly EndpointLimit[] | null | undefined): Map<string, RateLimitValue> {
  const map = new Map<string, RateLimitValue>();
  for (const endpoint of endpoints ?? []) {
    for (const method of endpoint.methods ?? []) map.set(`${method.name}:${endpoint.path}`, method.limit ?? {});
  }
  return map;
}

function endpointList(map: ReadonlyMap<string, RateLimitValue>): EndpointLimit[] {
  const byPath = new Map<string, Array<{ name: string; limit: RateLimitValue }>>();
  for (const [key, limit] of map) {
    const i = key.indexOf(':');
    const [name, path] = [key.slice(0, i), key.slice(i + 1)];
    const methods = byPath.get(path) ?? [];
    methods.push({ name, limit: { ...limit } });
    byPath.set(path, methods);
  }
  return [...byPath.keys()].sort().map((path) => ({
    path,
    methods: byPath.get(path)!.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)),
  }));
}

/**
 * Per-endpoint limits of two sources, keyed `METHOD:path`: the one allowing more requests wins (equal
 * intervals: the higher rate). Tyk's ApplyEndpointLevelLimits.
 */
export function mergeEndpointLimits(
  policy: readonly EndpointLimit[] | null | undefined, current: readonly EndpointLimit[] | null | undefined,
): EndpointLimit[] {
  const currentMap = endpointMap(current);
  if (currentMap.size === 0) return endpointList(endpointMap(policy));
  const result = endpointMap(policy);
  if (result.size === 0) return endpointList(currentMap);
  for (const [key, currentLimit] of currentMap) {
    const fromPolicy = result.get(key);
    if (fromPolicy === undefined) {
      result.set(key, currentLimit);
      continue;
    }
    const [policyDuration, currentDuration] = [rateDuration(fromPolicy), rateDuration(currentLimit)];
    if (policyDuration > currentDuration || (policyDuration === currentDuration && num(currentLimit.rate) > num(fromPolicy.rate))) {
      result.set(key, currentLimit);
    }
  }
  return endpointList(result);
}

/** A policy's own limits in the shape of a per-API limit (Tyk's Policy.APILimit). */
export function policyLimit(policy: Policy): FullLimit {
  return fullLimit({
    rate: policy.rate, per: policy.per, smoothing: policy.smoothing, throttle_interval: policy.throttle_interval,
    throttle_retry_limit: policy.throttle_retry_limit, max_query_depth: policy.max_query_depth,
    quota_max: policy.quota_max, quota_renewal_rate: policy.quota_renewal_rate,
  });
}

/** The policy's rate when it allows more than the API's or the session's current one. */
export function applyRateLimits(session: SessionState, policy: Policy, limit: FullLimit): void {
  const p = policyLimit(policy);
  if (isEmptyRate(p)) return;
  if (isEmptyRate(limit) || rateDuration(limit) > rateDuration(p)) {
    limit.rate = p.rate;
    limit.per = p.per;
    limit.smoothing = p.smoothing;
  }
  if (isEmptyRate(session) || rateDuration(session) > rateDuration(p)) {
    session.rate = p.rate;
    session.per = p.per;
    session.smoothing = p.smoothing;
  }
}

/** A policy without access rights copies its limits straight to the session root. */
export function applyMasterPolicy(session: SessionState, p: FullLimit, all: boolean, parts: PolicyPartitions): void {
  if (all || parts.rate_limit) {
    session.rate = p.rate;
    session.per = p.per;
    session.smoothing = p.smoothing;
    session.throttle_interval = p.throttle_interval;
    session.throttle_retry_limit = p.throttle_retry_limit;
  }
  if (all || parts.complexity) session.max_query_depth = p.max_query_depth;
  if (all || parts.quota) {
    session.quota_max = p.quota_max;
    session.quota_renewal_rate = p.quota_renewal_rate;
  }
}
