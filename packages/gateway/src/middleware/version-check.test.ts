import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig, type ApiDefinition, type ExtendedPaths, type GatewayConfig, type VersionDefinition, type VersionInfo } from '@tollgate/apidef';
import pino from 'pino';
import { errors } from '../errors.js';
import type { Middleware } from '../pipeline/middleware.js';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { RequestContext } from '../pipeline/request-context.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import { createVersionCheck } from './version-check.js';

const NOW = Date.UTC(2026, 5, 1);
const override = { origin: 'http://other' } as UpstreamTarget;
const api = { versionTargets: new Map([['v2', override]]) } as unknown as CompiledApi;

function deps(configure: (c: GatewayConfig) => void = () => undefined) {
  const config = defaultConfig();
  configure(config);
  return createPipelineDeps({ config, logger: pino({ level: 'silent' }), now: () => NOW });
}

/** A request to listen path `/api/` (matchedLength 5). */
function request(path: string, options: { method?: string; query?: string; headers?: string[] } = {}): RequestContext {
  return new RequestContext(api, options.method ?? 'GET', path, options.query ?? '', 5, ['host', 'h', ...(options.headers ?? [])], '127.0.0.1', {} as UpstreamTarget, 0);
}

const def = (fields: Partial<ApiDefinition>): ApiDefinition => ({ api_id: 'a', proxy: { listen_path: '/api/' }, ...fields });
const versioned = (versions: Record<string, VersionInfo>, definition: VersionDefinition, extra: Partial<ApiDefinition> = {}): ApiDefinition =>
  def({ version_data: { not_versioned: false, default_version: 'v1', versions }, definition, ...extra });

describe('createVersionCheck: non-versioned APIs', () => {
  it('is left out for a plain non-versioned API and one without versions', () => {
    assert.equal(createVersionCheck(def({ version_data: { not_versioned: true, versions: { Default: {} } } }), deps()), null);
    assert.equal(createVersionCheck(def({}), deps()), null);
    // The version name then comes from the compiled API.
    const ctx = new RequestContext({ fixedVersionName: 'Default' } as CompiledApi, 'GET', '/api/x', '', 5, ['host', 'h'], '127.0.0.1', {} as UpstreamTarget, 0);
    assert.equal(ctx.versionName, 'Default');
  });
  it('answers Tyk\'s 403s for a missing or ambiguous default version', () => {
    const none = createVersionCheck(def({ version_data: { not_versioned: true, versions: { a: {}, b: {} } } }), deps())!;
    assert.equal(none(request('/api/x')), errors.noDefaultVersion);
    const both = createVersionCheck(def({ version_data: { not_versioned: true, versions: { Default: {}, default: {}, c: {} } } }), deps())!;
    assert.equal(both(request('/api/x')), errors.ambiguousDefaultVersion);
  });
  it('applies the API expiration: header before, 403 after, unparseable = expired', () => {
    const future = createVersionCheck(def({ expiration: '2026-07-01 10:30', version_data: { not_versioned: true, versions: { Default: {} } } }), deps())!;
    const ctx = request('/api/x');
    assert.equal(future(ctx), undefined);
    assert.deepEqual(ctx.responseHeaders, ['x-tyk-api-expires', 'Wed, 01 Jul 2026 10:30:00 UTC']);
    const past = createVersionCheck(def({ expiration: '2026-01-01 00:00', version_data: { not_versioned: true, versions: { Default: {} } } }), deps())!;
    assert.equal(past(request('/api/x')), errors.apiExpired);
    const junk = createVersionCheck(def({ expiration: 'soon', version_data: { not_versioned: true, versions: { Default: {} } } }), deps())!;
    assert.equal(junk(request('/api/x')), errors.apiExpired);
  });
});

