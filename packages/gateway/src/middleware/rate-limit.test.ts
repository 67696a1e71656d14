import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultConfig, type ApiDefinition, type GatewayConfig, type SessionState } from '@tollgate/apidef';
import { createRedisClient, endpointId, keyLayout, limitKeys, waitForReady, type RedisClient } from '@tollgate/store';
import { startTestRedis, type TestRedisServer } from '@tollgate/store/testing';
import pino from 'pino';
import { errors } from '../errors.js';
import { Registry } from 'prom-client';
import { createRateLimitMetrics } from '../limits/limit-metrics.js';
import { Limiter } from '../limits/limiter.js';
import type { Decision } from '../pipeline/decision.js';
import type { Middleware } from '../pipeline/middleware.js';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { RequestContext } from '../pipeline/request-context.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import { patternContext } from '../rules/endpoint-list.js';
import { compileKeyEndpoints, createRateLimit, findKeyEndpoint } from './rate-limit.js';

const logger = pino({ level: 'silent' });
let unique = 0;
const apiId = (): string => `api-${process.pid}-${++unique}`;
const def = (fields: Partial<ApiDefinition> = {}): ApiDefinition => ({ api_id: apiId(), proxy: { listen_path: '/a/' }, ...fields });

function request(session: SessionState | null = null, sessionKey = ''): RequestContext {
  const ctx = new RequestContext({} as CompiledApi, 'GET', '/a/x', '', 3, ['host', 'h'], '127.0.0.1', {} as UpstreamTarget, 0);
  ctx.session = session;
  ctx.sessionKey = sessionKey;
  return ctx;
}

/** A request to `<listen path /a/><sub>` with `method`. */
function requestTo(method: string, sub: string, session: SessionState | null = null, sessionKey = ''): RequestContext {
  const ctx = new RequestContext({} as CompiledApi, method, `/a${sub}`, '', 3, ['host', 'h'], '127.0.0.1', {} as UpstreamTarget, 0);
  ctx.session = session;
  ctx.sessionKey = sessionKey;
  return ctx;
}

/** An unversioned API whose one version has these `extended_paths.rate_limit` entries. */
function withEndpointLimits(entries: unknown[], fields: Partial<ApiDefinition> = {}): ApiDefinition {
  return def({
    version_data: { not_versioned: true, versions: { Default: { name: 'Default', use_extended_paths: true, extended_paths: { rate_limit: entries } } } },
    ...fields,
  } as Partial<ApiDefinition>);
}

async function run(step: Middleware, ctx: RequestContext): Promise<Decision> {
  return step(ctx);
}

/** Headers on whatever response goes out (`responseHeaders`), or with `quota` the quota headers (`quotaHeaders`). */
function headersOf(ctx: RequestContext, quota = false): Record<string, string> {
  const out: Record<string, string> = {};
  const list = (quota ? ctx.quotaHeaders : ctx.responseHeaders) ?? [];
  for (let i = 0; i < list.length; i += 2) out[list[i]!] = list[i + 1]!;
  return out;
}

