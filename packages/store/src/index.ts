export { createRedisClient, waitForReady, type RedisClient, type RedisClientOptions, type StorageOptions } from './redis-client.js';
export { ADMIN_API_ENDPOINT, CONFIG_KINDS, endpointId, keyLayout, limitKeys, type ConfigKind } from './key-layout.js';
export { decodeChangeMessage, type ChangeMessage } from './change-message.js';
export { ConfigStore, type ConfigSnapshot } from './config-store.js';
export { ConfigFeed, type ConfigFeedHandlers, type ConfigFeedLogger, type ConfigFeedOptions } from './config-feed.js';
export { RedisHealth, type HealthReport } from './redis-health.js';
export { analyticsKeys, hourBucket } from './key-layout.js';
export { defineScripts, type TollgateCommands } from './scripts.js';
export {
  RecordBatchWriter, encodeRecordBatch, decodeRecordBatch, decodeRecordTuples, expandRecord, ZERO_GEO, ZERO_NETWORK,
  type AnalyticsRecord, type RecordApiInfo, type RecordTuple, type RecordLatency, type RecordGeo, type RecordNetwork,
} from './analytics-record.js';
export { RecordBatchReader } from './record-batch-reader.js';
export { TupleCursor, type QueuedRecord, type RecordCursor } from './record-cursor.js';
export { AnalyticsQueue, type AnalyticsQueueOptions, type QueuedBatch, type StreamBatch } from './analytics-queue.js';
export { ResponseCache, encodeCachedResponse, decodeCachedResponse, type CachedResponse } from './response-cache.js';
export { HostHealthStore, type HostTransition } from './host-health.js';
export { EVENTS_QUEUE, JOBS_PREFIX, webhookJob, webhookJobOptions, type EventMeta, type WebhookJob } from './event-jobs.js';
export { counterIdentity } from './key-layout.js';
export { SessionStore, decodeKeyChange, decodeJwksFlush, type JwksFlush, type KeyChange, type SessionList, type SessionListOptions } from './session-store.js';
export { KeyChangeFeed, type KeyChangeFeedOptions } from './key-change-feed.js';
export { LimitStore, LimitOutcome, rateCheck, quotaCheck, type LimitCallback, type LimitCheck, type LimitKind, type LimitStoreOptions } from './limit-store.js';
export { readQuotaCounter, withQuotaRemaining, type QuotaCounter } from './quota-counters.js';
export { rateCounterState, readLimitCounters, type EndpointCounterView, type LimitCountersView, type QuotaCounterView, type RateCounterView } from './limit-counters.js';
export * from './certs/index.js';
