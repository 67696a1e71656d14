import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ApiDefinition, EndpointBase } from '@tollgate/apidef';
import { UpstreamPools } from '../proxy/upstream-pools.js';
import { testContext } from './test-context.js';

const pools = new UpstreamPools({ timeoutSeconds: 1 });
after(() => pools.closeAll());

/** A non-versioned API (listen path /a/, stripped) whose Default version has these extended paths. */
function api(track: EndpointBase[], doNotTrack: EndpointBase[] = [], useExtendedPaths = true): Partial<ApiDefinition> {
  return {
    version_data: {
      not_versioned: true,
      versions: { Default: { name: 'Default', use_extended_paths: useExtendedPaths, extended_paths: { track_endpoints: track, do_not_track_endpoints: doNotTrack } } },
    },
  };
}

describe('track_endpoints / do_not_track_endpoints (spec analytics.md §7)', () => {
  it('is compiled only when a version has an enabled entry, with use_extended_paths', () => {
    assert.equal(testContext(pools).api.analytics.endpoints, null);
    assert.equal(testContext(pools, api([{ path: '/items', method: 'GET', disabled: true }])).api.analytics.endpoints, null);
    assert.equal(testContext(pools, api([{ path: '/items', method: 'GET' }], [], false)).api.analytics.endpoints, null);
    assert.notEqual(testContext(pools, api([], [{ path: '/health', method: 'GET' }])).api.analytics.endpoints, null);
  });

  it('a tracked endpoint gives its configured pattern; method must match exactly; the first matching entry wins', () => {
    const def = api([{ path: '/items/{id}', method: 'GET' }, { path: 'items', method: 'GET' }, { path: '/orders', method: 'POST' }]);
    const tracked = (method: string, path: string) => {
      const ctx = testContext(pools, def, { method, path });
      return ctx.api.analytics.endpoints!.trackedPath(ctx);
    };
    assert.equal(tracked('GET', '/a/items/7'), '/items/{id}');
    // A pattern without a leading slash is shown with one (a record's path always starts with '/').
    assert.equal(tracked('GET', '/a/items'), '/items');
    assert.equal(tracked('POST', '/a/items/7'), null);
    assert.equal(tracked('POST', '/a/orders'), '/orders');
    assert.equal(tracked('GET', '/a/orders'), null);
    assert.equal(tracked('GET', '/a/other'), null);
  });

  it('an entry without a method matches nothing (as the other marks of extended paths)', () => {
    const ctx = testContext(pools, api([{ path: '/items/{id}' }], [{ path: '/items/{id}' }]), { path: '/a/items/7' });
    assert.equal(ctx.api.analytics.endpoints!.trackedPath(ctx), null);
    assert.equal(ctx.api.analytics.endpoints!.isExcluded(ctx), false);
  });

  it('do_not_track_endpoints excludes the matching requests only', () => {
    const def = api([], [{ path: '/health', method: 'GET' }]);
    const excluded = (method: string, path: string) => {
      const ctx = testContext(pools, def, { method, path });
      return ctx.api.analytics.endpoints!.isExcluded(ctx);
    };
    assert.equal(excluded('GET', '/a/health'), true);
    assert.equal(excluded('HEAD', '/a/health'), false);
    assert.equal(excluded('GET', '/a/items/7'), false);
  });

  it('a versioned API uses the lists of the version the request resolved to', () => {
    const def: Partial<ApiDefinition> = {
      version_data: {
        not_versioned: false, default_version: 'v1',
        versions: {
          v1: { name: 'v1', use_extended_paths: true, extended_paths: { track_endpoints: [{ path: '/items/{id}', method: 'GET' }] } },
          v2: { name: 'v2' },
        },
      },
      definition: { location: 'header', key: 'x-api-version' },
    };
    const ctx = testContext(pools, def, { path: '/a/items/7' });
    ctx.versionName = 'v1';
    assert.equal(ctx.api.analytics.endpoints!.trackedPath(ctx), '/items/{id}');
    ctx.versionName = 'v2';
    assert.equal(ctx.api.analytics.endpoints!.trackedPath(ctx), null);
  });
});
