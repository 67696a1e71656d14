import { Packr } from 'msgpackr';

/**
 * One analytics record, field for field and name for name as Tyk's (spec analytics.md §2), so a
 * Tyk-Pump-compatible exporter can be written against it. It is the contract between the gateway
 * (producer) and `tollgate analytics` (consumer), which is why it lives in the package both depend on.
 */
export interface AnalyticsRecord {
  method: string;
  /** Upstream host from `target_url` (or the load-balanced target), not the client's Host header. */
  host: string;
  path: string;
  raw_path: string;
  original_path: string;
  listen_path: string;
  /** Request Content-Length, −1 when unknown. */
  content_length: number;
  user_agent: string;
  day: number;
  month: number;
  year: number;
  hour: number;
  response_code: number;
  /** Storage id of the key (its hash when `hash_keys`), `""` for keyless. */
  api_key: string;
  /** RFC 3339. */
  timestamp: string;
  api_version: string;
  api_name: string;
  api_id: string;
  org_id: string;
  oauth_id: string;
  /** Milliseconds; equals `latency.total`. */
  request_time: number;
  latency: RecordLatency;
  raw_request: string;
  raw_response: string;
  ip_address: string;
  geo: RecordGeo;
  network: RecordNetwork;
  tags: string[];
  alias: string;
  track_path: boolean;
  /** RFC 3339. */
  expireAt: string;
}

export interface RecordLatency {
  total: number;
  upstream: number;
  gateway: number;
}

export interface RecordGeo {
  country: { iso_code: string };
  city: { geoname_id: number; names: Record<string, string> };
  location: { latitude: number; longitude: number; time_zone: string };
}

export interface RecordNetwork {
  open_connections: number;
  closed_connections: number;
  bytes_in: number;
  bytes_out: number;
}

/** Zero values (no GeoIP lookup; request records carry no network statistics). Shared, never mutated. */
export const ZERO_GEO: RecordGeo = Object.freeze({
  country: Object.freeze({ iso_code: '' }),
  city: Object.freeze({ geoname_id: 0, names: Object.freeze({}) as Record<string, string> }),
  location: Object.freeze({ latitude: 0, longitude: 0, time_zone: '' }),
}) as RecordGeo;

export const ZERO_NETWORK: RecordNetwork = Object.freeze({ open_connections: 0, closed_connections: 0, bytes_in: 0, bytes_out: 0 });

/** What a record takes from its API definition: sent once per batch, not once per record. */
export interface RecordApiInfo {
  readonly apiId: string;
  readonly apiName: string;
  readonly orgId: string;
  readonly listenPath: string;
  /** The API's `tags`. */
  readonly tags: readonly string[];
  /** `expire_analytics_after` in ms (100 years when 0). */
  readonly expireAfterMs: number;
}

/**
 * What a worker queues per request: only what varies per request, in a fixed-position array (cheap to
 * build and to encode on the request path). `decodeRecordBatch` turns it back into the full record of §2.
 * Tags here are the request's own (policies, developer, session, tag headers); the API's tags and the
 * `key-`/`org-`/`api-` tags are added when the record is expanded, in the spec's order.
 */
export type RecordTuple = [
  api: RecordApiInfo, method: string, host: string, path: string, originalPath: string, contentLength: number,
  userAgent: string, timeMs: number, status: number, apiKey: string, oauthId: string, totalMs: number, upstreamMs: number,
  ip: string, requestTags: readonly string[], alias: string, trackPath: boolean, apiVersion: string,
];

const WIRE_VERSION = 1;
const packr = new Packr({ useRecords: false, moreTypes: false });

/**
 * Encodes a batch for the queue (one stream entry): `[version, tzOffsetMinutes, apis, records]`, each API's
 * fields once, each record a short array pointing at its API. `tzOffsetMinutes` is the gateway's local
 * offset, from which `day`/`month`/`year`/`hour` (gateway local time, §2) are derived.
 */
export function encodeRecordBatch(records: readonly RecordTuple[], tzOffsetMinutes = -new Date().getTimezoneOffset()): Buffer {
  const apiIndex = new Map<RecordApiInfo, number>();
  const apis: unknown[] = [];
  const rows: unknown[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    let index = apiIndex.get(r[0]);
    if (index === undefined) {
      index = apis.length;
      apiIndex.set(r[0], index);
      const a = r[0];
      apis.push([a.apiId, a.apiName, a.orgId, a.listenPath, a.tags, a.expireAfterMs]);
    }
    const row = r.slice() as unknown[];
    row[0] = index;
    rows[i] = row;
  }
  return packr.pack([WIRE_VERSION, tzOffsetMinutes, apis, rows]);
}

