import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors } from '../errors.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import { decodePath, RequestContext } from './request-context.js';

const request = (path = '/a/x'): RequestContext => new RequestContext({} as CompiledApi, 'GET', path, '', 3, ['host', 'h'], '127.0.0.1', {} as UpstreamTarget, 0);

describe('RequestContext', () => {
  it('a shared header list is taken as it is and copied before anything is added to it', () => {
    const shared = Object.freeze(['x-ratelimit-limit', '10', 'x-ratelimit-remaining', '9']);
    const first = request();
    first.addSharedResponseHeaders(shared);
    assert.equal(first.responseHeaders, shared);
    first.addResponseHeader('x-more', '1');
    assert.deepEqual(first.responseHeaders, [...shared, 'x-more', '1']);
    assert.equal(shared.length, 4, 'the shared list is untouched');
    const second = request();
    second.addResponseHeader('vary', 'Origin');
    second.addSharedResponseHeaders(shared);
    assert.deepEqual(second.responseHeaders, ['vary', 'Origin', ...shared]);
  });

  it('decodedPath / decodedSubPath: percent-decoded once; the raw path itself when nothing decodes, never a throw', () => {
    const plain = request('/a/orders');
    assert.equal(plain.decodedPath, plain.path);
    assert.equal(plain.decodedSubPath, '/orders');
    const escaped = request('/a/%6Frders/caf%C3%A9%2Fx+y');
    assert.equal(escaped.decodedPath, '/a/orders/café/x+y');
    assert.equal(escaped.decodedSubPath, '/orders/café/x+y');
    assert.equal(escaped.decodedPath, escaped.decodedPath, 'cached');
    for (const bad of ['/a/100%', '/a/%zz/x', '/a/%E0%A4%A', '/a/%FF']) {
      assert.equal(request(bad).decodedPath, bad);
      assert.equal(request(bad).decodedSubPath, bad.slice(2));
      assert.equal(decodePath(bad), bad);
    }
  });

  it('pending() gives a promise that settle() resolves once', async () => {
    const ctx = request();
    const decision = ctx.pending();
    ctx.settle(errors.quotaExceeded);
    ctx.settle(undefined);
    assert.equal(await decision, errors.quotaExceeded);
  });
});
