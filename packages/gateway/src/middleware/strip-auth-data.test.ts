import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiDef, authTestDeps, testRequest } from '../auth/testing.js';
import { createStripAuthData } from './strip-auth-data.js';

describe('createStripAuthData (auth.md §10)', () => {
  it('is off unless strip_auth_data on a keyed API', () => {
    const { deps } = authTestDeps();
    assert.equal(createStripAuthData(apiDef({}), deps), null);
    assert.equal(createStripAuthData(apiDef({ strip_auth_data: true, use_keyless: true }), deps), null);
  });

  it('removes the header, the query parameter and the exactly-named cookie of every auth config; other headers stay', () => {
    const def = apiDef({
      strip_auth_data: true,
      auth_configs: {
        authToken: { auth_header_name: 'X-Key', use_param: true, param_name: 'key', use_cookie: true, cookie_name: 'sess' },
        hmac: {},
      },
    });
    const strip = createStripAuthData(def, authTestDeps().deps)!;
    const ctx = testRequest({
      query: 'a=1&key=secret', headers: { 'x-key': 'secret', authorization: 'Signature x', date: 'd', cookie: 'sessid=keep; sess=secret' },
    });
    assert.equal(strip(ctx), undefined);
    assert.equal(ctx.header('x-key'), '');
    assert.equal(ctx.header('authorization'), '');
    assert.equal(ctx.header('date'), 'd');
    assert.equal(ctx.query, 'a=1');
    assert.equal(ctx.header('cookie'), 'sessid=keep');
  });

  it('uses the legacy auth object when auth_configs is empty, and drops an emptied Cookie header', () => {
    const strip = createStripAuthData(apiDef({ strip_auth_data: true, auth: { cookie_name: 'tok' } }), authTestDeps().deps)!;
    const ctx = testRequest({ headers: { authorization: 'k', cookie: 'tok=k' } });
    strip(ctx);
    assert.equal(ctx.header('authorization'), '');
    assert.equal(ctx.header('cookie'), '');
    assert.equal(ctx.headers.includes('cookie'), false);
  });

  it('also strips where the auth steps read: the legacy auth header when auth_configs has no authToken/jwt entry', () => {
    const def = apiDef({
      strip_auth_data: true, use_standard_auth: true, use_basic_auth: true, enable_jwt: true,
      auth: { auth_header_name: 'X-Legacy', use_param: true, param_name: 'legacy' },
      auth_configs: { basic: { auth_header_name: 'X-Basic' } },
    });
    const strip = createStripAuthData(def, authTestDeps().deps)!;
    const ctx = testRequest({ query: 'legacy=tok&a=1', headers: { 'x-legacy': 'token', 'x-basic': 'Basic eDp5', authorization: 'upstream-own' } });
    strip(ctx);
    assert.equal(ctx.header('x-legacy'), '', 'the token the auth token and JWT steps read');
    assert.equal(ctx.query, 'a=1');
    assert.equal(ctx.header('x-basic'), '');
    assert.equal(ctx.header('authorization'), 'upstream-own', 'not a credential location of this API');
  });

  it('with disable_header, strips the Authorization parameter and cookie the token is read from (and Tyk\'s own list)', () => {
    const def = apiDef({ strip_auth_data: true, auth_configs: { authToken: { auth_header_name: 'X-Key', disable_header: true, use_param: true, use_cookie: true } } });
    const strip = createStripAuthData(def, authTestDeps().deps)!;
    const ctx = testRequest({ query: 'Authorization=tok&X-Key=k&a=1', headers: { cookie: 'Authorization=tok; keep=1' } });
    strip(ctx);
    assert.equal(ctx.query, 'a=1');
    assert.equal(ctx.header('cookie'), 'keep=1');
  });
});