const HUNDRED_YEARS_MS = 100 * 365.25 * 24 * 3600 * 1000;

function fail(what: string): never {
  throw new Error(`analytics batch: ${what}`);
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function decodeApi(v: unknown, i: number): RecordApiInfo {
  if (!Array.isArray(v) || v.length !== 6) fail(`api ${i} is not [id, name, org, listen path, tags, expire ms]`);
  const [apiId, apiName, orgId, listenPath, tags, expireAfterMs] = v as unknown[];
  if (typeof apiId !== 'string' || typeof apiName !== 'string' || typeof orgId !== 'string' || typeof listenPath !== 'string') fail(`api ${i}: names must be strings`);
  if (!isStrings(tags)) fail(`api ${i}: tags must be a list of strings`);
  return { apiId, apiName, orgId, listenPath, tags, expireAfterMs: typeof expireAfterMs === 'number' && expireAfterMs > 0 ? expireAfterMs : HUNDRED_YEARS_MS };
}

/** The full record (§2) of one queued tuple; tags in the spec's order (§3). */
export function expandRecord(t: RecordTuple, tzOffsetMinutes: number): AnalyticsRecord {
  const [api, method, host, path, originalPath, contentLength, userAgent, timeMs, status, apiKey, oauthId, total, upstream, ip, requestTags, alias, trackPath, apiVersion] = t;
  const local = new Date(timeMs + tzOffsetMinutes * 60_000);
  const tags = [...requestTags, ...api.tags];
  if (apiKey !== '') tags.push(`key-${apiKey}`);
  if (api.orgId !== '') tags.push(`org-${api.orgId}`);
  tags.push(`api-${api.apiId}`);
  return {
    method, host, path, raw_path: path, original_path: originalPath, listen_path: api.listenPath, content_length: contentLength,
    user_agent: userAgent, day: local.getUTCDate(), month: local.getUTCMonth() + 1, year: local.getUTCFullYear(), hour: local.getUTCHours(),
    response_code: status, api_key: apiKey, timestamp: new Date(timeMs).toISOString(), api_version: apiVersion || 'Non Versioned',
    api_name: api.apiName, api_id: api.apiId, org_id: api.orgId, oauth_id: oauthId, request_time: total,
    latency: { total, upstream, gateway: total - upstream }, raw_request: '', raw_response: '', ip_address: ip,
    geo: ZERO_GEO, network: ZERO_NETWORK, tags, alias, track_path: trackPath,
    expireAt: new Date(timeMs + api.expireAfterMs).toISOString(),
  };
}

const ROW_TYPES = ['number', 'string', 'string', 'string', 'string', 'number', 'string', 'number', 'number', 'string', 'string', 'number', 'number', 'string', 'object', 'string', 'boolean', 'string'];

/**
 * Decodes a batch written by `encodeRecordBatch` into the queued tuples (what aggregation reads). Throws
 * with a message saying what is wrong when the bytes are not such a batch (the consumer counts and skips
 * those entries).
 */
export function decodeRecordTuples(bytes: Buffer): { tzOffsetMinutes: number; records: RecordTuple[] } {
  const value: unknown = packr.unpack(bytes);
  if (!Array.isArray(value) || value.length !== 4) fail('not [version, tz offset, apis, records]');
  const [version, tz, apisRaw, rows] = value as unknown[];
  if (version !== WIRE_VERSION) fail(`unknown version ${JSON.stringify(version)}`);
  if (typeof tz !== 'number' || !Array.isArray(apisRaw) || !Array.isArray(rows)) fail('tz offset, apis and records have the wrong types');
  const apis = apisRaw.map(decodeApi);
  const records = rows.map((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== ROW_TYPES.length) fail(`record ${i} is not a ${ROW_TYPES.length}-field row`);
    for (let k = 0; k < ROW_TYPES.length; k++) {
      if (typeof row[k] !== ROW_TYPES[k]) fail(`record ${i}: field ${k} must be a ${ROW_TYPES[k]}`);
    }
    const api = apis[row[0] as number] ?? fail(`record ${i}: no api ${row[0]}`);
    if (!isStrings(row[14])) fail(`record ${i}: tags must be a list of strings`);
    row[0] = api;
    return row as RecordTuple;
  });
  return { tzOffsetMinutes: tz, records };
}

/** Decodes a batch into full records (spec analytics.md §2): what a Tyk-Pump-style exporter reads. */
export function decodeRecordBatch(bytes: Buffer): AnalyticsRecord[] {
  const { tzOffsetMinutes, records } = decodeRecordTuples(bytes);
  return records.map((t) => expandRecord(t, tzOffsetMinutes));
}
