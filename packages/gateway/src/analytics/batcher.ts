import { encodeRecordBatch, type QueuedBatch, type RecordTuple } from '@tollgate/store';

/** Where sealed batches go: resolves with how many of them (in order) were accepted. */
export interface BatchSink {
  append(batches: readonly QueuedBatch[]): Promise<number>;
}

export interface BatcherOptions {
  readonly sink: BatchSink;
  /** Records per batch (one stream entry). */
  readonly batchSize: number;
  /** A batch that is not full is sealed after this long (tyk.conf `analytics_config.flush_interval`). */
  readonly flushIntervalMs: number;
  /** Records held in memory (open batch + batches not yet accepted); past it records are dropped. */
  readonly maxBufferedRecords: number;
  /** Unique per process: batch ids are `<prefix>:<n>`, which makes a batch delivered twice detectable. */
  readonly idPrefix: string;
  /** Batches handed to the sink per call. */
  readonly batchesPerCall?: number;
  /** Called with the number of records dropped (buffer full, or still buffered at shutdown). */
  readonly onDropped: (records: number) => void;
  /** Called with the number of records the sink accepted. */
  readonly onQueued?: (records: number) => void;
  /** A failed hand-over (Redis down, queue full); the batches are kept and retried. */
  readonly onSinkError?: (err: Error | null, pendingRecords: number) => void;
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
}

interface PendingBatch {
  readonly records: RecordTuple[] | null;
  batch: QueuedBatch | null;
  readonly count: number;
}

/**
 * Collects analytics records and hands them to Redis in bulk, never blocking and never awaiting on the
 * request path: `push` is synchronous and O(1). Memory is bounded by `maxBufferedRecords`; past it a
 * record is dropped and counted (spec analytics.md §4: tollgate drops and counts where Tyk blocks).
 * Encoding (msgpackr) and the hand-over run from a setImmediate, one call in flight at a time; a failed
 * hand-over keeps its batches and retries with backoff, so a Redis outage shorter than the buffer loses
 * nothing. A batch keeps its id across retries: if a reply was lost after Redis appended it, the
 * consumer recognises the second copy.
 *
 * @example
 * const batcher = new AnalyticsBatcher({ sink: queue, batchSize: 500, flushIntervalMs: 200,
 *   maxBufferedRecords: 50_000, idPrefix: 'host:123:1700000000000', onDropped: (n) => dropped.inc(n) });
 * batcher.start();
 * batcher.push(record);
 */
export class AnalyticsBatcher {
  private open: RecordTuple[] = [];
  private readonly pending: PendingBatch[] = [];
  private buffered = 0;
  private sequence = 0;
  private isSending = false;
  private isScheduled = false;
  private retryDelayMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly perCall: number;

  constructor(private readonly options: BatcherOptions) {
    this.perCall = options.batchesPerCall ?? 8;
  }

  /** Records held in memory right now. */
  get bufferedRecords(): number {
    return this.buffered;
  }

  start(): void {
    this.flushTimer = setInterval(() => this.flush(), this.options.flushIntervalMs);
    this.flushTimer.unref();
  }

  /** Adds a record; returns false (and counts it) when the buffer is full. Never throws, never waits. */
  push(record: RecordTuple): boolean {
    if (this.buffered >= this.options.maxBufferedRecords) {
      this.options.onDropped(1);
      return false;
    }
    this.open.push(record);
    this.buffered++;
    if (this.open.length >= this.options.batchSize) {
      this.seal();
      this.schedule();
    }
    return true;
  }

  /** Seals the open batch (if any) and starts a hand-over. */
  flush(): void {
    if (this.open.length > 0) this.seal();
    this.schedule();
  }

  /**
   * Stops the timer and tries to hand over everything for up to `timeoutMs`; what is still held then is
   * counted as dropped. Resolves with that number.
   */
  async stop(timeoutMs: number): Promise<number> {
    clearInterval(this.flushTimer);
    this.flush();
    const deadline = Date.now() + timeoutMs;
    while (this.buffered > 0 && Date.now() < deadline) {
      if (this.retryTimer !== undefined) {
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
        this.retryDelayMs = 0;
        this.schedule();
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    clearTimeout(this.retryTimer);
    const lost = this.buffered;
    if (lost > 0) this.options.onDropped(lost);
    this.buffered = 0;
    this.pending.length = 0;
    this.open = [];
    return lost;
  }

  private seal(): void {
    const records = this.open;
    this.open = [];
    this.pending.push({ records, batch: null, count: records.length });
  }

  private schedule(): void {
    if (this.isSending || this.isScheduled || this.retryTimer !== undefined || this.pending.length === 0) return;
    this.isScheduled = true;
    setImmediate(() => {
      this.isScheduled = false;
      void this.send();
    });
  }

  private async send(): Promise<void> {
    if (this.isSending || this.pending.length === 0) return;
    this.isSending = true;
    const take = this.pending.slice(0, this.perCall);
    let accepted = 0;
    let error: Error | null = null;
    try {
      const batches = take.map((p) => this.encoded(p));
      accepted = await this.options.sink.append(batches);
    } catch (err) {
      error = err as Error;
    }
    this.isSending = false;
    let records = 0;
    for (let i = 0; i < accepted; i++) records += take[i]!.count;
    this.pending.splice(0, accepted);
    this.buffered -= records;
    if (records > 0) this.options.onQueued?.(records);
    if (error !== null || accepted < take.length) {
      this.options.onSinkError?.(error, this.buffered);
      this.retryLater();
      return;
    }
    this.retryDelayMs = 0;
    this.schedule();
  }

  /** Encodes once; a retried batch keeps its bytes and its id. */
  private encoded(p: PendingBatch): QueuedBatch {
    if (p.batch === null) {
      p.batch = { id: `${this.options.idPrefix}:${++this.sequence}`, records: p.count, bytes: encodeRecordBatch(p.records!) };
      (p as { records: RecordTuple[] | null }).records = null;
    }
    return p.batch;
  }

  private retryLater(): void {
    const min = this.options.retryMinMs ?? 100;
    this.retryDelayMs = Math.min(Math.max(this.retryDelayMs * 2, min), this.options.retryMaxMs ?? 2000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.schedule();
    }, this.retryDelayMs);
    this.retryTimer.unref();
  }
}
