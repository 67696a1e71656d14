import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionState } from '@tollgate/apidef';
import { apiDef, authTestDeps, testRequest, type TestRequest } from '../auth/testing.js';
import { errors } from '../errors.js';
import type { ApiDefinition } from '@tollgate/apidef';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import { createKeyChecks } from './key-checks.js';
import { createVersionCheck } from './version-check.js';

function withSession(session: SessionState | null, init: TestRequest = {}) {
  const ctx = testRequest(init);
  ctx.session = session;
  return ctx;
}

/** The version step (it reads the requested version) then the key checks, as the pipeline runs them. */
function versionThenChecks(def: ApiDefinition, deps: PipelineDeps): Middleware {
  const version = createVersionCheck(def, deps);
  const check = createKeyChecks(def, deps)!;
  return (ctx) => {
    const decision = version?.(ctx);
    return decision !== undefined ? decision : check(ctx);
  };
}

const rights = (entry: Record<string, unknown> = {}) => ({ api1: { api_id: 'api1', versions: ['Default'], ...entry } });

describe('createKeyChecks (auth.md §5)', () => {
  it('is off for keyless APIs', () => {
    assert.equal(createKeyChecks(apiDef({ use_keyless: true }), authTestDeps().deps), null);
  });

  it('no session after auth → 400 Session state is missing or unset', () => {
    const check = createKeyChecks(apiDef({ use_standard_auth: true, base_identity_provided_by: 'oidc_user' }), authTestDeps().deps)!;
    assert.equal(check(withSession(null)), errors.sessionMissing);
    assert.equal(errors.sessionMissing.status, 400);
  });

  it('inactive → 403, checked before expiry; expired → 401 only when expires ≥ 1 and in the past', () => {
    const t = authTestDeps();
    const check = createKeyChecks(apiDef({}), t.deps)!;
    const nowSeconds = t.nowMs / 1000;
    assert.equal(check(withSession({ is_inactive: true, expires: 1 })), errors.keyInactive);
    assert.equal(check(withSession({ expires: nowSeconds - 1 })), errors.keyExpired);
    assert.equal(errors.keyExpired.status, 401);
    assert.equal(check(withSession({ expires: nowSeconds + 60 })), undefined);
    assert.equal(check(withSession({ expires: 0 })), undefined);
    assert.equal(check(withSession({ expires: -1 })), undefined);
  });

  it('a key for another API is refused; an empty access_rights map is a master key', () => {
    const check = createKeyChecks(apiDef({}), authTestDeps().deps)!;
    assert.equal(check(withSession({ access_rights: { other: { api_id: 'other', versions: [] } } })), errors.apiAccessDisallowed);
    assert.equal(check(withSession({ access_rights: {} })), undefined);
    assert.equal(check(withSession({ access_rights: rights() })), undefined);
  });

  it('versioned APIs: the requested version (header) or the default must be granted; fallback_to_default counts the default', () => {
    const def = apiDef({
      version_data: { not_versioned: false, default_version: 'v1', versions: { v1: { name: 'v1' }, v2: { name: 'v2' } } },
      definition: { location: 'header', key: 'x-api-version' },
    });
    const check = versionThenChecks(def, authTestDeps().deps);
    const session = { access_rights: { api1: { api_id: 'api1', versions: ['v1'] } } };
    assert.equal(check(withSession(session)), undefined);
    assert.equal(check(withSession(session, { headers: { 'x-api-version': 'v2' } })), errors.apiAccessDisallowed);
    const fallback = versionThenChecks({ ...def, definition: { ...def.definition, fallback_to_default: true } }, authTestDeps().deps);
    assert.equal(fallback(withSession(session, { headers: { 'x-api-version': 'v2' } })), undefined);
  });

  it('version rights are checked when version_data.not_versioned is omitted (versioned, as for the version step)', () => {
    const def = apiDef({
      version_data: { default_version: 'v1', versions: { v1: { name: 'v1' }, v2: { name: 'v2' } } },
      definition: { location: 'header', key: 'x-api-version' },
    });
    const check = versionThenChecks(def, authTestDeps().deps);
    const session = { access_rights: { api1: { api_id: 'api1', versions: ['v1'] } } };
    assert.equal(check(withSession(session)), undefined);
    assert.equal(check(withSession(session, { headers: { 'x-api-version': 'v1' } })), undefined);
    assert.equal(check(withSession(session, { headers: { 'x-api-version': 'v2' } })), errors.apiAccessDisallowed);
    // not_versioned: true → one version for every request, no version rights check.
    const unversioned = versionThenChecks({ ...def, version_data: { ...def.version_data!, not_versioned: true, versions: { Default: {} } } }, authTestDeps().deps);
    assert.equal(unversioned(withSession(session, { headers: { 'x-api-version': 'v2' } })), undefined);
  });

  it('url location: the version checked is the segment after the listen path and /<slug>, as the version step reads it', () => {
    const def = apiDef({
      slug: 'shop',
      version_data: { not_versioned: false, default_version: 'v1', versions: { v1: { name: 'v1' }, v2: { name: 'v2' } } },
      definition: { location: 'url' },
    });
    const check = versionThenChecks(def, authTestDeps().deps);
    const session = { access_rights: { api1: { api_id: 'api1', versions: ['v1'] } } };
    assert.equal(check(withSession(session, { path: '/api/shop/v1/orders' })), undefined);
    assert.equal(check(withSession(session, { path: '/api/v1/orders' })), undefined);
    assert.equal(check(withSession(session, { path: '/api/shop/v2/orders' })), errors.apiAccessDisallowed);
    assert.equal(check(withSession(session, { path: '/api/v2/orders' })), errors.apiAccessDisallowed);
  });

  it('allowed_urls: a matching pattern with the method listed (exact case) passes, else 403 resource disallowed', () => {
    const check = createKeyChecks(apiDef({}), authTestDeps().deps)!;
    const session = { access_rights: rights({ allowed_urls: [{ url: '/users/{id}', methods: ['GET'] }, { url: '/orders', methods: ['GET', 'POST'] }] }) };
    assert.equal(check(withSession(session, { path: '/api/users/7' })), undefined);
    assert.equal(check(withSession(session, { path: '/api/users/7', method: 'DELETE' })), errors.resourceDisallowed);
    assert.equal(check(withSession(session, { path: '/api/orders', method: 'POST' })), undefined);
    assert.equal(check(withSession(session, { path: '/api/payments' })), errors.resourceDisallowed);
    // Unanchored by default: the pattern is searched anywhere in the full path.
    assert.equal(check(withSession(session, { path: '/api/admin/orders/9' })), undefined);
    const lower = { access_rights: rights({ allowed_urls: [{ url: '/orders', methods: ['get'] }] }) };
    assert.equal(check(withSession(lower, { path: '/api/orders' })), errors.resourceDisallowed);
  });

  it('allowed_urls are matched against the percent-decoded path (Tyk: r.URL.Path); an undecodable path is matched raw', () => {
    const check = createKeyChecks(apiDef({}), authTestDeps().deps)!;
    const session = { access_rights: rights({ allowed_urls: [{ url: '/orders$', methods: ['GET'] }, { url: '/café', methods: ['GET'] }] }) };
    assert.equal(check(withSession(session, { path: '/api/%6Frders' })), undefined);
    assert.equal(check(withSession(session, { path: '/api/caf%C3%A9' })), undefined);
    assert.equal(check(withSession(session, { path: '/api/orders%2Fadmin' })), errors.resourceDisallowed, 'decoded: /orders/admin');
    assert.equal(check(withSession(session, { path: '/api/%zz/orders' })), undefined, 'raw fallback, no throw');
    assert.equal(check(withSession(session, { path: '/api/%zz/payments' })), errors.resourceDisallowed);
    const prefixed = createKeyChecks(apiDef({}), authTestDeps((c) => { c.http_server_options.enable_path_prefix_matching = true; }).deps)!;
    const anchored = { access_rights: rights({ allowed_urls: [{ url: '/orders', methods: ['GET'] }] }) };
    assert.equal(prefixed(withSession(anchored, { path: '/api/%6Frders/1' })), undefined);
  });

  it('with prefix matching, the anchored pattern is tried on the path without the listen path', () => {
    const deps = authTestDeps((c) => { c.http_server_options.enable_path_prefix_matching = true; }).deps;
    const check = createKeyChecks(apiDef({}), deps)!;
    const session = { access_rights: rights({ allowed_urls: [{ url: '/orders', methods: ['GET'] }] }) };
    assert.equal(check(withSession(session, { path: '/api/orders/1' })), undefined);
    assert.equal(check(withSession(session, { path: '/api/admin/orders' })), errors.resourceDisallowed);
  });
});
