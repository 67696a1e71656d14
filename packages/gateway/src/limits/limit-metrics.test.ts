import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createRateLimitMetrics } from './limit-metrics.js';

async function values(registry: Registry, name: string): Promise<Array<{ labels: Record<string, unknown>; value: number }>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []).map((v) => ({ labels: { ...v.labels }, value: v.value }));
}

describe('createRateLimitMetrics', () => {
  it('counts decisions per limit and outcome, handed to prom-client at each collection', async () => {
    const registry = new Registry();
    const metrics = createRateLimitMetrics(registry);
    metrics.admitted('quota');
    metrics.admitted('quota');
    metrics.limited('key_rate');
    const first = await values(registry, 'tollgate_rate_limit_decisions_total');
    assert.deepEqual(first.sort((a, b) => String(a.labels.limit).localeCompare(String(b.labels.limit))), [
      { labels: { limit: 'key_rate', outcome: 'limited' }, value: 1 },
      { labels: { limit: 'quota', outcome: 'admitted' }, value: 2 },
    ]);
    metrics.admitted('quota');
    const second = await values(registry, 'tollgate_rate_limit_decisions_total');
    assert.equal(second.find((v) => v.labels.limit === 'quota')!.value, 3, 'counters accumulate across collections');
  });

  it('counts degraded decisions, Redis errors and refunds', async () => {
    const registry = new Registry();
    const metrics = createRateLimitMetrics(registry);
    metrics.degraded('local', 'limited');
    metrics.redisError();
    metrics.refund();
    metrics.refund();
    assert.deepEqual(await values(registry, 'tollgate_rate_limit_degraded_total'), [{ labels: { mode: 'local', outcome: 'limited' }, value: 1 }]);
    assert.equal((await values(registry, 'tollgate_rate_limit_redis_errors_total'))[0]!.value, 1);
    assert.equal((await values(registry, 'tollgate_rate_limit_refunds_total'))[0]!.value, 2);
  });
});
