import { RecordBatchWriter, type QueuedBatch } from '@tollgate/store';

/** Where sealed batches go: resolves with how many of them (in order) were accepted. */
export interface BatchSink {
  append(batches: readonly QueuedBatch[]): Promise<number>;
}

export interface BatcherOptions<T> {
  readonly sink: BatchSink;
  /** Writes one item as a record into the open batch (called from `push`, so on the request path). */
  readonly write: (writer: RecordBatchWriter, item: T) => void;
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

/**
 * Collects analytics records and hands them to Redis in bulk, never blocking and never awaiting on the
 * request path: `push` is synchronous and writes the record straight into the open batch's bytes (no
 * object per record is kept). Memory is bounded by `maxBufferedRecords`; past it a record is dropped and
 * counted (spec analytics.md §4: tollgate drops and counts where Tyk blocks). A full batch is sealed into
 * one Buffer; the hand-over runs from a setImmediate, one call in flight at a time; a failed hand-over
 * keeps its batches and retries with backoff, so a Redis outage shorter than the buffer loses nothing. A
 * batch keeps its id and bytes across retries: if a reply was lost after Redis appended it, the consumer
 * recognises the second copy.
 *
 * @example
 * const batcher = new AnalyticsBatcher({ sink: queue, write: (w, ctx) => writeRecord(w, ctx), batchSize: 2000,
 *   flushIntervalMs: 200, maxBufferedRecords: 50_000, idPrefix: 'host:123:1700000000000', onDropped: (n) => dropped.inc(n) });
 * batcher.start();
 * batcher.push(ctx);
 */
export class AnalyticsBatcher<T> {
  private readonly open = new RecordBatchWriter();
  private readonly pending: QueuedBatch[] = [];
  private buffered = 0;
  private sequence = 0;
  private isSending = false;
  private isScheduled = false;
  private retryDelayMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly perCall: number;

  constructor(private readonly options: BatcherOptions<T>) {
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

  /**
   * Adds the record of `item`; returns false (and counts it) when the buffer is full. Never waits. Throws
   * only what `write` throws (a bug): that record is then counted as dropped and nothing of it is kept.
   */
  push(item: T): boolean {
    if (this.buffered >= this.options.maxBufferedRecords) {
      this.options.onDropped(1);
      return false;
    }
    try {
      this.options.write(this.open, item);
    } catch (err) {
      this.options.onDropped(1);
      throw err;
    }
    this.buffered++;
    if (this.open.records >= this.options.batchSize) {
      this.seal();
      this.schedule();
    }
    return true;
  }

  /** Seals the open batch (if any) and starts a hand-over. */
  flush(): void {
    if (this.open.records > 0) this.seal();
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
    if (this.open.records > 0) this.open.finish();
    return lost;
  }

  /** Encodes the open batch into its final bytes, under a new id kept across retries. */
  private seal(): void {
    const records = this.open.records;
    this.pending.push({ id: `${this.options.idPrefix}:${++this.sequence}`, records, bytes: this.open.finish() });
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
      accepted = await this.options.sink.append(take);
    } catch (err) {
      error = err as Error;
    }
    this.isSending = false;
    let records = 0;
    for (let i = 0; i < accepted; i++) records += take[i]!.records;
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