describe('createVersionCheck: version selection', () => {
  const two = { v1: {}, v2: { override_target: 'http://other' }, old: { expires: '2026-01-01 00:00' } };
  it('reads the header, falls back to default_version, 403s for unknown and expired versions', () => {
    const check = createVersionCheck(versioned(two, { location: 'header', key: 'X-API-Version' }), deps())!;
    const v2 = request('/api/x', { headers: ['x-api-version', 'v2'] });
    assert.equal(check(v2), undefined);
    assert.equal(v2.versionName, 'v2');
    assert.equal(v2.target, override, 'override_target replaces the upstream');
    const none = request('/api/x');
    assert.equal(check(none), undefined);
    assert.equal(none.versionName, 'v1');
    assert.equal(check(request('/api/x', { headers: ['x-api-version', 'v9'] })), errors.versionDoesNotExist);
    assert.equal(check(request('/api/x', { headers: ['x-api-version', 'old'] })), errors.versionExpired);
  });
  it('without default_version and without a version in the request: Version information not found', () => {
    const check = createVersionCheck(def({ version_data: { versions: { v1: {} } }, definition: { location: 'header', key: 'v' } }), deps())!;
    assert.equal(check(request('/api/x')), errors.versionNotFound);
  });
  it('fallback_to_default serves unknown versions with the default', () => {
    const check = createVersionCheck(versioned(two, { location: 'url-param', key: 'version', fallback_to_default: true }), deps())!;
    const ctx = request('/api/x', { query: 'a=1&version=v9' });
    assert.equal(check(ctx), undefined);
    assert.equal(ctx.versionName, 'v1');
  });
  it('query parameter with strip_versioning_data removes it from the forwarded query', () => {
    const check = createVersionCheck(versioned(two, { location: 'url-param', key: 'version', strip_versioning_data: true }), deps())!;
    const ctx = request('/api/x', { query: 'a=1&version=v2&b=2' });
    assert.equal(check(ctx), undefined);
    assert.equal(ctx.versionName, 'v2');
    assert.equal(ctx.query, 'a=1&b=2');
  });
  it('query parameter read as Go url.Query reads it: a pair that does not decode is skipped', () => {
    const check = createVersionCheck(versioned(two, { location: 'url-param', key: 'version' }), deps())!;
    const ctx = request('/api/x', { query: 'version=%zz&version=v2' });
    assert.equal(check(ctx), undefined);
    assert.equal(ctx.versionName, 'v2');
  });
  it('URL location: the first segment after the listen path (and slug), stripped when asked', () => {
    const check = createVersionCheck(versioned(two, { location: 'url', strip_versioning_data: true }, { slug: 'shop' }), deps())!;
    const ctx = request('/api/shop/v2/items/1');
    assert.equal(check(ctx), undefined);
    assert.equal(ctx.versionName, 'v2');
    assert.equal(ctx.forwardPath, '/api/shop/items/1');
    assert.equal(ctx.versionlessPath, '/shop/items/1');
  });
  it('URL location with url_versioning_pattern: a segment that is no version means the default', () => {
    const check = createVersionCheck(versioned(two, { location: 'url', url_versioning_pattern: '^v\\d+$' }), deps())!;
    const ctx = request('/api/items/1');
    assert.equal(check(ctx), undefined);
    assert.equal(ctx.versionName, 'v1');
    assert.equal(ctx.forwardPath, '/api/items/1');
  });
});

