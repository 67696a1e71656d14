import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig, type ApiDefinition, type CorsConfig } from '@tollgate/apidef';
import pino from 'pino';
import type { Reply } from '../pipeline/decision.js';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { RequestContext } from '../pipeline/request-context.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import { createCors } from './cors.js';

const deps = createPipelineDeps({ config: defaultConfig(), logger: pino({ level: 'silent' }) });
const request = (method: string, headers: string[] = []): RequestContext =>
  new RequestContext({ apiId: 'a' } as CompiledApi, method, '/api/x', '', 4, ['host', 'h', ...headers], '127.0.0.1', {} as UpstreamTarget, 0);
const cors = (c: CorsConfig) => createCors({ api_id: 'a', CORS: { enable: true, ...c } } as ApiDefinition, deps)!;
const headersOf = (r: Reply): Record<string, string> => {
  const out: Record<string, string> = {};
  for (let i = 0; i < r.headers!.length; i += 2) out[r.headers![i]!.toLowerCase()] = r.headers![i + 1]!;
  return out;
};
const preflight = (origin: string, method: string, headers = '') =>
  request('OPTIONS', ['origin', origin, 'access-control-request-method', method, ...(headers ? ['access-control-request-headers', headers] : [])]);

describe('createCors', () => {
  it('is off unless CORS.enable', () => {
    assert.equal(createCors({ api_id: 'a', CORS: { enable: false } } as ApiDefinition, deps), null);
  });
  it('preflight with the fallbacks: any origin, GET/POST/HEAD, the default headers; 204 without a body', () => {
    const step = cors({});
    const ok = step(preflight('http://a.example', 'POST', 'Content-Type, Accept')) as Reply;
    assert.equal(ok.status, 204);
    assert.equal(ok.body.length, 0);
    assert.deepEqual(headersOf(ok), {
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'Content-Type, Accept',
    });
    const badMethod = step(preflight('http://a.example', 'PUT')) as Reply;
    assert.equal(badMethod.status, 204);
    assert.equal(headersOf(badMethod)['access-control-allow-origin'], undefined);
    assert.equal(headersOf(step(preflight('http://a.example', 'GET', 'x-custom')) as Reply)['access-control-allow-origin'], undefined);
  });
  it('allowed_methods are compared exactly with the requested method, which is echoed as sent (api-definition.md §6)', () => {
    const upper = cors({ allowed_methods: ['PUT'] });
    const lowerAsked = headersOf(upper(preflight('http://a.example', 'put')) as Reply);
    assert.equal(lowerAsked['access-control-allow-origin'], undefined);
    assert.equal(lowerAsked['access-control-allow-methods'], undefined);
    const lower = cors({ allowed_methods: ['patch'] });
    assert.equal(headersOf(lower(preflight('http://a.example', 'patch')) as Reply)['access-control-allow-methods'], 'patch');
    assert.equal(headersOf(lower(preflight('http://a.example', 'PATCH')) as Reply)['access-control-allow-origin'], undefined);
    // Actual requests: a configured `put` does not allow PUT.
    const actual = request('PUT', ['origin', 'http://a.example']);
    cors({ allowed_methods: ['put'] })(actual);
    assert.deepEqual(actual.responseHeaders, ['vary', 'Origin']);
  });
  it('wildcard origins match any run of characters; other origins get no allow headers', () => {
    const step = cors({ allowed_origins: ['http://*.foo.com'], allowed_methods: ['PUT'], allowed_headers: ['X-Custom'], max_age: 600 });
    const ok = headersOf(step(preflight('http://api.eu.FOO.com', 'PUT', 'x-custom')) as Reply);
    assert.equal(ok['access-control-allow-origin'], 'http://api.eu.FOO.com');
    assert.equal(ok['access-control-max-age'], '600');
    assert.equal(headersOf(step(preflight('http://foo.com.evil', 'PUT')) as Reply)['access-control-allow-origin'], undefined);
    assert.equal(headersOf(step(preflight('https://a.foo.com', 'PUT')) as Reply)['access-control-allow-origin'], undefined);
  });
  it('actual requests: Vary always, allow origin, exposed headers canonicalised, credentials; the request goes on', () => {
    const step = cors({ allowed_origins: ['http://app.example'], exposed_headers: ['x-total-count', 'etag'], allow_credentials: true });
    const ctx = request('GET', ['origin', 'http://app.example']);
    assert.equal(step(ctx), undefined);
    assert.deepEqual(ctx.responseHeaders, ['vary', 'Origin', 'access-control-allow-origin', 'http://app.example',
      'access-control-expose-headers', 'X-Total-Count, Etag', 'access-control-allow-credentials', 'true']);
    const other = request('GET', ['origin', 'http://evil.example']);
    step(other);
    assert.deepEqual(other.responseHeaders, ['vary', 'Origin']);
  });
  it('credentials with all origins echo the Origin instead of * (tollgate)', () => {
    const ctx = request('GET', ['origin', 'http://x.example']);
    cors({ allow_credentials: true })(ctx);
    assert.equal(ctx.responseHeaders![3], 'http://x.example');
  });
  it('max_age: 0 omits the header, negative sends 0', () => {
    assert.equal(headersOf(cors({ max_age: 0 })(preflight('http://a', 'GET')) as Reply)['access-control-max-age'], undefined);
    assert.equal(headersOf(cors({ max_age: -5 })(preflight('http://a', 'GET')) as Reply)['access-control-max-age'], '0');
  });
  it('an OPTIONS that is no preflight is answered 200, empty, with the actual-request headers', () => {
    const ctx = request('OPTIONS', ['origin', 'http://a']);
    const r = cors({})(ctx) as Reply;
    assert.equal(r.status, 200);
    assert.deepEqual(ctx.responseHeaders, ['vary', 'Origin', 'access-control-allow-origin', '*']);
  });
});
