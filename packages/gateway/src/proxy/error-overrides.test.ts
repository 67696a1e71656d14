import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { ApiDefinition } from '@tollgate/apidef';
import { errors, withHeaders, type GatewayError } from '../errors.js';
import type { ResponseWriter } from '../front-door/response-writer.js';
import { RequestContext } from '../pipeline/request-context.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import { errorOverridesFor, setGatewayErrorOverrides, type ErrorOverrides } from './error-overrides.js';
import { ProxyExchange } from './proxy-exchange.js';

const doc = (message: string): string => `{\n    "error": ${JSON.stringify(message)}\n}`;

function overrides(apiRules: unknown, gatewayRules: unknown = {}, extra: Partial<ApiDefinition> = {}): ErrorOverrides {
  setGatewayErrorOverrides(gatewayRules);
  const o = errorOverridesFor({ error_overrides: apiRules as Record<string, unknown>, ...extra });
  assert.ok(o !== null);
  return o;
}

/** What a client gets for `error`: status, body text, content type and headers. */
function sent(o: ErrorOverrides, error: GatewayError): { status: number; body: string; contentType: string; headers: readonly string[] } {
  const out = o.apply(error);
  return { status: out.status, body: out.body.toString(), contentType: out.contentType, headers: (out as { headers?: readonly string[] }).headers ?? [] };
}

afterEach(() => setGatewayErrorOverrides({}));

describe('error overrides: selection order (errors-and-flags.md §5)', () => {
  it('API rules before gateway rules; exact status before class; first matching rule of a list wins', () => {
    const o = overrides(
      { '4xx': [{ response: { body: 'api 4xx' } }], '401': [{ match: { flag: 'TKE' }, response: { body: 'api 401 TKE' } }, { response: { body: 'api 401 first' } }, { response: { body: 'api 401 second' } }] },
      { '401': [{ response: { body: 'gw 401' } }], '5xx': [{ response: { body: 'gw 5xx' } }], '403': [{ response: { body: 'gw 403' } }] },
    );
    assert.equal(sent(o, errors.authFieldMissing).body, 'api 401 first', 'exact key, first matching rule (the TKE one does not match AMF)');
    assert.equal(sent(o, errors.keyNotFound).body, 'api 4xx', 'API class key before the gateway exact key');
    assert.equal(sent(o, errors.upstreamRefused).body, 'gw 5xx', 'no API rule for 5xx: the gateway rule');
  });

  it('no rule matches: the error is sent unchanged (the same object)', () => {
    const o = overrides({ '429': [{ match: { flag: 'QEX' }, response: { status_code: 400 } }] });
    assert.equal(o.apply(errors.rateLimited), errors.rateLimited);
    assert.equal(o.apply(errors.quotaExceeded), errors.quotaExceeded, 'QEX is 403, no 403/4xx key');
  });

  it('no rules anywhere: errorOverridesFor is null (the request path skips the lookup); error_overrides_disabled ignores the API rules only', () => {
    setGatewayErrorOverrides({});
    assert.equal(errorOverridesFor({}), null);
    assert.equal(errorOverridesFor({ error_overrides: { '401': [{ response: { status_code: 400 } }] }, error_overrides_disabled: true }), null);
    const o = overrides({ '401': [{ response: { body: 'api' } }] }, { '401': [{ response: { body: 'gw' } }] }, { error_overrides_disabled: true });
    assert.equal(sent(o, errors.authFieldMissing).body, 'gw');
  });

  it('the outcome is computed once per catalogue entry (cached), not per request', () => {
    const o = overrides({ '401': [{ response: { status_code: 400 } }] });
    assert.equal(o.apply(errors.authFieldMissing), o.apply(errors.authFieldMissing));
  });
});

describe('error overrides: matching', () => {
  it('by flag: equal flag only; the flag alone decides even with a message_pattern', () => {
    const o = overrides({ '5xx': [{ match: { flag: 'UCF', message_pattern: 'never' }, response: { status_code: 502 } }] });
    assert.equal(sent(o, errors.upstreamRefused).status, 502);
    assert.equal(sent(o, errors.upstreamReset).status, 500, 'URR: another flag');
  });

  it('by message_pattern (regex, (?i) honoured) when no flag is set; errors without a flag can match', () => {
    const o = overrides({ '403': [{ match: { message_pattern: '(?i)^access from this ip' }, response: { message: 'Forbidden IP' } }] });
    assert.equal(sent(o, errors.ipDisallowed).body, doc('Forbidden IP'));
    assert.equal(o.apply(errors.keyNotFound), errors.keyNotFound);
  });

  it('a rule without match (or with an empty one) matches every error under its key', () => {
    const o = overrides({ '4xx': [{ match: {}, response: { status_code: 418 } }] });
    for (const e of [errors.authFieldMissing, errors.quotaExceeded, errors.bodyTooLarge, errors.contentLengthMissing]) assert.equal(sent(o, e).status, 418);
    assert.equal(o.apply(errors.upstreamError), errors.upstreamError, '5xx: no key');
  });

  it('plain-text answers (no route, 413, all hosts down) are not Tyk error documents: never overridden', () => {
    const o = overrides({ '4xx': [{ response: { status_code: 400 } }], '5xx': [{ response: { status_code: 502 } }] });
    for (const e of [errors.notFound, errors.entityTooLarge, errors.allHostsDown]) assert.equal(o.apply(e), e, e.code);
  });
});

