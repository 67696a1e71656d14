import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ApiDefinition } from '@tollgate/apidef';
import { UpstreamPools } from '../proxy/upstream-pools.js';
import { defaultConfig } from '@tollgate/apidef';
import pino from 'pino';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { compileApi, type CompiledApi } from './compiled-api.js';
import { RoutingTable } from './routing-table.js';

const pipelineDeps = createPipelineDeps({ config: defaultConfig(), logger: pino({ level: 'silent' }) });

const pools = new UpstreamPools({ timeoutSeconds: 1 });
after(() => pools.closeAll());

interface Options { readonly enableCustomDomains?: boolean; readonly hostname?: string }

function api(apiId: string, listenPath: string, extra: Partial<ApiDefinition> = {}, options: Options = {}): CompiledApi {
  const def: ApiDefinition = { api_id: apiId, name: apiId, proxy: { listen_path: listenPath, target_url: 'http://127.0.0.1:9' }, ...extra };
  return compileApi(def, { pools, enableCustomDomains: options.enableCustomDomains ?? false, hostname: options.hostname ?? '', pipelineDeps });
}

/** The api_id and matched length of the route for host + path, or null. */
function route(table: RoutingTable, path: string, host = 'gw.local'): [string, number] | null {
  const m = table.match(host, path);
  return m === null ? null : [m.api.apiId, m.matchedLength];
}

describe('RoutingTable: listen paths', () => {
  const table = new RoutingTable([api('short', '/api/'), api('long', '/api/v2/'), api('app', '/app'), api('root', '/')]);

  it('tries the longest listen path first', () => {
    assert.deepEqual(route(table, '/api/v2/users'), ['long', 8]);
    assert.deepEqual(route(table, '/api/v1/users'), ['short', 5]);
    assert.deepEqual(route(table, '/other'), ['root', 1]);
  });

  it('matches listen paths as string prefixes (/app also takes /apple/x)', () => {
    assert.deepEqual(route(table, '/apple/x'), ['app', 4]);
    assert.deepEqual(route(table, '/app'), ['app', 4]);
  });

  it('does not match a listen path ending in / for the same path without it', () => {
    const only = new RoutingTable([api('foo', '/foo/')]);
    assert.equal(route(only, '/foo'), null);
    assert.deepEqual(route(only, '/foo/'), ['foo', 5]);
    assert.deepEqual(route(only, '/foo/bar'), ['foo', 5]);
    // With a catch-all present the request falls through to it.
    assert.deepEqual(route(table, '/ap'), ['root', 1]);
  });

  it('uses the normalised listen path', () => {
    const t = new RoutingTable([api('n', 'svc//a/./b/')]);
    assert.deepEqual(route(t, '/svc/a/b/x'), ['n', 9]);
  });

  it('returns null when nothing matches', () => {
    assert.equal(route(new RoutingTable([api('a', '/a/')]), '/b/'), null);
    assert.equal(route(new RoutingTable([]), '/'), null);
  });
});

describe('RoutingTable: enable_strict_routes', () => {
  const apis = [api('strict-app', '/app'), api('slash', '/dir/'), api('tpl', '/u/{id}'), api('root', '/')];
  const table = new RoutingTable(apis, { strictRoutes: true });

  it('matches the listen path itself and its sub-paths', () => {
    assert.deepEqual(route(table, '/app'), ['strict-app', 4]);
    assert.deepEqual(route(table, '/app/x'), ['strict-app', 4]);
  });

  it('answers a strict miss with no route instead of falling through to /', () => {
    assert.equal(table.match('', '/apple'), null);
    assert.deepEqual(route(new RoutingTable(apis), '/apple'), ['strict-app', 4]);
  });

  it('leaves listen paths ending in / and templated ones as they are', () => {
    assert.deepEqual(route(table, '/dir/x'), ['slash', 5]);
    assert.deepEqual(route(table, '/u/42x/y'), ['tpl', 6]);
  });
});

describe('RoutingTable: /<api_id>/ routes', () => {
  const table = new RoutingTable([api('abc123', '/orders/'), api('other', '/abc123/x/')]);

  it('reaches every API under /<api_id>/ as well', () => {
    assert.deepEqual(route(table, '/abc123/y'), ['abc123', 8]);
    assert.deepEqual(route(table, '/orders/1'), ['abc123', 8]);
    assert.deepEqual(route(table, '/other/'), ['other', 7]);
  });

  it('orders the id routes by length with the listen paths', () => {
    // "/abc123/x/" (10) is longer than the id route "/abc123/" (8).
    assert.deepEqual(route(table, '/abc123/x/1'), ['other', 10]);
  });

  it('needs the trailing slash after the id', () => {
    assert.equal(route(table, '/abc123'), null);
  });

  it('counts each API once in size', () => assert.equal(table.size, 2));
});

