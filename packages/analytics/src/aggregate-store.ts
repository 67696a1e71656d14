import { analyticsKeys, defineScripts, type RedisClient, type TollgateCommands } from '@tollgate/store';
import type { Counter, HourAggregate } from './aggregate.js';

/**
 * Hash fields of one aggregate entry in Redis. Sums and counts are HINCRBY'd, extremes kept by the
 * script, means computed when read (sum ÷ hits, as Tyk's SQL upsert does).
 */
export const FIELD = Object.freeze({
  hits: 'hits',
  success: 'success',
  error: 'error',
  totalRequestTime: 'total_request_time',
  totalLatency: 'total_latency',
  totalUpstreamLatency: 'total_upstream_latency',
  maxLatency: 'max_latency',
  maxUpstreamLatency: 'max_upstream_latency',
  minLatency: 'min_latency',
  minUpstreamLatency: 'min_upstream_latency',
  lastTime: 'last_time',
  identifier: 'identifier',
  humanIdentifier: 'human_identifier',
  /** `code:<status>` per status code. */
  codePrefix: 'code:',
});

/**
 * How long the per-(batch, hour) marker that makes redelivery harmless is kept: redeliveries happen within
 * seconds (lost reply, consumer restart, stale claim after a minute); an hour bounds the keys it costs.
 */
const APPLIED_MARKER_TTL_S = 3600;

function counterArgs(c: Counter): (string | number)[] {
  const incr: (string | number)[] = [
    FIELD.hits, c.hits, FIELD.success, c.success, FIELD.error, c.error, FIELD.totalRequestTime, c.totalRequestTime,
    FIELD.totalLatency, c.totalLatency, FIELD.totalUpstreamLatency, c.totalUpstreamLatency,
  ];
  for (const [code, n] of c.codes) incr.push(`${FIELD.codePrefix}${code}`, n);
  const max = [FIELD.maxLatency, c.maxLatency, FIELD.maxUpstreamLatency, c.maxUpstreamLatency, FIELD.lastTime, c.lastTime];
  const min: (string | number)[] = [];
  if (c.minLatency >= 0) min.push(FIELD.minLatency, c.minLatency, FIELD.minUpstreamLatency, c.minUpstreamLatency);
  const set = [FIELD.identifier, c.identifier, FIELD.humanIdentifier, c.humanIdentifier];
  return [incr.length / 2, max.length / 2, min.length / 2, set.length / 2, ...incr, ...max, ...min, ...set];
}

/**
 * Applies a batch's increments for one hour in one script call (all keys share the hour's hash tag).
 * Resolves false when this batch had already been applied to this hour (a redelivery), true otherwise.
 *
 * @example
 * await writeHour(redis, 'host:12:1700000000000:7', hourAggregate);
 */
export async function writeHour(redis: RedisClient, batchId: string, h: HourAggregate): Promise<boolean> {
  const client: RedisClient & TollgateCommands = defineScripts(redis);
  const keys: string[] = [analyticsKeys.applied(h.hour, batchId), analyticsKeys.orgs(h.hour)];
  const args: (string | number)[] = [APPLIED_MARKER_TTL_S, h.expireAt, h.orgs.size, ...h.orgs];
  for (const e of h.entries.values()) {
    keys.push(analyticsKeys.index(h.hour, e.org, e.dimension), analyticsKeys.counters(h.hour, e.org, e.dimension, e.value));
    args.push(e.value, ...counterArgs(e.counter));
  }
  return (await client.analyticsAggregate(keys.length, ...keys, ...args)) === 1;
}
