import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultConfig, type ApiDefinition, type CacheOptions } from '@tollgate/apidef';
import { createRedisClient, ResponseCache, type RedisClient } from '@tollgate/store';
import { startTestRedis, type TestRedisServer } from '@tollgate/store/testing';
import pino from 'pino';
import type { Reply } from '../pipeline/decision.js';
import type { Middleware } from '../pipeline/middleware.js';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { RequestContext } from '../pipeline/request-context.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import { storePolicy, toCacheEntry } from './response-capture.js';
import { createResponseCache, replyFromCache } from './response-cache.js';

const raw = (...pairs: string[]): Buffer[] => pairs.map((p) => Buffer.from(p));

describe('toCacheEntry (what is kept, for how long)', () => {
  const body = Buffer.from('x');
  it('keeps every status without cache_response_codes, only the listed ones with it', () => {
    assert.ok(toCacheEntry(storePolicy({}), 500, [], body));
    assert.equal(toCacheEntry(storePolicy({ cache_response_codes: [200] }), 404, [], body), null);
    assert.equal(toCacheEntry(storePolicy({ cache_response_codes: [200] }), 200, [], body)!.ttl, 60);
  });
  it('drops hop-by-hop, Date and Content-Length, keeps Content-Type apart', () => {
    const { entry } = toCacheEntry(storePolicy({ cache_timeout: 5 }), 200,
      raw('Content-Type', 'text/plain', 'Content-Length', '1', 'Date', 'x', 'Connection', 'keep-alive', 'ETag', '"a"'), body)!;
    assert.equal(entry.contentType, 'text/plain');
    assert.deepEqual(entry.headers, ['ETag', '"a"']);
  });
  it('upstream cache control: needs x-tyk-cache-action-set; the TTL header wins when an integer', () => {
    const policy = storePolicy({ enable_upstream_cache_control: true, cache_timeout: 10 });
    assert.equal(toCacheEntry(policy, 200, [], body), null);
    assert.equal(toCacheEntry(policy, 200, raw('x-tyk-cache-action-set', '1'), body)!.ttl, 10);
    assert.equal(toCacheEntry(policy, 200, raw('x-tyk-cache-action-set', '1', 'X-Tyk-Cache-Action-Set-Ttl', '3'), body)!.ttl, 3);
    const custom = storePolicy({ enable_upstream_cache_control: true, cache_control_ttl_header: 'X-TTL' });
    assert.equal(toCacheEntry(custom, 200, raw('x-tyk-cache-action-set', '1', 'x-ttl', '7'), body)!.ttl, 7);
  });
});

describe('replyFromCache', () => {
  it('carries the key\'s quota headers (a cached answer counts as one that reached the upstream, §8), not the stored copies', () => {
    const ctx = new RequestContext({} as CompiledApi, 'GET', '/a/x', '', 3, ['host', 'h'], '127.0.0.1', {} as UpstreamTarget, 0);
    ctx.quotaHeaders = ['X-RateLimit-Limit', '10', 'X-RateLimit-Remaining', '7', 'X-RateLimit-Reset', '99'];
    const hit = { status: 200, contentType: 'text/plain', body: Buffer.from('x'), headers: ['x-ratelimit-remaining', '8', 'ETag', '"a"'] };
    assert.deepEqual(replyFromCache(hit, ctx).headers, [
      'ETag', '"a"', 'x-tyk-cached-response', '1', 'X-RateLimit-Limit', '10', 'X-RateLimit-Remaining', '7', 'X-RateLimit-Reset', '99',
    ]);
  });
});

