import { AnalyticsQueue, type RedisClient, type StreamBatch } from '@tollgate/store';
import type { Logger } from 'pino';
import { aggregateBatchBytes, type AggregateOptions, type BatchAggregate } from './aggregate.js';
import { writeHour } from './aggregate-store.js';
import type { ConsumerMetrics } from './metrics.js';

export interface ConsumerOptions extends AggregateOptions {
  readonly redis: RedisClient;
  readonly queue: AnalyticsQueue;
  /** Name in the consumer group; unique per process. */
  readonly consumerName: string;
  readonly metrics: ConsumerMetrics;
  readonly logger: Logger;
  /** Batches read per call. */
  readonly readCount?: number;
  /** A batch given to another consumer and not acknowledged for this long is taken over (it died). */
  readonly claimIdleMs?: number;
}

export interface DrainResult {
  readonly batches: number;
  readonly records: number;
}

/**
 * Reads record batches from the queue's consumer group, aggregates them per hour and acknowledges them.
 * Aggregation is applied before the acknowledgement and is idempotent per (batch, hour), so a crash in
 * between, a second consumer, or a batch the gateway appended twice never counts a record twice.
 *
 * @example
 * const consumer = new AnalyticsConsumer({ redis, queue, consumerName: 'host:123', metrics, logger,
 *   ignoreTagPrefixes: [], trackAllPaths: false });
 * await consumer.drain(10_000);
 */
export class AnalyticsConsumer {
  private hasReadPending = false;
  /** Whether the consumer group is known to exist (made sure of once, not on every drain). */
  private hasGroup = false;

  constructor(private readonly options: ConsumerOptions) {}

  /** Consumes until the queue is empty or `maxMs` has passed. */
  async drain(maxMs: number): Promise<DrainResult> {
    const { queue } = this.options;
    if (!this.hasGroup) {
      await queue.ensureGroup();
      this.hasGroup = true;
    }
    try {
      return await this.drainGroup(maxMs);
    } catch (err) {
      if (!/NOGROUP/.test((err as Error).message)) throw err;
      // The stream and its group are gone (deleted, or Redis restarted empty): made again, then drained.
      await queue.ensureGroup();
      return await this.drainGroup(maxMs);
    }
  }

  private async drainGroup(maxMs: number): Promise<DrainResult> {
    const { queue, consumerName } = this.options;
    const count = this.options.readCount ?? 20;
    const deadline = Date.now() + maxMs;
    let batches = 0;
    let records = 0;
    if (!this.hasReadPending) {
      // After a restart: what this consumer was given before and had not acknowledged comes first.
      for (let got = await queue.read(consumerName, count, true); got.length > 0; got = await queue.read(consumerName, count, true)) {
        records += await this.consume(got);
        batches += got.length;
        if (Date.now() > deadline) return { batches, records };
      }
      this.hasReadPending = true;
    }
    const stale = await queue.claimStale(consumerName, this.options.claimIdleMs ?? 60_000, count);
    if (stale.length > 0) {
      records += await this.consume(stale);
      batches += stale.length;
    }
    while (Date.now() < deadline) {
      const got = await queue.read(consumerName, count);
      if (got.length === 0) break;
      records += await this.consume(got);
      batches += got.length;
      // Fewer than asked for: the stream was empty; what was appended since waits for the next drain.
      if (got.length < count) break;
    }
    return { batches, records };
  }

  /**
   * Aggregates then acknowledges; resolves with the records newly aggregated. The batches' writes go out
   * together (one round trip for the read's batches, not one per batch and hour: each write is a script
   * call that is idempotent on its own); the acknowledgement waits for all of them, so a failed write
   * leaves every batch of the read to be delivered again.
   */
  private async consume(batches: readonly StreamBatch[]): Promise<number> {
    const { metrics } = this.options;
    const applied: Promise<number>[] = [];
    for (const batch of batches) applied.push(this.apply(batch));
    let aggregated = 0;
    for (const n of await Promise.all(applied)) aggregated += n;
    await this.options.queue.ack(batches);
    metrics.batchesConsumed.inc(batches.length);
    return aggregated;
  }

  private async apply(batch: StreamBatch): Promise<number> {
    const { metrics, logger, redis } = this.options;
    if (batch.bytes.length === 0) return 0; // deleted while pending: nothing left to aggregate
    let aggregate: BatchAggregate;
    try {
      // Decoded as it is aggregated: a bad record anywhere throws before anything is written.
      aggregate = aggregateBatchBytes(batch.bytes, this.options);
    } catch (err) {
      // A poison entry must not block the queue: counted, logged, acknowledged with the rest.
      metrics.badBatches.inc();
      logger.error({ entry: batch.entryId, batch: batch.id, err: (err as Error).message }, 'analytics batch skipped: cannot decode');
      return 0;
    }
    const { hours, skipped } = aggregate;
    if (skipped > 0) metrics.recordsSkipped.inc(skipped);
    const writes: Promise<number>[] = [];
    for (const hour of hours.values()) {
      let n = 0;
      for (const e of hour.entries.values()) if (e.dimension === 'total') n += e.counter.hits;
      writes.push(writeHour(redis, batch.id || batch.entryId, hour).then((isNew) => {
        if (isNew) return n;
        metrics.duplicateBatches.inc();
        return 0;
      }));
    }
    let aggregated = 0;
    for (const n of await Promise.all(writes)) aggregated += n;
    metrics.recordsAggregated.inc(aggregated);
    return aggregated;
  }
}
