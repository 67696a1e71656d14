import {
  endpointRateLimits, fullLimit, keyLimits, rateAlgorithm, rateSpec, type RateAlgorithm, type ApiDefinition, type APILimit, type EndpointLimit, type EndpointRateLimit, type KeyLimits,
  type RateSpec, type SessionState,
} from '@tollgate/apidef';
import { endpointId, keyLayout, limitKeys, quotaCheck, rateCheck, type LimitCallback, type LimitCheck, type LimitOutcome } from '@tollgate/store';
import { errors, type GatewayError } from '../errors.js';
import type { RateLimitMetrics } from '../limits/limit-metrics.js';
import type { Limiter } from '../limits/limiter.js';
import type { Decision } from '../pipeline/decision.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import type { QuotaCharge, RequestContext } from '../pipeline/request-context.js';
import { compileEntry, compileKind, findEntry, matchesRequest, patternContext, type EndpointEntry, type PatternContext } from '../rules/endpoint-list.js';
import { chooseUnversioned, isVersioned, perVersion } from '../rules/versions.js';

/** A rate counter and the rate it enforces (for `X-RateLimit-Limit` and the order of checks). */
export interface RateLimitPart {
  readonly check: LimitCheck;
  readonly spec: RateSpec;
}

/** What a plan is made of: the key's rate (root, per-API or endpoint), the API's rate (global or endpoint), the quota. */
interface PlanParts {
  readonly keyRate: RateLimitPart | null;
  readonly apiRate: RateLimitPart | null;
  readonly quota: LimitCheck | null;
}

const NO_ENTRIES: readonly EndpointEntry<number>[] = Object.freeze([]);
const NO_PARTS: readonly RateLimitPart[] = Object.freeze([]);

/** What one session needs on this API, computed once per cached session object. */
interface KeyPlan {
  readonly sessionKey: string;
  /** In tollgate's order (rate-limits-and-quotas.md §3): key rate, API-wide rate, quota. */
  readonly checks: readonly LimitCheck[];
  readonly keyRateAt: number;
  readonly apiAt: number;
  readonly quotaAt: number;
  readonly keyRate: RateSpec | null;
  /** The API-wide rate at `apiAt` (`global_rate_limit` or the matching `extended_paths.rate_limit` entry). */
  readonly apiRate: RateSpec | null;
  /** The parts the checks were made from (variants swap the rates). */
  readonly parts: PlanParts;
  /**
   * The session's endpoint limits on this API (`access_rights[<api>].endpoints[].methods[]`), compiled when
   * the plan is built; an entry's value indexes `keyEndpointLimits`. Empty on variants and keyless plans.
   */
  readonly keyEndpoints: readonly EndpointEntry<number>[];
  readonly keyEndpointLimits: readonly RateLimitPart[];
  /**
   * Plans for requests that match endpoint limits, made on first use: index (key entry + 1) × (API entries
   * + 1) + (API entry + 1). Requests that match nothing use this plan itself (no lookup, no allocation).
   */
  readonly variants: KeyPlan[];
  /** Where quota fields live for this API (session root or the access definition's `limit`). */
  readonly source: APILimit;
  /** The limiter's callback for every request of this plan (made once: no closure per request). */
  readonly onOutcome: LimitCallback<RequestContext>;
  /** The `X-RateLimit-*` values last sent for this plan, as text (rebuilt only when a number changes). */
  readonly headers: HeaderText;
  /** Gives back this plan's quota unit for a request refused after admission (null: no quota). */
  readonly quotaCharge: QuotaCharge | null;
  /** `throttle_retry_limit` of `source` (0: a refused request is answered at once). */
  readonly throttleRetries: number;
  /** `throttle_interval` of `source`, in ms (at least 1). */
  readonly throttleIntervalMs: number;
}

/**
 * Three response headers with the numbers their values were made from: requests that send the same
 * numbers (every request of an unlimited key; every admitted request of one Redis call) share one list.
 */
class HeaderText {
  private a: unknown = NaN;
  private b: unknown = NaN;
  private c: unknown = NaN;
  private list: readonly string[] = [];

  constructor(private readonly names: readonly [string, string, string]) {}

