import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AnalyticsQueue, createRedisClient, encodeRecordBatch, waitForReady, type RedisClient } from '@tollgate/store';
import { startTestRedis, type TestRedisServer } from '@tollgate/store/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { aggregateBatch } from './aggregate.js';
import { writeHour } from './aggregate-store.js';
import { AnalyticsConsumer } from './consumer.js';
import { createConsumerMetrics } from './metrics.js';
import { hoursBetween, queryAggregates } from './queries.js';
import { testRecord, toTuple } from './test-records.js';

let server: TestRedisServer;
let redis: RedisClient;
const logger = pino({ level: 'silent' });
const DAY = { fromMs: Date.parse('2026-11-23T00:00:00Z'), toMs: Date.parse('2026-11-23T23:59:59Z') };
const options = { ignoreTagPrefixes: ['x-request-id'], trackAllPaths: false };

before(async () => {
  server = await startTestRedis();
  redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:consumer' });
  await waitForReady(redis, 5000);
});
after(async () => {
  redis.disconnect();
  await server.stop();
});
beforeEach(async () => {
  await redis.flushall();
});

function consumer(name = 'c1') {
  const queue = new AnalyticsQueue(redis, { maxQueuedRecords: 1_000_000 });
  const metrics = createConsumerMetrics(new Registry(), () => queue.queuedRecords());
  return { queue, metrics, consumer: new AnalyticsConsumer({ redis, queue, metrics, logger, consumerName: name, ...options }) };
}

describe('aggregates in Redis', () => {
  it('a batch applied twice to the same hour counts once', async () => {
    const { hours } = aggregateBatch([testRecord(), testRecord({ response_code: 500 })].map(toTuple), options);
    const hour = [...hours.values()][0]!;
    assert.equal(await writeHour(redis, 'w:1', hour), true);
    assert.equal(await writeHour(redis, 'w:1', hour), false);
    assert.equal(await writeHour(redis, 'w:2', hour), true);
    const apis = await queryAggregates(redis, 'apiid', DAY);
    assert.equal(apis.a!.hits, 4);
    assert.deepEqual(apis.a!.status_codes, { 200: 2, 500: 2 });
  });

  it('queries merge hours and orgs: sums add, means from sums, extremes kept, last_time newest', async () => {
    const records = [
      testRecord({ latency: { total: 10, upstream: 5, gateway: 5 }, request_time: 10, timestamp: '2026-11-23T10:05:00.000Z' }),
      testRecord({ latency: { total: 30, upstream: 20, gateway: 10 }, request_time: 30, timestamp: '2026-11-23T11:05:00.000Z', org_id: 'o2' }),
      testRecord({ response_code: 429, latency: { total: 1, upstream: 0, gateway: 1 }, request_time: 1, timestamp: '2026-11-23T11:06:00.000Z' }),
    ];
    for (const h of aggregateBatch(records.map(toTuple), options).hours.values()) await writeHour(redis, 'w:1', h);
    const api = (await queryAggregates(redis, 'apiid', DAY)).a!;
    assert.deepEqual(
      [api.hits, api.success, api.error, api.total_latency, api.latency, api.max_latency, api.min_latency, api.upstream_latency, api.last_time],
      [3, 2, 1, 41, 41 / 3, 30, 10, 25 / 3, '2026-11-23T11:06:00.000Z'],
    );
    assert.deepEqual(api.error_map, { 429: 1 });
    assert.deepEqual(api.error_list, [{ Code: '429', Count: 1 }]);
    assert.deepEqual([api.identifier, api.human_identifier], ['a', 'API A']);
    assert.equal((await queryAggregates(redis, 'apiid', { ...DAY, orgId: 'o2' })).a!.hits, 1);
    assert.deepEqual(await queryAggregates(redis, 'apiid', { fromMs: Date.parse('2026-11-24T00:00:00Z'), toMs: Date.parse('2026-11-24T05:00:00Z') }), {});
  });

  it('refuses ranges longer than the bound', () => {
    assert.equal(hoursBetween(0, 3600_000 * 2 - 1).length, 2);
    assert.throws(() => hoursBetween(0, 100 * 86_400_000), RangeError);
  });
});