describe('error overrides: the response', () => {
  it('status_code and message alone: Tyk\'s document with the new message, the flag and code kept', () => {
    const o = overrides({ '401': [{ response: { status_code: 400, message: 'Send a key' } }] });
    const out = o.apply(errors.authFieldMissing);
    assert.equal(out.status, 400);
    assert.equal(out.statusLine, '400 Bad Request');
    assert.equal(out.body.toString(), doc('Send a key'));
    assert.equal(out.flag, 'AMF');
    assert.equal(out.code, errors.authFieldMissing.code);
    assert.equal(out.contentType, 'application/json');
    assert.equal(out.isErrorDocument, true, 'X-Generator still follows hide_generator_header');
  });

  it('body written as is; a template renders {{.Message}} and {{.StatusCode}} (the status sent; the rule\'s message when given), unescaped', () => {
    const o = overrides({
      '401': [{ response: { status_code: 400, body: '{"code":{{ .StatusCode }},"detail":"{{.Message}}"}' } }],
      '429': [{ response: { message: 'Slow down', body: '<p>{{.Message}} ({{.StatusCode}})</p>' } }],
      '403': [{ response: { body: '{"error":"forbidden"}' } }],
    });
    assert.equal(sent(o, errors.authFieldMissing).body, '{"code":400,"detail":"Authorization field missing"}');
    assert.equal(sent(o, errors.rateLimited).body, '<p>Slow down (429)</p>');
    assert.equal(sent(o, errors.keyNotFound).body, '{"error":"forbidden"}');
  });

  it('headers are added; Content-Type replaces the content type; a header the error carries is replaced', () => {
    const challenge = withHeaders(errors.basicFieldMissing, ['WWW-Authenticate', 'Basic realm="shop"']);
    const o = overrides({ '401': [{ response: { headers: { 'Content-Type': 'application/problem+json', 'X-Error': 'auth', 'www-authenticate': 'Bearer' } } }] });
    const out = sent(o, challenge);
    assert.equal(out.contentType, 'application/problem+json');
    assert.deepEqual(out.headers, ['X-Error', 'auth', 'www-authenticate', 'Bearer']);
    assert.deepEqual(sent(o, errors.authFieldMissing).headers, ['X-Error', 'auth', 'www-authenticate', 'Bearer']);
  });

  it('invalid API rules throw naming the field (compileApi refuses the API)', () => {
    setGatewayErrorOverrides({});
    assert.throws(() => errorOverridesFor({ error_overrides: { '401': [{ response: { template: 'x' } }] } }), /error_overrides\.401\[0\]\.response\.template/);
    assert.throws(() => setGatewayErrorOverrides({ '4xx': [{ match: { message_pattern: '(' }, response: {} }] }), /error_overrides\.4xx\[0\]\.match\.message_pattern/);
  });
});

describe('error overrides through ProxyExchange', () => {
  function exchangeFor(o: ErrorOverrides | null): { exchange: ProxyExchange; ctx: RequestContext; written: { status: string; headers: string[][]; body: string } } {
    const written = { status: '', headers: [] as string[][], body: '' };
    const res = {
      writeStatus(s: string) { written.status = s; return res; },
      writeHeader(n: string, v: string) { written.headers.push([n, v]); return res; },
      end(b?: Buffer) { written.body = b?.toString() ?? ''; return res; },
      cork(cb: () => void) { cb(); return res; },
    } as unknown as ResponseWriter;
    const target = { origin: 'http://up', path: '', query: '', host: 'up', downUntil: 0, pool: { dispatch: () => undefined } } as unknown as UpstreamTarget;
    const api = { targets: [target], errorOverrides: o } as unknown as CompiledApi;
    const ctx = new RequestContext(api, 'GET', '/api/x', '', 4, ['host', 'gw'], '127.0.0.1', target, 0);
    return { exchange: new ProxyExchange(res, ctx, { onExchangeDone: () => undefined }, () => false), ctx, written };
  }

  it('a refused request: the client gets the override; ctx keeps the original flag and error, records the status sent', () => {
    const { exchange, ctx, written } = exchangeFor(overrides({ '401': [{ match: { flag: 'AMF' }, response: { status_code: 400, body: '{"e":1}', headers: { 'X-Why': 'amf' } } }] }));
    exchange.bodyReady(true);
    exchange.decide(errors.authFieldMissing);
    assert.equal(written.status, '400 Bad Request');
    assert.equal(written.body, '{"e":1}');
    assert.deepEqual(written.headers, [['Content-Type', 'application/json'], ['X-Why', 'amf']]);
    assert.equal(ctx.status, 400);
    assert.equal(ctx.flag, 'AMF');
    assert.equal(ctx.error, errors.authFieldMissing);
  });

  it('an upstream error (UCF) overridden by a gateway 5xx rule', () => {
    const { exchange, ctx, written } = exchangeFor(overrides({}, { '5xx': [{ match: { flag: 'UCF' }, response: { status_code: 502, message: 'Upstream down' } }] }));
    exchange.bodyReady(true);
    exchange.decide(undefined);
    exchange.onError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    assert.equal(written.status, '502 Bad Gateway');
    assert.equal(written.body, doc('Upstream down'));
    assert.equal(ctx.status, 502);
    assert.equal(ctx.flag, 'UCF');
  });

  it('an API without rules (errorOverrides null): the catalogue entry as is', () => {
    const { exchange, ctx, written } = exchangeFor(null);
    exchange.bodyReady(true);
    exchange.decide(errors.quotaExceeded);
    assert.equal(written.status, errors.quotaExceeded.statusLine);
    assert.equal(written.body, errors.quotaExceeded.body.toString());
    assert.equal(ctx.status, 403);
  });
});
