import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Every metric of the `tollgate analytics` process, in one place (style.md §12). No labels. */
export interface ConsumerMetrics {
  readonly recordsAggregated: Counter;
  readonly recordsSkipped: Counter;
  readonly batchesConsumed: Counter;
  readonly duplicateBatches: Counter;
  readonly badBatches: Counter;
  readonly drainFailures: Counter;
  readonly drainSeconds: Histogram;
}

/**
 * Declares the consumer metrics in `registry`; `queuedRecords` is read at each scrape.
 *
 * @example
 * const metrics = createConsumerMetrics(new Registry(), () => queue.queuedRecords());
 */
export function createConsumerMetrics(registry: Registry, queuedRecords: () => Promise<number>): ConsumerMetrics {
  const registers = [registry];
  new Gauge({
    name: 'tollgate_analytics_queue_records', help: 'Records waiting in the Redis queue', registers,
    async collect() { this.set(await queuedRecords().catch(() => -1)); },
  });
  return {
    recordsAggregated: new Counter({ name: 'tollgate_analytics_records_aggregated_total', help: 'Records added to the hourly aggregates', registers }),
    recordsSkipped: new Counter({ name: 'tollgate_analytics_records_skipped_total', help: 'Records left out of the aggregates (no org_id, as Tyk Pump, or no readable timestamp)', registers }),
    batchesConsumed: new Counter({ name: 'tollgate_analytics_batches_total', help: 'Record batches consumed from the queue', registers }),
    duplicateBatches: new Counter({ name: 'tollgate_analytics_duplicate_batches_total', help: 'Batches (per hour) delivered again and recognised, not counted twice', registers }),
    badBatches: new Counter({ name: 'tollgate_analytics_bad_batches_total', help: 'Queue entries that could not be decoded (removed)', registers }),
    drainFailures: new Counter({ name: 'tollgate_analytics_drain_failures_total', help: 'Drain jobs that failed (retried by the next one)', registers }),
    drainSeconds: new Histogram({ name: 'tollgate_analytics_drain_seconds', help: 'Duration of one drain job', registers, buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10] }),
  };
}
