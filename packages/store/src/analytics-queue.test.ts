import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AnalyticsQueue } from './analytics-queue.js';
import { decodeRecordBatch, encodeRecordBatch, type RecordApiInfo, type RecordTuple } from './analytics-record.js';
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

const API: RecordApiInfo = { apiId: 'a', apiName: 'API A', orgId: 'o', listenPath: '/a/', tags: ['public'], expireAfterMs: 60_000 };
const T0 = Date.parse('2026-11-23T12:00:00.000Z');

function tuple(over: { path?: string; status?: number; tags?: string[]; apiKey?: string } = {}): RecordTuple {
  return [API, 'GET', 'up:80', over.path ?? '/x', `/a${over.path ?? '/x'}`, -1, 'ua', T0, over.status ?? 200, over.apiKey ?? '', '', 3, 2,
    '127.0.0.1', over.tags ?? [], '', false, '', over.path ?? '/x'];
}

const batch = (id: string, n: number) => ({ id, records: n, bytes: encodeRecordBatch(Array.from({ length: n }, (_, i) => tuple({ path: `/${i}` }))) });

describe('analytics record codec', () => {
  it('expands a queued batch into full records (spec analytics.md §2), tags in the order of §3', () => {
    const [r] = decodeRecordBatch(encodeRecordBatch([tuple({ status: 503, tags: ['x-team-blue'], apiKey: 'h1' })], 60));
    assert.deepEqual(r, {
      method: 'GET', host: 'up:80', path: '/x', raw_path: '/x', original_path: '/a/x', listen_path: '/a/', content_length: -1,
      user_agent: 'ua', day: 23, month: 11, year: 2026, hour: 13, response_code: 503, api_key: 'h1', timestamp: '2026-11-23T12:00:00.000Z',
      api_version: 'Non Versioned', api_name: 'API A', api_id: 'a', org_id: 'o', oauth_id: '', request_time: 3,
      latency: { total: 3, upstream: 2, gateway: 1 }, raw_request: '', raw_response: '', ip_address: '127.0.0.1',
      geo: { country: { iso_code: '' }, city: { geoname_id: 0, names: {} }, location: { latitude: 0, longitude: 0, time_zone: '' } },
      network: { open_connections: 0, closed_connections: 0, bytes_in: 0, bytes_out: 0 },
      tags: ['x-team-blue', 'public', 'key-h1', 'org-o', 'api-a'], alias: '', track_path: false, expireAt: '2026-11-23T12:01:00.000Z',
    });
  });

  it('sends the fields of each API once per batch', () => {
    const one = encodeRecordBatch([tuple()]).length;
    const many = encodeRecordBatch(Array.from({ length: 100 }, () => tuple())).length;
    assert.ok(many < one * 100 * 0.7, `${many} bytes for 100 records, ${one} for 1`);
  });

  it('rejects bytes that are not a batch, naming what is wrong', () => {
    const bad = encodeRecordBatch([tuple()]);
    assert.throws(() => decodeRecordBatch(Buffer.from([0xc1])), Error);
    assert.throws(() => decodeRecordBatch(Buffer.from([0x93, 1, 0, 0x90])), /not \[version, tz offset, apis, records\]/);
    assert.throws(() => decodeRecordBatch(Buffer.concat([bad.subarray(0, 1), Buffer.from([5]), bad.subarray(2)])), /unknown version 5/);
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
