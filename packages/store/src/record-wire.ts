/**
 * Version 3 of the batch: `[version, tzOffsetMinutes, apis, records]`, each record a 19-field array in
 * `RecordTuple` order with its API's index first. A string field (but the last) or the tags written as nil
 * repeat the previous record's value, and `timeMs` is the difference to the previous record's (the first
 * record's: to 0). The last field, `rawPath`, is nil when it equals the record's own `path` (every record
 * but those of tracked endpoints).
 * Version 2 is the same with 18 fields (no `rawPath`: it equals `path`); version 1 is version 2 with every
 * value in full. Both are still read (batches queued by older gateways during an upgrade).
 * `RecordBatchWriter` writes it, `RecordBatchReader` reads it.
 */
export const WIRE_VERSION = 3;

/** The oldest version with repeated values as nil and times as differences. */
export const REPEATS_SINCE = 2;

/** Fields per queued record (the length of a `RecordTuple`); version 1 and 2 rows have one less. */
export const ROW_FIELDS = 19;
