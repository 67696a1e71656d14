export type { AnalyticsRecord } from '@tollgate/store';
export {
  aggregateBatch, aggregateBatchBytes, aggregateRecords, isTagAggregated, mergeCounter, tagEntry, DIMENSIONS,
  type AggregateEntry, type AggregateOptions, type BatchAggregate, type Counter, type Dimension, type HourAggregate,
} from './aggregate.js';
export { writeHour } from './aggregate-store.js';
export { queryAggregates, hoursBetween, MAX_QUERY_HOURS, type CounterJson, type QueryRange } from './queries.js';
export { AnalyticsConsumer, type ConsumerOptions, type DrainResult } from './consumer.js';
export { createConsumerMetrics, type ConsumerMetrics } from './metrics.js';
export { startAnalyticsService, ignoredTagPrefixes, type AnalyticsService, type AnalyticsServiceOptions } from './service.js';
