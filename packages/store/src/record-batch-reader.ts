import { Packr } from 'msgpackr';
import type { RecordApiInfo, RecordTuple } from './analytics-record.js';
import { MsgpackError, MsgpackReader, truncated } from './msgpack-reader.js';
import type { RecordCursor } from './record-cursor.js';
import { ALL_FIELDS_MASK, bitCount, FIELD_BITS, MASK_FIELDS, MASKED_SINCE, REPEATS_SINCE, ROW_FIELDS, WIRE_VERSION } from './record-wire.js';

/** Fields per record before version 3 (no `rawPath`). */
const OLD_ROW_FIELDS = ROW_FIELDS - 1;
const HUNDRED_YEARS_MS = 100 * 365.25 * 24 * 3600 * 1000;
const EMPTY_TAGS: readonly string[] = Object.freeze([]);
/** Values remembered per field (see `RecentValues`; a power of 2), and the longest value (bytes) remembered. */
const RECENT = 64;
const RECENT_MAX_BYTES = 64;

/** msgpack nil: since version 2, "same as the previous record" (for `rawPath`: "same as `path`"). */
const NIL = 0xc0;

/** What each field of a record is, by position (`RecordTuple` order; field 0, the API's index, is read apart). */
const NUMBER = 0;
const STRING = 1;
const TAGS = 2;
const BOOLEAN = 3;
/** A string, or nil for the record's own path. */
const RAW_PATH = 4;
const FIELD_KINDS: readonly number[] = [
  NUMBER, STRING, STRING, STRING, STRING, NUMBER, STRING, NUMBER, NUMBER, STRING, STRING, NUMBER, NUMBER, STRING, TAGS, STRING, BOOLEAN, STRING, RAW_PATH,
];
const KIND_NAMES = ['number', 'string', 'list of strings', 'boolean', 'string'];

/** Positions of the fields (`RecordTuple` order). */
const FIELD = Object.freeze({
  method: 1, host: 2, path: 3, originalPath: 4, contentLength: 5, userAgent: 6, time: 7, status: 8, apiKey: 9, oauthId: 10,
  totalMs: 11, upstreamMs: 12, ip: 13, tags: 14, alias: 15, trackPath: 16, apiVersion: 17, rawPath: 18,
});

/** The mask bit of `rawPath`, the one field a first record may leave out, and of `timeMs`. */
const RAW_PATH_BIT = FIELD_BITS[FIELD.rawPath]!;
const TIME_BIT = FIELD_BITS[FIELD.time]!;

function fail(what: string): never {
  throw new Error(`analytics batch: ${what}`);
}

/** For messages only: the value at `from`, as msgpackr reads it, in JSON. */
const packr = new Packr({ useRecords: false, moreTypes: false });
function shown(r: MsgpackReader, from: number): string {
  try {
    const probe = new MsgpackReader(r.bytes);
    probe.pos = from;
    probe.skip();
    return JSON.stringify(packr.unpack(r.bytes.subarray(from, probe.pos))) ?? 'undefined';
  } catch {
    return `(the value at byte ${from})`;
  }
}

/**
 * Reads a queued batch (`RecordBatchWriter`'s bytes, or a version 1, 2 or 3 batch of an older gateway)
 * record by record, straight from the bytes: the reader is itself the current record (a `RecordCursor`).
 * Nothing is built per record: numbers are read into fields, a string field is kept as a byte range and
 * becomes a string only when it is read, once per value (a repeated value, not sent, keeps the previous record's
 * range and string; a value seen lately in the field is the string made then, see `RecentValues`), and a
 * record's tags are a new array only when they are neither a repeat nor a list seen lately. A consumer that
 * reads few fields of similar records (aggregation) so costs a few byte reads per record.
 *
 * Every record is checked as it is reached, as `decodeRecordTuples` always has: a wrong type, a repeat in
 * the first record, an API index not in the batch or bytes that end early throw an Error whose message
 * starts with `analytics batch: ` and names the record and the field. The header (version, tz offset, the
 * APIs) is checked by the constructor.
 *
 * @example
 * const batch = new RecordBatchReader(bytes);
 * while (batch.next()) console.log(batch.api.apiId, batch.status, batch.path);
 */
