import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors } from '../errors.js';
import type { ResponseWriter } from '../front-door/response-writer.js';
import { reply } from '../pipeline/decision.js';
import { RequestContext } from '../pipeline/request-context.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import type { UpstreamHandler } from './http1/upstream-connection.js';
import { ProxyExchange } from './proxy-exchange.js';
import { dropUpstreamRateLimitHeaders } from './response-headers.js';

/** What a test response writer saw. */
interface Written {
  status: string;
  headers: Array<[string, string]>;
  ended: boolean;
}

function fakeWriter(): { res: ResponseWriter; written: Written } {
  const written: Written = { status: '', headers: [], ended: false };
  const res = {
    writeStatus(status: unknown) { written.status = String(status); return res; },
    writeHeader(name: unknown, value: unknown) { written.headers.push([String(name), String(value)]); return res; },
    end() { written.ended = true; return res; },
    endWithoutBody() { written.ended = true; return res; },
    tryEnd() { written.ended = true; return [true, true]; },
    write() { return true; },
    close() { written.ended = true; return res; },
    getWriteOffset() { return 0; },
    onWritable() { return res; },
    onAborted() { return res; },
    onData() { return res; },
    cork(cb: () => void) { cb(); return res; },
    pause() {},
    resume() {},
  } as unknown as ResponseWriter;
  return { res, written };
}

interface Setup {
  readonly exchange: ProxyExchange;
  readonly ctx: RequestContext;
  readonly written: Written;
  /** The `chargedUs` of every refund. */
  readonly refunds: number[];
  /** Handlers the fake upstream pool was given (one per dispatch). */
  readonly dispatched: UpstreamHandler[];
}

/** An exchange whose request the limit step admitted and charged one quota unit (at Redis time 42 µs). */
function setup(options: { readonly target?: 'up' | 'down' } = {}): Setup {
  const refunds: number[] = [];
  const dispatched: UpstreamHandler[] = [];
  const target = {
    origin: 'http://up', path: '', query: '', host: 'up', downUntil: 0,
    pool: { dispatch: (_req: unknown, handler: UpstreamHandler) => dispatched.push(handler) },
  } as unknown as UpstreamTarget;
  const api = { targets: [target], preserveHostHeader: false, stripListenPath: true, disableStripSlash: false } as unknown as CompiledApi;
  const ctx = new RequestContext(api, 'GET', '/api/x', '', 4, ['host', 'gw'], '127.0.0.1', options.target === 'down' ? null : target, 0);
  ctx.quotaCharge = { refund: (us) => refunds.push(us) };
  ctx.quotaChargedUs = 42;
  const { res, written } = fakeWriter();
  const exchange = new ProxyExchange(res, ctx, { onExchangeDone: () => undefined }, () => false);
  return { exchange, ctx, written, refunds, dispatched };
}

describe('ProxyExchange: quota refunds for requests that never reach the upstream (rate-limits-and-quotas.md §10.6)', () => {
  it('503 all hosts are down (no target when the request arrived): the quota unit goes back, once', () => {
    const { exchange, written, refunds } = setup({ target: 'down' });
    exchange.bodyReady(true);
    exchange.decide(undefined);
    assert.match(written.status, /^503/);
    assert.deepEqual(refunds, [42]);
    exchange.clientAborted();
    assert.deepEqual(refunds, [42], 'at most one refund per request');
  });

  it('a later middleware that throws (500) or refuses: refunded', () => {
    for (const error of [errors.internal, errors.quotaExceeded]) {
      const { exchange, written, refunds } = setup();
      exchange.bodyReady(true);
      exchange.decide(error);
      assert.equal(written.status, error.statusLine);
      assert.deepEqual(refunds, [42], error.message);
    }
  });

  it('a request body that fails before dispatch: refunded', () => {
    const { exchange, refunds } = setup();
    exchange.decide(undefined);
    exchange.failRequest(errors.entityTooLarge);
    assert.deepEqual(refunds, [42]);
  });

  it('the client leaves before proxying: refunded at once, or when a decision still pending arrives', () => {
    const waiting = setup();
    waiting.exchange.decide(undefined);
    waiting.exchange.clientAborted();
    assert.deepEqual(waiting.refunds, [42], 'decided, body not complete yet');
    assert.equal(waiting.dispatched.length, 0);

    const late = setup();
    const charge = late.ctx.quotaCharge;
    late.ctx.quotaCharge = null;
    late.exchange.clientAborted();
    assert.deepEqual(late.refunds, []);
    // the limit step's answer comes after the client left: it charged the quota, the exchange gives it back
    late.ctx.quotaCharge = charge;
    late.exchange.decide(undefined);
    assert.deepEqual(late.refunds, [42]);
  });

  it('no refund once the request went upstream (whatever happens next), for a cached reply or on success', () => {
    const gone = setup();
    gone.exchange.bodyReady(true);
    gone.exchange.decide(undefined);
    assert.equal(gone.dispatched.length, 1);
    gone.exchange.clientAborted();
    assert.deepEqual(gone.refunds, []);

    const failed = setup();
    failed.exchange.bodyReady(true);
    failed.exchange.decide(undefined);
    failed.dispatched[0]!.onError(Object.assign(new Error('timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' }));
    assert.match(failed.written.status, /^50/);
    assert.deepEqual(failed.refunds, []);

    const cached = setup();
    cached.ctx.isCachedResponse = true;
    cached.exchange.bodyReady(true);
    cached.exchange.decide(reply(200, 'cached'));
    assert.deepEqual(cached.refunds, []);

    const ok = setup();
    ok.exchange.bodyReady(true);
    ok.exchange.decide(undefined);
    const upstream = ok.dispatched[0]!;
    upstream.onHeaders(200, [], 2, () => undefined);
    upstream.onData(Buffer.from('ok'));
    upstream.onComplete();
    assert.match(ok.written.status, /^200/);
    assert.deepEqual(ok.refunds, []);
  });
});