  /** The list for these numbers (the previous one when they did not change). */
  text(a: unknown, b: unknown, c: unknown): readonly string[] {
    if (a !== this.a || b !== this.b || c !== this.c) {
      this.a = a;
      this.b = b;
      this.c = c;
      const [na, nb, nc] = this.names;
      this.list = Object.freeze([na, String(a), nb, String(b), nc, String(c)]);
    }
    return this.list;
  }
}

const RATE_LIMIT_HEADERS = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'] as const;

/**
 * Rate limits and quotas, pipeline steps 15–16 (rate-limits-and-quotas.md): the key's rate limit (root
 * or per-API from `access_rights`, scoped by `allowance_scope`), the API's `global_rate_limit`, and the
 * key's quota, checked and consumed together by one Redis script call. Endpoint limits (§1, S): a matching
 * `access_rights[<api>].endpoints[]` entry replaces the key's rate, a matching `extended_paths.rate_limit`
 * entry the `global_rate_limit`, each on a counter of its own (`:<endpointId(METHOD, path)>`). Order 1 → 3 → 2 (§3, tollgate):
 * 429 `Rate Limit Exceeded`, 429 `API Rate Limit Exceeded`, 403 `Quota exceeded`; a refused request
 * consumes nothing. `disable_rate_limit` turns off the key and API-wide rates, `disable_quota` the quota.
 * `X-RateLimit-Limit/-Remaining/-Reset` follow tyk.conf `rate_limit_response_headers` (§8); 429s carry
 * `Retry-After`. Returns null when nothing can be limited on the API (keyless without a global limit).
 *
 * @example
 * const limit = createRateLimit(def, deps); // null for a keyless API without global_rate_limit
 */
