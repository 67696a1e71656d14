import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig, type ApiDefinition, type VersionInfo } from '@tollgate/apidef';
import pino from 'pino';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { RequestContext } from '../pipeline/request-context.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import { createHeaderTransforms } from './header-transforms.js';

const deps = createPipelineDeps({ config: defaultConfig(), logger: pino({ level: 'silent' }) });
const request = (method: string, path: string, headers: string[] = []): RequestContext =>
  new RequestContext({} as CompiledApi, method, path, '', 4, ['host', 'h', ...headers], '127.0.0.1', {} as UpstreamTarget, 0);
const def = (version: VersionInfo): ApiDefinition => ({ api_id: 'a', proxy: { listen_path: '/api' }, version_data: { not_versioned: true, versions: { Default: version } } });

describe('createHeaderTransforms', () => {
  it('removes, then sets global headers (replacing values); host is never touched', () => {
    const step = createHeaderTransforms(def({ global_headers_remove: ['X-Secret', 'x-forwarded-for'], global_headers: { 'X-Added': 'yes', 'X-Replace': 'new', Host: 'evil' } }), deps)!;
    const ctx = request('GET', '/api/x', ['x-secret', 's', 'x-replace', 'old', 'x-replace', 'old2', 'x-forwarded-for', '1.2.3.4']);
    assert.equal(step(ctx), undefined);
    assert.deepEqual(ctx.headers, ['host', 'h', 'x-added', 'yes', 'x-replace', 'new']);
  });
  it('global_headers_disabled turns both off', () => {
    assert.equal(createHeaderTransforms(def({ global_headers_disabled: true, global_headers: { a: 'b' } }), deps), null);
  });
  it('fills $tyk_meta.<field> from the session meta_data', () => {
    const step = createHeaderTransforms(def({ global_headers: { 'x-tier': 'tier=$tyk_meta.tier;none=$tyk_meta.missing' } }), deps)!;
    const ctx = request('GET', '/api/x');
    ctx.session = { meta_data: { tier: 'gold' } } as unknown as RequestContext['session'];
    step(ctx);
    assert.equal(ctx.header('x-tier'), 'tier=gold;none=');
  });
  it('extended transform_headers apply to the matching endpoint and method, after the global ones', () => {
    const step = createHeaderTransforms(def({
      global_headers: { 'x-a': 'global' },
      use_extended_paths: true,
      extended_paths: { transform_headers: [{ path: '/orders', method: 'POST', delete_headers: ['x-a'], add_headers: { 'x-b': 'endpoint' } }] },
    }), deps)!;
    const hit = request('POST', '/api/orders');
    step(hit);
    assert.equal(hit.header('x-a'), '');
    assert.equal(hit.header('x-b'), 'endpoint');
    const miss = request('GET', '/api/orders');
    step(miss);
    assert.equal(miss.header('x-a'), 'global');
  });
  it('global_response_headers go on the client response', () => {
    const step = createHeaderTransforms(def({ global_response_headers: { 'X-Served-By': 'tollgate' } }), deps)!;
    const ctx = request('GET', '/api/x');
    step(ctx);
    assert.deepEqual(ctx.responseHeaders, ['x-served-by', 'tollgate']);
  });
});

describe('createHeaderTransforms: response headers', () => {
  it('global_response_headers_remove and transform_response_headers drop and add response headers', () => {
    const step = createHeaderTransforms(def({
      global_response_headers_remove: ['Server'],
      use_extended_paths: true,
      extended_paths: { transform_response_headers: [{ path: '/orders', method: 'GET', delete_headers: ['X-Internal'], add_headers: { 'X-Cache-Hint': 'short' } }] },
    }), deps)!;
    const hit = request('GET', '/api/orders');
    step(hit);
    assert.deepEqual(hit.dropResponseHeaders, ['server', 'x-internal']);
    assert.deepEqual(hit.responseHeaders, ['x-cache-hint', 'short']);
    const other = request('GET', '/api/other');
    step(other);
    assert.deepEqual(other.dropResponseHeaders, ['server']);
    assert.equal(other.responseHeaders, null);
  });
});
