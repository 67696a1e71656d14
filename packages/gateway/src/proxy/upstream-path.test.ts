import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanPathOrNull, joinQuery, upstreamPath } from './upstream-path.js';

describe('upstreamPath: spec api-definition.md §3 table', () => {
  // listen, target path, request, strip, disable_strip_slash, upstream path
  const rows: Array<[string, string, string, boolean, boolean, string]> = [
    ['/api/', '/base/', '/api/users/1', true, false, '/base/users/1'],
    ['/api/', '/base/', '/api/', true, false, '/base'],
    ['/api/', '/base/', '/api/', true, true, '/base/'],
    ['/api/', '/base', '/api/x/', true, false, '/base/x/'],
    ['/api/', '/', '/api/users', false, false, '/api/users'],
  ];
  for (const [listen, target, request, strip, disableStripSlash, expected] of rows) {
    it(`${listen} → http://u${target}, ${request}, strip=${strip}, disable_strip_slash=${disableStripSlash} → ${expected}`, () => {
      assert.equal(upstreamPath(request, listen.length, strip, target, disableStripSlash), expected);
    });
  }
});

describe('upstreamPath: further cases', () => {
  it('follows the string-prefix rule: listen path /foo and request /foobar forward /bar', () => {
    assert.equal(upstreamPath('/foobar', 4, true, '/', false), '/bar');
  });
  it('forwards / when the listen path is stripped entirely and the target has no path', () => {
    assert.equal(upstreamPath('/api', 4, true, '/', false), '/');
    assert.equal(upstreamPath('/api/', 5, true, '/', false), '/');
  });
  it('keeps the sub-path trailing slash when the target has no path', () => {
    assert.equal(upstreamPath('/api/x/', 5, true, '/', false), '/x/');
  });
  it('removes the part a templated listen path matched', () => {
    // listen path /users/{id}/ matched "/users/42/" (10 characters).
    assert.equal(upstreamPath('/users/42/orders', 10, true, '/svc', false), '/svc/orders');
  });
  it('uses the target path unchanged for an empty sub-path only when disable_strip_slash is set', () => {
    assert.equal(upstreamPath('/api', 4, true, '/base/', true), '/base/');
    assert.equal(upstreamPath('/api', 4, true, '/base/', false), '/base');
    assert.equal(upstreamPath('/api/x', 5, true, '/base/', true), '/base/x');
  });
  it('forwards the whole request path under the target path when not stripping', () => {
    assert.equal(upstreamPath('/api/users', 5, false, '/base/', false), '/base/api/users');
  });
});

describe('joinQuery', () => {
  it('puts the target query first, joined with &', () => assert.equal(joinQuery('a=1', 'b=2'), 'a=1&b=2'));
  it('returns the request query when the target has none', () => assert.equal(joinQuery('', 'b=2'), 'b=2'));
  it('returns the target query when the request has none', () => assert.equal(joinQuery('a=1', ''), 'a=1'));
  it('returns an empty string when neither has one', () => assert.equal(joinQuery('', ''), ''));
  it('keeps repeated names from both sides', () => assert.equal(joinQuery('a=1', 'a=2'), 'a=1&a=2'));
});

describe('cleanPathOrNull', () => {
  const cleaned: Array<[string, string]> = [
    ['//', '/'],
    ['/a//b', '/a/b'],
    ['//a/b', '/a/b'],
    ['/a/./b', '/a/b'],
    ['/a/../b', '/b'],
    ['/../a', '/a'],
    ['/..', '/'],
    ['/a/b/..', '/a'],
    ['/a/b/.', '/a/b'],
    ['/a//b/', '/a/b/'],
    ['/a/b/../', '/a/'],
    ['/a/./', '/a/'],
  ];
  for (const [input, expected] of cleaned) {
    it(`${input} → ${expected}`, () => assert.equal(cleanPathOrNull(input), expected));
  }
  const untouched = ['/', '/a', '/a/b/', '/.well-known/acme-challenge/x', '/a/.hidden', '/a/...', '/a..b/c', '/v1.2/x'];
  for (const input of untouched) {
    it(`leaves ${input} alone (null)`, () => assert.equal(cleanPathOrNull(input), null));
  }
});