export class RecordBatchReader implements RecordCursor {
  readonly version: number;
  /** The gateway's local offset when it wrote the batch. */
  readonly tzOffsetMinutes: number;
  readonly apis: readonly RecordApiInfo[];
  /** Records in the batch. */
  readonly count: number;
  /** Position of the current record; -1 before the first `next()`. */
  index = -1;

  api!: RecordApiInfo;
  contentLength = 0;
  timeMs = 0;
  status = 0;
  totalMs = 0;
  upstreamMs = 0;
  requestTags: readonly string[] = EMPTY_TAGS;
  trackPath = false;

  private readonly r: MsgpackReader;
  private readonly bytes: Buffer;
  private readonly fields: number;
  private readonly repeats: boolean;
  /** Records are `[mask, ...values]` (version 4). */
  private readonly masked: boolean;
  /** The current record's API index (version 4 leaves it out when it repeats). */
  private apiIndex: number | undefined = 0;
  /** Byte range of each string field's current value (by field position)... */
  private readonly starts: number[] = new Array<number>(ROW_FIELDS).fill(0);
  private readonly ends: number[] = new Array<number>(ROW_FIELDS).fill(0);
  /** ...and its string, once read (undefined until then). */
  private readonly texts: (string | undefined)[] = new Array<string | undefined>(ROW_FIELDS).fill(undefined);
  /** The strings lately made of each string field's values, and the tag lists (made when first needed). */
  private readonly recentTexts: (RecentValues<string> | undefined)[] = new Array<RecentValues<string> | undefined>(ROW_FIELDS).fill(undefined);
  private recentTags: RecentValues<readonly string[]> | undefined;
  /** The current record's numbers, by field position (the time as sent: a difference since version 2). */
  private readonly numbers: number[] = new Array<number>(ROW_FIELDS).fill(0);
  /** Whether the current record's `rawPath` is its `path` (not sent, or nil in version 3; always before version 3). */
  private rawPathIsPath = true;
  /** What the first bad record threw: every later `next()` throws it again. */
  private failure: Error | undefined;

  constructor(bytes: Buffer) {
    const r = new MsgpackReader(bytes);
    this.r = r;
    this.bytes = bytes;
    try {
      if (r.arrayLength() !== 4) fail('not [version, tz offset, apis, records]');
      const versionAt = r.pos;
      const version = r.number();
      if (version !== 1 && version !== 2 && version !== 3 && version !== WIRE_VERSION) fail(`unknown version ${shown(r, versionAt)}`);
      const tz = r.number();
      if (tz === undefined) fail('tz offset, apis and records have the wrong types');
      const apiCount = r.arrayLength();
      if (apiCount < 0) fail('tz offset, apis and records have the wrong types');
      const apis: RecordApiInfo[] = [];
      for (let i = 0; i < apiCount; i++) apis.push(readApi(r, i));
      const count = r.arrayLength();
      if (count < 0) fail('tz offset, apis and records have the wrong types');
      if (count === 0 && !r.done) fail(`bytes after the last record (from byte ${r.pos})`);
      this.version = version;
      this.tzOffsetMinutes = tz;
      this.apis = apis;
      this.count = count;
      this.fields = version >= 3 ? ROW_FIELDS : OLD_ROW_FIELDS;
      this.repeats = version >= REPEATS_SINCE;
      this.masked = version >= MASKED_SINCE;
    } catch (err) {
      if (err instanceof MsgpackError) fail(`not msgpack (${err.message})`);
      throw err;
    }
  }

