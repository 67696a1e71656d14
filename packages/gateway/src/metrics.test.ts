import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { testContext } from './analytics/test-context.js';
import { errors, tykError } from './errors.js';
import { createGatewayMetrics, rejectionReason } from './metrics.js';
import { UpstreamPools } from './proxy/upstream-pools.js';

const pools = new UpstreamPools({ timeoutSeconds: 1 });
after(() => pools.closeAll());

async function values(registry: Registry, name: string): Promise<Array<{ labels: Record<string, string | number>; value: number }>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []) as Array<{ labels: Record<string, string | number>; value: number }>;
}

describe('gateway metrics', () => {
  it('counts every exchange by API id and status (Tyk Pump names) and observes latency per type', async () => {
    const metrics = createGatewayMetrics(new Registry());
    for (let i = 0; i < 3; i++) metrics.observeExchange(testContext(pools));
    metrics.observeExchange(testContext(pools, {}, { status: 502 }));
    metrics.observeExchange(testContext(pools, { api_id: 'b2' }, { status: 200 }));
    assert.deepEqual((await values(metrics.registry, 'tyk_http_status')).map((v) => [v.labels.api, v.labels.code, v.value]), [
      ['a1', '200', 3], ['a1', '502', 1], ['b2', '200', 1],
    ]);
    const latency = (await values(metrics.registry, 'tyk_latency')).filter((v) => v.labels.api === 'a1' && v.labels.le === 10);
    assert.deepEqual(latency.map((v) => [v.labels.type, v.value]), [['total', 0], ['upstream', 4], ['gateway', 4]]);
    const durationCount = (await values(metrics.registry, 'tollgate_request_duration_seconds'))
      .filter((v) => (v as { metricName?: string }).metricName === 'tollgate_request_duration_seconds_count');
    assert.deepEqual(durationCount.map((v) => [v.labels.api, v.labels.code, v.value]), [['a1', '200', 3], ['a1', '502', 1], ['b2', '200', 1]]);
  });

  it('counts gateway errors as rejections by reason taken from the response flag', async () => {
    const metrics = createGatewayMetrics(new Registry());
    for (const flag of ['AKI', 'AMF', 'RLT', 'QEX', 'TLH', 'UCF', '']) {
      metrics.observeExchange(testContext(pools, {}, { status: 403, error: tykError('TOLLGATE_ERR_TEST', 403, flag, 'no') }));
    }
    metrics.observeExchange(testContext(pools, {}, { status: 403, error: errors.ipDisallowed }));
    metrics.observeExchange(testContext(pools, {}, { status: 500 })); // an upstream's own 500 is no rejection
    assert.deepEqual((await values(metrics.registry, 'tollgate_rejections_total')).map((v) => [v.labels.reason, v.value]), [
      ['auth', 2], ['rate_limit', 1], ['quota', 1], ['tls', 1], ['upstream', 1], ['other', 1], ['ip', 1],
    ]);
  });

  it('maps every flag family to a fixed reason', () => {
    assert.deepEqual(['TKE', 'CRQ', 'BTL', 'URT', 'CDC', 'ZZZ'].map((f) => rejectionReason(f)), ['auth', 'tls', 'body', 'upstream', 'client', 'other']);
  });

  it('errors without a flag count by their family: auth refusals as auth, the mutual TLS check as tls', () => {
    const reason = (e: { flag: string; code: string }) => rejectionReason(e.flag, e.code);
    assert.deepEqual(
      [errors.keyExpired, errors.keyInactive, errors.userNotAuthorised, errors.hmacInvalid, errors.apiAccessDisallowed, errors.jwtNoMatchingPolicyFound].map(reason),
      ['auth', 'auth', 'auth', 'auth', 'auth', 'auth'],
    );
    assert.deepEqual([errors.mtlsNotTls, errors.mtlsCertificateRequired, errors.mtlsCertificateExpired].map(reason), ['tls', 'tls', 'tls']);
    assert.deepEqual([errors.contentLengthInvalid, errors.ipDisallowed, errors.versionNotFound, errors.internal].map(reason), ['body', 'ip', 'other', 'other']);
  });

  it('labels carry API ids and status codes only: no path, no key', async () => {
    const metrics = createGatewayMetrics(new Registry());
    metrics.observeExchange(testContext(pools, {}, { path: '/a/secret/123', sessionKey: 'key-hash', error: tykError('TOLLGATE_ERR_TEST', 403, 'AKI', 'no') }));
    const text = await metrics.registry.metrics();
    assert.doesNotMatch(text, /secret|key-hash/);
  });

  it('reads revision, Redis health and buffered records when scraped; revision and health aggregate with min over workers', async () => {
    const metrics = createGatewayMetrics(new Registry());
    metrics.sources.configRevision = () => 42;
    metrics.sources.isRedisUp = () => true;
    metrics.sources.bufferedRecords = () => 7;
    const json = await metrics.registry.getMetricsAsJSON();
    const get = (name: string) => json.find((m) => m.name === name)!;
    assert.equal(get('tollgate_config_revision').values[0]!.value, 42);
    assert.equal(get('tollgate_redis_up').values[0]!.value, 1);
    assert.equal(get('tollgate_analytics_buffered_records').values[0]!.value, 7);
    assert.equal((get('tollgate_config_revision') as { aggregator?: string }).aggregator, 'min');
  });
});