describe('RoutingTable: templated listen paths', () => {
  const table = new RoutingTable([
    api('by-id', '/users/{id}'),
    api('list', '/users/list'),
    api('orders', '/users/{id}/orders/'),
    api('numeric', '/n/{id:[0-9]+}/'),
  ]);

  it('matches one path segment for {name} and reports the matched length', () => {
    assert.deepEqual(route(table, '/users/42'), ['by-id', 9]);
    assert.deepEqual(route(table, '/users/42/profile'), ['by-id', 9]);
    assert.deepEqual(route(table, '/users/42/orders/7'), ['orders', 17]);
  });

  it('tries an equally long literal path before a templated one', () => {
    assert.deepEqual(route(table, '/users/list'), ['list', 11]);
  });

  it('applies the regex of {name:regex}', () => {
    assert.deepEqual(route(table, '/n/123/x'), ['numeric', 7]);
    assert.equal(route(table, '/n/abc/x'), null);
  });

  it('does not match an empty segment', () => {
    assert.equal(route(table, '/users/'), null);
  });
});

describe('RoutingTable: hosts', () => {
  const domains = { enableCustomDomains: true };

  it('tries domain-bound APIs first, whatever their listen path length', () => {
    const table = new RoutingTable([
      api('any-long', '/very/long/path/', {}, domains),
      api('bound', '/', { domain: 'api.example.com' }, domains),
    ]);
    assert.deepEqual(route(table, '/very/long/path/x', 'api.example.com'), ['bound', 1]);
    assert.deepEqual(route(table, '/very/long/path/x', 'API.example.com:8443'), ['bound', 1]);
    assert.deepEqual(route(table, '/very/long/path/x', 'other.example.com'), ['any-long', 16]);
    assert.equal(route(table, '/x', 'other.example.com'), null);
  });

  it('orders domain-bound APIs by listen path length among themselves', () => {
    const table = new RoutingTable([
      api('b-short', '/', { domain: '{sub}.example.com' }, domains),
      api('b-long', '/v2/', { domain: 'api.example.com' }, domains),
    ]);
    assert.deepEqual(route(table, '/v2/x', 'api.example.com'), ['b-long', 4]);
    assert.deepEqual(route(table, '/v1/x', 'api.example.com'), ['b-short', 1]);
    assert.deepEqual(route(table, '/v2/x', 'www.example.com'), ['b-short', 1]);
  });

  it('ignores domain when custom domains are off, and domain_disabled when they are on', () => {
    const off = new RoutingTable([api('d', '/d/', { domain: 'api.example.com' })]);
    assert.deepEqual(route(off, '/d/', 'anything'), ['d', 3]);
    const disabled = new RoutingTable([api('d', '/d/', { domain: 'api.example.com', domain_disabled: true }, domains)]);
    assert.deepEqual(route(disabled, '/d/', 'anything'), ['d', 3]);
  });

  it('binds every API to tyk.conf hostname when custom domains are off', () => {
    const table = new RoutingTable([api('h', '/h/', { domain: 'ignored.example.com' }, { hostname: 'gw.example.com' })]);
    assert.deepEqual(route(table, '/h/', 'gw.example.com'), ['h', 3]);
    assert.equal(route(table, '/h/', 'ignored.example.com'), null);
  });
});

describe('RoutingTable: active flag', () => {
  it('leaves out APIs with active: false, including their /<api_id>/ route', () => {
    const table = new RoutingTable([api('on', '/on/'), api('off', '/off/', { active: false }), api('absent', '/absent/', { active: undefined })]);
    assert.equal(route(table, '/off/x'), null);
    assert.equal(route(table, '/off/'), null);
    assert.deepEqual(route(table, '/on/'), ['on', 4]);
    assert.deepEqual(route(table, '/absent/'), ['absent', 8], 'absent active means active');
    assert.equal(table.size, 2);
  });
});

describe('RoutingTable: internal flag (api-definition.md §1)', () => {
  it('binds an internal API to no listen path, neither its own nor /<api_id>/; a shorter one takes the request', () => {
    const table = new RoutingTable([api('hidden', '/svc/hidden/', { internal: true }), api('svc', '/svc/'), api('plain', '/plain/', { internal: false })]);
    assert.deepEqual(route(table, '/svc/hidden/x'), ['svc', 5]);
    assert.equal(route(table, '/hidden/x'), null);
    assert.deepEqual(route(table, '/plain/'), ['plain', 7]);
    assert.equal(table.size, 2);
  });
});
