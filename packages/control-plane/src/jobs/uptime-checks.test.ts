import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HostHealthStore } from '@tollgate/store';
import { createRedisClient, type RedisClient } from '@tollgate/store';
import { startTestRedis, type TestRedisServer } from '@tollgate/store/testing';
import pino from 'pino';
import { checkTimeoutMs, collectChecks, runCheck, runUptimeRound, type UptimeCheck } from './uptime-checks.js';

describe('collectChecks', () => {
  it('takes the checks of active APIs with uptime tests, once per method and URL', () => {
    const checks = collectChecks([
      { api_id: 'a', uptime_tests: { check_list: [{ url: 'http://h:1/health' }, { url: 'http://h:1/x', method: 'post', body: Buffer.from('hi').toString('base64') }] } },
      { api_id: 'b', uptime_tests: { check_list: [{ url: 'http://h:1/health', timeout: 2 }] } },
      { api_id: 'off', active: false, uptime_tests: { check_list: [{ url: 'http://h:2/' }] } },
      { api_id: 'dis', uptime_tests: { disabled: true, check_list: [{ url: 'http://h:3/' }] } },
    ]);
    assert.equal(checks.length, 2);
    assert.deepEqual(checks[0]!.apiIds, ['a', 'b']);
    assert.equal(checks[0]!.host, 'h:1');
    assert.equal(checks[1]!.method, 'POST');
    assert.equal(checks[1]!.body?.toString(), 'hi');
  });
  it('timeouts: default 10 s, small numbers are seconds, Go durations are nanoseconds', () => {
    assert.equal(checkTimeoutMs(undefined), 10_000);
    assert.equal(checkTimeoutMs(3), 3000);
    assert.equal(checkTimeoutMs(2_000_000_000), 2000);
  });
});

describe('runCheck and runUptimeRound (real HTTP and Redis)', () => {
  let server: TestRedisServer;
  let redis: RedisClient;
  let http: ReturnType<typeof createServer>;
  let base = '';
  before(async () => {
    server = await startTestRedis();
    redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test' });
    http = createServer((req, res) => { res.writeHead(req.url === '/ok' ? 200 : 503); res.end(); });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  after(async () => {
    redis.disconnect();
    http.close();
    await server.stop();
  });

  const check = (path: string, host: string): UptimeCheck => ({ url: `${base}${path}`, host, method: 'GET', headers: {}, body: null, timeoutMs: 2000, apiIds: ['a'] });

  it('passes on 200 only; a refused connection fails', async () => {
    assert.equal(await runCheck(check('/ok', 'x')), true);
    assert.equal(await runCheck(check('/bad', 'x')), false);
    assert.equal(await runCheck({ ...check('/ok', 'x'), url: 'http://127.0.0.1:1/' }), false);
  });

  it('reports HostDown after the threshold and HostUp once, recording host states in Redis', async () => {
    const health = new HostHealthStore(redis);
    const events: string[] = [];
    const round = (path: string) => runUptimeRound({
      checks: [check(path, 'svc:1')], health, threshold: 2, poolSize: 4, logger: pino({ level: 'silent' }),
      onTransition: (event, c) => events.push(`${event} ${c.host}`),
    });
    assert.deepEqual(await round('/bad'), { passed: 0, failed: 1 });
    await round('/bad');
    await round('/bad');
    assert.deepEqual(await health.downHosts(), ['svc:1']);
    await round('/ok');
    assert.deepEqual(events, ['HostDown svc:1', 'HostUp svc:1']);
  });
});
