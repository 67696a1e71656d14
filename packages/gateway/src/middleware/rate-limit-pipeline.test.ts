import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyPolicies, defaultConfig, type Policy, type SessionState } from '@tollgate/apidef';
import { createRedisClient, keyLayout, waitForReady, type RedisClient } from '@tollgate/store';
import { startTestRedis, type TestRedisServer } from '@tollgate/store/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import { apiDef, MemorySessions, testRequest } from '../auth/testing.js';
import { errors } from '../errors.js';
import { createRateLimitMetrics } from '../limits/limit-metrics.js';
import { Limiter } from '../limits/limiter.js';
import { buildPipeline } from '../pipeline/build-pipeline.js';
import type { Decision } from '../pipeline/decision.js';
import type { Middleware } from '../pipeline/middleware.js';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { runPipeline } from '../pipeline/run-pipeline.js';

/**
 * Per-key limits through the whole chain: the auth token middleware finds the key (policies applied as
 * the session cache does) and sets `ctx.session` / `ctx.sessionKey`; the rate-limit step counts it in
 * Redis. Several limiters on separate connections stand for several workers.
 */
describe('per-key rate limits and quotas behind auth token (pipeline, real Redis)', () => {
  let server: TestRedisServer;
  let redis: RedisClient;
  const policies = new Map<string, Policy>();
  const sessions = new MemorySessions(policies);
  const clients: RedisClient[] = [];

  async function pipeline(workers = 1, apiId = 'api1'): Promise<Array<readonly Middleware[]>> {
    const chains: Array<readonly Middleware[]> = [];
    for (let w = 0; w < workers; w++) {
      const client = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: `test:w${w}`, commandTimeoutMs: 2000, offlineQueue: false, autoPipelining: true });
      client.on('error', () => undefined);
      clients.push(client);
      await waitForReady(client, 5000);
      const config = defaultConfig();
      config.hash_keys = false;
      const limiter = new Limiter({ redis: client, mode: 'closed', logger: pino({ level: 'silent' }), logIntervalMs: 1000, metrics: createRateLimitMetrics(new Registry()) });
      const deps = createPipelineDeps({
        config, logger: pino({ level: 'silent' }), limiter,
        auth: {
          sessions,
          sessionWriter: sessions,
          policies: { get: (id) => policies.get(id), apply: (session, org) => applyPolicies(session, policies, { orgId: org }) },
        },
      });
      chains.push(buildPipeline(apiDef({ api_id: apiId, use_standard_auth: true }), deps));
    }
    return chains;
  }

  const call = async (steps: readonly Middleware[], key: string): Promise<Decision> =>
    runPipeline(testRequest({ headers: { authorization: key } }), steps);

  const key = (id: string, session: SessionState): string => {
    sessions.stored.set(id, { org_id: 'org1', access_rights: { api1: { api_id: 'api1', versions: ['Default'] } }, ...session });
    return id;
  };

  before(async () => {
    server = await startTestRedis();
    redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:check' });
  });
  after(async () => {
    clients.forEach((c) => c.disconnect());
    redis.disconnect();
    await server.stop();
  });

  it('the key\'s own rate: 429 past it, other keys unaffected; quota: 403 past it', async () => {
    const [steps] = await pipeline();
    const fast = key('key-rate-1', { rate: 2, per: 60, quota_max: -1 });
    assert.equal(await call(steps!, fast), undefined);
    assert.equal(await call(steps!, fast), undefined);
    assert.equal(await call(steps!, fast), errors.rateLimited);
    const other = key('key-rate-2', { rate: 2, per: 60, quota_max: -1 });
    assert.equal(await call(steps!, other), undefined);
    const quota = key('key-quota-1', { rate: 0, per: 0, quota_max: 1, quota_renewal_rate: 60 });
    assert.equal(await call(steps!, quota), undefined);
    assert.equal(await call(steps!, quota), errors.quotaExceeded);
    assert.equal(await redis.get(keyLayout.quotaCounter('', quota)), '1', 'counter named by the storage id the auth step set');
  });

  it('limits from a per_api policy apply per key, scoped by the API (allowance_scope)', async () => {
    policies.set('gold', {
      id: 'gold', org_id: 'org1', partitions: { per_api: true },
      access_rights: { api1: { api_id: 'api1', versions: ['Default'], limit: { rate: 1, per: 60, quota_max: 10, quota_renewal_rate: 60 } } },
    });
    const [steps] = await pipeline();
    const a = key('key-gold-a', { apply_policies: ['gold'] });
    const b = key('key-gold-b', { apply_policies: ['gold'] });
    assert.equal(await call(steps!, a), undefined);
    assert.equal(await call(steps!, a), errors.rateLimited);
    assert.equal(await call(steps!, b), undefined);
    assert.equal(await redis.llen(keyLayout.rateCounter('api1', a)), 1);
    assert.equal(await redis.get(keyLayout.quotaCounter('api1', a)), '1');
  });

  it('one policy granting two APIs: one quota and one rate shared by both (same scope = same counters)', async () => {
    const rights = { api1: { api_id: 'api1', versions: ['Default'] }, api2: { api_id: 'api2', versions: ['Default'] } };
    policies.set('shared', { id: 'shared', org_id: 'org1', rate: 100, per: 60, quota_max: 4, quota_renewal_rate: 3600, access_rights: rights });
    const [one] = await pipeline(1, 'api1');
    const [two] = await pipeline(1, 'api2');
    const k = key('key-shared', { apply_policies: ['shared'], access_rights: rights });
    const decisions = await Promise.all(Array.from({ length: 8 }, (_, i) => call(i % 2 === 0 ? one! : two!, k)));
    assert.equal(decisions.filter((d) => d === undefined).length, 4, 'a quota of 4 over two APIs admits 4, not 8');
    assert.equal(decisions.filter((d) => d === errors.quotaExceeded).length, 4);
    assert.equal(await redis.get(keyLayout.quotaCounter('', k)), '4', "the key's own counter");
    assert.equal(await redis.exists(keyLayout.quotaCounter('api1', k), keyLayout.quotaCounter('api2', k)), 0, 'no per-API counters');
    assert.equal(await redis.llen(keyLayout.rateCounter('', k)), 4, 'one rate counter for both APIs');
  });

  it('an admitted request carries its quota unit; a refund gives it back in Redis, once; a refused one carries none', async () => {
    const [steps] = await pipeline();
    const k = key('key-refund', { rate: 0, per: 0, quota_max: 2, quota_renewal_rate: 60 });
    const counter = keyLayout.quotaCounter('', k);
    const ctx = testRequest({ headers: { authorization: k } });
    assert.equal(await runPipeline(ctx, steps!), undefined);
    assert.equal(await redis.get(counter), '1');
    assert.notEqual(ctx.quotaCharge, null);
    ctx.refundQuota();
    ctx.refundQuota();
    for (let i = 0; i < 100 && (await redis.get(counter)) !== '0'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await redis.get(counter), '0', 'one unit back (the refund script runs asynchronously)');
    assert.ok(Number(await redis.pttl(counter)) > 0, 'the period is kept');
    assert.equal(await call(steps!, k), undefined);
    assert.equal(await call(steps!, k), undefined, 'the refunded unit admits one more request');
    const refused = testRequest({ headers: { authorization: k } });
    assert.equal(await runPipeline(refused, steps!), errors.quotaExceeded);
    assert.equal(refused.quotaCharge, null);
  });

  it('a quota of 100 under 300 concurrent requests on 4 workers admits exactly 100', async () => {
    const chains = await pipeline(4);
    const k = key('key-quota-100', { rate: 0, per: 0, quota_max: 100, quota_renewal_rate: 3600 });
    const decisions = await Promise.all(Array.from({ length: 300 }, (_, i) => call(chains[i % 4]!, k)));
    assert.equal(decisions.filter((d) => d === undefined).length, 100);
    assert.equal(decisions.filter((d) => d === errors.quotaExceeded).length, 200);
    assert.equal(await redis.get(keyLayout.quotaCounter('', k)), '100');
  });

  it('a key rate of 50 per 10 s under 200 concurrent requests on 4 workers admits exactly 50', async () => {
    const chains = await pipeline(4);
    const k = key('key-rate-50', { rate: 50, per: 10, quota_max: -1 });
    const decisions = await Promise.all(Array.from({ length: 200 }, (_, i) => call(chains[i % 4]!, k)));
    assert.equal(decisions.filter((d) => d === undefined).length, 50);
    assert.equal(decisions.filter((d) => d === errors.rateLimited).length, 150);
  });
});
