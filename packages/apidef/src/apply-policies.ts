/**
 * Merging a session's policies into it (spec/gateway-api.md §8.3), step for step as Tyk's
 * internal/policy/apply.go does. Pure: the input session is not modified; the result is a deep copy.
 */
import type { Policy, PolicyPartitions } from './policy.js';
import type { AccessDefinition, SessionState } from './session.js';
import {
  appendIfMissing, applyMasterPolicy, applyRateLimits, fullLimit, greaterThan, isEmptyLimit, mergeAllowedUrls,
  mergeEndpointLimits, num, policyLimit, rateDuration, type FullLimit,
} from './policy-limits.js';

export type PolicyLookup = ReadonlyMap<string, Policy> | Readonly<Record<string, Policy>>;

export interface ApplyPoliciesOptions {
  /** The API's `org_id`: a policy of another org is an error. Omitted = no ownership check (admin API). */
  readonly orgId?: string;
}

export type ApplyPoliciesResult =
  | { readonly ok: true; readonly session: SessionState }
  | { readonly ok: false; readonly error: string };

export const MIXED_PER_API_ERROR = 'cannot apply multiple policies when some have per_api set and some are partitioned';

/** `apply_policies`, else `[apply_policy_id]`, else none (Tyk's PolicyIDs). */
export function sessionPolicyIds(session: SessionState): string[] {
  if (Array.isArray(session.apply_policies) && session.apply_policies.length > 0) return session.apply_policies;
  if (typeof session.apply_policy_id === 'string' && session.apply_policy_id !== '') return [session.apply_policy_id];
  return [];
}

function lookup(policies: PolicyLookup, id: string): Policy | undefined {
  if (policies instanceof Map) return policies.get(id);
  const record = policies as Readonly<Record<string, Policy>>;
  return Object.prototype.hasOwnProperty.call(record, id) ? record[id] : undefined;
}

function partitionsEnabled(p: PolicyPartitions | undefined): boolean {
  return Boolean(p?.quota || p?.rate_limit || p?.acl || p?.complexity);
}

interface MergeState {
  readonly rights: Map<string, AccessDefinition & { limit: FullLimit }>;
  /** Which policy (or scope) set each API's limits; drives `allowance_scope` with several policies. */
  readonly setBy: Map<string, string>;
  readonly didQuota: Set<string>;
  readonly didRateLimit: Set<string>;
  readonly didAcl: Set<string>;
  readonly didComplexity: Set<string>;
  didPerApi: boolean;
  didPartition: boolean;
}

/** Step 1: clear the key's own values in every partition a listed policy covers (stops at an unknown ID, as Tyk). */
function clearSession(session: SessionState, ids: readonly string[], policies: PolicyLookup): void {
  for (const id of ids) {
    const policy = lookup(policies, id);
    if (policy === undefined) return;
    const all = !partitionsEnabled(policy.partitions);
    if (policy.partitions?.quota || all) {
      session.quota_max = 0;
      session.quota_remaining = 0;
    }
    if (policy.partitions?.rate_limit || all) {
      session.rate = 0;
      session.per = 0;
      session.smoothing = null;
      session.throttle_retry_limit = 0;
      session.throttle_interval = 0;
    }
    if (policy.partitions?.complexity || all) session.max_query_depth = 0;
  }
}

/** Two per_api policies granting the same API: keep the more generous of each value (Tyk's applyAPILevelLimits). */
function mergeApiLevel(state: MergeState, apiId: string, next: AccessDefinition & { limit: FullLimit }): boolean {
  const current = state.rights.get(apiId)!;
  let updated = false;
  if (rateDuration(next.limit) > rateDuration(current.limit)) {
    next.limit.per = current.limit.per;
    next.limit.rate = current.limit.rate;
    next.limit.smoothing = current.limit.smoothing;
    updated = true;
  }
  if (current.limit.quota_max !== next.limit.quota_max && greaterThan(current.limit.quota_max, next.limit.quota_max)) {
    next.limit.quota_max = current.limit.quota_max;
    updated = true;
  }
  if (greaterThan(current.limit.quota_renewal_rate, next.limit.quota_renewal_rate)) {
    next.limit.quota_renewal_rate = current.limit.quota_renewal_rate;
  }
  if (next.limit.quota_max === -1) next.limit.quota_renewal_rate = 0;
  if (updated) next.allowance_scope = current.allowance_scope;
  next.endpoints = mergeEndpointLimits(next.endpoints, current.endpoints);
  return updated;
}

