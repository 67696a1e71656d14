import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { hashKeyId } from '@tollgate/apidef';
import { analyticsKeys, decodeRecordBatch, type AnalyticsRecord } from '@tollgate/store';
import { Agent } from 'undici';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { createKey, keyedApi, rightsTo } from './support/auth-fixtures.js';
import { gatewayRequest } from './support/gateway-client.js';
import { scrape, sum } from './support/metrics-client.js';
import { waitFor } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { CLI, startTollgate, type AnalyticsProcess, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const WORKERS = 2;
const CONCURRENCY = 8;

interface Counter {
  hits: number;
  success: number;
  error: number;
  status_codes: Record<string, number>;
}

/** Sends `total` requests from CONCURRENCY keep-alive loops; `init(i)` gives path and headers of request i. Returns the statuses. */
async function load(baseUrl: string, total: number, init: (i: number) => { path: string; headers?: Record<string, string> }): Promise<number[]> {
  const agent = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 30_000 });
  const statuses: number[] = [];
  let next = 0;
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < total) {
        const i = next++;
        const { path, headers } = init(i);
        statuses.push((await gatewayRequest(baseUrl, path, { headers, dispatcher: agent })).status);
      }
    }));
  } finally {
    await agent.close();
  }
  return statuses;
}

/** Every record currently in the Redis queue (read without consuming). */
async function queuedRecords(tg: Tollgate): Promise<AnalyticsRecord[]> {
  const entries = await tg.redis.xrangeBuffer(analyticsKeys.stream, '-', '+');
  return entries.flatMap(([, fields]) => {
    const i = fields.findIndex((f) => f.toString() === 'b');
    return decodeRecordBatch(fields[i + 1]!);
  });
}