export function createRateLimit(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  const apiId = String(def.api_id);
  const isRateOff = def.disable_rate_limit === true;
  const isQuotaOff = def.disable_quota === true;
  const global = def.global_rate_limit;
  const apiRate = isRateOff || global?.disabled === true ? null : rateSpec(global?.rate, global?.per);
  const isKeyless = def.use_keyless === true;
  const config = deps.config;
  const algorithm = (spec: RateSpec): RateAlgorithm => rateAlgorithm(config, spec.capacity);
  const ratePart = (key: string, spec: RateSpec): RateLimitPart => ({ check: rateCheck(key, spec.capacity, spec.windowMs, algorithm(spec)), spec });
  // API endpoint limits (extended_paths.rate_limit), compiled per version; their values index apiEndpointLimits.
  const apiEndpointLimits: RateLimitPart[] = [];
  const apiEndpoints = isRateOff ? null : perVersion<readonly EndpointEntry<number>[]>(def, (info, name) => {
    if (info.use_extended_paths !== true) return null;
    const entries = compileKind<EndpointRateLimit, number>(`version_data.versions.${name}.extended_paths.rate_limit`, info.extended_paths?.rate_limit,
      patternContext(def, info, config), (e) => {
        const method = (e.method ?? '').toUpperCase();
        const spec = rateSpec(e.rate, e.per);
        // Off when rate is 0 or per ≤ 0 (rate-limits-and-quotas.md §2); an entry needs a method (§10 kinds match exactly).
        if (spec === null || method === '') return null;
        return apiEndpointLimits.push(ratePart(limitKeys.apiEndpointRate(apiId, endpointId(method, e.path!)), spec)) - 1;
      });
    return entries.length > 0 ? entries : null;
  });
  if (apiRate === null && apiEndpoints === null && (isKeyless || (isRateOff && isQuotaOff))) return null;
  const limiter = deps.limiter;
  // Every worker wires a limiter; only tests of other concerns build pipelines without one.
  if (limiter === undefined && (apiRate !== null || apiEndpoints !== null)) throw new Error('global_rate_limit needs Redis: no limiter was configured for this worker');
  if (limiter === undefined) return null;
  const apiPart = apiRate === null ? null : ratePart(limitKeys.apiRate(apiId), apiRate);
  const isRateHeaders = config.rate_limit_response_headers === 'rate_limits';
  const plans = new WeakMap<SessionState, KeyPlan>();
  const apiEntryCount = apiEndpointLimits.length;
  // Key endpoint patterns follow the API's pattern options (and its version's, when it has only one).
  const keyPatterns = keyPatternContext(def, config);

  const planFor = (ctx: RequestContext): KeyPlan => {
    const session = ctx.session;
    if (session === null) return keylessPlan;
    const cached = plans.get(session);
    if (cached !== undefined && cached.sessionKey === ctx.sessionKey) return cached;
    const plan = buildPlan(ctx.sessionKey, session, keyLimits(session, apiId));
    plans.set(session, plan);
    return plan;
  };

  const buildPlan = (sessionKey: string, session: SessionState, limits: KeyLimits): KeyPlan => {
    const keyRate = isRateOff ? null : limits.rate;
    const quota = isQuotaOff ? null : limits.quota;
    const parts: PlanParts = {
      keyRate: keyRate === null ? null : ratePart(keyLayout.rateCounter(limits.scope, sessionKey), keyRate),
      apiRate: apiPart,
      quota: quota === null ? null : quotaCheck(keyLayout.quotaCounter(limits.scope, sessionKey), quota.max, quota.renewalSeconds),
    };
    const keyEndpointLimits: RateLimitPart[] = [];
    const keyEndpoints = isRateOff ? NO_ENTRIES : compileKeyEndpoints(session.access_rights?.[apiId]?.endpoints, keyPatterns, (method, path, spec) =>
      keyEndpointLimits.push(ratePart(keyLayout.endpointRateCounter(limits.scope, sessionKey, endpointId(method, path)), spec)) - 1);
    return newPlan(sessionKey, parts, limits.source, keyEndpoints, keyEndpointLimits);
  };

  const newPlan = (
    sessionKey: string, parts: PlanParts, source: APILimit, keyEndpoints: readonly EndpointEntry<number>[], keyEndpointLimits: readonly RateLimitPart[],
  ): KeyPlan => {
    // In tollgate's order (rate-limits-and-quotas.md §3): key rate, API-wide rate, quota.
    const checks: LimitCheck[] = [];
    const keyRateAt = parts.keyRate ? checks.push(parts.keyRate.check) - 1 : -1;
    const apiAt = parts.apiRate ? checks.push(parts.apiRate.check) - 1 : -1;
    const quotaAt = parts.quota ? checks.push(parts.quota) - 1 : -1;
    const throttle = fullLimit(source);
    const plan: KeyPlan = {
      sessionKey, checks, keyRateAt, apiAt, quotaAt, keyRate: parts.keyRate?.spec ?? null, apiRate: parts.apiRate?.spec ?? null, parts, source,
      keyEndpoints, keyEndpointLimits, variants: [],
      onOutcome: (outcome, _err, ctx) => {
        if (!throttles(ctx, plan, outcome)) ctx.settle(decide(ctx, plan, outcome));
      },
      headers: new HeaderText(RATE_LIMIT_HEADERS),
      quotaCharge: quotaAt < 0 ? null : quotaChargeOf(limiter, [checks[quotaAt]!]),
      throttleRetries: keyRateAt < 0 ? 0 : Math.max(0, Math.floor(throttle.throttle_retry_limit)),
      throttleIntervalMs: Math.max(1, Math.round(throttle.throttle_interval * 1000)),
    };
    return plan;
  };

  /**
   * The plan for this request: `base` unless an endpoint limit matches. A matching key endpoint limit
   * replaces the key's rate (§3 step 1), a matching API entry the `global_rate_limit` (§1 "API endpoint").
   */
  const selectPlan = (ctx: RequestContext, base: KeyPlan): KeyPlan => {
    let a = -1;
    if (apiEndpoints !== null) {
      const entries = apiEndpoints(ctx);
      if (entries !== undefined) a = findEntry(entries, ctx, false)?.value ?? -1;
    }
    const k = base.keyEndpoints.length === 0 ? -1 : findKeyEndpoint(base.keyEndpoints, ctx);
    if (a < 0 && k < 0) return base;
    const at = (k + 1) * (apiEntryCount + 1) + a + 1;
    let plan = base.variants[at];
    if (plan === undefined) {
      const parts: PlanParts = {
        keyRate: k < 0 ? base.parts.keyRate : base.keyEndpointLimits[k]!,
        apiRate: a < 0 ? base.parts.apiRate : apiEndpointLimits[a]!,
        quota: base.parts.quota,
      };
      plan = newPlan(base.sessionKey, parts, base.source, NO_ENTRIES, NO_PARTS);
      base.variants[at] = plan;
    }
    return plan;
  };

  /**
   * Throttling (§3, §10.8): a request the key's rate refused waits `throttle_interval` seconds on a timer and
   * is checked again, up to `throttle_retry_limit` times; the first check that admits it lets it through
   * (a refused check consumes nothing, so each re-check is Tyk's dry run and real run in one). Only the key's
   * rate throttles (step 1), not the API-wide limit or the quota. A client gone meanwhile ends the wait.
   * Returns true when the request waits (the outcome is not settled now).
   */
  const throttles = (ctx: RequestContext, plan: KeyPlan, outcome: LimitOutcome | null): boolean => {
    if (plan.throttleRetries === 0 || outcome === null || outcome.admitted || outcome.failed !== plan.keyRateAt) return false;
    if (ctx.throttleRetries >= plan.throttleRetries) return false;
    ctx.throttleRetries++;
    setTimeout(() => {
      if (ctx.error === errors.clientClosed) ctx.settle(errors.clientClosed);
      else limiter.enqueue(plan.checks, plan.onOutcome, ctx);
    }, plan.throttleIntervalMs);
    return true;
  };

  const refusal = (plan: KeyPlan, at: number): GatewayError =>
    at === plan.keyRateAt ? errors.rateLimited : at === plan.apiAt ? errors.apiRateLimited : errors.quotaExceeded;

  const decide = (ctx: RequestContext, plan: KeyPlan, outcome: LimitOutcome | null): Decision => {
    if (outcome === null) {
      // rate_limit_failure_mode closed: refuse as Tyk does (its fixed-window limiter answers 500).
      count(limiter.metrics, plan, null);
      if (config.enable_fixed_window_rate_limiter) return errors.rateLimitStorage;
      const refused = refusal(plan, 0);
      // Every 429 carries Retry-After (§8, tollgate); with no counter to ask, the earliest Redis may answer again.
      if (refused.status === 429) ctx.addResponseHeader('Retry-After', '1');
      return refused;
    }
    count(limiter.metrics, plan, outcome);
    if (isRateHeaders) rateHeaders(ctx, plan, outcome);
    if (outcome.admitted) {
      if (plan.quotaAt >= 0) {
        writeBackQuota(plan.source, outcome, plan.quotaAt);
        // Two field writes: refunded by the exchange only if the request never reaches the upstream (§10.6).
        if (outcome.isFromRedis) {
          ctx.quotaCharge = plan.quotaCharge;
          ctx.quotaChargedUs = outcome.nowUs;
        }
      }
      if (!isRateHeaders && ctx.session !== null) quotaHeaders(ctx, plan);
      return undefined;
    }
    const error = refusal(plan, outcome.failed);
    // Every 429 carries Retry-After in whole seconds, rounded up, at least 1 (§8).
    if (error.status === 429) ctx.addResponseHeader('Retry-After', String(Math.max(1, Math.ceil(outcome.waitUs(outcome.failed) / 1_000_000))));
    return error;
  };

  const rateHeaders = (ctx: RequestContext, plan: KeyPlan, outcome: LimitOutcome): void => {
    // The key's rate (its endpoint limit when one matched) when it has one, else the API's (§8).
    const at = plan.keyRateAt >= 0 ? plan.keyRateAt : plan.apiAt;
    const spec = plan.keyRateAt >= 0 ? plan.keyRate : plan.apiRate;
    if (at < 0 || spec === null || outcome.remaining(at) < 0) return;
    const resetUs = outcome.nowUs + Math.max(0, outcome.waitUs(at));
    ctx.addSharedResponseHeaders(plan.headers.text(Math.floor(spec.rate), outcome.remaining(at), Math.ceil(resetUs / 1_000_000)));
  };

  const keylessPlan = newPlan('', { keyRate: null, apiRate: apiPart, quota: null }, {}, NO_ENTRIES, NO_PARTS);

  return (ctx) => {
    const base = planFor(ctx);
    const plan = apiEndpoints === null && base.keyEndpoints.length === 0 ? base : selectPlan(ctx, base);
    if (plan.checks.length === 0) {
      if (!isRateHeaders && ctx.session !== null) quotaHeaders(ctx, plan);
      return undefined;
    }
    const decision = ctx.pending();
    limiter.enqueue(plan.checks, plan.onOutcome, ctx);
    return decision;
  };
}