describe('ProxyExchange: X-RateLimit-* quota headers only on responses that reached the upstream (rate-limits-and-quotas.md §8)', () => {
  const QUOTA = Object.freeze(['X-RateLimit-Limit', '10', 'X-RateLimit-Remaining', '7', 'X-RateLimit-Reset', '99']);
  const names = (written: Written): string[] => written.headers.map(([n]) => n.toLowerCase());

  it('an upstream response gets them, replacing the upstream\'s own copies', () => {
    const { exchange, ctx, written, dispatched } = setup();
    ctx.quotaHeaders = QUOTA;
    exchange.bodyReady(true);
    exchange.decide(undefined);
    const upstream = dispatched[0]!;
    upstream.onHeaders(502, [Buffer.from('X-RateLimit-Remaining'), Buffer.from('1'), Buffer.from('x-up'), Buffer.from('1')], 2, () => undefined);
    upstream.onData(Buffer.from('no'));
    assert.match(written.status, /^502/, 'whatever status the upstream answered');
    assert.deepEqual(written.headers, [['x-up', '1'], ['X-RateLimit-Limit', '10'], ['X-RateLimit-Remaining', '7'], ['X-RateLimit-Reset', '99']]);
  });

  it('gateway errors after admission do not: 503 NHU, 500 from a middleware, 504 upstream timeout', () => {
    const nhu = setup({ target: 'down' });
    nhu.ctx.quotaHeaders = QUOTA;
    nhu.exchange.bodyReady(true);
    nhu.exchange.decide(undefined);
    assert.match(nhu.written.status, /^503/);
    assert.ok(!names(nhu.written).some((n) => n.startsWith('x-ratelimit')), JSON.stringify(nhu.written.headers));

    const internal = setup();
    internal.ctx.quotaHeaders = QUOTA;
    internal.exchange.decide(errors.internal);
    assert.ok(!names(internal.written).some((n) => n.startsWith('x-ratelimit')));

    const timeout = setup();
    timeout.ctx.quotaHeaders = QUOTA;
    timeout.exchange.bodyReady(true);
    timeout.exchange.decide(undefined);
    timeout.dispatched[0]!.onError(Object.assign(new Error('timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' }));
    assert.match(timeout.written.status, /^504/);
    assert.ok(!names(timeout.written).some((n) => n.startsWith('x-ratelimit')));
  });

  it('headers every response gets (rate_limits mode, CORS, Retry-After) still go on gateway errors', () => {
    const { exchange, ctx, written } = setup({ target: 'down' });
    ctx.addSharedResponseHeaders(['X-RateLimit-Limit', '5', 'X-RateLimit-Remaining', '4', 'X-RateLimit-Reset', '1']);
    exchange.bodyReady(true);
    exchange.decide(undefined);
    assert.deepEqual(names(written).filter((n) => n.startsWith('x-ratelimit')), ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
  });
  it('rate_limits mode: the upstream\'s own X-RateLimit-* are never relayed, even when no rate check set the gateway\'s', () => {
    dropUpstreamRateLimitHeaders(true);
    try {
      const { exchange, written, dispatched } = setup();
      exchange.bodyReady(true);
      exchange.decide(undefined);
      dispatched[0]!.onHeaders(200, [Buffer.from('X-RateLimit-Limit'), Buffer.from('1000'), Buffer.from('x-ratelimit-reset'), Buffer.from('5'), Buffer.from('x-up'), Buffer.from('1')], 2, () => undefined);
      dispatched[0]!.onData(Buffer.from('ok'));
      assert.deepEqual(written.headers, [['x-up', '1']]);
    } finally {
      dropUpstreamRateLimitHeaders(false);
    }
    const { exchange, written, dispatched } = setup();
    exchange.bodyReady(true);
    exchange.decide(undefined);
    dispatched[0]!.onHeaders(200, [Buffer.from('X-RateLimit-Limit'), Buffer.from('1000')], 2, () => undefined);
    dispatched[0]!.onData(Buffer.from('ok'));
    assert.deepEqual(written.headers, [['X-RateLimit-Limit', '1000']], 'quotas mode (default) relays them when the gateway sets none');
  });
});