function applyPerApi(state: MergeState, session: SessionState, policy: Policy): string | undefined {
  if (state.didPartition) return MIXED_PER_API_ERROR;
  const own = session.access_rights ?? {};
  for (const [apiId, granted] of Object.entries(policy.access_rights ?? {})) {
    const right = { ...structuredClone(granted), limit: fullLimit(granted.limit) };
    let scope = apiId;
    if (isEmptyLimit(granted.limit)) {
      scope = String(policy.id ?? '');
      right.limit = policyLimit(policy);
    }
    right.allowance_scope = scope;
    const existing = own[apiId];
    if (existing !== undefined && !isEmptyLimit(existing.limit)) right.limit.quota_renews = num(existing.limit?.quota_renews);
    if (existing?.disable_introspection) right.disable_introspection = true;
    // The limit's origin follows whichever side won the merge.
    const keptCurrent = state.rights.has(apiId) && mergeApiLevel(state, apiId, right);
    if (!keptCurrent) state.setBy.set(apiId, scope);
    state.rights.set(apiId, right);
    for (const did of [state.didAcl, state.didQuota, state.didRateLimit, state.didComplexity]) did.add(apiId);
  }
  if (Object.keys(policy.access_rights ?? {}).length > 0) state.didPerApi = true;
  return undefined;
}

function mergeAcl(state: MergeState, apiId: string, granted: AccessDefinition, policyId: string): void {
  const right = state.rights.get(apiId)!;
  if (granted.disable_introspection) right.disable_introspection = true;
  right.versions = appendIfMissing(right.versions, granted.versions);
  right.allowed_urls = mergeAllowedUrls(right.allowed_urls, granted.allowed_urls);
  // GraphQL field rules are "later" features: carried over from the first policy that has them.
  for (const field of ['restricted_types', 'allowed_types', 'field_access_rights'] as const) {
    if ((right[field]?.length ?? 0) === 0 && granted[field] !== undefined) right[field] = structuredClone(granted[field]);
  }
  state.didAcl.add(apiId);
  state.setBy.set(apiId, policyId);
}

function applyPartitioned(state: MergeState, session: SessionState, policy: Policy): string | undefined {
  const partitioned = partitionsEnabled(policy.partitions);
  if (partitioned && state.didPerApi) return MIXED_PER_API_ERROR;
  const all = !partitioned;
  const parts = policy.partitions ?? {};
  const grants = Object.entries(policy.access_rights ?? {});
  // Every granted API gets an entry first, so an ACL from a later policy is still honoured.
  for (const [apiId, granted] of grants) {
    if (!state.rights.has(apiId)) {
      state.rights.set(apiId, { api_id: granted.api_id ?? apiId, api_name: granted.api_name ?? '', versions: [], allowed_urls: [], limit: fullLimit(null) });
    }
  }
  const p = policyLimit(policy);
  for (const [apiId, granted] of grants) {
    if (all || parts.acl) mergeAcl(state, apiId, granted, String(policy.id ?? ''));
    const right = state.rights.get(apiId)!;
    const limit = right.limit;
    if (all || parts.quota) {
      state.didQuota.add(apiId);
      if (greaterThan(p.quota_max, limit.quota_max)) {
        limit.quota_max = p.quota_max;
        if (greaterThan(p.quota_max, num(session.quota_max))) session.quota_max = p.quota_max;
      }
      if (p.quota_renewal_rate > limit.quota_renewal_rate) {
        limit.quota_renewal_rate = p.quota_renewal_rate;
        if (p.quota_renewal_rate > num(session.quota_renewal_rate)) session.quota_renewal_rate = p.quota_renewal_rate;
      }
    }
    if (all || parts.rate_limit) {
      state.didRateLimit.add(apiId);
      applyRateLimits(session, policy, limit);
      right.endpoints = mergeEndpointLimits(granted.endpoints, right.endpoints);
      if (p.throttle_retry_limit > limit.throttle_retry_limit) {
        limit.throttle_retry_limit = p.throttle_retry_limit;
        if (p.throttle_retry_limit > num(session.throttle_retry_limit)) session.throttle_retry_limit = p.throttle_retry_limit;
      }
      if (p.throttle_interval > limit.throttle_interval) {
        limit.throttle_interval = p.throttle_interval;
        if (p.throttle_interval > num(session.throttle_interval)) session.throttle_interval = p.throttle_interval;
      }
    }
    if (all || parts.complexity) {
      state.didComplexity.add(apiId);
      if (greaterThan(p.max_query_depth, limit.max_query_depth)) {
        limit.max_query_depth = p.max_query_depth;
        if (greaterThan(p.max_query_depth, num(session.max_query_depth))) session.max_query_depth = p.max_query_depth;
      }
    }
    const existing = session.access_rights?.[apiId];
    if (existing !== undefined && !isEmptyLimit(existing.limit)) limit.quota_renews = num(existing.limit?.quota_renews);
  }
  if (grants.length === 0) applyMasterPolicy(session, p, all, parts);
  if (!session.hmac_enabled) session.hmac_enabled = Boolean(policy.hmac_enabled);
  if (!session.enable_http_signature_validation) session.enable_http_signature_validation = Boolean(policy.enable_http_signature_validation);
  state.didPartition = partitioned;
  return undefined;
}