/**
 * The pattern options for a key's endpoint limits: those of the API's only version when it is not
 * versioned, else the API's and the gateway's (a version's own `ignore_endpoint_case` is not applied).
 */
function keyPatternContext(def: ApiDefinition, config: PipelineDeps['config']): PatternContext {
  const choice = isVersioned(def) ? null : chooseUnversioned(def);
  return patternContext(def, choice !== null && 'info' in choice ? choice.info : {}, config);
}

/**
 * Compiles a session's `endpoints` for one API: one entry per method with a rate (`rate` > 0 and `per` > 0),
 * its method upper-cased (the request's is compared case-insensitively, §1), its value what `add` returns
 * for the counter `METHOD:path`. A path that is not a valid pattern is skipped (the key cannot be refused
 * for it here; the admin API is where such input is reported).
 */
export function compileKeyEndpoints(
  endpoints: readonly EndpointLimit[] | null | undefined, pc: PatternContext, add: (method: string, path: string, spec: RateSpec) => number,
): readonly EndpointEntry<number>[] {
  if (endpoints === null || endpoints === undefined || endpoints.length === 0) return NO_ENTRIES;
  const out: EndpointEntry<number>[] = [];
  for (const { method, path, spec } of endpointRateLimits(endpoints)) {
    let entry: EndpointEntry<number>;
    try {
      entry = compileEntry('endpoints[].path', path, method, false, pc, 0);
    } catch {
      continue;
    }
    out.push({ ...entry, value: add(method, path, spec) });
  }
  return out.length === 0 ? NO_ENTRIES : out;
}