describe(`analytics and metrics through a running ${WORKERS}-worker gateway`, () => {
  let redis: RedisServer;
  let upstream: Upstream;
  let tg: Tollgate;
  let admin: AdminClient;
  let analytics: AnalyticsProcess | undefined;
  let keyHash = '';
  const N = 600;

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream();
    tg = await startTollgate({
      redisPort: redis.port, workers: WORKERS,
      config: {
        enable_analytics: true,
        analytics_config: { ignore_tag_prefix_list: ['x-request-id'], flush_interval: 50, normalise_urls: { enabled: true, normalise_numbers: true } },
        aggregates_ignore_tags: ['legacy-'],
      },
    });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keylessApi('counted', '/counted/', upstream.url)));
    await admin.ok(admin.createApi(keylessApi('tracked', '/tracked/', upstream.url, {
      tag_headers: ['X-Team', 'X-Request-ID'], tags: ['public', 'legacy-plan'],
    })));
    await admin.ok(admin.createApi(keylessApi('quiet', '/quiet/', upstream.url, { do_not_track: true })));
    await admin.ok(admin.createApi(keyedApi('keyed', '/keyed/', upstream.url, { use_standard_auth: true })));
    await tg.waitForConvergence();
  });
  after(async () => {
    await analytics?.stop();
    await tg?.stop();
    await redis?.stop();
    await upstream?.close();
  });

  test('send 100 requests: the summed counters on the primary\'s /metrics grow by exactly 100', async () => {
    const before = await scrape(tg.metricsUrl);
    const statuses = await load(tg.gatewayUrl, 100, (i) => ({ path: `/counted/item/${i}` }));
    assert.deepEqual(statuses.filter((s) => s !== 200), []);
    const after = await scrape(tg.metricsUrl);
    const grew = (name: string, labels: Record<string, string>): number => sum(after, name, labels) - sum(before, name, labels);
    assert.equal(grew('tyk_http_status', { api: 'counted' }), 100);
    assert.equal(grew('tyk_http_status', { api: 'counted', code: '200' }), 100);
    assert.equal(grew('tollgate_request_duration_seconds_count', { api: 'counted', code: '200' }), 100);
    assert.equal(grew('tyk_latency_count', { api: 'counted', type: 'upstream' }), 100);
    assert.equal(sum(after, 'tollgate_gateway_workers'), WORKERS);
    assert.equal(sum(after, 'tollgate_redis_up'), 1);
    assert.equal(sum(after, 'tollgate_config_revision'), await tg.revision());
    assert.ok(!after.some((s) => Object.values(s.labels).some((v) => v.includes('/counted/item'))), 'no raw path in any label');
  });

  test('a keyed API: records carry the hashed key, alias and session tags; refusals count as auth rejections', async () => {
    const key = await createKey(admin, 'analytics-key', { alias: 'alice', tags: ['gold'], access_rights: rightsTo('keyed') });
    keyHash = hashKeyId(key);
    const before = await scrape(tg.metricsUrl);
    const ok = await load(tg.gatewayUrl, 5, (i) => ({ path: `/keyed/${i}`, headers: { authorization: key } }));
    const refused = await load(tg.gatewayUrl, 3, (i) => ({ path: `/keyed/none/${i}` }));
    assert.deepEqual([ok, refused], [[200, 200, 200, 200, 200], [401, 401, 401]]);
    // Counted by API, not by the queued total: records of the previous test may still be on their way.
    await waitFor('the keyed records handed to Redis', async () =>
      ((await queuedRecords(tg)).filter((r) => r.api_id === 'keyed').length === 8 ? true : undefined));
    const after = await scrape(tg.metricsUrl);
    assert.equal(sum(after, 'tollgate_rejections_total', { api: 'keyed', reason: 'auth' }) - sum(before, 'tollgate_rejections_total', { api: 'keyed', reason: 'auth' }), 3);
    assert.equal(sum(after, 'tyk_http_status', { api: 'keyed', code: '401' }), 3);
    assert.ok(!after.some((s) => Object.values(s.labels).some((v) => v.includes(key) || v.includes(keyHash))), 'no key in any label');
    const records = (await queuedRecords(tg)).filter((r) => r.api_id === 'keyed');
    const good = records.filter((r) => r.response_code === 200);
    assert.equal(good.length, 5);
    assert.deepEqual([good[0]!.api_key, good[0]!.alias, good[0]!.tags], [keyHash, 'alice', ['gold', `key-${keyHash}`, 'org-e2e', 'api-keyed']]);
    const bad = records.filter((r) => r.response_code === 401);
    assert.equal(bad.length, 3);
    assert.deepEqual([bad[0]!.api_key, bad[0]!.latency.upstream, bad[0]!.tags], ['', 0, ['org-e2e', 'api-keyed']]);
  });

  test(`${N} requests: raw records keep every tag; do_not_track records nothing but is still counted in metrics`, async () => {
    const before = await scrape(tg.metricsUrl);
    const queuedBefore = sum(before, 'tollgate_analytics_queued_total');
    const statuses = await load(tg.gatewayUrl, N, (i) => ({
      path: i % 5 === 0 ? `/tracked/fail/${i}?status=500` : `/tracked/ok/${i}`,
      headers: { 'x-team': i % 2 === 0 ? 'blue' : 'red', 'x-request-id': `r${i}` },
    }));
    const quiet = await load(tg.gatewayUrl, 50, (i) => ({ path: `/quiet/${i}` }));
    assert.equal(statuses.filter((s) => s === 500).length, N / 5);
    assert.deepEqual(quiet.filter((s) => s !== 200), []);
    // Every served request of a tracked API is handed to Redis: 100 (counted) + N (tracked).
    await waitFor('records handed to Redis', async () =>
      (sum(await scrape(tg.metricsUrl), 'tollgate_analytics_queued_total') - queuedBefore === N ? true : undefined));
    const after = await scrape(tg.metricsUrl);
    assert.equal(sum(after, 'tyk_http_status', { api: 'quiet' }), 50, 'do_not_track requests still count in metrics');
    assert.equal(sum(after, 'tollgate_analytics_dropped_total'), 0);

    const records = await queuedRecords(tg);
    assert.equal(records.filter((r) => r.api_id === 'tracked').length, N);
    assert.equal(records.filter((r) => r.api_id === 'counted').length, 100);
    assert.equal(records.filter((r) => r.api_id === 'quiet').length, 0);
    const r7 = records.find((r) => r.original_path === '/tracked/ok/7')!;
    assert.deepEqual(r7.tags, ['x-team-red', 'x-request-id-r7', 'public', 'legacy-plan', 'org-e2e', 'api-tracked']);
    // normalise_urls (numbers): the path aggregates as one endpoint; raw_path keeps the request path.
    assert.deepEqual([r7.path, r7.raw_path], ['/ok/{id}', '/ok/7']);
    assert.equal(r7.response_code, 200);
    assert.equal(r7.api_name, 'e2e tracked');
    assert.equal(r7.host, new URL(upstream.url).host);
    assert.equal(r7.ip_address, '127.0.0.1');
    assert.equal(r7.latency.total, r7.request_time);
  });

  test('records aggregated = requests served, exactly; ignored tag prefixes stay out of the tags aggregates only', async () => {
    analytics = await tg.startAnalytics();
    // `--nice` defaults to 10: the consumer yields the CPU to gateway workers on a shared machine.
    assert.equal(getPriority(analytics.pid), Math.max(10, getPriority()));
    const apis = await waitFor('every record aggregated', async () => {
      const res = await admin.call<{ apis: Record<string, Counter> }>('GET', '/tollgate/analytics/apis');
      return res.json.apis.tracked?.hits === N && res.json.apis.counted?.hits === 100 && res.json.apis.keyed?.hits === 8 ? res.json.apis : undefined;
    });
    assert.deepEqual(Object.keys(apis).sort(), ['counted', 'keyed', 'tracked']);
    assert.deepEqual([apis.keyed!.hits, apis.keyed!.status_codes], [8, { 200: 5, 401: 3 }]);
    assert.deepEqual([apis.tracked!.success, apis.tracked!.error, apis.tracked!.status_codes], [N * 0.8, N * 0.2, { 200: N * 0.8, 500: N * 0.2 }]);
    await waitFor('the queue to be empty', async () => (Number(await tg.redis.get(analyticsKeys.queuedRecords)) === 0 ? true : undefined));

    const tags = (await admin.call<{ tags: Record<string, Counter> }>('GET', '/tollgate/analytics/tags')).json.tags;
    assert.deepEqual(Object.keys(tags).sort(), ['api-counted', 'api-keyed', 'api-tracked', 'gold', 'org-e2e', 'public', 'x-team-blue', 'x-team-red']);
    assert.deepEqual([tags['x-team-blue']!.hits, tags['x-team-red']!.hits, tags.public!.hits, tags['org-e2e']!.hits, tags.gold!.hits], [N / 2, N / 2, N, N + 108, 5]);
    assert.equal(tags['x-team-blue']!.error, N / 5 / 2);
    const codes = (await admin.call<{ status_codes: Record<string, Counter> }>('GET', '/tollgate/analytics/status_codes')).json.status_codes;
    assert.deepEqual(Object.fromEntries(Object.entries(codes).map(([c, v]) => [c, v.hits])), { 200: N * 0.8 + 105, 401: 3, 500: N * 0.2 });
    const keys = (await admin.call<{ keys: Record<string, Counter & { human_identifier: string }> }>('GET', '/tollgate/analytics/keys')).json.keys;
    assert.deepEqual(Object.keys(keys), [keyHash], 'only the keyed requests have a key entry');
    assert.deepEqual([keys[keyHash]!.hits, keys[keyHash]!.human_identifier], [5, 'alice']);

    const consumer = await scrape(analytics.metricsUrl);
    assert.equal(sum(consumer, 'tollgate_analytics_records_aggregated_total'), N + 108);
    assert.equal(sum(consumer, 'tollgate_analytics_duplicate_batches_total'), 0);
  });

  test('queries: admin secret required, a clear 400 for a bad range; top-tags prints the table', async () => {
    const noSecret = await admin.call('GET', '/tollgate/analytics/tags', undefined, null);
    assert.equal(noSecret.status, 403);
    const bad = await admin.call<{ status: string; message: string }>('GET', '/tollgate/analytics/tags?from=last-week');
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /^from must be an RFC 3339 time/);
    const reversed = await admin.call<{ message: string }>('GET', '/tollgate/analytics/apis?from=2026-01-02&to=2026-01-01');
    assert.equal(reversed.status, 400);
    assert.match(reversed.json.message, /is after to/);
    const old = await admin.call<{ apis: object }>('GET', '/tollgate/analytics/apis?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z');
    assert.deepEqual(old.json, { apis: {} });

    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'analytics', 'top-tags', '--config', join(tg.dir, 'tollgate.json'), '--limit', '3']);
    const lines = stdout.trim().split('\n');
    assert.match(lines[0]!, /^tag\s+hits\s+success\s+error/);
    assert.match(lines[2]!, new RegExp(`^org-e2e\\s+${N + 108}\\s`));
    assert.equal(lines.length, 5);
  });

  test('track_endpoints count in the endpoints aggregate under their pattern; do_not_track_endpoints leave no record', async () => {
    await admin.ok(admin.createApi(keylessApi('paths', '/paths/', upstream.url, {
      version_data: {
        not_versioned: true,
        versions: {
          Default: {
            name: 'Default', use_extended_paths: true,
            extended_paths: { track_endpoints: [{ path: '/items/{id}', method: 'GET' }], do_not_track_endpoints: [{ path: '/health', method: 'GET' }] },
          },
        },
      },
    })));
    await tg.waitForConvergence();
    const items = await load(tg.gatewayUrl, 10, (i) => ({ path: `/paths/items/${i}` }));
    const health = await load(tg.gatewayUrl, 4, () => ({ path: '/paths/health' }));
    const other = await load(tg.gatewayUrl, 3, (i) => ({ path: `/paths/other/${i}` }));
    assert.deepEqual([...items, ...health, ...other].filter((s) => s !== 200), []);
    const apis = await waitFor('the paths records aggregated', async () => {
      const res = await admin.call<{ apis: Record<string, Counter> }>('GET', '/tollgate/analytics/apis');
      return res.json.apis.paths?.hits === 13 ? res.json.apis : undefined;
    });
    assert.equal(apis.paths!.hits, 13, 'the 4 requests to /health left no record');
    const endpoints = (await admin.call<{ endpoints: Record<string, Counter> }>('GET', '/tollgate/analytics/endpoints')).json.endpoints;
    // Only tracked requests count in the endpoints dimension (track_all_paths is off), under the pattern.
    assert.deepEqual(Object.fromEntries(Object.entries(endpoints).map(([path, c]) => [path, c.hits])), { '/items/{id}': 10 });
    const metrics = await scrape(tg.metricsUrl);
    assert.equal(sum(metrics, 'tyk_http_status', { api: 'paths' }), 17, 'metrics count every request, tracked or not');
  });

  test('responses served from the cache are recorded like upstream ones (records aggregated = requests served)', async () => {
    await admin.ok(admin.createApi(keylessApi('cached', '/cached/', upstream.url, {
      cache_options: { enable_cache: true, cache_all_safe_requests: true, cache_timeout: 120, cache_response_codes: [200] },
    })));
    await tg.waitForConvergence();
    const first = await load(tg.gatewayUrl, 1, () => ({ path: '/cached/same' }));
    const again = await load(tg.gatewayUrl, 5, () => ({ path: '/cached/same' }));
    assert.deepEqual([...first, ...again].filter((s) => s !== 200), []);
    const apis = await waitFor('the cached records aggregated', async () => {
      const res = await admin.call<{ apis: Record<string, Counter> }>('GET', '/tollgate/analytics/apis');
      return res.json.apis.cached?.hits === 6 ? res.json.apis : undefined;
    });
    assert.equal(apis.cached!.hits, 6);
    assert.equal(sum(await scrape(tg.metricsUrl), 'tyk_http_status', { api: 'cached' }), 6);
  });
});

