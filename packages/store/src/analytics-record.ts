import { RecordBatchReader } from './record-batch-reader.js';
import { ALL_FIELDS_MASK, bitCount, FIELD_BITS, WIRE_VERSION } from './record-wire.js';

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
  /** The request path (listen path removed when `strip_listen_path`); differs from `path` when the request matched `track_endpoints`. */
  rawPath: string,
];

/** Mask bit of each field, by its tuple position (record-wire.ts). */
const API_BIT = FIELD_BITS[0]!;
const METHOD_BIT = FIELD_BITS[1]!;
const HOST_BIT = FIELD_BITS[2]!;
const PATH_BIT = FIELD_BITS[3]!;
const ORIGINAL_PATH_BIT = FIELD_BITS[4]!;
const CONTENT_LENGTH_BIT = FIELD_BITS[5]!;
const USER_AGENT_BIT = FIELD_BITS[6]!;
const TIME_BIT = FIELD_BITS[7]!;
const STATUS_BIT = FIELD_BITS[8]!;
const API_KEY_BIT = FIELD_BITS[9]!;
const OAUTH_ID_BIT = FIELD_BITS[10]!;
const TOTAL_BIT = FIELD_BITS[11]!;
const UPSTREAM_BIT = FIELD_BITS[12]!;
const IP_BIT = FIELD_BITS[13]!;
const TAGS_BIT = FIELD_BITS[14]!;
const ALIAS_BIT = FIELD_BITS[15]!;
const TRACK_PATH_BIT = FIELD_BITS[16]!;
const API_VERSION_BIT = FIELD_BITS[17]!;
const RAW_PATH_BIT = FIELD_BITS[18]!;

/** Bytes a string can take in msgpack at most: header (5) + 3 UTF-8 bytes per UTF-16 unit. */
const maxStr = (s: string): number => 5 + 3 * s.length;

/** Writes a msgpack string at `p`; the caller has made room for `maxStr(s)`. Returns the new position. */
function putStr(buf: Buffer, p: number, s: string): number {
  const n = s.length;
  if (n < 32) {
    // Short and ASCII (methods, hosts, IPs, most paths): one pass, no length computed first.
    let q = p + 1;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[q++] = c;
    }
    if (i === n) {
      buf[p] = 0xa0 | n;
      return q;
    }
  }
  const bytes = Buffer.byteLength(s, 'utf8');
  if (bytes < 32) {
    buf[p++] = 0xa0 | bytes;
  } else if (bytes < 0x100) {
    buf[p++] = 0xd9;
    buf[p++] = bytes;
  } else if (bytes < 0x10000) {
    buf[p++] = 0xda;
    buf[p++] = bytes >>> 8;
    buf[p++] = bytes & 0xff;
  } else {
    buf[p++] = 0xdb;
    buf.writeUInt32BE(bytes, p);
    p += 4;
  }
  return p + buf.write(s, p, bytes, 'utf8');
}

