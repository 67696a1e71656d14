import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { testContext } from '../analytics/test-context.js';
import type { ResponseWriter } from '../front-door/response-writer.js';
import { createGatewayMetrics } from '../metrics.js';
import { ProxyExchange } from './proxy-exchange.js';
import { UpstreamPools } from './upstream-pools.js';

const pools = new UpstreamPools({ timeoutSeconds: 1 });
after(() => pools.closeAll());

/** An exchange over a writer that accepts everything, with a listener that counts its reports. */
function exchange(): { exchange: ProxyExchange; reports: () => number } {
  const res = new Proxy({}, { get: () => () => res }) as ResponseWriter;
  const ctx = testContext(pools, {}, { status: 0, upstreamSentMs: 0, upstreamHeadMs: 0 });
  let count = 0;
  return { exchange: new ProxyExchange(res, ctx, { onExchangeDone: () => { count++; } }, () => false), reports: () => count };
}

describe('ProxyExchange response flags (errors-and-flags.md §2.2)', () => {
  it('a client that goes away first is recorded as 499 with flag CDC, counted under the `client` rejection reason', async () => {
    const { exchange: ex, reports } = exchange();
    ex.clientAborted();
    assert.equal(reports(), 1);
    assert.equal(ex.ctx.status, 499);
    assert.equal(ex.ctx.flag, 'CDC');
    assert.equal(ex.ctx.error?.flag, 'CDC');
    const metrics = createGatewayMetrics(new Registry());
    metrics.observeExchange(ex.ctx);
    const values = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'tollgate_rejections_total')?.values ?? [];
    assert.deepEqual(values.map((v) => [v.labels.reason, v.value]), [['client', 1]]);
  });

  it('an upstream 5xx head sets flag URS (the response is passed through, no gateway error); other statuses none', () => {
    for (const [status, flag] of [[500, 'URS'], [503, 'URS'], [599, 'URS'], [200, ''], [404, ''], [499, '']] as const) {
      const { exchange: ex } = exchange();
      ex.onHeaders(status, [], -1, () => undefined);
      assert.equal(ex.ctx.flag, flag, String(status));
      assert.equal(ex.ctx.error, null);
    }
  });
});
