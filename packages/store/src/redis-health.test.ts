import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRedisClient, waitForReady, type RedisClient } from './redis-client.js';
import { RedisHealth } from './redis-health.js';
import { startTestRedis, type TestRedisServer } from './test-redis-server.js';

describe('RedisHealth', () => {
  let server: TestRedisServer;
  let redis: RedisClient;

  before(async () => {
    server = await startTestRedis();
    // A short command timeout so a ping to a stopped server fails promptly.
    redis = createRedisClient({ host: '127.0.0.1', port: server.port, timeout: 0.5 }, { name: 'test:health' });
    redis.on('error', () => undefined);
    await waitForReady(redis, 5000);
  });

  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  const options = { intervalMs: 60_000, version: '1.2.3', description: 'tollgate test' };

  it('reports fail before the first check', () => {
    const health = new RedisHealth(redis, options);
    const report = health.report();
    assert.equal(report.status, 'fail');
    assert.equal(report.details.redis.output, 'not checked yet');
    assert.equal(health.isRedisUp, false);
  });

  it('reports pass in Tyk health shape while Redis answers', async () => {
    const health = new RedisHealth(redis, options);
    await health.check();
    const report = health.report();
    assert.equal(health.isRedisUp, true);
    assert.equal(report.status, 'pass');
    assert.equal(report.version, '1.2.3');
    assert.equal(report.description, 'tollgate test');
    assert.equal(report.details.redis.status, 'pass');
    assert.equal(report.details.redis.componentType, 'datastore');
    assert.equal('output' in report.details.redis, false);
    assert.ok(!Number.isNaN(Date.parse(report.details.redis.time)));
  });

  it('start() checks at once, without waiting for the interval', async () => {
    const health = new RedisHealth(redis, options);
    health.start();
    try {
      while (!health.isRedisUp) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(health.report().status, 'pass');
    } finally {
      health.stop();
    }
  });

  it('reports fail with the error once the server is stopped, and pass again after it returns', async () => {
    const health = new RedisHealth(redis, options);
    await health.check();
    assert.equal(health.report().status, 'pass');

    await server.stop();
    await health.check();
    const down = health.report();
    assert.equal(down.status, 'fail');
    assert.equal(down.details.redis.status, 'fail');
    assert.equal(typeof down.details.redis.output, 'string');
    assert.ok(down.details.redis.output!.length > 0);
    assert.equal(health.isRedisUp, false);

    server = await startTestRedis({ port: server.port });
    await waitForReady(redis, 10_000);
    await health.check();
    assert.equal(health.report().status, 'pass');
    assert.equal(health.report().details.redis.output, undefined);
  });
});
