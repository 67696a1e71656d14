import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestContext } from '../pipeline/request-context.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import { compileEntry, findEntry, isContextFree, type PatternContext } from './endpoint-list.js';

const pc: PatternContext = { prefixMatching: false, suffixMatching: false, ignoreCase: false };
const request = (path: string, matchedLength: number): RequestContext =>
  new RequestContext({} as CompiledApi, 'GET', path, '', matchedLength, ['host', 'h'], '127.0.0.1', {} as UpstreamTarget, 0);
const entry = (pattern: string) => compileEntry('f', pattern, '', false, pc, pattern);

describe('endpoint matching', () => {
  it('tells context-free patterns from anchored ones (character classes do not count)', () => {
    assert.equal(isContextFree(/\/users\/([^/]+)/), true);
    assert.equal(isContextFree(/^\/users/), false);
    assert.equal(isContextFree(/\/a\b/), false);
    assert.equal(isContextFree(/(?<!x)\/a/), false);
  });
  it('an anchored pattern is tried on the path without listen path as well as the full path', () => {
    const ctx = request('/api/items/7', 5);
    assert.equal(findEntry([entry('^/items')], ctx, true)?.value, '^/items');
    assert.equal(findEntry([entry('^/api/items')], ctx, true)?.value, '^/api/items');
    assert.equal(findEntry([entry('^/nothing')], ctx, true), undefined);
  });
  it('when a / had to be added to the sub path (string-prefix listen path), it is still tried', () => {
    const ctx = request('/apiary', 4); // listen path /api matched /apiary as a string prefix
    assert.equal(ctx.subPath, '/ary');
    assert.equal(ctx.isSubPathSuffix, false);
    assert.equal(findEntry([entry('/ary$')], ctx, true)?.value, '/ary$');
    assert.equal(findEntry([entry('^/ary')], ctx, true)?.value, '^/ary');
  });
  it('matches the percent-decoded path, as Tyk matches r.URL.Path: escapes cannot step around a rule', () => {
    for (const path of ['/api/%61dmin/users', '/api/admin%2Fusers', '/api/%41DMIN/users']) {
      const ctx = request(path, 4);
      const expected = path.includes('%41') ? undefined : '^/admin/users';
      assert.equal(findEntry([entry('^/admin/users')], ctx, true)?.value, expected, path);
    }
    // A path that does not decode is matched as it came.
    assert.equal(findEntry([entry('^/bad%zz')], request('/api/bad%zz', 4), true)?.value, '^/bad%zz');
  });
});