  get method(): string { return this.text(FIELD.method); }
  get host(): string { return this.text(FIELD.host); }
  get path(): string { return this.text(FIELD.path); }
  get originalPath(): string { return this.text(FIELD.originalPath); }
  get userAgent(): string { return this.text(FIELD.userAgent); }
  get apiKey(): string { return this.text(FIELD.apiKey); }
  get oauthId(): string { return this.text(FIELD.oauthId); }
  get ip(): string { return this.text(FIELD.ip); }
  get alias(): string { return this.text(FIELD.alias); }
  get apiVersion(): string { return this.text(FIELD.apiVersion); }
  get rawPath(): string { return this.rawPathIsPath ? this.text(FIELD.path) : this.text(FIELD.rawPath); }

  /** Moves to the next record; false when there is none. Throws (see the class) when that record is bad. */
  next(): boolean {
    if (this.failure !== undefined) throw this.failure;
    if (this.index + 1 >= this.count) return false;
    const i = ++this.index;
    try {
      if (this.masked) this.readMaskedRecord(i);
      else this.readRecord(i);
      if (i === this.count - 1 && !this.r.done) fail(`bytes after the last record (from byte ${this.r.pos})`);
    } catch (err) {
      this.failure = err instanceof MsgpackError ? new Error(`analytics batch: record ${i}: ${err.message}`) : err as Error;
      throw this.failure;
    }
    return true;
  }

  /** The current record as a tuple of its own (it outlives the step). */
  tuple(): RecordTuple {
    return [
      this.api, this.method, this.host, this.path, this.originalPath, this.contentLength, this.userAgent, this.timeMs, this.status,
      this.apiKey, this.oauthId, this.totalMs, this.upstreamMs, this.ip, this.requestTags, this.alias, this.trackPath, this.apiVersion,
      this.rawPath,
    ];
  }

  /** Field `k`'s string: made once per value (a value seen lately in this field is the string made then). */
  private text(k: number): string {
    let s = this.texts[k];
    if (s === undefined) {
      const from = this.starts[k]!;
      const to = this.ends[k]!;
      const recent = (this.recentTexts[k] ??= new RecentValues<string>());
      s = recent.find(this.bytes, from, to);
      if (s === undefined) {
        s = this.r.text(from, to);
        recent.add(this.bytes, from, to, s);
      }
      this.texts[k] = s;
    }
    return s;
  }

  /**
   * Reads record `i` into the fields (see the class for the checks). One loop over the fields with the
   * common forms (nil, short strings, small numbers) read in place; `MsgpackReader` reads the others.
   */
  private readRecord(i: number): void {
    const { r, bytes } = this;
    const end = bytes.length;
    const repeats = this.repeats;
    const fields = this.fields;
    let p = r.pos;
    // The row's header as the writer writes it (array 16) and a small API index, else the general forms.
    if (bytes[p] === 0xdc && bytes[p + 1] === 0 && bytes[p + 2] === fields) p += 3;
    else if (((r.pos = p), r.arrayLength()) === fields) p = r.pos;
    else fail(`record ${i} is not a ${fields}-field row`);
    const apiAt = p;
    p = this.readApiIndex(p);
    for (let k = 1; k < fields; k++) {
      const h = bytes[p];
      if (h === undefined) throw truncated(p, end);
      const kind = FIELD_KINDS[k]!;
      // nil: a string or the tags repeating the previous record's (since version 2); rawPath: the path.
      if (h === NIL && (kind === RAW_PATH || (repeats && (kind === STRING || kind === TAGS)))) {
        if (kind !== RAW_PATH && i === 0) fail(`record ${i}: field ${k} repeats a record that does not exist`);
        p++;
      } else {
        p = this.readValue(i, k, p);
      }
      if (kind === RAW_PATH) this.rawPathIsPath = h === NIL;
    }
    r.pos = p;
    if (fields !== ROW_FIELDS) this.rawPathIsPath = true;
    // Before version 2 every time is in full; since, each is the difference to the one before.
    this.endRecord(i, apiAt, repeats);
  }