/** Steps 6–8: drop APIs without an ACL part, inherit root values, scope counters, single-API root copy. */
function finishRights(state: MergeState, session: SessionState): void {
  const distinct = new Set([...state.rights.keys()].map((k) => state.setBy.get(k) ?? '').filter((s) => s !== ''));
  for (const [apiId, right] of state.rights) {
    if (!state.didAcl.has(apiId)) {
      state.rights.delete(apiId);
      continue;
    }
    const limit = right.limit;
    if (!state.didRateLimit.has(apiId)) {
      limit.rate = num(session.rate);
      limit.per = num(session.per);
      limit.smoothing = session.smoothing ?? null;
      limit.throttle_interval = num(session.throttle_interval);
      limit.throttle_retry_limit = num(session.throttle_retry_limit);
      right.endpoints = [];
    }
    if (!state.didComplexity.has(apiId)) limit.max_query_depth = num(session.max_query_depth);
    if (!state.didQuota.has(apiId)) {
      limit.quota_max = num(session.quota_max);
      limit.quota_renewal_rate = num(session.quota_renewal_rate);
      limit.quota_renews = num(session.quota_renews);
    }
    if (distinct.size > 1 && !right.allowance_scope) right.allowance_scope = state.setBy.get(apiId) ?? '';
  }
  if (state.didQuota.size === 1 && state.didRateLimit.size === 1 && state.didComplexity.size === 1) {
    const only = state.rights.get([...state.didRateLimit][0]!);
    if (only !== undefined) {
      session.rate = only.limit.rate;
      session.per = only.limit.per;
      session.smoothing = only.limit.smoothing;
      session.quota_max = only.limit.quota_max;
      session.quota_renews = only.limit.quota_renews;
      session.quota_renewal_rate = only.limit.quota_renewal_rate;
      session.max_query_depth = only.limit.max_query_depth;
    }
  }
}

/**
 * Applies the session's policies (`apply_policies`, else `apply_policy_id`) as Tyk does: partitions,
 * per-API policies, the more generous limit winning, ACL unions, tags, metadata, `is_inactive`. Errors
 * (unknown single policy, other org, per_api mixed with partitions, no rights left) come back as
 * `{ ok: false }`; a keyed request whose policies fail gets 403 `Access to this API has been disallowed`.
 *
 * @example
 * const result = applyPolicies(session, new Map([['gold', goldPolicy]]), { orgId: api.org_id });
 * if (!result.ok) return forbidden;
 */
export function applyPolicies(input: SessionState, policies: PolicyLookup, options: ApplyPoliciesOptions = {}): ApplyPoliciesResult {
  const session = structuredClone(input);
  const ids = sessionPolicyIds(session);
  session.meta_data = session.meta_data ?? {};
  clearSession(session, ids, policies);
  const state: MergeState = {
    rights: new Map(), setBy: new Map(), didQuota: new Set(), didRateLimit: new Set(), didAcl: new Set(),
    didComplexity: new Set(), didPerApi: false, didPartition: false,
  };
  const tags = new Set<string>(session.tags ?? []);
  let inactive = ids.length > 0 ? false : Boolean(session.is_inactive);
  for (const id of ids) {
    const policy = lookup(policies, id);
    if (policy === undefined) {
      if (ids.length > 1) continue;
      return { ok: false, error: `policy not found: "${id}"` };
    }
    if (options.orgId !== undefined && (policy.org_id ?? '') !== options.orgId) {
      return { ok: false, error: 'attempting to apply policy from different organisation to key, skipping' };
    }
    if (policy.partitions?.per_api && partitionsEnabled(policy.partitions)) {
      return { ok: false, error: `cannot apply policy ${String(policy.id ?? id)} which has per_api and any of partitions set` };
    }
    const error = policy.partitions?.per_api ? applyPerApi(state, session, policy) : applyPartitioned(state, session, policy);
    if (error !== undefined) return { ok: false, error };
    inactive = inactive || Boolean(policy.is_inactive);
    for (const tag of policy.tags ?? []) tags.add(tag);
    Object.assign(session.meta_data, policy.meta_data ?? {});
    // Tyk compares the Unix-seconds strings as strings.
    if (typeof policy.last_updated === 'string' && policy.last_updated > (session.last_updated ?? '')) session.last_updated = policy.last_updated;
    if (typeof policy.post_expiry_action === 'string' && policy.post_expiry_action !== '') session.post_expiry_action = policy.post_expiry_action;
    if (num(policy.post_expiry_grace_period) !== 0) session.post_expiry_grace_period = num(policy.post_expiry_grace_period);
  }
  session.is_inactive = inactive;
  session.tags = [...tags];
  if (ids.length === 0) {
    for (const [apiId, right] of Object.entries(session.access_rights ?? {})) {
      if (!isEmptyLimit(right.limit)) right.allowance_scope = apiId;
    }
  }
  finishRights(state, session);
  if (state.didAcl.size > 0) session.access_rights = Object.fromEntries(state.rights);
  if (ids.length > 0 && state.rights.size === 0) return { ok: false, error: 'key has no valid policies to be applied' };
  return { ok: true, session };
}