describe('createVersionCheck: white, black and ignored lists', () => {
  const rules = (extended: ExtendedPaths, extra: Partial<VersionInfo> = {}): Middleware => createVersionCheck(def({
    version_data: { not_versioned: true, versions: { Default: { use_extended_paths: true, extended_paths: extended, ...extra } } },
  }), deps())!;
  it('black list: 403 for the listed path and method only', () => {
    const check = rules({ black_list: [{ path: '/admin', method: 'DELETE' }] });
    assert.equal(check(request('/api/admin/1', { method: 'DELETE' })), errors.endpointForbidden);
    assert.equal(check(request('/api/admin/1', { method: 'GET' })), undefined);
  });
  it('white-list mode: unmatched requests are forbidden; templates match one segment', () => {
    const check = rules({ white_list: [{ path: '/users/{id}$', method: 'GET' }] });
    assert.equal(check(request('/api/users/7')), undefined);
    assert.equal(check(request('/api/users/7/x')), errors.endpointForbidden);
    assert.equal(check(request('/api/users/7', { method: 'POST' })), errors.endpointForbidden);
  });
  it('ignored marks the request and wins over a later black-list entry', () => {
    const check = rules({ ignored: [{ path: '/health', method: '' }], black_list: [{ path: '/health', method: '' }] });
    const ctx = request('/api/health');
    assert.equal(check(ctx), undefined);
    assert.equal(ctx.isIgnored, true);
    assert.equal(request('/api/x').isIgnored, false);
  });
  it('extended_paths.internal: 403 from outside for the listed path and method (api-definition.md §10)', () => {
    const check = rules({ internal: [{ path: '/private', method: 'GET' }, { path: '/anything', method: '' }] });
    assert.equal(check(request('/api/private/1')), errors.endpointForbidden);
    assert.equal(check(request('/api/private/1', { method: 'POST' })), undefined);
    // Like the other extended kinds, an entry without a method matches nothing.
    assert.equal(check(request('/api/anything')), undefined);
    assert.equal(rules({ internal: [{ path: '/x', method: '' }] }), null);
    assert.equal(rules({ internal: [{ path: '/x', method: 'GET', disabled: true }] }), null);
    // Scanned after the three lists: an earlier white-list or ignored match lets the request on.
    assert.equal(rules({ white_list: [{ path: '/private', method: 'GET' }], internal: [{ path: '/private', method: 'GET' }] })(request('/api/private')), undefined);
    assert.equal(rules({ ignored: [{ path: '/private', method: '' }], internal: [{ path: '/private', method: 'GET' }] })(request('/api/private')), undefined);
  });
  it('disabled entries do nothing; ignore_case and ignore_endpoint_case fold case', () => {
    assert.equal(rules({ black_list: [{ path: '/x', method: 'GET', disabled: true }] }), null);
    assert.equal(rules({ black_list: [{ path: '/Admin', method: 'GET', ignore_case: true }] })(request('/api/ADMIN')), errors.endpointForbidden);
    assert.equal(rules({ black_list: [{ path: '/Admin', method: 'GET' }] })(request('/api/ADMIN')), undefined);
    assert.equal(rules({ black_list: [{ path: '/Admin', method: 'GET' }] }, { ignore_endpoint_case: true })(request('/api/ADMIN')), errors.endpointForbidden);
  });
  it('legacy paths apply only without use_extended_paths, whatever the method', () => {
    const check = createVersionCheck(def({ version_data: { not_versioned: true, versions: { Default: { paths: { black_list: ['/secret'] } } } } }), deps())!;
    assert.equal(check(request('/api/secret', { method: 'PATCH' })), errors.endpointForbidden);
  });
  it('prefix matching from tyk.conf anchors the pattern at the path without listen path', () => {
    const check = createVersionCheck(def({ version_data: { not_versioned: true, versions: { Default: { paths: { black_list: ['/secret'] } } } } }),
      deps((c) => { c.http_server_options.enable_path_prefix_matching = true; }))!;
    assert.equal(check(request('/api/secret/1')), errors.endpointForbidden);
    assert.equal(check(request('/api/x/secret')), undefined);
  });
  it('CORS preflights skip the rules when CORS is on without passthrough', () => {
    const check = createVersionCheck(def({
      CORS: { enable: true },
      version_data: { not_versioned: true, versions: { Default: { paths: { white_list: ['/only'] } } } },
    }), deps())!;
    assert.equal(check(request('/api/x', { method: 'OPTIONS', headers: ['access-control-request-method', 'GET'] })), undefined);
    assert.equal(check(request('/api/x', { method: 'OPTIONS' })), errors.endpointForbidden);
  });
});
