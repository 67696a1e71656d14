import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultConfig, type GatewayConfig } from '@tollgate/apidef';
import { analyticsKeys, createRedisClient, decodeRecordBatch, waitForReady, type RedisClient } from '@tollgate/store';
import { startTestRedis, type TestRedisServer } from '@tollgate/store/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createGatewayMetrics } from '../metrics.js';
import { UpstreamPools } from '../proxy/upstream-pools.js';
import { createAnalyticsEmitter } from './emitter.js';
import { errors } from '../errors.js';
import { testContext, testDeps } from './test-context.js';

const pools = new UpstreamPools({ timeoutSeconds: 1 });
let server: TestRedisServer;
let redis: RedisClient;
const logger = pino({ level: 'silent' });

before(async () => {
  server = await startTestRedis();
  redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:emitter', failFast: true });
  await waitForReady(redis, 5000);
});
after(async () => {
  redis.disconnect();
  await server.stop();
  await pools.closeAll();
});

function config(over: Partial<GatewayConfig['analytics_config']> = {}, enabled = true): GatewayConfig {
  const c = defaultConfig();
  return { ...c, enable_analytics: enabled, analytics_config: { ...c.analytics_config, ...over } };
}

async function streamPaths(): Promise<string[]> {
  const entries = await redis.xrangeBuffer(analyticsKeys.stream, '-', '+');
  return entries.flatMap(([, fields]) => decodeRecordBatch(fields[fields.length - 1]!).map((r) => r.original_path));
}

describe('analytics emitter (spec analytics.md §1, §7)', () => {
  it('is off unless enable_analytics', () => {
    assert.equal(createAnalyticsEmitter(config({}, false), { redis, metrics: createGatewayMetrics(new Registry()), logger, workerId: 'w', clientIp: testDeps.clientIp }), null);
  });

  it('records tracked APIs only: nothing for do_not_track, an ignored client IP or a non-error pipeline reply', async () => {
    await redis.flushall();
    const emitter = createAnalyticsEmitter(config({ ignored_ips: ['10.9.9.9'] }), { redis, metrics: createGatewayMetrics(new Registry()), logger, workerId: 'w1', clientIp: testDeps.clientIp })!;
    emitter.emit(testContext(pools, {}, { path: '/a/tracked' }));
    emitter.emit(testContext(pools, { do_not_track: true }, { path: '/a/not-tracked' }));
    emitter.emit(testContext(pools, {}, { path: '/a/ignored-ip', peer: '10.9.9.9' }));
    emitter.emit(testContext(pools, {}, { path: '/a/error', status: 403, error: errors.ipDisallowed }));
    // A pipeline reply that is no error and never went upstream (CORS preflight, mock): no record (§1).
    emitter.emit(testContext(pools, {}, { path: '/a/preflight', status: 200, upstreamSentMs: 0, upstreamHeadMs: 0 }));
    assert.equal(await emitter.stop(2000), 0);
    assert.deepEqual(await streamPaths(), ['/a/tracked', '/a/error']);
    assert.equal(await redis.get(analyticsKeys.queuedRecords), '2');
  });

  it('records a response served from the cache; not a chunked body cut off at max_request_body_size (413)', async () => {
    await redis.flushall();
    const emitter = createAnalyticsEmitter(config(), { redis, metrics: createGatewayMetrics(new Registry()), logger, workerId: 'w4', clientIp: testDeps.clientIp })!;
    const cached = testContext(pools, {}, { path: '/a/cached', upstreamSentMs: 0, upstreamHeadMs: 0 });
    cached.isCachedResponse = true;
    emitter.emit(cached);
    // The body streamed upstream until it crossed the limit: the request is answered 413 and not recorded.
    emitter.emit(testContext(pools, {}, { path: '/a/too-large', status: 413, error: errors.entityTooLarge, upstreamSentMs: 1_001 }));
    assert.equal(await emitter.stop(2000), 0);
    assert.deepEqual(await streamPaths(), ['/a/cached']);
  });

  it('records nothing for a request that matched do_not_track_endpoints; other requests of the API are recorded', async () => {
    await redis.flushall();
    const emitter = createAnalyticsEmitter(config(), { redis, metrics: createGatewayMetrics(new Registry()), logger, workerId: 'w3', clientIp: testDeps.clientIp })!;
    const def = {
      version_data: {
        not_versioned: true,
        versions: { Default: { name: 'Default', use_extended_paths: true, extended_paths: { do_not_track_endpoints: [{ path: '/health', method: 'GET' }] } } },
      },
    };
    emitter.emit(testContext(pools, def, { path: '/a/health' }));
    emitter.emit(testContext(pools, def, { path: '/a/health', method: 'POST' }));
    emitter.emit(testContext(pools, def, { path: '/a/items/1' }));
    assert.equal(await emitter.stop(2000), 0);
    assert.deepEqual(await streamPaths(), ['/a/health', '/a/items/1']);
  });

  it('counts records it could not hand over as dropped in tollgate_analytics_dropped_total', async () => {
    await redis.flushall();
    const metrics = createGatewayMetrics(new Registry());
    // The Redis queue holds 3 records: the rest stay in the worker, which holds 5, so 2 are dropped at once.
    const emitter = createAnalyticsEmitter(config({ max_queued_records: 3, max_buffered_records: 5 }), { redis, metrics, logger, workerId: 'w2', clientIp: testDeps.clientIp })!;
    for (let i = 0; i < 7; i++) emitter.emit(testContext(pools, {}, { path: `/a/${i}` }));
    const lost = await emitter.stop(300);
    const dropped = (await metrics.registry.getSingleMetric('tollgate_analytics_dropped_total')!.get()).values[0]!.value;
    assert.equal(lost, 5, 'the one batch of 5 never fitted into a queue of 3');
    assert.equal(dropped, 7);
    assert.deepEqual(await streamPaths(), []);
  });
});
