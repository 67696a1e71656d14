/** Test helpers of the store (`@tollgate/store/testing`): a private redis-server, batches of older formats. */
export * from './test-redis-server.js';
export { encodeOlderRecordBatch } from './older-batches.js';
