import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { decodeRecordBatch, RecordBatchWriter, type AnalyticsRecord } from '@tollgate/store';
import { errors } from '../errors.js';
import type { RequestContext } from '../pipeline/request-context.js';
import { UpstreamPools } from '../proxy/upstream-pools.js';
import type { ApiDefinition } from '@tollgate/apidef';
import { createVersionCheck } from '../middleware/version-check.js';
import { compilePathNormaliser } from './path-normaliser.js';
import { createRecordWriter, requestTags } from './record-builder.js';
import { testContext, testDeps } from './test-context.js';

const pools = new UpstreamPools({ timeoutSeconds: 1 });
after(() => pools.closeAll());
const NOW = Date.parse('2026-11-23T12:34:56.007Z');

/** Builds what a worker queues, then what the consumer reads back: the full record. */
function record(ctx: RequestContext, now = NOW): AnalyticsRecord {
  const writer = new RecordBatchWriter();
  createRecordWriter({ clientIp: testDeps.clientIp, now: () => now })(writer, ctx);
  return decodeRecordBatch(writer.finish())[0]!;
}

describe('analytics record (spec analytics.md §2)', () => {
  it('fills every field from the request context', () => {
    const r = record(testContext(pools, { tags: ['public'], tag_headers: ['X-Team'], expire_analytics_after: 60 }, {
      headers: ['host', 'gw', 'user-agent', 'curl/8', 'x-team', 'blue', 'content-length', '12'],
    }));
    const local = new Date(NOW);
    assert.deepEqual({ ...r, geo: undefined, network: undefined }, {
      method: 'GET', host: '127.0.0.1:9', path: '/items/7', raw_path: '/items/7', original_path: '/a/items/7', listen_path: '/a/',
      content_length: 12, user_agent: 'curl/8', day: local.getDate(), month: local.getMonth() + 1, year: local.getFullYear(), hour: local.getHours(),
      response_code: 200, api_key: '', timestamp: '2026-11-23T12:34:56.007Z', api_version: 'Non Versioned', api_name: 'API one',
      api_id: 'a1', org_id: 'org1', oauth_id: '', request_time: 12, latency: { total: 12, upstream: 9, gateway: 3 },
      raw_request: '', raw_response: '', ip_address: '10.0.0.9', tags: ['x-team-blue', 'public', 'org-org1', 'api-a1'],
      alias: '', track_path: false, expireAt: '2026-11-23T12:35:56.007Z', geo: undefined, network: undefined,
    });
    assert.deepEqual(r.geo.country, { iso_code: '' });
    assert.deepEqual(r.network, { open_connections: 0, closed_connections: 0, bytes_in: 0, bytes_out: 0 });
  });

  it('a request to a tracked endpoint shows the pattern as path, the request path as raw_path, and track_path', () => {
    const def = {
      version_data: {
        not_versioned: true,
        versions: { Default: { name: 'Default', use_extended_paths: true, extended_paths: { track_endpoints: [{ path: '/items/{id}', method: 'GET' }] } } },
      },
    };
    const r = record(testContext(pools, def, { path: '/a/items/7' }));
    assert.deepEqual([r.path, r.raw_path, r.original_path, r.track_path], ['/items/{id}', '/items/7', '/a/items/7', true]);
    const other = record(testContext(pools, def, { path: '/a/orders/7' }));
    assert.deepEqual([other.path, other.raw_path, other.track_path], ['/orders/7', '/orders/7', false]);
  });

  it('normalise_urls rewrites path, tracked patterns included; raw_path stays the request path', () => {
    const normalisePath = compilePathNormaliser({ enabled: true, normalise_uuids: true, normalise_ulids: false, normalise_numbers: true, custom_patterns: [] });
    const write = createRecordWriter({ clientIp: testDeps.clientIp, now: () => NOW, normalisePath });
    const writer = new RecordBatchWriter();
    write(writer, testContext(pools, {}, { path: '/a/users/42/orders/123e4567-e89b-12d3-a456-426614174000' }));
    write(writer, testContext(pools, {}, { path: '/a/health' }));
    const [r, plain] = decodeRecordBatch(writer.finish());
    assert.deepEqual([r!.path, r!.raw_path], ['/users/{id}/orders/{uuid}', '/users/42/orders/123e4567-e89b-12d3-a456-426614174000']);
    assert.deepEqual([plain!.path, plain!.raw_path], ['/health', '/health']);
  });

  it('api_version: the version name the request carried; Non Versioned when it named none or the API is not versioned', () => {
    const def = (fallback: boolean) => ({
      version_data: { not_versioned: false, default_version: 'v1', versions: { v1: { name: 'v1' }, v2: { name: 'v2' } } },
      definition: { location: 'header', key: 'x-api-version', fallback_to_default: fallback },
    });
    /** Runs the real version step on a request with these headers, then writes its record. */
    const versionOf = (fallback: boolean, headers: string[]) => {
      const ctx = testContext(pools, def(fallback), { headers: ['host', 'gw', ...headers] });
      const decision = createVersionCheck(def(fallback) as ApiDefinition, testDeps)!(ctx);
      return [record(ctx).api_version, decision === undefined ? 'served' : (decision as { status: number }).status];
    };
    assert.deepEqual(versionOf(false, ['x-api-version', 'v2']), ['v2', 'served']);
    assert.deepEqual(versionOf(false, []), ['Non Versioned', 'served'], 'the default version was used: none was read from the request');
    assert.deepEqual(versionOf(false, ['x-api-version', 'v9']), ['v9', 403]);
    assert.deepEqual(versionOf(true, ['x-api-version', 'v9']), ['v9', 'served'], 'fallback_to_default serves v1; the record names what was asked for');
    const plain = testContext(pools, { version_data: { not_versioned: true, versions: { Default: { name: 'Default' } } } });
    assert.equal(plain.versionName, 'Default');
    assert.equal(record(plain).api_version, 'Non Versioned');
  });

  it('keeps the listen path in path when strip_listen_path is off; expireAt is 100 years out by default', () => {
    const r = record(testContext(pools, { proxy: { listen_path: '/a/', target_url: 'http://127.0.0.1:9', strip_listen_path: false } }));
    assert.equal(r.path, '/a/items/7');
    assert.equal(new Date(r.expireAt).getUTCFullYear(), 2126);
  });

  it('a gateway error has no upstream time: gateway latency = total', () => {
    const r = record(testContext(pools, {}, { status: 500, error: errors.upstreamRefused }));
    assert.deepEqual(r.latency, { total: 12, upstream: 0, gateway: 12 });
    assert.equal(r.response_code, 500);
  });

  it('key, alias and oauth client come from the session', () => {
    const r = record(testContext(pools, {}, { sessionKey: 'hash9', session: { alias: 'alice', oauth_client_id: 'c1' } }));
    assert.deepEqual([r.api_key, r.alias, r.oauth_id], ['hash9', 'alice', 'c1']);
    assert.deepEqual(r.tags, ['key-hash9', 'org-org1', 'api-a1']);
  });

  it('content_length as Go reports it: declared, 0 for no body (any method), -1 for a chunked body', () => {
    const post = testContext(pools, {}, { method: 'POST' });
    assert.equal(record(post).content_length, 0, 'a POST without Content-Length and without a body has a known length: 0');
    const chunked = testContext(pools, {}, { method: 'GET' });
    chunked.body = Readable.from([Buffer.from('x')]);
    assert.equal(record(chunked).content_length, -1);
    const sized = testContext(pools, {}, { method: 'PUT', headers: ['host', 'gw', 'content-length', '3'] });
    sized.body = Buffer.from('abc');
    assert.equal(record(sized).content_length, 3);
  });

  it('ip_address is the client IP as IP lists resolve it (X-Real-IP first); user_agent and content_length as sent', () => {
    const r = record(testContext(pools, {}, { headers: ['host', 'gw', 'x-real-ip', '203.0.113.5'] }));
    assert.deepEqual([r.ip_address, r.user_agent, r.content_length], ['203.0.113.5', '', 0]);
  });

  it('user_agent stays empty when only the gateway added one for the upstream', () => {
    const ctx = testContext(pools, {}, { headers: ['host', 'gw', 'user-agent', 'tollgate/0.1.0'] });
    ctx.hasClientUserAgent = false;
    assert.equal(record(ctx).user_agent, '');
  });
});

