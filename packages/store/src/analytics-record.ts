import { RecordBatchReader } from './record-batch-reader.js';
import { ROW_FIELDS, WIRE_VERSION } from './record-wire.js';

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

/** msgpack nil: "same as the previous record" since version 2 (see record-wire.ts). */
const NIL = 0xc0;

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

/** Writes `s`, or nil when it equals the previous record's value of this field (`prev[k]`). */
function putField(buf: Buffer, p: number, prev: (string | null)[], k: number, s: string): number {
  if (prev[k] === s) {
    buf[p] = NIL;
    return p + 1;
  }
  prev[k] = s;
  return putStr(buf, p, s);
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
 * and a value that repeats the previous record's (method, host, user agent, client IP...) as one byte. Nothing is allocated
 * per record and nothing per record stays on the heap until the batch is sent, so a record costs a few
 * byte writes on the request path (about 20 bytes for a keyless request) instead of a tuple that survives
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
  /** The previous record's string fields, by field position (null: none yet in this batch). */
  private readonly prev: (string | null)[] = new Array<string | null>(ROW_FIELDS).fill(null);
  private prevTags: readonly string[] | null = null;
  private prevTime = 0;

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
   * One record: the fields of a `RecordTuple`, in its order. A record is written whole or not at all (a
   * value of the wrong type throws and leaves the batch as it was).
   */
  write(
    api: RecordApiInfo, method: string, host: string, path: string, originalPath: string, contentLength: number,
    userAgent: string, timeMs: number, status: number, apiKey: string, oauthId: string, totalMs: number, upstreamMs: number,
    ip: string, requestTags: readonly string[], alias: string, trackPath: boolean, apiVersion: string, rawPath: string,
  ): void {
    // One bound for the whole record, so the writes below need no checks: 3 (row header) + 6 × 9 (numbers,
    // index and boolean) + 5 (tags header) + the strings at their largest.
    let need = 62 + maxStr(method) + maxStr(host) + maxStr(path) + maxStr(originalPath) + maxStr(userAgent) + maxStr(apiKey)
      + maxStr(oauthId) + maxStr(ip) + maxStr(alias) + maxStr(apiVersion) + (rawPath === path ? 1 : maxStr(rawPath));
    for (let i = 0; i < requestTags.length; i++) need += maxStr(requestTags[i]!);
    if (this.pos + need > this.buf.length) this.grow(need);
    const buf = this.buf;
    const prev = this.prev;
    let p = this.pos;
    try {
      buf[p] = 0xdc; // array 16
      buf[p + 1] = 0;
      buf[p + 2] = ROW_FIELDS;
      p = putNum(buf, p + 3, this.apiIndex(api));
      p = putField(buf, p, prev, 1, method);
      p = putField(buf, p, prev, 2, host);
      p = putField(buf, p, prev, 3, path);
      p = putField(buf, p, prev, 4, originalPath);
      p = putNum(buf, p, contentLength);
      p = putField(buf, p, prev, 6, userAgent);
      p = putNum(buf, p, timeMs - this.prevTime);
      p = putNum(buf, p, status);
      p = putField(buf, p, prev, 9, apiKey);
      p = putField(buf, p, prev, 10, oauthId);
      p = putNum(buf, p, totalMs);
      p = putNum(buf, p, upstreamMs);
      p = putField(buf, p, prev, 13, ip);
      if (sameStrings(requestTags, this.prevTags)) {
        buf[p++] = NIL;
      } else {
        p = putArrayHead(buf, p, requestTags.length);
        for (let i = 0; i < requestTags.length; i++) p = putStr(buf, p, requestTags[i]!);
        this.prevTags = requestTags;
      }
      p = putField(buf, p, prev, 15, alias);
      buf[p++] = trackPath ? 0xc3 : 0xc2;
      p = putField(buf, p, prev, 17, apiVersion);
      if (rawPath === path) buf[p++] = NIL;
      else p = putStr(buf, p, rawPath);
    } catch (err) {
      // Nothing of this record is kept; the next one repeats nothing (its fields are written in full).
      prev.fill(null);
      this.prevTags = null;
      throw err;
    }
    this.prevTime = timeMs;
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
    this.prev.fill(null);
    this.prevTags = null;
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
