import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AnalyticsQueue } from './analytics-queue.js';
import { decodeRecordBatch, encodeRecordBatch, ZERO_GEO, ZERO_NETWORK, type AnalyticsRecord } from './analytics-record.js';
import { analyticsKeys, hourBucket } from './key-layout.js';
import { createRedisClient, waitForReady, type RedisClient } from './redis-client.js';
import { startTestRedis, type TestRedisServer } from './test-redis-server.js';

let server: TestRedisServer;
let redis: RedisClient;

before(async () => {
  server = await startTestRedis();
  redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:analytics-queue' });
  await waitForReady(redis, 5000);
});
after(async () => {
  redis.disconnect();
  await server.stop();
});
beforeEach(async () => {
  await redis.flushall();
});

function record(overrides: Partial<AnalyticsRecord> = {}): AnalyticsRecord {
  return {
    method: 'GET', host: 'up:80', path: '/x', raw_path: '/x', original_path: '/a/x', listen_path: '/a/', content_length: -1,
    user_agent: 'ua', day: 23, month: 11, year: 2026, hour: 12, response_code: 200, api_key: '', timestamp: '2026-11-23T12:00:00.000Z',
    api_version: 'Non Versioned', api_name: 'A', api_id: 'a', org_id: 'o', oauth_id: '', request_time: 3,
    latency: { total: 3, upstream: 2, gateway: 1 }, raw_request: '', raw_response: '', ip_address: '127.0.0.1', geo: ZERO_GEO,
    network: ZERO_NETWORK, tags: ['api-a'], alias: '', track_path: false, expireAt: '2126-11-23T12:00:00.000Z', ...overrides,
  };
}

const batch = (id: string, n: number) => ({ id, records: n, bytes: encodeRecordBatch(Array.from({ length: n }, (_, i) => record({ path: `/${i}` }))) });

describe('analytics record codec', () => {
  it('round-trips a batch with every field', () => {
    const records = [record(), record({ response_code: 503, tags: ['x-team-blue', 'api-a'] })];
    assert.deepEqual(decodeRecordBatch(encodeRecordBatch(records)), records);
  });

  it('rejects bytes that are not a batch of records, naming what is wrong', () => {
    assert.throws(() => decodeRecordBatch(encodeRecordBatch([{ ...record(), response_code: 'x' } as unknown as AnalyticsRecord])), /response_code/);
    assert.throws(() => decodeRecordBatch(Buffer.from([0xc1])), Error);
  });

  it('hour buckets are UTC YYYYMMDDHH', () => {
    assert.equal(hourBucket(Date.parse('2026-01-02T03:59:59.999Z')), '2026010203');
  });
});

describe('AnalyticsQueue', () => {
  it('appends batches, reads them through the group and acknowledges them (queue counter back to 0)', async () => {
    const queue = new AnalyticsQueue(redis, { maxQueuedRecords: 1000 });
    await queue.ensureGroup();
    assert.equal(await queue.append([batch('w:1', 3), batch('w:2', 2)]), 2);
    assert.equal(await queue.queuedRecords(), 5);
    const got = await queue.read('c1', 10);
    assert.deepEqual(got.map((b) => [b.id, b.records, decodeRecordBatch(b.bytes).length]), [['w:1', 3, 3], ['w:2', 2, 2]]);
    assert.equal(await queue.ack(got), 2);
    assert.equal(await queue.ack(got), 0, 'a second ack changes nothing');
    assert.equal(await queue.queuedRecords(), 0);
    assert.equal(await redis.xlen(analyticsKeys.stream), 0);
  });

  it('refuses appends past the bound, in order, instead of trimming', async () => {
    const queue = new AnalyticsQueue(redis, { maxQueuedRecords: 5 });
    assert.equal(await queue.append([batch('w:1', 3), batch('w:2', 3), batch('w:3', 1)]), 1);
    assert.equal(await queue.queuedRecords(), 3);
    assert.equal(await redis.xlen(analyticsKeys.stream), 1);
  });

  it('gives a consumer its unacknowledged batches again, and lets another take them over once stale', async () => {
    const queue = new AnalyticsQueue(redis, { maxQueuedRecords: 1000 });
    await queue.ensureGroup();
    await queue.append([batch('w:1', 1)]);
    assert.equal((await queue.read('c1', 10)).length, 1);
    assert.equal((await queue.read('c1', 10)).length, 0, 'nothing new');
    assert.deepEqual((await queue.read('c1', 10, true)).map((b) => b.id), ['w:1']);
    const claimed = await queue.claimStale('c2', 0, 10);
    assert.deepEqual(claimed.map((b) => b.id), ['w:1']);
    assert.equal(await queue.ack(claimed), 1);
    assert.equal((await queue.read('c1', 10, true)).length, 0);
  });
});