describe('createResponseCache (real Redis)', () => {
  let server: TestRedisServer;
  let redis: RedisClient;
  let deps: ReturnType<typeof createPipelineDeps>;
  before(async () => {
    server = await startTestRedis();
    redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test' });
    deps = createPipelineDeps({ config: defaultConfig(), logger: pino({ level: 'silent' }), responseCache: new ResponseCache(redis) });
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  const api = { apiId: 'c1' } as CompiledApi;
  const request = (method: string, path: string, headers: string[] = [], peer = '10.0.0.1'): RequestContext =>
    new RequestContext(api, method, path, '', 4, ['host', 'h', ...headers], peer, {} as UpstreamTarget, 0);
  const def = (cache: CacheOptions, extra: Partial<ApiDefinition> = {}): ApiDefinition => ({
    api_id: 'c1', proxy: { listen_path: '/api' }, cache_options: { enable_cache: true, ...cache }, version_data: { not_versioned: true, versions: { Default: {} } }, ...extra,
  });
  /** Runs the step; on a miss, plays the upstream response into the capture and waits for the write. */
  async function roundTrip(step: Middleware, ctx: RequestContext, status = 200, headers: string[] = ['Content-Type', 'text/plain', 'ETag', '"v1"']): Promise<Reply | undefined> {
    const decision = await step(ctx);
    if (decision !== undefined || ctx.cacheCapture === null) return decision;
    ctx.cacheCapture.push(Buffer.from(`body of ${ctx.path}`));
    ctx.cacheCapture.complete(status, raw(...headers));
    for (let i = 0; i < 50 && (await redis.keys('cache-c1:*')).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    return undefined;
  }

  it('is off without enable_cache, and with nothing cacheable', () => {
    assert.equal(createResponseCache(def({ enable_cache: false, cache_all_safe_requests: true }), deps), null);
    assert.equal(createResponseCache(def({}), deps), null);
  });

  it('a miss is captured and stored; the next identical request is answered from Redis, marked', async () => {
    await redis.flushall();
    const step = createResponseCache(def({ cache_all_safe_requests: true, cache_timeout: 30 }), deps)!;
    assert.equal(await roundTrip(step, request('GET', '/api/a')), undefined);
    const hit = (await step(request('GET', '/api/a'))) as Reply;
    assert.equal(hit.status, 200);
    assert.equal(hit.body.toString(), 'body of /api/a');
    assert.equal(hit.contentType, 'text/plain');
    assert.deepEqual(hit.headers, ['ETag', '"v1"', 'x-tyk-cached-response', '1']);
    const keys = await redis.keys('cache-c1:*');
    assert.equal(keys.length, 1);
    assert.ok((await redis.ttl(keys[0]!)) <= 30);
  });

  it('callers (by session key, else IP), paths and methods do not share entries; unsafe methods are never cached', async () => {
    await redis.flushall();
    const step = createResponseCache(def({ cache_all_safe_requests: true }), deps)!;
    await roundTrip(step, request('GET', '/api/a'));
    assert.equal(await step(request('GET', '/api/a', [], '10.0.0.2')), undefined, 'another client IP');
    const keyed = request('GET', '/api/a');
    keyed.sessionKey = 'k1';
    assert.equal(await step(keyed), undefined, 'another caller key');
    assert.equal(await step(request('GET', '/api/b')), undefined);
    assert.equal(await step(request('HEAD', '/api/a')), undefined);
    const post = request('POST', '/api/a');
    assert.equal(await step(post), undefined);
    assert.equal(post.cacheCapture, null);
  });

  it('cache_by_headers makes separate entries; If-None-Match with the ETag gives 304', async () => {
    await redis.flushall();
    const step = createResponseCache(def({ cache_all_safe_requests: true, cache_by_headers: ['X-Tenant'] }), deps)!;
    await roundTrip(step, request('GET', '/api/a', ['x-tenant', 't1']));
    assert.equal(await step(request('GET', '/api/a', ['x-tenant', 't2'])), undefined);
    const notModified = (await step(request('GET', '/api/a', ['x-tenant', 't1', 'if-none-match', '"v1"']))) as Reply;
    assert.equal(notModified.status, 304);
  });

  it('cache_response_codes: other statuses are not stored', async () => {
    await redis.flushall();
    const step = createResponseCache(def({ cache_all_safe_requests: true, cache_response_codes: [200] }), deps)!;
    const ctx = request('GET', '/api/a');
    await step(ctx);
    ctx.cacheCapture!.complete(404, []);
    // Writes go out in order on one connection: once a later 200 is stored, a 404 write would be too.
    await roundTrip(step, request('GET', '/api/b'));
    assert.equal((await redis.keys('cache-c1:*')).length, 1);
    assert.equal(await step(request('GET', '/api/a')), undefined);
  });

  it('without cache_all_safe_requests only extended_paths.cache patterns are cached', async () => {
    await redis.flushall();
    const step = createResponseCache(def({}, {
      version_data: { not_versioned: true, versions: { Default: { use_extended_paths: true, extended_paths: { cache: ['/cached/'] } } } },
    }), deps)!;
    const other = request('GET', '/api/other');
    assert.equal(await step(other), undefined);
    assert.equal(other.cacheCapture, null);
    const listed = request('GET', '/api/cached/1');
    await step(listed);
    assert.notEqual(listed.cacheCapture, null);
  });
});
