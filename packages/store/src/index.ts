export { createRedisClient, waitForReady, type RedisClient, type RedisClientOptions, type StorageOptions } from './redis-client.js';
export { CONFIG_KINDS, keyLayout, limitKeys, type ConfigKind } from './key-layout.js';
export { decodeChangeMessage, type ChangeMessage } from './change-message.js';
export { ConfigStore, type ConfigSnapshot } from './config-store.js';
export { ConfigFeed, type ConfigFeedHandlers, type ConfigFeedLogger, type ConfigFeedOptions } from './config-feed.js';
export { RedisHealth, type HealthReport } from './redis-health.js';
export { LimitStore, LimitOutcome, rateCheck, quotaCheck, counterKeyHash, type LimitCheck, type LimitKind, type LimitStoreOptions } from './limit-store.js';
export { readQuotaCounter, withQuotaRemaining, resetKeyCounters, type QuotaCounter } from './quota-counters.js';