function sameStrings(a: readonly string[], b: readonly string[] | null): boolean {
  if (b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Writes a msgpack array header for `n` elements at `p` (room for 5 bytes made). Returns the new position. */
function putArrayHead(buf: Buffer, p: number, n: number): number {
  if (n < 16) {
    buf[p] = 0x90 | n;
    return p + 1;
  }
  if (n < 0x10000) {
    buf[p] = 0xdc;
    buf[p + 1] = n >>> 8;
    buf[p + 2] = n & 0xff;
    return p + 3;
  }
  buf[p] = 0xdd;
  buf.writeUInt32BE(n, p + 1);
  return p + 5;
}

/**
 * Writes any number at `p` (room for 9 bytes made): the smallest msgpack integer form that holds it, else a
 * float64 (unix ms, fractions). Returns the new position.
 */
function putNum(buf: Buffer, p: number, v: number): number {
  if (Number.isInteger(v)) {
    if (v >= 0) {
      if (v < 0x80) {
        buf[p] = v;
        return p + 1;
      }
      if (v < 0x100) {
        buf[p] = 0xcc;
        buf[p + 1] = v;
        return p + 2;
      }
      if (v < 0x10000) {
        buf[p] = 0xcd;
        buf[p + 1] = v >>> 8;
        buf[p + 2] = v & 0xff;
        return p + 3;
      }
      if (v < 0x100000000) {
        buf[p] = 0xce;
        buf.writeUInt32BE(v, p + 1);
        return p + 5;
      }
    } else if (v >= -32) {
      buf[p] = v & 0xff; // negative fixint
      return p + 1;
    } else if (v >= -0x80000000) {
      buf[p] = 0xd2;
      buf.writeInt32BE(v, p + 1);
      return p + 5;
    }
  }
  buf[p] = 0xcb;
  buf.writeDoubleBE(v, p + 1);
  return p + 9;
}

/**
 * Writes a batch for the queue (one stream entry) record by record, straight into one growing buffer, in
 * the latest form (see `WIRE_VERSION` in record-wire.ts): plain msgpack, each API's fields once per batch,
 * and of each record only a mask and the values that differ from the previous record's (a method, host,
 * user agent or client IP that repeats is not written at all). Nothing is allocated per record and nothing
 * per record stays on the heap until the batch is sent, so a record costs a few comparisons and byte writes
 * on the request path (3 to 6 bytes for a keyless request) instead of a tuple that survives
 * into the old generation and a generic msgpack pass later. The buffer is reused from one batch to the next.
 *
 * @example
 * const w = new RecordBatchWriter();
 * w.write(api, 'GET', 'up:80', '/x', '/a/x', -1, 'curl/8', Date.now(), 200, '', '', 3, 2, '10.0.0.1', [], '', false, '', '/x');
 * const bytes = w.finish(); // w is empty again
 */
export class RecordBatchWriter {
  private buf: Buffer;
  private pos = 0;
  private count = 0;
  private apis: RecordApiInfo[] = [];
  private lastApi: RecordApiInfo | null = null;
  private lastIndex = 0;
  /** The previous record's values (see `remember`); meaningless before the batch's first record. */
  private prevApiIndex = 0;
  private prevMethod = '';
  private prevHost = '';
  private prevPath = '';
  private prevOriginalPath = '';
  private prevContentLength = 0;
  private prevUserAgent = '';
  private prevTime = 0;
  private prevStatus = 0;
  private prevApiKey = '';
  private prevOauthId = '';
  private prevTotal = 0;
  private prevUpstream = 0;
  private prevIp = '';
  private prevTags: readonly string[] = [];
  private prevAlias = '';
  private prevTrackPath = false;
  private prevApiVersion = '';

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(64, initialBytes));
  }

  /** Records written since the last `finish`. */
  get records(): number {
    return this.count;
  }

  /** Bytes written since the last `finish` (records only, without the batch header). */
  get size(): number {
    return this.pos;
  }

  /**
   * One record: the fields of a `RecordTuple`, in its order, as `[mask, ...the values that changed]` (see
   * record-wire.ts). A record is written whole or not at all (a value of the wrong type throws and leaves
   * the batch as it was: what the next record is compared with changes only once a record is written).
   */
  write(
    api: RecordApiInfo, method: string, host: string, path: string, originalPath: string, contentLength: number,
    userAgent: string, timeMs: number, status: number, apiKey: string, oauthId: string, totalMs: number, upstreamMs: number,
    ip: string, requestTags: readonly string[], alias: string, trackPath: boolean, apiVersion: string, rawPath: string,
  ): void {
    const apiIndex = this.apiIndex(api);
    const dt = timeMs - this.prevTime;
    // Which fields are sent: all in the first record (but rawPath); then those that differ from the
    // previous record's. rawPath is sent whenever it is not the record's own path.
    let mask: number;
    if (this.count === 0) {
      mask = ALL_FIELDS_MASK & ~RAW_PATH_BIT;
    } else {
      mask = 0;
      if (dt !== 0) mask |= TIME_BIT;
      if (totalMs !== this.prevTotal) mask |= TOTAL_BIT;
      if (upstreamMs !== this.prevUpstream) mask |= UPSTREAM_BIT;
      if (status !== this.prevStatus) mask |= STATUS_BIT;
      if (path !== this.prevPath) mask |= PATH_BIT;
      if (originalPath !== this.prevOriginalPath) mask |= ORIGINAL_PATH_BIT;
      if (ip !== this.prevIp) mask |= IP_BIT;
      if (contentLength !== this.prevContentLength) mask |= CONTENT_LENGTH_BIT;
      if (userAgent !== this.prevUserAgent) mask |= USER_AGENT_BIT;
      if (apiKey !== this.prevApiKey) mask |= API_KEY_BIT;
      if (!sameStrings(requestTags, this.prevTags)) mask |= TAGS_BIT;
      if (method !== this.prevMethod) mask |= METHOD_BIT;
      if (host !== this.prevHost) mask |= HOST_BIT;
      if (alias !== this.prevAlias) mask |= ALIAS_BIT;
      if (apiVersion !== this.prevApiVersion) mask |= API_VERSION_BIT;
      if (oauthId !== this.prevOauthId) mask |= OAUTH_ID_BIT;
      if (trackPath !== this.prevTrackPath) mask |= TRACK_PATH_BIT;
      if (apiIndex !== this.prevApiIndex) mask |= API_BIT;
    }
    if (rawPath !== path) mask |= RAW_PATH_BIT;
    // One bound for the whole record, so the writes below need no checks: 3 (row header) + 5 (mask) + 6 × 9
    // (numbers) + 2 (index, boolean) + 5 (tags header) + every string at its largest, sent or not.
    let need = 69 + maxStr(method) + maxStr(host) + maxStr(path) + maxStr(originalPath) + maxStr(userAgent) + maxStr(apiKey)
      + maxStr(oauthId) + maxStr(ip) + maxStr(alias) + maxStr(apiVersion) + maxStr(rawPath);
    for (let i = 0; i < requestTags.length; i++) need += maxStr(requestTags[i]!);
    if (this.pos + need > this.buf.length) this.grow(need);
    const buf = this.buf;
    // The values sent, in bit order (record-wire.ts MASK_FIELDS).
    let p = putArrayHead(buf, this.pos, 1 + bitCount(mask));
    p = putNum(buf, p, mask);
    if (mask & TIME_BIT) p = putNum(buf, p, dt);
    if (mask & TOTAL_BIT) p = putNum(buf, p, totalMs);
    if (mask & UPSTREAM_BIT) p = putNum(buf, p, upstreamMs);
    if (mask & STATUS_BIT) p = putNum(buf, p, status);
    if (mask & PATH_BIT) p = putStr(buf, p, path);
    if (mask & ORIGINAL_PATH_BIT) p = putStr(buf, p, originalPath);
    if (mask & IP_BIT) p = putStr(buf, p, ip);
    if (mask & RAW_PATH_BIT) p = putStr(buf, p, rawPath);
    if (mask & CONTENT_LENGTH_BIT) p = putNum(buf, p, contentLength);
    if (mask & USER_AGENT_BIT) p = putStr(buf, p, userAgent);
    if (mask & API_KEY_BIT) p = putStr(buf, p, apiKey);
    if (mask & TAGS_BIT) {
      p = putArrayHead(buf, p, requestTags.length);
      for (let i = 0; i < requestTags.length; i++) p = putStr(buf, p, requestTags[i]!);
    }
    if (mask & METHOD_BIT) p = putStr(buf, p, method);
    if (mask & HOST_BIT) p = putStr(buf, p, host);
    if (mask & ALIAS_BIT) p = putStr(buf, p, alias);
    if (mask & API_VERSION_BIT) p = putStr(buf, p, apiVersion);
    if (mask & OAUTH_ID_BIT) p = putStr(buf, p, oauthId);
    if (mask & TRACK_PATH_BIT) buf[p++] = trackPath ? 0xc3 : 0xc2;
    if (mask & API_BIT) p = putNum(buf, p, apiIndex);
    this.prevApiIndex = apiIndex;
    this.prevMethod = method;
    this.prevHost = host;
    this.prevPath = path;
    this.prevOriginalPath = originalPath;
    this.prevContentLength = contentLength;
    this.prevUserAgent = userAgent;
    this.prevTime = timeMs;
    this.prevStatus = status;
    this.prevApiKey = apiKey;
    this.prevOauthId = oauthId;
    this.prevTotal = totalMs;
    this.prevUpstream = upstreamMs;
    this.prevIp = ip;
    this.prevTags = requestTags;
    this.prevAlias = alias;
    this.prevTrackPath = trackPath;
    this.prevApiVersion = apiVersion;
    this.pos = p;
    this.count++;
  }

  /** One record given as a tuple (tests, benchmarks). */
  writeTuple(t: RecordTuple): void {
    this.write(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12], t[13], t[14], t[15], t[16], t[17], t[18]);
  }

  /**
   * The batch written so far, as the bytes of one queue entry; the writer is then empty (its buffer kept
   * for the next batch). `tzOffsetMinutes` is the gateway's local offset, from which `day`/`month`/`year`/
   * `hour` (gateway local time, spec §2) are derived.
   */
  finish(tzOffsetMinutes = -new Date().getTimezoneOffset()): Buffer {
    let headBytes = 2 + 9 + 5 + 5;
    for (const a of this.apis) {
      headBytes += 1 + maxStr(a.apiId) + maxStr(a.apiName) + maxStr(a.orgId) + maxStr(a.listenPath) + 5 + 9;
      for (const tag of a.tags) headBytes += maxStr(tag);
    }
    const out = Buffer.allocUnsafe(headBytes + this.pos);
    out[0] = 0x94; // [version, tzOffsetMinutes, apis, records]
    out[1] = WIRE_VERSION;
    let p = putNum(out, 2, tzOffsetMinutes);
    p = putArrayHead(out, p, this.apis.length);
    for (const a of this.apis) {
      out[p++] = 0x96; // [id, name, org, listen path, tags, expire ms]
      p = putStr(out, p, a.apiId);
      p = putStr(out, p, a.apiName);
      p = putStr(out, p, a.orgId);
      p = putStr(out, p, a.listenPath);
      p = putArrayHead(out, p, a.tags.length);
      for (const tag of a.tags) p = putStr(out, p, tag);
      p = putNum(out, p, a.expireAfterMs);
    }
    p = putArrayHead(out, p, this.count);
    this.buf.copy(out, p, 0, this.pos);
    const end = p + this.pos;
    this.pos = 0;
    this.count = 0;
    this.apis = [];
    this.lastApi = null;
    this.prevTime = 0;
    return end === out.length ? out : out.subarray(0, end);
  }

  private apiIndex(api: RecordApiInfo): number {
    if (api === this.lastApi) return this.lastIndex;
    let index = this.apis.indexOf(api);
    if (index < 0) index = this.apis.push(api) - 1;
    this.lastApi = api;
    this.lastIndex = index;
    return index;
  }

  private grow(need: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + need));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}