describe('tags (spec analytics.md §3)', () => {
  it('are built in Tyk order: policies, developer, session tags, tag headers, API tags, key, org, api', () => {
    const ctx = testContext(pools, { tags: ['t-api'], tag_headers: ['X-Team', 'x-region'] }, {
      headers: ['host', 'gw', 'x-team', 'blue', 'x-region', 'eu', 'x-team', 'red'],
      session: { apply_policies: ['p1', 'p2'], meta_data: { tyk_developer_id: 'd9' }, tags: ['t-key', 't-key'] },
      sessionKey: 'abc123',
    });
    assert.deepEqual(record(ctx).tags, [
      'pol-p1', 'pol-p2', 'dev-d9', 't-key', 't-key', 'x-team-blue', 'x-team-red', 'x-region-eu', 't-api', 'key-abc123', 'org-org1', 'api-a1',
    ]);
  });

  it('no key or org tag when they are empty; a non-string developer id adds nothing', () => {
    const ctx = testContext(pools, { org_id: '' }, { session: { meta_data: { tyk_developer_id: 7 } } });
    assert.deepEqual(requestTags(ctx), []);
    assert.deepEqual(record(ctx).tags, ['api-a1']);
  });

  it('header values are kept as sent (no normalisation)', () => {
    const ctx = testContext(pools, { tag_headers: ['X-Request-ID'] }, { headers: ['host', 'gw', 'x-request-id', 'Ab.C 1'] });
    assert.deepEqual(record(ctx).tags, ['x-request-id-Ab.C 1', 'org-org1', 'api-a1']);
  });
});