describe('createRateLimit', () => {
  let server: TestRedisServer;
  let redis: RedisClient;
  const limiters: Limiter[] = [];
  const clients: RedisClient[] = [];

  function deps(configure: (c: GatewayConfig) => void = () => undefined) {
    const config = defaultConfig();
    configure(config);
    const client = createRedisClient({ host: '127.0.0.1', port: server.port }, {
      name: 'test:limits', commandTimeoutMs: config.rate_limit_storage_timeout_ms, offlineQueue: false, autoPipelining: true,
    });
    client.on('error', () => undefined);
    clients.push(client);
    const limiter = new Limiter({ redis: client, mode: config.rate_limit_failure_mode, logger, logIntervalMs: 1000, metrics: createRateLimitMetrics(new Registry()) });
    limiters.push(limiter);
    return { deps: createPipelineDeps({ config, logger, limiter }), ready: waitForReady(client, 5000) };
  }

  async function middleware(d: ApiDefinition, configure?: (c: GatewayConfig) => void): Promise<Middleware> {
    const { deps: pipelineDeps, ready } = deps(configure);
    await ready;
    const step = createRateLimit(d, pipelineDeps);
    assert.ok(step, 'middleware enabled');
    return step;
  }

  before(async () => {
    server = await startTestRedis();
    redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:check' });
    redis.on('error', () => undefined);
  });
  after(async () => {
    limiters.forEach((l) => l.stop());
    clients.forEach((c) => c.disconnect());
    redis.disconnect();
    await server.stop();
  });

  it('is off for keyless APIs without an active global_rate_limit; a global limit needs a limiter', () => {
    const plain = createPipelineDeps({ config: defaultConfig(), logger });
    assert.equal(createRateLimit(def({ use_keyless: true }), plain), null);
    assert.equal(createRateLimit(def({ use_keyless: true, global_rate_limit: { rate: 10, per: 1, disabled: true } }), plain), null);
    assert.equal(createRateLimit(def({ use_keyless: true, global_rate_limit: { rate: 0, per: 1 } }), plain), null);
    assert.equal(createRateLimit(def({ use_keyless: true, global_rate_limit: { rate: 10, per: 1 }, disable_rate_limit: true }), plain), null);
    assert.equal(createRateLimit(def({ disable_rate_limit: true, disable_quota: true }), plain), null);
    assert.throws(() => createRateLimit(def({ use_keyless: true, global_rate_limit: { rate: 10, per: 1 } }), plain), /needs Redis/);
  });

  it('global_rate_limit: keyless requests past the limit get 429 API Rate Limit Exceeded with Retry-After', async () => {
    const step = await middleware(def({ use_keyless: true, global_rate_limit: { rate: 3, per: 60 } }));
    for (let i = 0; i < 3; i++) assert.equal(await run(step, request()), undefined);
    const ctx = request();
    assert.equal(await run(step, ctx), errors.apiRateLimited);
    assert.equal(errors.apiRateLimited.status, 429);
    const retry = Number(headersOf(ctx)['Retry-After']);
    assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
    assert.equal(headersOf(ctx, true)['X-RateLimit-Limit'], undefined, 'keyless: no quota headers (tollgate omits them)');
  });

  it('throttling: a request the key\'s rate refused waits throttle_interval and is admitted once a slot frees, within throttle_retry_limit', async () => {
    const step = await middleware(def());
    // 1 per 0.6 s; a refused request re-checks every 0.25 s, up to 5 times (1.25 s): the slot frees in time.
    const session: SessionState = { rate: 1, per: 0.6, quota_max: 5, quota_renewal_rate: 3600, throttle_retry_limit: 5, throttle_interval: 0.25 };
    assert.equal(await run(step, request(session, 'k-throttle')), undefined);
    const waiting = request(session, 'k-throttle');
    assert.equal(await run(step, waiting), undefined, 'admitted after waiting instead of 429');
    assert.ok(waiting.throttleRetries >= 1 && waiting.throttleRetries <= 5, `retries ${waiting.throttleRetries}`);
    assert.equal(await redis.get(keyLayout.quotaCounter('', 'k-throttle')), '2', 'each admitted request consumed one quota unit; the waits none');

    // Too few re-checks: 429 after the last one.
    const short: SessionState = { rate: 1, per: 60, quota_max: -1, throttle_retry_limit: 2, throttle_interval: 0.05 };
    assert.equal(await run(step, request(short, 'k-throttle-short')), undefined);
    const refused = request(short, 'k-throttle-short');
    assert.equal(await run(step, refused), errors.rateLimited);
    assert.equal(refused.throttleRetries, 2);

    // No throttle settings: refused at once.
    const plain = request({ rate: 1, per: 60, quota_max: -1 }, 'k-throttle-short');
    assert.equal(await run(step, plain), errors.rateLimited);
    assert.equal(plain.throttleRetries, 0);
  });

  it('throttling gives up when the client has gone', async () => {
    const step = await middleware(def());
    const session: SessionState = { rate: 1, per: 60, quota_max: -1, throttle_retry_limit: 50, throttle_interval: 0.05 };
    assert.equal(await run(step, request(session, 'k-throttle-gone')), undefined);
    const ctx = request(session, 'k-throttle-gone');
    const decision = run(step, ctx);
    setTimeout(() => { ctx.error = errors.clientClosed; }, 120);
    assert.equal(await decision, errors.clientClosed);
    assert.ok(ctx.throttleRetries < 50, `stopped after ${ctx.throttleRetries} re-checks`);
  });

  it('key rate from the session root: 429 Rate Limit Exceeded (RLT) past `rate` per `per`', async () => {
    const step = await middleware(def());
    const session: SessionState = { rate: 2, per: 60, quota_max: -1 };
    assert.equal(await run(step, request(session, 'k-rate')), undefined);
    assert.equal(await run(step, request(session, 'k-rate')), undefined);
    const refused = await run(step, request(session, 'k-rate'));
    assert.equal(refused, errors.rateLimited);
    assert.equal(errors.rateLimited.flag, 'RLT');
    assert.equal(await run(step, request({ ...session }, 'k-other')), undefined, 'another key has its own counter');
    assert.equal(await redis.exists(keyLayout.quotaCounter('', 'k-rate')), 0, 'quota -1: no quota counter');
  });

  it('quota: 403 Quota exceeded (QEX) after quota_max; quota_remaining and quota_renews written to the session', async () => {
    const step = await middleware(def());
    const session: SessionState = { rate: 0, per: 0, quota_max: 2, quota_renewal_rate: 3600, quota_remaining: 2 };
    const first = request(session, 'k-quota');
    assert.equal(await run(step, first), undefined);
    assert.equal(session.quota_remaining, 1);
    const renews = session.quota_renews!;
    assert.ok(renews > Date.now() / 1000 + 3500 && renews <= Date.now() / 1000 + 3601, `quota_renews ${renews}`);
    assert.deepEqual(headersOf(first, true), { 'X-RateLimit-Limit': '2', 'X-RateLimit-Remaining': '1', 'X-RateLimit-Reset': String(renews) });
    assert.equal(first.responseHeaders, null, 'quota headers are kept for a response that reaches the upstream (§8), not put on every response');
    assert.equal(await run(step, request(session, 'k-quota')), undefined);
    assert.equal(session.quota_remaining, 0);
    const refused = request(session, 'k-quota');
    assert.equal(await run(step, refused), errors.quotaExceeded);
    assert.equal(errors.quotaExceeded.status, 403);
    assert.equal(errors.quotaExceeded.flag, 'QEX');
    assert.deepEqual([headersOf(refused), headersOf(refused, true)], [{}, {}], 'quota headers only on admitted requests');
    assert.equal(await redis.get(keyLayout.quotaCounter('', 'k-quota')), '2');
  });

  it('disable_rate_limit and disable_quota switch off their checks', async () => {
    const session: SessionState = { rate: 1, per: 60, quota_max: 1, quota_renewal_rate: 60 };
    const noRate = await middleware(def({ disable_rate_limit: true }));
    assert.equal(await run(noRate, request(session, 'k-norate')), undefined);
    assert.equal(await run(noRate, request(session, 'k-norate')), errors.quotaExceeded);
    const noQuota = await middleware(def({ disable_quota: true }));
    assert.equal(await run(noQuota, request(session, 'k-noquota')), undefined);
    assert.equal(await run(noQuota, request(session, 'k-noquota')), errors.rateLimited);
    const both = def({ disable_quota: true, disable_rate_limit: true, global_rate_limit: { rate: 1, per: 60 } });
    assert.equal(createRateLimit(both, deps().deps), null, 'disable_rate_limit turns off the API-wide limit too');
  });

  it('per-API limit from access_rights uses its own counters (allowance_scope) and its own values', async () => {
    const d = def();
    const step = await middleware(d);
    const api = String(d.api_id);
    const session: SessionState = {
      rate: 100, per: 1, quota_max: -1,
      access_rights: { [api]: { api_id: api, limit: { rate: 1, per: 60, quota_max: 5, quota_renewal_rate: 60 }, allowance_scope: 'pol-x' } },
    };
    assert.equal(await run(step, request(session, 'k-scoped')), undefined);
    assert.equal(await run(step, request(session, 'k-scoped')), errors.rateLimited);
    const keyId = 'k-scoped';
    assert.equal(await redis.llen(keyLayout.rateCounter('pol-x', keyId)), 1);
    assert.equal(await redis.get(keyLayout.quotaCounter('pol-x', keyId)), '1');
    assert.equal(session.access_rights![api]!.limit!.quota_remaining, 4, 'written to the per-API limit');
    assert.equal(await redis.exists(keyLayout.rateCounter('', keyId)), 0);
  });

  it('a request refused by the API-wide limit consumes neither quota nor key rate (spec §10, tollgate order 1 → 3 → 2)', async () => {
    const step = await middleware(def({ global_rate_limit: { rate: 1, per: 60 } }));
    const session: SessionState = { rate: 10, per: 60, quota_max: 10, quota_renewal_rate: 60 };
    assert.equal(await run(step, request(session, 'k-global')), undefined);
    assert.equal(await run(step, request(session, 'k-global')), errors.apiRateLimited);
    const keyId = 'k-global';
    assert.equal(await redis.get(keyLayout.quotaCounter('', keyId)), '1');
    assert.equal(await redis.llen(keyLayout.rateCounter('', keyId)), 1);
    assert.equal(session.quota_remaining, 9);
  });

  it('rate_limits headers: rate, admissions left and reset, on 429 too', async () => {
    const step = await middleware(def(), (c) => { c.rate_limit_response_headers = 'rate_limits'; });
    const session: SessionState = { rate: 2.5, per: 1, quota_max: -1 };
    const seen = [];
    for (let i = 0; i < 3; i++) {
      const ctx = request(session, 'k-headers');
      const decision = await run(step, ctx);
      seen.push([decision?.status ?? 200, headersOf(ctx)['X-RateLimit-Limit'], headersOf(ctx)['X-RateLimit-Remaining']]);
      const reset = Number(headersOf(ctx)['X-RateLimit-Reset']);
      assert.ok(reset >= Math.floor(Date.now() / 1000) && reset <= Date.now() / 1000 + 2, `reset ${reset}`);
    }
    assert.deepEqual(seen, [[200, '2', '1'], [200, '2', '0'], [429, '2', '0']]);
  });

  it('without Redis: open admits (session left as it was), closed refuses as Tyk does (500 with the fixed window)', async () => {
    const unreachable = (mode: 'open' | 'closed' | 'local', configure: (c: GatewayConfig) => void = () => undefined) => {
      const config = defaultConfig();
      config.rate_limit_failure_mode = mode;
      configure(config);
      // Nothing listens on port 1: every check fails at once (no offline queue).
      const client = createRedisClient({ host: '127.0.0.1', port: 1 }, { name: 'test:down', offlineQueue: false, commandTimeoutMs: 100 });
      client.on('error', () => undefined);
      clients.push(client);
      const limiter = new Limiter({ redis: client, mode, logger, logIntervalMs: 1000, metrics: createRateLimitMetrics(new Registry()) });
      return createPipelineDeps({ config, logger, limiter });
    };
    const session: SessionState = { rate: 1, per: 60, quota_max: 5, quota_renewal_rate: 60, quota_remaining: 5, quota_renews: 7 };
    const open = createRateLimit(def(), unreachable('open'))!;
    for (let i = 0; i < 3; i++) {
      const ctx = request(session, 'k-open');
      assert.equal(await run(open, ctx), undefined);
      assert.equal(ctx.quotaCharge, null, 'nothing consumed in Redis: nothing to refund');
    }
    const local = createRateLimit(def(), unreachable('local'))!;
    const locally = request({ ...session }, 'k-local');
    assert.equal(await run(local, locally), undefined);
    assert.equal(locally.quotaCharge, null, 'a local decision consumed nothing in Redis');
    assert.equal(session.quota_remaining, 5);
    assert.equal(session.quota_renews, 7);
    const closed = createRateLimit(def({ global_rate_limit: { rate: 5, per: 1 } }), unreachable('closed'))!;
    const keyRefused = request(session, 'k-closed');
    assert.equal(await run(closed, keyRefused), errors.rateLimited);
    assert.equal(headersOf(keyRefused)['Retry-After'], '1', 'every 429 carries Retry-After (§8), closed mode too');
    const apiRefused = request();
    assert.equal(await run(closed, apiRefused), errors.apiRateLimited);
    assert.equal(headersOf(apiRefused)['Retry-After'], '1');
    const quotaOnly = createRateLimit(def({ disable_rate_limit: true }), unreachable('closed'))!;
    const quotaRefused = request(session, 'k-closed');
    assert.equal(await run(quotaOnly, quotaRefused), errors.quotaExceeded);
    assert.equal(headersOf(quotaRefused)['Retry-After'], undefined, '403 Quota exceeded: no Retry-After');
    const fixed = createRateLimit(def(), unreachable('closed', (c) => { c.enable_fixed_window_rate_limiter = true; }))!;
    assert.equal(await run(fixed, request(session, 'k-closed')), errors.rateLimitStorage);
    assert.equal(errors.rateLimitStorage.status, 500);
    assert.equal(errors.rateLimitStorage.message, 'there was a problem proxying the request');
  });

  it('picks GCRA above rate_limit_sliding_log_max and the fixed window when configured', async () => {
    const gcra = await middleware(def({ use_keyless: true, global_rate_limit: { rate: 20, per: 60 } }), (c) => { c.rate_limit_sliding_log_max = 10; });
    assert.equal(await run(gcra, request()), undefined);
    const fixed = await middleware(def({ use_keyless: true, global_rate_limit: { rate: 20, per: 60 } }), (c) => { c.enable_fixed_window_rate_limiter = true; });
    assert.equal(await run(fixed, request()), undefined);
    const types = await Promise.all([...(await redis.keys('tg:arl:*'))].map(async (k) => redis.type(k)));
    assert.ok(types.includes('string') && types.includes('hash') && types.includes('list'), types.join());
  });
  it('compileKeyEndpoints: one entry per method with a rate, methods upper-cased; findKeyEndpoint compares methods case-insensitively', () => {
    const pc = patternContext(def(), {}, defaultConfig());
    const added: string[] = [];
    const entries = compileKeyEndpoints([
      { path: '/slow', methods: [{ name: 'get', limit: { rate: 1, per: 60 } }, { name: 'POST', limit: { rate: 0, per: 60 } }] },
      { path: '/bad(', methods: [{ name: 'GET', limit: { rate: 5, per: 1 } }] },
      { path: '/users/{id}', methods: [{ name: 'Delete', limit: { rate: 3, per: 1 } }] },
      { path: '', methods: [{ name: 'GET', limit: { rate: 5, per: 1 } }] },
      { path: '/none', methods: null },
    ], pc, (method, path) => added.push(`${method}:${path}`) - 1);
    assert.deepEqual(added, ['GET:/slow', 'DELETE:/users/{id}'], 'rate 0, an invalid pattern, an empty path and no methods are skipped');
    assert.deepEqual(entries.map((e) => [e.method, e.value]), [['GET', 0], ['DELETE', 1]]);
    assert.equal(findKeyEndpoint(entries, requestTo('GET', '/slow')), 0);
    assert.equal(findKeyEndpoint(entries, requestTo('get', '/v1/slow/x')), 0, 'lower-case request method, unanchored pattern');
    assert.equal(findKeyEndpoint(entries, requestTo('POST', '/slow')), -1);
    assert.equal(findKeyEndpoint(entries, requestTo('delete', '/users/9')), 1);
    assert.equal(findKeyEndpoint(entries, requestTo('GET', '/x')), -1);
    assert.equal(compileKeyEndpoints(null, pc, () => 0).length, 0);
  });

  it('extended_paths.rate_limit: a matching GET uses its own counter instead of global_rate_limit; other methods and paths keep the global one', async () => {
    const d = withEndpointLimits([
      { path: '/slow', method: 'GET', rate: 2, per: 60 },
      { path: '/off', method: 'GET', rate: 1, per: 60, disabled: true },
      { path: '/zero', method: 'GET', rate: 0, per: 60 },
    ], { use_keyless: true, global_rate_limit: { rate: 100, per: 60 } });
    const step = await middleware(d);
    const outcomes: Decision[] = [];
    for (let i = 0; i < 5; i++) outcomes.push(await run(step, requestTo('GET', '/slow')));
    assert.deepEqual(outcomes, [undefined, undefined, errors.apiRateLimited, errors.apiRateLimited, errors.apiRateLimited]);
    assert.equal(await run(step, requestTo('POST', '/slow')), undefined, 'the entry is for GET only');
    assert.equal(await run(step, requestTo('GET', '/x')), undefined);
    for (let i = 0; i < 3; i++) assert.equal(await run(step, requestTo('GET', '/off')), undefined, 'disabled entry: global limit');
    for (let i = 0; i < 3; i++) assert.equal(await run(step, requestTo('GET', '/zero')), undefined, 'rate 0 entry: global limit');
    const id = String(d.api_id);
    assert.equal(await redis.llen(limitKeys.apiEndpointRate(id, endpointId('GET', '/slow'))), 2);
    assert.equal(await redis.llen(limitKeys.apiRate(id)), 8, 'the endpoint requests did not count on the API-wide counter (it is replaced)');
  });

  it('extended_paths.rate_limit without global_rate_limit still enables the step on a keyless API; disable_rate_limit turns it off', async () => {
    const entries = [{ path: '/slow', method: 'GET', rate: 1, per: 60 }];
    const step = await middleware(withEndpointLimits(entries, { use_keyless: true }));
    assert.equal(await run(step, requestTo('GET', '/slow')), undefined);
    assert.equal(await run(step, requestTo('GET', '/slow')), errors.apiRateLimited);
    for (let i = 0; i < 3; i++) assert.equal(await run(step, requestTo('GET', '/x')), undefined, 'unmatched: no limit');
    assert.equal(createRateLimit(withEndpointLimits(entries, { use_keyless: true, disable_rate_limit: true }), deps().deps), null);
    const plain = createPipelineDeps({ config: defaultConfig(), logger });
    assert.throws(() => createRateLimit(withEndpointLimits(entries, { use_keyless: true }), plain), /needs Redis/);
  });

  it('a key endpoint limit replaces the key\'s rate for matching requests (429 Rate Limit Exceeded); other paths use the key\'s rate', async () => {
    const d = def();
    const id = String(d.api_id);
    const step = await middleware(d);
    const session: SessionState = {
      rate: 3, per: 60, quota_max: -1,
      access_rights: { [id]: { api_id: id, versions: ['Default'], endpoints: [{ path: '/slow', methods: [{ name: 'get', limit: { rate: 1, per: 60 } }] }] } },
    };
    assert.equal(await run(step, requestTo('GET', '/slow', session, 'k-ep')), undefined);
    assert.equal(await run(step, requestTo('GET', '/slow', session, 'k-ep')), errors.rateLimited);
    assert.equal(await run(step, requestTo('get', '/slow', session, 'k-ep')), errors.rateLimited, 'method compared case-insensitively');
    for (let i = 0; i < 3; i++) assert.equal(await run(step, requestTo('GET', '/x', session, 'k-ep')), undefined, 'other paths: the key\'s own 3 per 60 s');
    assert.equal(await run(step, requestTo('POST', '/slow', session, 'k-ep')), errors.rateLimited, 'POST /slow is on the key\'s rate, now used up');
    assert.equal(await redis.llen(keyLayout.endpointRateCounter('', 'k-ep', endpointId('GET', '/slow'))), 1);
    assert.equal(await redis.llen(keyLayout.rateCounter('', 'k-ep')), 3, 'the endpoint request did not count on the key\'s rate');
  });

  it('a key endpoint limit applies even when the key has no rate of its own; the API endpoint limit still applies after it', async () => {
    const d = withEndpointLimits([{ path: '/slow', method: 'GET', rate: 2, per: 60 }]);
    const id = String(d.api_id);
    const step = await middleware(d);
    const endpoints = [{ path: '/slow', methods: [{ name: 'GET', limit: { rate: 5, per: 60 } }] }];
    const a: SessionState = { rate: 0, per: 0, quota_max: -1, access_rights: { [id]: { api_id: id, endpoints } } };
    const b: SessionState = { rate: 0, per: 0, quota_max: -1, access_rights: { [id]: { api_id: id, endpoints } } };
    assert.equal(await run(step, requestTo('GET', '/slow', a, 'k-ep-a')), undefined);
    assert.equal(await run(step, requestTo('GET', '/slow', b, 'k-ep-b')), undefined);
    assert.equal(await run(step, requestTo('GET', '/slow', a, 'k-ep-a')), errors.apiRateLimited, 'the API entry (2 per 60 s) is shared by every key');
    assert.equal(await redis.llen(keyLayout.endpointRateCounter('', 'k-ep-a', endpointId('GET', '/slow'))), 1, 'refused by the API limit: the key counter gave nothing');
  });

  it('rate_limit_response_headers rate_limits: X-RateLimit-Limit is the limit that applied (endpoint or not)', async () => {
    const d = withEndpointLimits([{ path: '/slow', method: 'GET', rate: 2, per: 60 }], { use_keyless: true, global_rate_limit: { rate: 100, per: 60 } });
    const step = await middleware(d, (c) => { c.rate_limit_response_headers = 'rate_limits'; });
    const slow = requestTo('GET', '/slow');
    assert.equal(await run(step, slow), undefined);
    assert.equal(headersOf(slow)['X-RateLimit-Limit'], '2');
    assert.equal(headersOf(slow)['X-RateLimit-Remaining'], '1');
    const other = requestTo('GET', '/x');
    assert.equal(await run(step, other), undefined);
    assert.equal(headersOf(other)['X-RateLimit-Limit'], '100');
    const keyed = def();
    const id = String(keyed.api_id);
    const keyStep = await middleware(keyed, (c) => { c.rate_limit_response_headers = 'rate_limits'; });
    const session: SessionState = { rate: 10, per: 60, quota_max: -1, access_rights: { [id]: { api_id: id, endpoints: [{ path: '/slow', methods: [{ name: 'GET', limit: { rate: 4, per: 60 } }] }] } } };
    const ep = requestTo('GET', '/slow', session, 'k-hdr');
    assert.equal(await run(keyStep, ep), undefined);
    assert.deepEqual([headersOf(ep)['X-RateLimit-Limit'], headersOf(ep)['X-RateLimit-Remaining']], ['4', '3']);
    const root = requestTo('GET', '/x', session, 'k-hdr');
    assert.equal(await run(keyStep, root), undefined);
    assert.deepEqual([headersOf(root)['X-RateLimit-Limit'], headersOf(root)['X-RateLimit-Remaining']], ['10', '9']);
  });
  it('plan selection: requests that match nothing share the session plan\'s checks; each matched endpoint has one precomputed list', async () => {
    const d = withEndpointLimits([{ path: '/slow', method: 'GET', rate: 50, per: 60 }, { path: '/fast', method: 'GET', rate: 60, per: 60 }]);
    const id = String(d.api_id);
    const { deps: pipelineDeps, ready } = deps();
    await ready;
    const limiter = pipelineDeps.limiter!;
    const seen: Array<readonly unknown[]> = [];
    const enqueue = limiter.enqueue.bind(limiter);
    limiter.enqueue = (checks, callback, arg) => {
      seen.push(checks);
      enqueue(checks, callback, arg);
    };
    const step = createRateLimit(d, pipelineDeps)!;
    const session: SessionState = { rate: 10, per: 60, quota_max: 10, quota_renewal_rate: 60, access_rights: { [id]: { api_id: id, endpoints: [{ path: '/slow', methods: [{ name: 'GET', limit: { rate: 4, per: 60 } }] }] } } };
    for (const sub of ['/x', '/y', '/slow', '/slow', '/fast', '/fast']) assert.equal(await run(step, requestTo('GET', sub, session, 'k-plan')), undefined);
    const [x, y, slow1, slow2, fast1, fast2] = seen;
    assert.equal(x, y, 'no endpoint matched: the same array');
    assert.equal(slow1, slow2);
    assert.equal(fast1, fast2);
    assert.notEqual(slow1, x);
    assert.notEqual(fast1, slow1);
    const keys = (checks: readonly unknown[] | undefined): string[] => (checks as ReadonlyArray<{ key: string }>).map((c) => c.key);
    assert.deepEqual(keys(x), [keyLayout.rateCounter('', 'k-plan'), keyLayout.quotaCounter('', 'k-plan')]);
    assert.deepEqual(keys(slow1), [
      keyLayout.endpointRateCounter('', 'k-plan', endpointId('GET', '/slow')), limitKeys.apiEndpointRate(id, endpointId('GET', '/slow')), keyLayout.quotaCounter('', 'k-plan'),
    ], 'key endpoint, API endpoint, quota: tollgate\'s order');
    assert.deepEqual(keys(fast1), [keyLayout.rateCounter('', 'k-plan'), limitKeys.apiEndpointRate(id, endpointId('GET', '/fast')), keyLayout.quotaCounter('', 'k-plan')]);
  });
});
