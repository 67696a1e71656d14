export { createRedisClient, waitForReady, type RedisClient, type RedisClientOptions, type StorageOptions } from './redis-client.js';
export { CONFIG_KINDS, keyLayout, type ConfigKind } from './key-layout.js';
export { decodeChangeMessage, type ChangeMessage } from './change-message.js';
export { ConfigStore, type ConfigSnapshot } from './config-store.js';
export { ConfigFeed, type ConfigFeedHandlers, type ConfigFeedLogger, type ConfigFeedOptions } from './config-feed.js';
export { RedisHealth, type HealthReport } from './redis-health.js';
export { ResponseCache, encodeCachedResponse, decodeCachedResponse, type CachedResponse } from './response-cache.js';
export { HostHealthStore, type HostTransition } from './host-health.js';
export { EVENTS_QUEUE, JOBS_PREFIX, webhookJob, webhookJobOptions, type EventMeta, type WebhookJob } from './event-jobs.js';