describe('Redis down: workers buffer to their bound, then drop and count; requests are still served', () => {
  let redis: RedisServer;
  let upstream: Upstream;
  let tg: Tollgate;
  const BOUND = 300;
  const N = 1000;

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream();
    tg = await startTollgate({
      redisPort: redis.port, workers: WORKERS,
      apps: { 'outage.json': keylessApi('outage', '/outage/', upstream.url) },
      config: { enable_analytics: true, analytics_config: { max_buffered_records: BOUND, flush_interval: 50 }, liveness_check: { check_duration: 1 } },
    });
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    await upstream?.close();
  });

  test(`${N} requests during the outage: all 200; buffered + dropped = served; after recovery aggregated = served − dropped`, async () => {
    await redis.stop();
    await waitFor('the workers to see Redis down', async () => (sum(await scrape(tg.metricsUrl), 'tollgate_redis_up') === 0 ? true : undefined));
    const statuses = await load(tg.gatewayUrl, N, (i) => ({ path: `/outage/${i}` }));
    assert.deepEqual(statuses.filter((s) => s !== 200), [], 'requests are served while Redis is down');
    const during = await scrape(tg.metricsUrl);
    const dropped = sum(during, 'tollgate_analytics_dropped_total');
    const buffered = sum(during, 'tollgate_analytics_buffered_records');
    assert.equal(buffered + dropped, N, 'every record is either held or counted as dropped');
    assert.ok(buffered <= BOUND * WORKERS, `${buffered} held, bound ${BOUND} per worker`);
    assert.ok(dropped >= N - BOUND * WORKERS, `${dropped} dropped`);
    assert.equal(sum(during, 'tollgate_analytics_queued_total'), 0);

    redis = await startRedisServer({ port: redis.port });
    await waitFor('the held records to reach Redis', async () => {
      const m = await scrape(tg.metricsUrl);
      return sum(m, 'tollgate_analytics_buffered_records') === 0 ? m : undefined;
    }, 30_000);
    const afterRecovery = await scrape(tg.metricsUrl);
    assert.equal(sum(afterRecovery, 'tollgate_analytics_queued_total'), buffered);
    assert.equal(sum(afterRecovery, 'tollgate_analytics_dropped_total'), dropped, 'nothing more dropped after recovery');

    const analytics = await tg.startAnalytics();
    try {
      const admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
      await waitFor('the held records aggregated', async () => {
        const m = await scrape(analytics.metricsUrl);
        return sum(m, 'tollgate_analytics_records_aggregated_total') === buffered ? true : undefined;
      });
      const apis = (await admin.call<{ apis: Record<string, Counter> }>('GET', '/tollgate/analytics/apis')).json.apis;
      assert.equal(apis.outage!.hits, N - dropped);
    } finally {
      await analytics.stop();
    }
  });
});
