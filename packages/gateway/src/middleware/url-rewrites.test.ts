import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig, type ApiDefinition, type UrlRewrite } from '@tollgate/apidef';
import pino from 'pino';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { RequestContext } from '../pipeline/request-context.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import { createUrlRewrites } from './url-rewrites.js';

const deps = createPipelineDeps({ config: defaultConfig(), logger: pino({ level: 'silent' }) });
const api = { listenPrefix: '/api/', listenRegex: null } as unknown as CompiledApi;
const request = (method: string, path: string, query = ''): RequestContext =>
  new RequestContext(api, method, path, query, 5, ['host', 'h'], '127.0.0.1', {} as UpstreamTarget, 0);
const def = (rewrites: UrlRewrite[]): ApiDefinition => ({
  api_id: 'a', proxy: { listen_path: '/api/' },
  version_data: { not_versioned: true, versions: { Default: { use_extended_paths: true, extended_paths: { url_rewrites: rewrites } } } },
});

describe('createUrlRewrites', () => {
  it('rewrites with $n groups and keeps the query unless rewrite_to has one', () => {
    const step = createUrlRewrites(def([{ path: '/users/{id}', method: 'GET', match_pattern: '/api/users/(\\d+)', rewrite_to: '/api/v2/people/$1' }]), deps)!;
    const ctx = request('GET', '/api/users/42', 'a=1');
    step(ctx);
    assert.equal(ctx.forwardPath, '/api/v2/people/42');
    assert.equal(ctx.query, 'a=1');
    assert.equal(ctx.stripLength, 5);
    const post = request('POST', '/api/users/42');
    step(post);
    assert.equal(post.forwardPath, '/api/users/42', 'method must match');
  });
  it('a rewrite_to with a query replaces it; a path outside the listen path is not stripped', () => {
    const step = createUrlRewrites(def([{ path: '/search', method: 'GET', match_pattern: 'q=([a-z]+)', rewrite_to: '/find?term=$1' }]), deps)!;
    const ctx = request('GET', '/api/search', 'q=cats');
    step(ctx);
    assert.equal(ctx.forwardPath, '/find');
    assert.equal(ctx.query, 'term=cats');
    assert.equal(ctx.stripLength, 0);
  });
  it('$10 is not read as $1 followed by 0; no match leaves the request alone', () => {
    const groups = Array.from({ length: 10 }, (_, i) => `(${String.fromCharCode(97 + i)})`).join('');
    const step = createUrlRewrites(def([{ path: '/', method: 'GET', match_pattern: groups, rewrite_to: '/$10/$1' }]), deps)!;
    const ctx = request('GET', '/api/abcdefghij');
    step(ctx);
    assert.equal(ctx.forwardPath, '/j/a');
    const miss = request('GET', '/api/xyz');
    step(miss);
    assert.equal(miss.forwardPath, '/api/xyz');
  });
  it('rewrites to another host are skipped (later feature)', () => {
    assert.equal(createUrlRewrites(def([{ path: '/x', method: 'GET', match_pattern: '.*', rewrite_to: 'http://other/x' }]), deps), null);
  });
});
