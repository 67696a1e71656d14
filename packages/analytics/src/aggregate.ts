import { hourBucket, type AnalyticsRecord } from '@tollgate/store';

/**
 * Tyk Pump's aggregation (spec analytics.md §5), applied to one batch: every record adds a counter to
 * `total` and to one entry of each dimension it qualifies for, per org and hour bucket. tollgate adds the
 * `codes` dimension (every status, spec §9 and difference 21) next to Tyk's `errors` (≥ 400 only).
 */
export type Dimension =
  | 'total' | 'apiid' | 'errors' | 'codes' | 'versions' | 'apikeys' | 'oauthids' | 'tags'
  | 'endpoints' | 'apiendpoints' | 'keyendpoints';

export const DIMENSIONS: readonly Dimension[] = [
  'total', 'apiid', 'errors', 'codes', 'versions', 'apikeys', 'oauthids', 'tags', 'endpoints', 'apiendpoints', 'keyendpoints',
];

/** Sums, extremes and per-status counts of the records that fell into one entry. */
export interface Counter {
  hits: number;
  success: number;
  error: number;
  totalRequestTime: number;
  totalLatency: number;
  totalUpstreamLatency: number;
  maxLatency: number;
  maxUpstreamLatency: number;
  /** Over non-error responses only (Tyk); -1 while there was none. */
  minLatency: number;
  minUpstreamLatency: number;
  /** Status code → count, for every status. */
  codes: Map<number, number>;
  /** Unix ms of the newest record. */
  lastTime: number;
  identifier: string;
  humanIdentifier: string;
}

export interface AggregateEntry {
  readonly org: string;
  readonly dimension: Dimension;
  readonly value: string;
  readonly counter: Counter;
}

/** All entries of one hour bucket (`YYYYMMDDHH`, UTC) touched by a batch. */
export interface HourAggregate {
  readonly hour: string;
  readonly orgs: Set<string>;
  readonly entries: Map<string, AggregateEntry>;
  /** Unix s: the latest `expireAt` of the records (aggregates live as long as their longest record). */
  expireAt: number;
}

export interface AggregateOptions {
  /** A tag starting with any of these is left out of `tags` (`ignore_tag_prefix_list` + `aggregates_ignore_tags`). */
  readonly ignoreTagPrefixes: readonly string[];
  /** Pump `track_all_paths`: endpoint dimensions for every record, not only tracked ones. */
  readonly trackAllPaths: boolean;
}

export interface BatchAggregate {
  readonly hours: Map<string, HourAggregate>;
  /** Records left out: no `org_id` (as Tyk Pump) or an unreadable timestamp. */
  readonly skipped: number;
}

/** Tyk's tag rule (§6): left out when it starts with `key-` or an ignored prefix (checked before trimming). */
export function isTagAggregated(tag: string, ignoreTagPrefixes: readonly string[]): boolean {
  if (tag.startsWith('key-')) return false;
  for (const prefix of ignoreTagPrefixes) if (tag.startsWith(prefix)) return false;
  return true;
}

/** The entry key of a tag: surrounding spaces trimmed, every `.` removed (§5). */
export function tagEntry(tag: string): string {
  return tag.trim().replace(/\./g, '');
}

const b64 = (s: string): string => Buffer.from(s).toString('base64').replace(/=+$/, '');

function newCounter(identifier: string, humanIdentifier: string): Counter {
  return {
    hits: 0, success: 0, error: 0, totalRequestTime: 0, totalLatency: 0, totalUpstreamLatency: 0,
    maxLatency: 0, maxUpstreamLatency: 0, minLatency: -1, minUpstreamLatency: -1, codes: new Map(), lastTime: 0,
    identifier, humanIdentifier,
  };
}

