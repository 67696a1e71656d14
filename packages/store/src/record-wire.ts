/**
 * Version 4 of the batch (what `RecordBatchWriter` writes, `RecordBatchReader` reads):
 * `[version, tzOffsetMinutes, apis, records]`, plain msgpack. A record is `[mask, ...values]`: bit b of
 * `mask` says that the field at tuple position `MASK_FIELDS[b]` is sent, and only the fields sent follow, in
 * bit order. A field not sent is the previous record's value: for `timeMs`, sent as the difference to the
 * previous record's time, that is a difference of 0; for `rawPath`, it is the record's own `path` instead.
 * The first record sends every field but `rawPath`. The bits go from the fields that change most often
 * between requests (time, latencies, status, paths) to those that change least, so that a typical record's
 * mask is one byte: a keyless request's record is 3 to 6 bytes (22 to 26 in version 3).
 *
 * Version 3: each record a 19-field array in `RecordTuple` order with its API's index first. A string field
 * (but the last) or the tags written as nil repeat the previous record's value, and `timeMs` is the
 * difference to the previous record's (the first record's: to 0). The last field, `rawPath`, is nil when it
 * equals the record's own `path`. Version 2 is version 3 with 18 fields (no `rawPath`: it equals `path`);
 * version 1 is version 2 with every value in full. All three are still read (batches queued by older
 * gateways during an upgrade).
 */
export const WIRE_VERSION = 4;

/** The oldest version with repeated values left out (nil, then not sent) and times as differences. */
export const REPEATS_SINCE = 2;

/** The oldest version whose records are `[mask, ...values]`. */
export const MASKED_SINCE = 4;

/** Fields per queued record (the length of a `RecordTuple`); version 1 and 2 rows have one less. */
export const ROW_FIELDS = 19;

/**
 * Tuple position of the field of each mask bit (version 4): time, total and upstream latency, status, path,
 * original path, client IP, raw path, content length, user agent, key, tags, method, host, alias, API
 * version, OAuth client, track path, API index.
 */
export const MASK_FIELDS: readonly number[] = Object.freeze([7, 11, 12, 8, 3, 4, 13, 18, 5, 6, 9, 14, 1, 2, 15, 17, 10, 16, 0]);

/** Mask bit of each tuple position (the inverse of `MASK_FIELDS`). */
export const FIELD_BITS: readonly number[] = Object.freeze(MASK_FIELDS.reduce<number[]>((bits, k, b) => {
  bits[k] = 1 << b;
  return bits;
}, []));

/** Every field's bit. */
export const ALL_FIELDS_MASK = (1 << ROW_FIELDS) - 1;

/** Fields a mask sends (bits set). */
export function bitCount(mask: number): number {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n++;
  return n;
}
