import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { decodeCachedResponse, encodeCachedResponse, ResponseCache } from './response-cache.js';
import { startTestRedis, type TestRedisServer } from './test-redis-server.js';

describe('ResponseCache', () => {
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

  const entry = { status: 201, contentType: 'application/json', headers: ['X-Upstream', 'a', 'etag', '"1"'], body: Buffer.from('{"ok":true}') };

  it('round-trips an entry with its TTL under cache-<api_id>:<digest>', async () => {
    const cache = new ResponseCache(redis);
    const key = ResponseCache.key('api1', 'abc');
    assert.equal(key, 'cache-api1:abc');
    await cache.set(key, entry, 30);
    assert.deepEqual(await cache.get(key), entry);
    const ttl = await redis.ttl(key);
    assert.ok(ttl > 0 && ttl <= 30, `ttl ${ttl}`);
    assert.equal(await cache.get('cache-api1:missing'), null);
  });

  it('a zero TTL stores nothing; garbage in Redis reads as a miss', async () => {
    const cache = new ResponseCache(redis);
    await cache.set('cache-api1:zero', entry, 0);
    assert.equal(await redis.exists('cache-api1:zero'), 0);
    await redis.set('cache-api1:junk', 'not msgpack at all');
    assert.equal(await cache.get('cache-api1:junk'), null);
    assert.equal(decodeCachedResponse(encodeCachedResponse(entry).subarray(0, 5)), null);
  });

  it('invalidate removes every entry of one API and nothing of others (glob characters in ids escaped)', async () => {
    const cache = new ResponseCache(redis);
    for (const d of ['1', '2', '3']) await cache.set(ResponseCache.key('inv', d), entry, 60);
    await cache.set(ResponseCache.key('inv2', 'x'), entry, 60);
    await cache.set(ResponseCache.key('in*', 'y'), entry, 60);
    assert.equal(await cache.invalidate('inv'), 3);
    assert.equal(await redis.exists(ResponseCache.key('inv2', 'x')), 1);
    assert.equal(await cache.invalidate('in*'), 1);
    assert.equal(await redis.exists(ResponseCache.key('inv2', 'x')), 1);
  });
});
