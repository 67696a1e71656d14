/**
 * Which rate limit and quota of a session apply to one API (rate-limits-and-quotas.md §1–§2), after
 * policies were applied (gateway-api.md §8.3). Pure: the gateway uses it per request, the control plane
 * when it shows or resets a key's quota.
 */
import { sessionPolicyIds } from "./apply-policies.js";
import { isEmptyLimit } from "./policy-limits.js";
import type { APILimit, EndpointLimit, SessionState } from "./session.js";

/** A rate limit in tollgate's exact form (§2): `capacity` admissions per `windowMs` milliseconds. */
export interface RateSpec {
  /** Integer ≥ 1: max(1, ⌊rate⌋). */
  readonly capacity: number;
  /** `per` × capacity ÷ rate, in milliseconds (fractional `rate`/`per` keep the same average rate). */
  readonly windowMs: number;
  /** The configured `rate`, for `X-RateLimit-Limit` (integer part, as Tyk sends it). */
  readonly rate: number;
}

/** A quota: at most `max` admissions per `renewalSeconds` (≤ 0: never renews). */
export interface QuotaSpec {
  readonly max: number;
  readonly renewalSeconds: number;
}

/** The limits of one session on one API and the scope that names their counters. */
export interface KeyLimits {
  /**
   * `allowance_scope` of a per-API limit ('' = the key's own counters, shared by every API whose limit has
   * no scope); '' for the session-root counters.
   */
  readonly scope: string;
  /** null: no rate limit (rate ≤ 0 or per ≤ 0). */
  readonly rate: RateSpec | null;
  /** null: unlimited (quota_max ≤ 0). */
  readonly quota: QuotaSpec | null;
  /** Where the values came from: the access definition's `limit`, or the session root. */
  readonly source: APILimit;
}

/**
 * `rate` requests per `per` seconds as an exact spec, or null when off (§2: `rate` ≤ 0 or `per` ≤ 0,
 * non-finite values included).
 *
 * @example
 * rateSpec(2.5, 1) // { capacity: 2, windowMs: 800, rate: 2.5 }
 */
export function rateSpec(rate: unknown, per: unknown): RateSpec | null {
  const r = Number(rate);
  const p = Number(per);
  if (!Number.isFinite(r) || !Number.isFinite(p) || r <= 0 || p <= 0) return null;
  const capacity = Math.max(1, Math.floor(r));
  return { capacity, windowMs: (p * 1000 * capacity) / r, rate: r };
}

/** How a rate counter is kept (rate-limits-and-quotas.md §10.3): L sliding log, G GCRA, F fixed window. */
export type RateAlgorithm = "L" | "G" | "F";

/**
 * The algorithm of a rate with this capacity: the fixed window when `enable_fixed_window_rate_limiter`,
 * else the sliding log up to `rate_limit_sliding_log_max` admissions per window and GCRA above it.
 */
export function rateAlgorithm(
  config: { readonly enable_fixed_window_rate_limiter?: boolean; readonly rate_limit_sliding_log_max: number },
  capacity: number,
): RateAlgorithm {
  return config.enable_fixed_window_rate_limiter ? "F" : capacity > config.rate_limit_sliding_log_max ? "G" : "L";
}

/**
 * Every counter group a session's requests use: one entry per distinct `allowance_scope` (as `keyLimits`
 * resolves it), with the APIs that share it ('' for the root limits) and its rate and quota.
 */
export function limitScopes(session: SessionState): Array<{ readonly scope: string; readonly apiIds: string[]; readonly rate: RateSpec | null; readonly quota: QuotaSpec | null }> {
  const byScope = new Map<string, { scope: string; apiIds: string[]; rate: RateSpec | null; quota: QuotaSpec | null }>();
  const add = (apiId: string, limits: KeyLimits): void => {
    const group = byScope.get(limits.scope);
    if (group === undefined) byScope.set(limits.scope, { scope: limits.scope, apiIds: [apiId], rate: limits.rate, quota: limits.quota });
    else group.apiIds.push(apiId);
  };
  add("", rootLimits(session));
  for (const apiId of Object.keys(session.access_rights ?? {})) add(apiId, keyLimits(session, apiId));
  return [...byScope.values()];
}

