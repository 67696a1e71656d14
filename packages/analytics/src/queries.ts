import { analyticsKeys, hourBucket, type RedisClient } from '@tollgate/store';
import type { Dimension } from './aggregate.js';
import { FIELD } from './aggregate-store.js';

/** One aggregate as served: Tyk Pump's counter field names (spec analytics.md §5) plus every status. */
export interface CounterJson {
  hits: number;
  success: number;
  error: number;
  request_time: number;
  total_request_time: number;
  latency: number;
  total_latency: number;
  max_latency: number;
  min_latency: number;
  upstream_latency: number;
  total_upstream_latency: number;
  max_upstream_latency: number;
  min_upstream_latency: number;
  /** Codes ≥ 400 only, as Tyk. */
  error_map: Record<string, number>;
  error_list: { Code: string; Count: number }[];
  /** Every status code (tollgate; Tyk Pump leaves 1xx–3xx out). */
  status_codes: Record<string, number>;
  /** RFC 3339 time of the newest record. */
  last_time: string;
  identifier: string;
  human_identifier: string;
}

export interface QueryRange {
  /** Unix ms, inclusive: the hour bucket containing it is the first read. */
  readonly fromMs: number;
  /** Unix ms, inclusive. */
  readonly toMs: number;
  /** Only this org ('' or absent = every org). */
  readonly orgId?: string;
}

/** Longest range one query may read, in hour buckets (93 days): bounds the work of one call. */
export const MAX_QUERY_HOURS = 93 * 24;

const HOUR_MS = 3600_000;

/** Hour buckets from the one holding `fromMs` to the one holding `toMs`. Throws past MAX_QUERY_HOURS. */
export function hoursBetween(fromMs: number, toMs: number): string[] {
  const first = Math.floor(fromMs / HOUR_MS);
  const last = Math.floor(toMs / HOUR_MS);
  if (last - first + 1 > MAX_QUERY_HOURS) throw new RangeError(`the range spans more than ${MAX_QUERY_HOURS / 24} days`);
  const hours: string[] = [];
  for (let h = first; h <= last; h++) hours.push(hourBucket(h * HOUR_MS));
  return hours;
}

interface Merged {
  sums: Map<string, number>;
  max: Map<string, number>;
  min: Map<string, number>;
  identifier: string;
  humanIdentifier: string;
}

const MAX_FIELDS = new Set<string>([FIELD.maxLatency, FIELD.maxUpstreamLatency, FIELD.lastTime]);
const MIN_FIELDS = new Set<string>([FIELD.minLatency, FIELD.minUpstreamLatency]);

function merge(into: Merged, hash: Record<string, string>): void {
  for (const [field, raw] of Object.entries(hash)) {
    if (field === FIELD.identifier) into.identifier ||= raw;
    else if (field === FIELD.humanIdentifier) into.humanIdentifier ||= raw;
    else if (MAX_FIELDS.has(field)) into.max.set(field, Math.max(into.max.get(field) ?? 0, Number(raw)));
    else if (MIN_FIELDS.has(field)) into.min.set(field, Math.min(into.min.get(field) ?? Infinity, Number(raw)));
    else into.sums.set(field, (into.sums.get(field) ?? 0) + Number(raw));
  }
}

function toJson(m: Merged): CounterJson {
  const sum = (f: string): number => m.sums.get(f) ?? 0;
  const hits = sum(FIELD.hits);
  const mean = (f: string): number => (hits === 0 ? 0 : sum(f) / hits);
  const statusCodes: Record<string, number> = {};
  const errorMap: Record<string, number> = {};
  for (const [field, n] of m.sums) {
    if (!field.startsWith(FIELD.codePrefix)) continue;
    const code = field.slice(FIELD.codePrefix.length);
    statusCodes[code] = n;
    if (Number(code) >= 400) errorMap[code] = n;
  }
  const lastTime = m.max.get(FIELD.lastTime) ?? 0;
  const min = (f: string): number => (m.min.has(f) ? m.min.get(f)! : 0);
  return {
    hits, success: sum(FIELD.success), error: sum(FIELD.error),
    request_time: mean(FIELD.totalRequestTime), total_request_time: sum(FIELD.totalRequestTime),
    latency: mean(FIELD.totalLatency), total_latency: sum(FIELD.totalLatency),
    max_latency: m.max.get(FIELD.maxLatency) ?? 0, min_latency: min(FIELD.minLatency),
    upstream_latency: mean(FIELD.totalUpstreamLatency), total_upstream_latency: sum(FIELD.totalUpstreamLatency),
    max_upstream_latency: m.max.get(FIELD.maxUpstreamLatency) ?? 0, min_upstream_latency: min(FIELD.minUpstreamLatency),
    error_map: errorMap,
    error_list: Object.keys(errorMap).sort().map((code) => ({ Code: code, Count: errorMap[code]! })),
    status_codes: statusCodes,
    last_time: new Date(lastTime).toISOString(),
    identifier: m.identifier,
    human_identifier: m.humanIdentifier,
  };
}

/**
 * Reads the aggregates of one dimension over a time range, merged over hours (and orgs unless one is
 * named): sums and counts add, extremes are kept, means are recomputed from the sums.
 *
 * @example
 * const tags = await queryAggregates(redis, 'tags', { fromMs: Date.now() - 86_400_000, toMs: Date.now() });
 * tags['x-team-blue']?.hits;
 */
export async function queryAggregates(redis: RedisClient, dimension: Dimension, range: QueryRange): Promise<Record<string, CounterJson>> {
  const hours = hoursBetween(range.fromMs, range.toMs);
  const orgsPerHour = await Promise.all(hours.map((hour) =>
    (range.orgId ? Promise.resolve([range.orgId]) : redis.smembers(analyticsKeys.orgs(hour)))));
  const pairs = hours.flatMap((hour, i) => orgsPerHour[i]!.map((org) => ({ hour, org })));
  const values = await Promise.all(pairs.map(({ hour, org }) => redis.smembers(analyticsKeys.index(hour, org, dimension))));
  const reads = pairs.flatMap(({ hour, org }, i) => values[i]!.map((value) => ({ hour, org, value })));
  const hashes = await Promise.all(reads.map(({ hour, org, value }) => redis.hgetall(analyticsKeys.counters(hour, org, dimension, value))));
  const merged = new Map<string, Merged>();
  reads.forEach(({ value }, i) => {
    let m = merged.get(value);
    if (m === undefined) {
      m = { sums: new Map(), max: new Map(), min: new Map(), identifier: '', humanIdentifier: '' };
      merged.set(value, m);
    }
    merge(m, hashes[i]!);
  });
  const out: Record<string, CounterJson> = {};
  for (const [value, m] of [...merged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[value] = toJson(m);
  return out;
}