/** The value of the first key endpoint entry matching the request (method case-insensitive), or -1. */
export function findKeyEndpoint(entries: readonly EndpointEntry<number>[], ctx: RequestContext): number {
  const method = ctx.method.toUpperCase();
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.method === method && matchesRequest(entry.regex, ctx, entry.isContextFree)) return entry.value;
  }
  return -1;
}

/** The refund of one quota check (one slot: one script call, only on the failure paths that need it). */
function quotaChargeOf(limiter: Limiter, checks: readonly LimitCheck[]): QuotaCharge {
  return { refund: (chargedUs) => limiter.refund(checks, chargedUs) };
}

/**
 * `rate_limit_response_headers: quotas` (default): the key's quota, on admitted requests only, and only
 * on a response that reached the upstream or the cache (§8): kept apart from `responseHeaders` so a
 * gateway error after admission (500, 503 NHU, 504) does not carry them.
 */
function quotaHeaders(ctx: RequestContext, plan: KeyPlan): void {
  const source = plan.source;
  ctx.quotaHeaders = plan.headers.text(source.quota_max ?? 0, source.quota_remaining ?? 0, source.quota_renews ?? 0);
}

/**
 * The session shows what the counter says (§5 step 4): `quota_remaining`, and `quota_renews` as the end of
 * the current period. Only the in-memory session: the stored record is not rewritten per request (§10.5).
 */
function writeBackQuota(source: APILimit, outcome: LimitOutcome, at: number): void {
  // -1: decided without Redis (rate_limit_failure_mode open): nothing known to show.
  if (outcome.remaining(at) < 0) return;
  source.quota_remaining = outcome.remaining(at);
  const wait = outcome.waitUs(at);
  if (wait >= 0) source.quota_renews = Math.ceil((outcome.nowUs + wait) / 1_000_000);
}

function count(metrics: RateLimitMetrics, plan: KeyPlan, outcome: LimitOutcome | null): void {
  const failed = outcome === null ? 0 : outcome.failed;
  if (plan.keyRateAt >= 0) tally(metrics, 'key_rate', plan.keyRateAt, failed);
  if (plan.apiAt >= 0) tally(metrics, 'api_rate', plan.apiAt, failed);
  if (plan.quotaAt >= 0) tally(metrics, 'quota', plan.quotaAt, failed);
}

/** A check before the refusing one admitted; the refusing one limited; later ones were not decided. */
function tally(metrics: RateLimitMetrics, limit: 'key_rate' | 'api_rate' | 'quota', at: number, failed: number): void {
  if (failed < 0 || at < failed) metrics.admitted(limit);
  else if (at === failed) metrics.limited(limit);
}
