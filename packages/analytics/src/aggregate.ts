import { hourBucket, RecordBatchReader, TupleCursor, type QueuedRecord, type RecordApiInfo, type RecordCursor, type RecordTuple } from '@tollgate/store';

/**
 * Tyk Pump's aggregation (spec analytics.md §5), applied to one batch: every record adds a counter to
 * `total` and to one entry of each dimension it qualifies for, per org and hour bucket. tollgate adds the
 * `codes` dimension (every status, spec §9 and difference 21) next to Tyk's `errors` (≥ 400 only).
 */
export type Dimension =
  | 'total' | 'apiid' | 'errors' | 'codes' | 'versions' | 'apikeys' | 'oauthids' | 'tags'
  | 'endpoints' | 'apiendpoints' | 'keyendpoints' | 'oauthendpoints';

export const DIMENSIONS: readonly Dimension[] = [
  'total', 'apiid', 'errors', 'codes', 'versions', 'apikeys', 'oauthids', 'tags', 'endpoints', 'apiendpoints', 'keyendpoints', 'oauthendpoints',
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
  const trimmed = tag.trim();
  return trimmed.includes('.') ? trimmed.replace(/\./g, '') : trimmed;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64').replace(/=+$/, '');

function newCounter(identifier: string, humanIdentifier: string): Counter {
  return {
    hits: 0, success: 0, error: 0, totalRequestTime: 0, totalLatency: 0, totalUpstreamLatency: 0,
    maxLatency: 0, maxUpstreamLatency: 0, minLatency: -1, minUpstreamLatency: -1, codes: new Map(), lastTime: 0,
    identifier, humanIdentifier,
  };
}

/** Adds one record to a counter, except its status code (a group's records share theirs: see `Group`). */
function add(counter: Counter, r: QueuedRecord): void {
  const code = r.status;
  const isError = code >= 400;
  const total = r.totalMs;
  const upstream = r.upstreamMs;
  counter.hits++;
  if (code >= 200 && code < 300) counter.success++;
  if (isError) counter.error++;
  counter.totalRequestTime += total; // request_time = latency.total (spec §2)
  counter.totalLatency += total;
  counter.totalUpstreamLatency += upstream;
  if (total > counter.maxLatency) counter.maxLatency = total;
  if (upstream > counter.maxUpstreamLatency) counter.maxUpstreamLatency = upstream;
  if (!isError) {
    if (counter.minLatency < 0 || total < counter.minLatency) counter.minLatency = total;
    if (counter.minUpstreamLatency < 0 || upstream < counter.minUpstreamLatency) counter.minUpstreamLatency = upstream;
  }
  const time = r.timeMs;
  if (time > counter.lastTime) counter.lastTime = time;
}

/** Adds what `from` counted to `into` (sums and counts add up, extremes kept, minima over non-errors only). */
export function mergeCounter(into: Counter, from: Counter): void {
  into.hits += from.hits;
  into.success += from.success;
  into.error += from.error;
  into.totalRequestTime += from.totalRequestTime;
  into.totalLatency += from.totalLatency;
  into.totalUpstreamLatency += from.totalUpstreamLatency;
  if (from.maxLatency > into.maxLatency) into.maxLatency = from.maxLatency;
  if (from.maxUpstreamLatency > into.maxUpstreamLatency) into.maxUpstreamLatency = from.maxUpstreamLatency;
  if (from.minLatency >= 0 && (into.minLatency < 0 || from.minLatency < into.minLatency)) into.minLatency = from.minLatency;
  if (from.minUpstreamLatency >= 0 && (into.minUpstreamLatency < 0 || from.minUpstreamLatency < into.minUpstreamLatency)) {
    into.minUpstreamLatency = from.minUpstreamLatency;
  }
  for (const [code, n] of from.codes) into.codes.set(code, (into.codes.get(code) ?? 0) + n);
  if (from.lastTime > into.lastTime) into.lastTime = from.lastTime;
}

function hit(h: HourAggregate, org: string, dimension: Dimension, value: string, identifier: string, human: string, group: Counter): void {
  const key = `${org}\u0000${dimension}\u0000${value}`;
  let e = h.entries.get(key);
  if (e === undefined) {
    e = { org, dimension, value, counter: newCounter(identifier, human) };
    h.entries.set(key, e);
  }
  mergeCounter(e.counter, group);
}

/** Per API of a batch: strings every record of it would otherwise build again. */
interface ApiStrings {
  /** Position of the API in the batch (part of a record's group key). */
  readonly index: number;
  readonly tags: readonly string[];
  readonly versionKey: string;
}

/**
 * What of a record names the entries it adds to (the fields `forEachEntry` reads), kept for the first
 * record of each group: the only values of a batch that outlive the record they were read from.
 */
interface GroupRecord {
  readonly api: RecordApiInfo;
  readonly status: number;
  readonly apiKey: string;
  readonly oauthId: string;
  readonly apiVersion: string;
  readonly trackPath: boolean;
  /** The record's path when endpoints are counted for it (tracked, or `trackAllPaths`), else ''. */
  readonly path: string;
  readonly requestTags: readonly string[];
  readonly alias: string;
}

/**
 * Records of one hour that add to exactly the same entries (same API, status, key, OAuth client, version,
 * tags and, when endpoints are counted, path): they are summed into one counter first, and that counter is
 * added to each of their entries once. A batch of similar requests then costs one addition per record
 * instead of one per record and entry. `first` is the group's first record: it names the entries it creates
 * (identifiers, alias), as the first record of those entries would.
 */
interface Group {
  readonly first: GroupRecord;
  readonly strings: ApiStrings;
  readonly counter: Counter;
}

const countsPath = (r: QueuedRecord, trackAllPaths: boolean): boolean => r.trackPath || trackAllPaths;

function groupRecord(r: QueuedRecord, trackAllPaths: boolean): GroupRecord {
  return {
    api: r.api, status: r.status, apiKey: r.apiKey, oauthId: r.oauthId, apiVersion: r.apiVersion, trackPath: r.trackPath,
    path: countsPath(r, trackAllPaths) ? r.path : '', requestTags: r.requestTags, alias: r.alias,
  };
}

/** Whether `r` adds to the same entries as the group `g` is the first record of. */
function isSameGroup(r: QueuedRecord, g: GroupRecord, trackAllPaths: boolean): boolean {
  if (r.api !== g.api || r.status !== g.status || r.apiKey !== g.apiKey || r.oauthId !== g.oauthId || r.apiVersion !== g.apiVersion
    || r.trackPath !== g.trackPath) return false;
  if (countsPath(r, trackAllPaths) && r.path !== g.path) return false;
  const a = r.requestTags;
  const b = g.requestTags;
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function groupKey(r: QueuedRecord, strings: ApiStrings, trackAllPaths: boolean): string {
  const path = countsPath(r, trackAllPaths) ? r.path : '';
  return `${strings.index}\u0000${r.status}\u0000${r.trackPath ? 1 : 0}\u0000${r.apiKey}\u0000${r.oauthId}\u0000${r.apiVersion}\u0000${path}\u0000${r.requestTags.join('\u0000')}`;
}

const HOUR_MS = 3600_000;

/**
 * Aggregates one decoded batch of queued records (the tuples a worker queued; the full record of §2 is
 * not built for this). Pure: no I/O, so it is tested on plain records.
 *
 * @example
 * const { hours } = aggregateBatch(tuples, { ignoreTagPrefixes: ['x-request-id'], trackAllPaths: false });
 */
export function aggregateBatch(records: readonly RecordTuple[], options: AggregateOptions): BatchAggregate {
  return aggregateRecords(new TupleCursor(records), options);
}

/**
 * Aggregates a queued batch straight from its bytes (what the consumer does): no tuple is built, and a
 * record's strings are read only when it starts a group or differs from the group before. Throws an
 * `analytics batch: ` error, as `decodeRecordTuples` does, when the bytes are not a batch; nothing is
 * returned then (aggregation is all or nothing).
 */
export function aggregateBatchBytes(bytes: Buffer, options: AggregateOptions): BatchAggregate {
  return aggregateRecords(new RecordBatchReader(bytes), options);
}

/** Aggregates records read one at a time (`aggregateBatch`, `aggregateBatchBytes`). */
export function aggregateRecords(records: RecordCursor, options: AggregateOptions): BatchAggregate {
  const { trackAllPaths } = options;
  const hours = new Map<number, HourAggregate>();
  const groupsByHour = new Map<HourAggregate, Map<string, Group>>();
  const apis = new Map<RecordApiInfo, ApiStrings>();
  let skipped = 0;
  let lastHour = -1;
  let h: HourAggregate | undefined;
  let groups: Map<string, Group> | undefined;
  let last: Group | undefined;
  while (records.next()) {
    const api = records.api;
    const timeMs = records.timeMs;
    if (api.orgId === '' || !Number.isFinite(timeMs)) {
      skipped++;
      continue;
    }
    const hourNumber = Math.floor(timeMs / HOUR_MS);
    if (hourNumber !== lastHour || h === undefined || groups === undefined) {
      h = hours.get(hourNumber);
      if (h === undefined) {
        h = { hour: hourBucket(hourNumber * HOUR_MS), orgs: new Set(), entries: new Map(), expireAt: 0 };
        hours.set(hourNumber, h);
        groupsByHour.set(h, new Map());
      }
      groups = groupsByHour.get(h)!;
      lastHour = hourNumber;
      last = undefined;
    }
    const expireAt = Math.floor((timeMs + api.expireAfterMs) / 1000);
    if (expireAt > h.expireAt) h.expireAt = expireAt;
    let group = last !== undefined && isSameGroup(records, last.first, trackAllPaths) ? last : undefined;
    if (group === undefined) {
      let strings = apis.get(api);
      if (strings === undefined) {
        // The tags every record of the API ends with (§3); `key-` is never aggregated, so it is not built.
        strings = {
          index: apis.size, tags: [...api.tags, ...(api.orgId === '' ? [] : [`org-${api.orgId}`]), `api-${api.apiId}`],
          versionKey: b64(`${api.apiId}:Non Versioned`),
        };
        apis.set(api, strings);
      }
      const key = groupKey(records, strings, trackAllPaths);
      group = groups.get(key);
      if (group === undefined) {
        group = { first: groupRecord(records, trackAllPaths), strings, counter: newCounter('', '') };
        groups.set(key, group);
        h.orgs.add(api.orgId);
      }
      last = group;
    }
    add(group.counter, records);
  }
  for (const [hour, hourGroups] of groupsByHour) {
    for (const g of hourGroups.values()) {
      g.counter.codes.set(g.first.status, g.counter.hits);
      forEachEntry(hour, g.first, g.strings, options, g.counter);
    }
  }
  return { hours: new Map([...hours.values()].map((x) => [x.hour, x])), skipped };
}

/** The dimension table of §5: which entries one record adds to. */
function forEachEntry(h: HourAggregate, g: GroupRecord, strings: ApiStrings, options: AggregateOptions, c: Counter): void {
  const api = g.api;
  const org = api.orgId;
  const status = g.status;
  const apiKey = g.apiKey;
  const oauthId = g.oauthId;
  const version = g.apiVersion || 'Non Versioned';
  const code = String(status);
  hit(h, org, 'total', 'all', '', '', c);
  if (api.apiId !== '') hit(h, org, 'apiid', api.apiId, api.apiId, api.apiName, c);
  hit(h, org, 'codes', code, code, code, c);
  if (status >= 400) hit(h, org, 'errors', code, code, '', c);
  hit(h, org, 'versions', g.apiVersion === '' ? strings.versionKey : b64(`${api.apiId}:${version}`), version, version, c);
  if (apiKey !== '') hit(h, org, 'apikeys', apiKey, apiKey, g.alias, c);
  if (oauthId !== '') hit(h, org, 'oauthids', oauthId, oauthId, '', c);
  for (const tag of g.requestTags) tagHit(h, org, tag, options, c);
  for (const tag of strings.tags) tagHit(h, org, tag, options, c);
  if (!g.trackPath && !options.trackAllPaths) return;
  const path = g.path;
  hit(h, org, 'endpoints', path.replace(/\./g, '\\u2e'), path, path, c);
  const apiEndpoint = Buffer.from(`${api.apiId}:${version}:${path}`).toString('hex');
  hit(h, org, 'apiendpoints', apiEndpoint, apiEndpoint, path, c);
  if (apiKey === '' && oauthId === '') return;
  const value = b64(`${api.apiId}:${path}`);
  if (apiKey !== '') hit(h, org, 'keyendpoints', `${apiKey}:${value}`, value, value, c);
  if (oauthId !== '') hit(h, org, 'oauthendpoints', `${oauthId}:${value}`, value, value, c);
}

function tagHit(h: HourAggregate, org: string, tag: string, options: AggregateOptions, c: Counter): void {
  if (!isTagAggregated(tag, options.ignoreTagPrefixes)) return;
  const entry = tagEntry(tag);
  // As Tyk Pump: a tag listed twice in one record counts twice.
  if (entry !== '') hit(h, org, 'tags', entry, entry, entry, c);
}
