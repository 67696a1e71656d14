import type { RecordApiInfo, RecordTuple } from './analytics-record.js';

/** One queued record, field by field: the fields of a `RecordTuple`, by name. */
export interface QueuedRecord {
  readonly api: RecordApiInfo;
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly originalPath: string;
  readonly contentLength: number;
  readonly userAgent: string;
  readonly timeMs: number;
  readonly status: number;
  readonly apiKey: string;
  readonly oauthId: string;
  readonly totalMs: number;
  readonly upstreamMs: number;
  readonly ip: string;
  readonly requestTags: readonly string[];
  readonly alias: string;
  readonly trackPath: boolean;
  readonly apiVersion: string;
  readonly rawPath: string;
}

/**
 * The records of a batch, one at a time: `next()` moves to the next record and says whether there was one;
 * the fields are then that record's, until the next call. Nothing is kept per record: take what must
 * outlive the step (`RecordBatchReader` reads a batch's bytes this way; `TupleCursor` walks tuples).
 *
 * @example
 * while (records.next()) if (records.status >= 500) errors++;
 */
export interface RecordCursor extends QueuedRecord {
  next(): boolean;
}

/** A `RecordCursor` over tuples already in memory (tests, and callers that have tuples). */
export class TupleCursor implements RecordCursor {
  private row!: RecordTuple;
  private index = -1;

  constructor(private readonly tuples: readonly RecordTuple[]) {}

  next(): boolean {
    const row = this.tuples[++this.index];
    if (row === undefined) return false;
    this.row = row;
    return true;
  }

  get api(): RecordApiInfo { return this.row[0]; }
  get method(): string { return this.row[1]; }
  get host(): string { return this.row[2]; }
  get path(): string { return this.row[3]; }
  get originalPath(): string { return this.row[4]; }
  get contentLength(): number { return this.row[5]; }
  get userAgent(): string { return this.row[6]; }
  get timeMs(): number { return this.row[7]; }
  get status(): number { return this.row[8]; }
  get apiKey(): string { return this.row[9]; }
  get oauthId(): string { return this.row[10]; }
  get totalMs(): number { return this.row[11]; }
  get upstreamMs(): number { return this.row[12]; }
  get ip(): string { return this.row[13]; }
  get requestTags(): readonly string[] { return this.row[14]; }
  get alias(): string { return this.row[15]; }
  get trackPath(): boolean { return this.row[16]; }
  get apiVersion(): string { return this.row[17]; }
  get rawPath(): string { return this.row[18]; }
}