/**
 * A key's endpoint rate limits on one API (`access_rights[<api>].endpoints[].methods[]`) that are on: one
 * per method with `rate` > 0 and `per` > 0, the method upper-cased (requests compare it case-insensitively,
 * rate-limits-and-quotas.md §1). The gateway and the key debug form read them through this one walk.
 */
export function endpointRateLimits(endpoints: readonly EndpointLimit[] | null | undefined): Array<{ readonly method: string; readonly path: string; readonly spec: RateSpec }> {
  const out: Array<{ method: string; path: string; spec: RateSpec }> = [];
  for (const endpoint of endpoints ?? []) {
    const path = typeof endpoint?.path === "string" ? endpoint.path : "";
    if (path === "" || !Array.isArray(endpoint.methods)) continue;
    for (const m of endpoint.methods) {
      const method = typeof m?.name === "string" ? m.name.toUpperCase() : "";
      const spec = method === "" ? null : rateSpec(m.limit?.rate, m.limit?.per);
      if (spec !== null) out.push({ method, path, spec });
    }
  }
  return out;
}

/** `quota_max` / `quota_renewal_rate` as a spec, or null when unlimited (`quota_max` ≤ 0). */
export function quotaSpec(max: unknown, renewal: unknown): QuotaSpec | null {
  const m = Math.floor(Number(max));
  if (!Number.isFinite(m) || m <= 0) return null;
  const r = Number(renewal);
  return { max: m, renewalSeconds: Number.isFinite(r) && r > 0 ? r : 0 };
}

/**
 * The limits of `session` on API `apiId`: the access definition's `limit` when it is not all-zero,
 * otherwise the session root's values (unscoped counters). A per-API limit's counters are named by its
 * `allowance_scope` (rate-limits-and-quotas.md §1: same scope = same counters, even across APIs). An empty
 * scope stays empty (the key's own counters) for a key with policies: one policy granting several APIs
 * gives them one quota and one rate, and only `per_api` policies or several ACL policies set scopes
 * (gateway-api.md §8.3 steps 3 and 7). Only keys without policies get the API ID (§8.3 step 10, which
 * `applyPolicies` also applies; done here too for a session that has not been through it).
 *
 * @example
 * keyLimits({ rate: 10, per: 60, quota_max: -1 }, "api-1") // { scope: "", rate: {...}, quota: null, ... }
 */
export function keyLimits(session: SessionState, apiId: string): KeyLimits {
  const access = session.access_rights?.[apiId];
  const limit = access?.limit;
  if (access !== undefined && !isEmptyLimit(limit)) {
    const own = access.allowance_scope;
    const scope = typeof own === "string" && own !== "" ? own : sessionPolicyIds(session).length === 0 ? apiId : "";
    return { scope, rate: rateSpec(limit!.rate, limit!.per), quota: quotaSpec(limit!.quota_max, limit!.quota_renewal_rate), source: limit! };
  }
  return rootLimits(session);
}

/** The session root's limits, on the key's own (unscoped) counters. */
function rootLimits(session: SessionState): KeyLimits {
  return { scope: "", rate: rateSpec(session.rate, session.per), quota: quotaSpec(session.quota_max, session.quota_renewal_rate), source: session };
}

/**
 * Every quota counter scope a session can use: '' (root) and the scope of each per-API limit that has a
 * quota. The admin API reads and resets these.
 */
export function quotaScopes(session: SessionState): Array<{ readonly apiId: string | null; readonly scope: string; readonly quota: QuotaSpec | null }> {
  const out: Array<{ apiId: string | null; scope: string; quota: QuotaSpec | null }> = [
    { apiId: null, scope: "", quota: quotaSpec(session.quota_max, session.quota_renewal_rate) },
  ];
  for (const [apiId, access] of Object.entries(session.access_rights ?? {})) {
    if (isEmptyLimit(access?.limit)) continue;
    out.push({ apiId, scope: keyLimits(session, apiId).scope, quota: quotaSpec(access.limit!.quota_max, access.limit!.quota_renewal_rate) });
  }
  return out;
}
