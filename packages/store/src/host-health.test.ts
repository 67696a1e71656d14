import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { HostHealthStore } from './host-health.js';
import { startTestRedis, type TestRedisServer } from './test-redis-server.js';

describe('HostHealthStore', () => {
  let server: TestRedisServer;
  let redis: Redis;
  before(async () => {
    server = await startTestRedis();
    redis = new Redis({ host: '127.0.0.1', port: server.port });
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('a host goes down after `threshold` consecutive failures and up at its first success', async () => {
    const health = new HostHealthStore(redis);
    assert.equal(await health.record('h:1', false, 3, 1), null);
    assert.equal(await health.record('h:1', false, 3, 2), null);
    assert.deepEqual(await health.downHosts(), []);
    assert.equal(await health.record('h:1', false, 3, 3), 'down');
    assert.equal(await health.record('h:1', false, 3, 4), null, 'already down: no new transition');
    assert.deepEqual(await health.downHosts(), ['h:1']);
    assert.equal(await health.record('h:1', true, 3, 5), 'up');
    assert.deepEqual(await health.downHosts(), []);
    assert.equal(await health.record('h:1', true, 3, 6), null);
  });

  it('a success resets the failure count', async () => {
    const health = new HostHealthStore(redis);
    await health.record('h:2', false, 2, 1);
    await health.record('h:2', true, 2, 2);
    assert.equal(await health.record('h:2', false, 2, 3), null);
    assert.equal(await health.record('h:2', false, 2, 4), 'down');
  });
});