describe('AnalyticsConsumer', () => {
  it('aggregates what the queue holds and empties it; tags with an ignored prefix stay out of tags only', async () => {
    const { queue, consumer: c, metrics } = consumer();
    const records = Array.from({ length: 25 }, (_, i) => testRecord({ tags: [`x-request-id-${i}`, 'x-team-blue', 'api-a'], response_code: i < 5 ? 502 : 200 }));
    await queue.append([
      { id: 'w:1', records: 20, bytes: encodeRecordBatch(records.slice(0, 20).map(toTuple)) },
      { id: 'w:2', records: 5, bytes: encodeRecordBatch(records.slice(20).map(toTuple)) },
    ]);
    assert.deepEqual(await c.drain(5000), { batches: 2, records: 25 });
    assert.equal(await queue.queuedRecords(), 0);
    const tags = await queryAggregates(redis, 'tags', DAY);
    assert.deepEqual(Object.keys(tags), ['api-a', 'org-o1', 'x-team-blue']);
    assert.deepEqual([tags['x-team-blue']!.hits, tags['x-team-blue']!.error], [25, 5]);
    assert.equal((await metrics.recordsAggregated.get()).values[0]!.value, 25);
  });

  it('a batch appended twice (a gateway retry after a lost reply) is aggregated once', async () => {
    const { queue, consumer: c, metrics } = consumer();
    const batch = { id: 'w:7', records: 3, bytes: encodeRecordBatch([testRecord(), testRecord(), testRecord()].map(toTuple)) };
    await queue.append([batch]);
    await queue.append([batch]);
    assert.deepEqual(await c.drain(5000), { batches: 2, records: 3 });
    assert.equal((await queryAggregates(redis, 'apiid', DAY)).a!.hits, 3);
    assert.equal((await metrics.duplicateBatches.get()).values[0]!.value, 1);
  });

  it('after a crash between aggregating and acknowledging, the redelivered batch is not counted again', async () => {
    const first = consumer('c1');
    await first.queue.ensureGroup();
    const batch = { id: 'w:8', records: 2, bytes: encodeRecordBatch([testRecord(), testRecord()].map(toTuple)) };
    await first.queue.append([batch]);
    const [delivered] = await first.queue.read('c1', 10);
    for (const h of aggregateBatch([testRecord(), testRecord()].map(toTuple), options).hours.values()) await writeHour(redis, delivered!.id, h);
    // c1 "crashed" before its ack; a new consumer with the same name starts with its pending entries.
    const restarted = consumer('c1');
    assert.deepEqual(await restarted.consumer.drain(5000), { batches: 1, records: 0 });
    assert.equal((await queryAggregates(redis, 'apiid', DAY)).a!.hits, 2);
    assert.equal(await restarted.queue.queuedRecords(), 0);
  });

  it('makes the consumer group once, and again when the stream is gone (Redis restarted empty)', async () => {
    const { queue, consumer: c } = consumer();
    const calls: string[] = [];
    const ensureGroup = queue.ensureGroup.bind(queue);
    queue.ensureGroup = () => {
      calls.push('ensureGroup');
      return ensureGroup();
    };
    await queue.append([{ id: 'w:10', records: 1, bytes: encodeRecordBatch([testRecord()].map(toTuple)) }]);
    assert.deepEqual(await c.drain(5000), { batches: 1, records: 1 });
    assert.deepEqual(await c.drain(5000), { batches: 0, records: 0 });
    assert.deepEqual(calls, ['ensureGroup']);
    await redis.flushall();
    await queue.append([{ id: 'w:11', records: 2, bytes: encodeRecordBatch([testRecord(), testRecord()].map(toTuple)) }]);
    assert.deepEqual(await c.drain(5000), { batches: 1, records: 2 });
    assert.deepEqual(calls, ['ensureGroup', 'ensureGroup']);
    assert.equal((await queryAggregates(redis, 'apiid', DAY)).a!.hits, 2);
  });

  it('stops reading when a read gives fewer batches than asked for (the stream was empty)', async () => {
    const { queue, consumer: c } = consumer();
    const reads: string[] = [];
    const read = queue.read.bind(queue);
    queue.read = async (name, count, fromPending) => {
      const got = await read(name, count, fromPending);
      reads.push(`${fromPending ? 'pending' : 'new'}:${got.length}`);
      return got;
    };
    await queue.append(['w:12', 'w:13'].map((id) => ({ id, records: 1, bytes: encodeRecordBatch([testRecord()].map(toTuple)) })));
    assert.deepEqual(await c.drain(5000), { batches: 2, records: 2 });
    assert.deepEqual(reads, ['pending:0', 'new:2']);
  });

  it('an entry that cannot be decoded is counted, removed, and does not block the ones behind it', async () => {
    const { queue, consumer: c, metrics } = consumer();
    await queue.append([
      { id: 'bad', records: 1, bytes: Buffer.from('not msgpack at all') },
      { id: 'w:9', records: 1, bytes: encodeRecordBatch([testRecord()].map(toTuple)) },
    ]);
    assert.deepEqual(await c.drain(5000), { batches: 2, records: 1 });
    assert.equal((await metrics.badBatches.get()).values[0]!.value, 1);
    assert.equal(await queue.queuedRecords(), 0);
  });
});