  /**
   * Reads record `i` of a version 4 batch, `[mask, ...values]` (record-wire.ts): the fields sent are read
   * as `readRecord` reads them (nil is not a value here: a repeat is a field not sent), the others keep the
   * previous record's value (time: a difference of 0; rawPath: the record's own path).
   */
  private readMaskedRecord(i: number): void {
    const { r, bytes, numbers } = this;
    const end = bytes.length;
    let p = r.pos;
    const head = bytes[p];
    let length: number;
    if (head !== undefined && head >= 0x91 && head <= 0x9f) {
      length = head & 0x0f;
      p++;
    } else {
      length = ((r.pos = p), r.arrayLength());
      if (length < 1) fail(`record ${i} is not a [mask, ...values] row`);
      p = r.pos;
    }
    const maskAt = p;
    let mask: number | undefined = bytes[p];
    if (mask !== undefined && mask < 0x80) {
      p++;
    } else {
      r.pos = p;
      mask = r.number();
      p = r.pos;
    }
    if (mask === undefined || !Number.isInteger(mask) || mask < 0 || mask > ALL_FIELDS_MASK) fail(`record ${i}: mask ${shown(r, maskAt)} is not a set of fields`);
    if (length !== 1 + bitCount(mask)) fail(`record ${i}: ${length - 1} values for a mask of ${bitCount(mask)} fields`);
    if (i === 0 && (mask | RAW_PATH_BIT) !== ALL_FIELDS_MASK) {
      const missing = MASK_FIELDS.find((k) => k !== FIELD.rawPath && (mask! & FIELD_BITS[k]!) === 0)!;
      fail(`record ${i}: field ${missing} repeats a record that does not exist`);
    }
    // Fields not sent keep the previous record's value, but for these two.
    if ((mask & TIME_BIT) === 0) numbers[FIELD.time] = 0;
    if ((mask & RAW_PATH_BIT) === 0) this.rawPathIsPath = true;
    let apiAt = -1;
    // The fields sent, lowest bit first (a typical record sends one to three).
    for (let rest = mask; rest !== 0; rest &= rest - 1) {
      const k = MASK_FIELDS[31 - Math.clz32(rest & -rest)]!;
      if (p >= end) throw truncated(p, end);
      if (k === 0) {
        apiAt = p;
        p = this.readApiIndex(p);
      } else {
        p = this.readValue(i, k, p);
        if (k === FIELD.rawPath) this.rawPathIsPath = false;
      }
    }
    r.pos = p;
    this.endRecord(i, apiAt, true);
  }

  /**
   * The API index at `p` into `apiIndex`; returns the position after it. A value that is not a number is
   * skipped and leaves `apiIndex` undefined: `endRecord` reports it once the rest of the record is checked.
   */
  private readApiIndex(p: number): number {
    const h = this.bytes[p];
    if (h !== undefined && h < 0x80) {
      this.apiIndex = h;
      return p + 1;
    }
    const r = this.r;
    r.pos = p;
    this.apiIndex = r.number();
    if (this.apiIndex === undefined) r.skip();
    return r.pos;
  }

  /**
   * Field `k`'s value at `p` (not nil, not the API index), read by its kind; returns the position after it.
   * The caller has made sure a byte is there.
   */
  private readValue(i: number, k: number, p: number): number {
    const kind = FIELD_KINDS[k]!;
    if (kind === STRING || kind === RAW_PATH) return this.readString(i, k, p);
    if (kind === NUMBER) return this.readNumber(i, k, p);
    if (kind === BOOLEAN) {
      const h = this.bytes[p];
      if (h !== 0xc2 && h !== 0xc3) fail(`record ${i}: field ${k} must be a ${KIND_NAMES[kind]}`);
      this.trackPath = h === 0xc3;
      return p + 1;
    }
    return this.readTags(i, p);
  }