/**
 * Encodes a batch for the queue (one stream entry): `[version, tzOffsetMinutes, apis, records]`, each API's
 * fields once, each record a short array pointing at its API (see `RecordBatchWriter`, which workers use
 * record by record).
 */
export function encodeRecordBatch(records: readonly RecordTuple[], tzOffsetMinutes = -new Date().getTimezoneOffset()): Buffer {
  const writer = new RecordBatchWriter(1024);
  for (const r of records) writer.writeTuple(r);
  return writer.finish(tzOffsetMinutes);
}

/** The full record (§2) of one queued tuple; tags in the spec's order (§3). */
export function expandRecord(t: RecordTuple, tzOffsetMinutes: number): AnalyticsRecord {
  const [api, method, host, path, originalPath, contentLength, userAgent, timeMs, status, apiKey, oauthId, total, upstream, ip, requestTags, alias, trackPath, apiVersion, rawPath] = t;
  const local = new Date(timeMs + tzOffsetMinutes * 60_000);
  const tags = [...requestTags, ...api.tags];
  if (apiKey !== '') tags.push(`key-${apiKey}`);
  if (api.orgId !== '') tags.push(`org-${api.orgId}`);
  tags.push(`api-${api.apiId}`);
  return {
    method, host, path, raw_path: rawPath, original_path: originalPath, listen_path: api.listenPath, content_length: contentLength,
    user_agent: userAgent, day: local.getUTCDate(), month: local.getUTCMonth() + 1, year: local.getUTCFullYear(), hour: local.getUTCHours(),
    response_code: status, api_key: apiKey, timestamp: new Date(timeMs).toISOString(), api_version: apiVersion || 'Non Versioned',
    api_name: api.apiName, api_id: api.apiId, org_id: api.orgId, oauth_id: oauthId, request_time: total,
    latency: { total, upstream, gateway: total - upstream }, raw_request: '', raw_response: '', ip_address: ip,
    geo: ZERO_GEO, network: ZERO_NETWORK, tags, alias, track_path: trackPath,
    expireAt: new Date(timeMs + api.expireAfterMs).toISOString(),
  };
}

/**
 * Decodes a batch written by `encodeRecordBatch` (or a version 1 or 2 batch) into the queued tuples, one
 * array per record (aggregation reads the batch with `RecordBatchReader` instead, without those). Throws
 * with a message saying what is wrong when the bytes are not such a batch (the consumer counts and skips
 * those entries).
 */
export function decodeRecordTuples(bytes: Buffer): { tzOffsetMinutes: number; records: RecordTuple[] } {
  const batch = new RecordBatchReader(bytes);
  const records: RecordTuple[] = [];
  while (batch.next()) records.push(batch.tuple());
  return { tzOffsetMinutes: batch.tzOffsetMinutes, records };
}

/** Decodes a batch into full records (spec analytics.md §2): what a Tyk-Pump-style exporter reads. */
export function decodeRecordBatch(bytes: Buffer): AnalyticsRecord[] {
  const { tzOffsetMinutes, records } = decodeRecordTuples(bytes);
  return records.map((t) => expandRecord(t, tzOffsetMinutes));
}
