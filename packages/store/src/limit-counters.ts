import { endpointRateLimits, limitScopes, type RateAlgorithm, type RateSpec, type SessionState } from '@tollgate/apidef';
import { endpointId, keyLayout } from './key-layout.js';
import { rateCheck } from './limit-store.js';
import { readQuotaCounter } from './quota-counters.js';
import type { RedisClient } from './redis-client.js';

const ALGORITHM_NAMES: Readonly<Record<RateAlgorithm, string>> = { L: 'sliding_log', G: 'gcra', F: 'fixed_window' };

/** A rate counter as it stands, worked out the way limits-n.lua decides (nothing is consumed or trimmed). */
export interface RateCounterView {
  readonly algorithm: string;
  readonly redis_key: string;
  readonly capacity: number;
  readonly window_ms: number;
  /** Admissions still free now. */
  readonly remaining: number;
  /** Milliseconds until one more request is admitted (0 when `remaining` > 0). */
  readonly next_admission_in_ms: number;
}

export interface QuotaCounterView {
  readonly redis_key: string;
  readonly max: number;
  readonly used: number;
  readonly remaining: number;
  /** Milliseconds until the period renews; -1 without a period (or before the first admitted request). */
  readonly renews_in_ms: number;
}

/** The counter of one endpoint limit of the key (`access_rights[<api_id>].endpoints[].methods[]`). */
export interface EndpointCounterView extends RateCounterView {
  readonly api_id: string;
  readonly method: string;
  readonly path: string;
}

/** One counter group of a key: the APIs that share an `allowance_scope` ('' = the key's root limits). */
export interface LimitCountersView {
  readonly scope: string;
  readonly api_ids: string[];
  readonly rate: RateCounterView | null;
  readonly quota: QuotaCounterView | null;
  /** The key's endpoint limits on those APIs (each replaces `rate` for the requests it matches). */
  readonly endpoints: EndpointCounterView[];
}

/**
 * Pure evaluation of a rate counter's raw state at `nowUs` (microseconds), mirroring limits-n.lua's
 * `evaluate`: L from the log entries (oldest first), G from the theoretical arrival time, F from the window
 * index and count.
 */
export function rateCounterState(
  algorithm: RateAlgorithm, capacity: number, spanUs: number, nowUs: number,
  raw: { readonly log?: readonly number[]; readonly tat?: number; readonly window?: number; readonly count?: number },
): { remaining: number; waitUs: number } {
  if (algorithm === 'L') {
    const log = (raw.log ?? []).slice(-capacity);
    const live = log.filter((t) => t > nowUs - spanUs);
    if (live.length < capacity) return { remaining: capacity - live.length, waitUs: 0 };
    return { remaining: 0, waitUs: Math.max(0, live[0]! + spanUs - nowUs) };
  }
  if (algorithm === 'G') {
    const step = Math.ceil(spanUs / capacity);
    const tat = Math.max(raw.tat ?? 0, nowUs);
    const ahead = tat - nowUs - (spanUs - step);
    if (ahead > 0) return { remaining: 0, waitUs: ahead };
    return { remaining: Math.floor(-ahead / step) + 1, waitUs: 0 };
  }
  const w = Math.floor(nowUs / spanUs);
  const count = raw.window === w ? (raw.count ?? 0) : 0;
  if (count >= capacity) return { remaining: 0, waitUs: (w + 1) * spanUs - nowUs };
  return { remaining: capacity - count, waitUs: 0 };
}

/**
 * The counters a key's requests use, read from Redis as they are now (`GET /tyk/keys/{id}?debug=true`,
 * rate-limits-and-quotas.md §10.10): per scope, the rate counter (algorithm named, so a key on GCRA says
 * so) and the quota counter. Read-only: nothing is consumed, trimmed or renewed.
 */
export async function readLimitCounters(
  redis: RedisClient, storageId: string, session: SessionState, algorithmOf: (capacity: number) => RateAlgorithm,
): Promise<LimitCountersView[]> {
  const [seconds, micros] = (await redis.time()) as unknown as [string, string];
  const nowUs = Number(seconds) * 1_000_000 + Number(micros);
  const out: LimitCountersView[] = [];
  const readRate = async (key: string, spec: RateSpec): Promise<RateCounterView> => {
    const algorithm = algorithmOf(spec.capacity);
    // The window as the gateway's check carries it (limit-store rateCheck), so both work on the same span.
    const spanUs = rateCheck(key, spec.capacity, spec.windowMs, algorithm).span;
    let raw: Parameters<typeof rateCounterState>[4];
    if (algorithm === 'L') raw = { log: (await redis.lrange(key, 0, -1)).map(Number) };
    else if (algorithm === 'G') raw = { tat: Number((await redis.get(key)) ?? 0) };
    else {
      const [w, c] = await redis.hmget(key, 'w', 'c');
      raw = { window: w === null ? -1 : Number(w), count: c === null ? 0 : Number(c) };
    }
    const state = rateCounterState(algorithm, spec.capacity, spanUs, nowUs, raw);
    return {
      algorithm: ALGORITHM_NAMES[algorithm], redis_key: key, capacity: spec.capacity, window_ms: spec.windowMs,
      remaining: state.remaining, next_admission_in_ms: Math.ceil(state.waitUs / 1000),
    };
  };
  for (const group of limitScopes(session)) {
    const rate = group.rate === null ? null : await readRate(keyLayout.rateCounter(group.scope, storageId), group.rate);
    const endpoints: EndpointCounterView[] = [];
    for (const apiId of group.apiIds) {
      // The limits the gateway counts (the same walk as its rate-limit step).
      for (const { method, path, spec } of endpointRateLimits(apiId === '' ? null : session.access_rights?.[apiId]?.endpoints)) {
        const view = await readRate(keyLayout.endpointRateCounter(group.scope, storageId, endpointId(method, path)), spec);
        endpoints.push({ api_id: apiId, method, path, ...view });
      }
    }
    let quota: QuotaCounterView | null = null;
    if (group.quota !== null) {
      const { used, ttlMs } = await readQuotaCounter(redis, storageId, group.scope);
      quota = {
        redis_key: keyLayout.quotaCounter(group.scope, storageId), max: group.quota.max, used,
        remaining: Math.max(0, group.quota.max - used), renews_in_ms: ttlMs >= 0 ? ttlMs : -1,
      };
    }
    if (rate !== null || quota !== null || endpoints.length > 0) out.push({ scope: group.scope, api_ids: group.apiIds, rate, quota, endpoints });
  }
  return out;
}