  /**
   * Ends record `i`: its API index is checked last (after every field, as always; `apiAt`: where it was
   * read) and its numbers go to the named fields; `isTimeDifference`: the time was sent as the difference
   * to the previous record's.
   */
  private endRecord(i: number, apiAt: number, isTimeDifference: boolean): void {
    const apiIndex = this.apiIndex;
    const api = apiIndex === undefined ? undefined : this.apis[apiIndex];
    if (api === undefined) fail(`record ${i}: no api ${apiIndex === undefined ? shown(this.r, apiAt) : JSON.stringify(apiIndex)}`);
    this.api = api;
    const numbers = this.numbers;
    this.contentLength = numbers[FIELD.contentLength]!;
    this.timeMs = isTimeDifference && i > 0 ? this.timeMs + numbers[FIELD.time]! : numbers[FIELD.time]!;
    this.status = numbers[FIELD.status]!;
    this.totalMs = numbers[FIELD.totalMs]!;
    this.upstreamMs = numbers[FIELD.upstreamMs]!;
  }

  /**
   * Field `k`'s string at `p` (not nil): its byte range is kept and its string made only when read. Returns
   * the position after it. Short strings are read in place, the others by `MsgpackReader`.
   */
  private readString(i: number, k: number, p: number): number {
    const { r, bytes } = this;
    const h = bytes[p]!;
    let to: number;
    if (h >= 0xa0 && h < 0xc0) {
      to = p + 1 + (h & 0x1f);
      if (to > bytes.length) throw truncated(to, bytes.length);
      this.starts[k] = p + 1;
    } else {
      r.pos = p;
      if (!r.string()) fail(`record ${i}: field ${k} must be a string`);
      this.starts[k] = r.start;
      to = r.pos;
    }
    this.ends[k] = to;
    this.texts[k] = undefined;
    return to;
  }

  /** Field `k`'s number at `p`, into `numbers`; returns the position after it. Small integers are read in place. */
  private readNumber(i: number, k: number, p: number): number {
    const { r, bytes } = this;
    const h = bytes[p]!;
    if (h < 0x80) {
      this.numbers[k] = h;
      return p + 1;
    }
    if (h === 0xcc && p + 2 <= bytes.length) {
      this.numbers[k] = bytes[p + 1]!;
      return p + 2;
    }
    if (h === 0xcd && p + 3 <= bytes.length) {
      this.numbers[k] = (bytes[p + 1]! << 8) | bytes[p + 2]!;
      return p + 3;
    }
    r.pos = p;
    this.numbers[k] = r.number() ?? fail(`record ${i}: field ${k} must be a number`);
    return r.pos;
  }

  /**
   * The request's tags at `p`, not nil (the record loop took that): a new list, or the same list as lately.
   * Returns the position after them.
   */
  private readTags(i: number, p: number): number {
    const r = this.r;
    r.pos = p;
    const from = p;
    const n = r.arrayLength();
    if (n < 0) fail(`record ${i}: tags must be a list of strings`);
    if (n === 0) {
      this.requestTags = EMPTY_TAGS;
      return r.pos;
    }
    const first = r.pos;
    for (let j = 0; j < n; j++) if (!r.string()) fail(`record ${i}: tags must be a list of strings`);
    const to = r.pos;
    const recent = (this.recentTags ??= new RecentValues<readonly string[]>());
    let tags = recent.find(this.bytes, from, to);
    if (tags === undefined) {
      const made: string[] = [];
      for (let q = first; q < to; q = r.pos) {
        r.pos = q;
        made.push(r.stringValue()!);
      }
      tags = made;
      recent.add(this.bytes, from, to, tags);
    }
    this.requestTags = tags;
    return to;
  }
}

/**
 * Values lately made of one field (strings, tag lists), with where their bytes are in the batch: a value
 * that comes back (a key, a tag list, a version among others) is found by comparing bytes, which costs less
 * than making it again, and is then the same object (cheap to compare, its hash kept). The first value is
 * kept alone; from the second on, values go to `RECENT` slots by a hash of their bytes (a new value
 * replacing the one in its slot), so a field with one value in the batch costs one small object.
 */