function add(counter: Counter, r: AnalyticsRecord, timeMs: number): void {
  const code = r.response_code;
  const isError = code >= 400;
  const total = r.latency.total;
  const upstream = r.latency.upstream;
  counter.hits++;
  if (code >= 200 && code < 300) counter.success++;
  if (isError) counter.error++;
  counter.totalRequestTime += r.request_time;
  counter.totalLatency += total;
  counter.totalUpstreamLatency += upstream;
  if (total > counter.maxLatency) counter.maxLatency = total;
  if (upstream > counter.maxUpstreamLatency) counter.maxUpstreamLatency = upstream;
  if (!isError) {
    if (counter.minLatency < 0 || total < counter.minLatency) counter.minLatency = total;
    if (counter.minUpstreamLatency < 0 || upstream < counter.minUpstreamLatency) counter.minUpstreamLatency = upstream;
  }
  counter.codes.set(code, (counter.codes.get(code) ?? 0) + 1);
  if (timeMs > counter.lastTime) counter.lastTime = timeMs;
}

/**
 * Aggregates one decoded batch. Pure: no I/O, so it is tested on plain records.
 *
 * @example
 * const { hours } = aggregateBatch(records, { ignoreTagPrefixes: ['x-request-id'], trackAllPaths: false });
 */
export function aggregateBatch(records: readonly AnalyticsRecord[], options: AggregateOptions): BatchAggregate {
  const hours = new Map<string, HourAggregate>();
  let skipped = 0;
  for (const r of records) {
    const timeMs = Date.parse(r.timestamp);
    if (r.org_id === '' || Number.isNaN(timeMs)) {
      skipped++;
      continue;
    }
    const hour = hourBucket(timeMs);
    let h = hours.get(hour);
    if (h === undefined) {
      h = { hour, orgs: new Set(), entries: new Map(), expireAt: 0 };
      hours.set(hour, h);
    }
    h.orgs.add(r.org_id);
    const expireAt = Math.floor(Date.parse(r.expireAt) / 1000);
    if (Number.isFinite(expireAt) && expireAt > h.expireAt) h.expireAt = expireAt;
    const hit = (dimension: Dimension, value: string, identifier: string, human: string): void => {
      const key = `${r.org_id}\u0000${dimension}\u0000${value}`;
      let e = h!.entries.get(key);
      if (e === undefined) {
        e = { org: r.org_id, dimension, value, counter: newCounter(identifier, human) };
        h!.entries.set(key, e);
      }
      add(e.counter, r, timeMs);
    };
    forEachEntry(r, options, hit);
  }
  return { hours, skipped };
}

/** The dimension table of §5: which entries one record adds to. */
function forEachEntry(
  r: AnalyticsRecord, options: AggregateOptions, hit: (d: Dimension, value: string, identifier: string, human: string) => void,
): void {
  const code = String(r.response_code);
  hit('total', 'all', '', '');
  if (r.api_id !== '') hit('apiid', r.api_id, r.api_id, r.api_name);
  hit('codes', code, code, code);
  if (r.response_code >= 400) hit('errors', code, code, '');
  if (r.api_version !== '') hit('versions', b64(`${r.api_id}:${r.api_version}`), r.api_version, r.api_version);
  if (r.api_key !== '') hit('apikeys', r.api_key, r.api_key, r.alias);
  if (r.oauth_id !== '') hit('oauthids', r.oauth_id, r.oauth_id, '');
  for (const tag of r.tags) {
    if (!isTagAggregated(tag, options.ignoreTagPrefixes)) continue;
    const entry = tagEntry(tag);
    // As Tyk Pump: a tag listed twice in one record counts twice.
    if (entry !== '') hit('tags', entry, entry, entry);
  }
  if (!r.track_path && !options.trackAllPaths) return;
  const path = r.path;
  hit('endpoints', path.replace(/\./g, '\\u2e'), path, path);
  hit('apiendpoints', Buffer.from(`${r.api_id}:${r.api_version}:${path}`).toString('hex'), path, path);
  if (r.api_key !== '') {
    const value = b64(`${r.api_id}:${path}`);
    hit('keyendpoints', `${r.api_key}:${value}`, value, value);
  }
}