class RecentValues<T> {
  private oneStart = 0;
  private oneEnd = 0;
  private one: T | undefined;
  private slots: { readonly starts: number[]; readonly ends: number[]; readonly values: (T | undefined)[] } | undefined;

  /** The value made lately from the same bytes as `from`..`to`, if any. */
  find(bytes: Buffer, from: number, to: number): T | undefined {
    const slots = this.slots;
    if (slots === undefined) return this.one !== undefined && sameBytes(bytes, this.oneStart, this.oneEnd, from, to) ? this.one : undefined;
    const slot = slotOf(bytes, from, to);
    const value = slots.values[slot];
    return value !== undefined && sameBytes(bytes, slots.starts[slot]!, slots.ends[slot]!, from, to) ? value : undefined;
  }

  /** Remembers `value`, made of bytes `from`..`to` (values longer than `RECENT_MAX_BYTES` are not). */
  add(bytes: Buffer, from: number, to: number, value: T): void {
    if (to - from > RECENT_MAX_BYTES) return;
    if (this.one === undefined) {
      this.oneStart = from;
      this.oneEnd = to;
      this.one = value;
      return;
    }
    if (this.slots === undefined) {
      this.slots = { starts: new Array<number>(RECENT).fill(0), ends: new Array<number>(RECENT).fill(0), values: new Array<T | undefined>(RECENT).fill(undefined) };
      this.put(slotOf(bytes, this.oneStart, this.oneEnd), this.oneStart, this.oneEnd, this.one);
    }
    this.put(slotOf(bytes, from, to), from, to, value);
  }

  private put(slot: number, from: number, to: number, value: T): void {
    const slots = this.slots!;
    slots.starts[slot] = from;
    slots.ends[slot] = to;
    slots.values[slot] = value;
  }
}

/** The `RecentValues` slot of bytes `from`..`to` (FNV-1a, folded). */
function slotOf(bytes: Buffer, from: number, to: number): number {
  let hash = 0x811c9dc5;
  for (let b = from; b < to; b++) hash = Math.imul(hash ^ bytes[b]!, 0x01000193);
  return (hash ^ (hash >>> 15)) & (RECENT - 1);
}

function sameBytes(bytes: Buffer, aFrom: number, aTo: number, from: number, to: number): boolean {
  const n = to - from;
  if (aTo - aFrom !== n) return false;
  for (let b = 0; b < n; b++) if (bytes[aFrom + b] !== bytes[from + b]) return false;
  return true;
}

/** One API of the batch header: `[id, name, org, listen path, tags, expire ms]`. */
function readApi(r: MsgpackReader, i: number): RecordApiInfo {
  if (r.arrayLength() !== 6) fail(`api ${i} is not [id, name, org, listen path, tags, expire ms]`);
  const apiId = r.stringValue();
  const apiName = apiId === undefined ? undefined : r.stringValue();
  const orgId = apiName === undefined ? undefined : r.stringValue();
  const listenPath = orgId === undefined ? undefined : r.stringValue();
  if (apiId === undefined || apiName === undefined || orgId === undefined || listenPath === undefined) fail(`api ${i}: names must be strings`);
  const n = r.arrayLength();
  if (n < 0) fail(`api ${i}: tags must be a list of strings`);
  const tags: string[] = [];
  for (let j = 0; j < n; j++) tags.push(r.stringValue() ?? fail(`api ${i}: tags must be a list of strings`));
  let expireAfterMs = r.number();
  if (expireAfterMs === undefined) r.skip(); // anything but a positive number: the default
  if (expireAfterMs === undefined || !(expireAfterMs > 0)) expireAfterMs = HUNDRED_YEARS_MS;
  return { apiId, apiName, orgId, listenPath, tags, expireAfterMs };
}
