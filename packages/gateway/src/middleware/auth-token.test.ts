import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiDef, authTestDeps, decide, testRequest } from '../auth/testing.js';
import { errors } from '../errors.js';
import { createAuthToken } from './auth-token.js';

describe('createAuthToken', () => {
  it('runs for use_standard_auth and for APIs with no auth flag; never for keyless or other-mode-only APIs', () => {
    const { deps } = authTestDeps();
    assert.notEqual(createAuthToken(apiDef({ use_standard_auth: true }), deps), null);
    assert.notEqual(createAuthToken(apiDef({}), deps), null);
    assert.equal(createAuthToken(apiDef({ use_keyless: true, use_standard_auth: true }), deps), null);
    assert.equal(createAuthToken(apiDef({ enable_jwt: true }), deps), null);
    assert.notEqual(createAuthToken(apiDef({ enable_jwt: true, use_standard_auth: true }), deps), null);
  });

  it('no credential → 401 Authorization field missing [AMF]; unknown or short key → 403 [AKI]', async () => {
    const { deps } = authTestDeps();
    const check = createAuthToken(apiDef({ use_standard_auth: true }), deps)!;
    assert.equal(check(testRequest()), errors.authFieldMissing);
    assert.equal(errors.authFieldMissing.status, 401);
    assert.equal(errors.authFieldMissing.flag, 'AMF');
    assert.equal(await decide(check(testRequest({ headers: { authorization: 'nope-not-a-key' } }))), errors.keyNotFound);
    assert.equal(errors.keyNotFound.flag, 'AKI');
    assert.equal(await decide(check(testRequest({ headers: { authorization: 'ab' } }))), errors.keyNotFound);
  });

  it('min_token_length: an explicit 0 means Tyk\'s default 3, not "no minimum"; a set value is honoured', async () => {
    for (const [min, short, long] of [[0, 'ab', 'abc'], [5, 'abcd', 'abcde']] as const) {
      const t = authTestDeps((c) => { c.min_token_length = min; });
      t.sessions.stored.set(short, { access_rights: {} });
      t.sessions.stored.set(long, { access_rights: {} });
      const check = createAuthToken(apiDef({ use_standard_auth: true }), t.deps)!;
      assert.equal(await decide(check(testRequest({ headers: { authorization: short } }))), errors.keyNotFound, `${min}: ${short}`);
      assert.equal(await decide(check(testRequest({ headers: { authorization: long } }))), undefined, `${min}: ${long}`);
    }
  });

  it('finds a key by its full ID or by the bare custom name, and sets session, sessionKey and keyAlias', async () => {
    const t = authTestDeps();
    t.sessions.stored.set('org1alice', { alias: 'Alice', access_rights: {} });
    const check = createAuthToken(apiDef({ use_standard_auth: true }), t.deps)!;
    for (const presented of ['org1alice', 'alice', 'Bearer alice']) {
      const ctx = testRequest({ headers: { authorization: presented } });
      assert.equal(await decide(check(ctx)), undefined, presented);
      assert.equal(ctx.sessionKey, 'org1alice');
      assert.equal(ctx.keyAlias, 'Alice');
      assert.equal(ctx.session?.alias, 'Alice');
    }
  });

  it('with hash_keys the session is read under the key hash, never under the key itself', async () => {
    const t = authTestDeps((c) => { c.hash_keys = true; });
    const { hashKeyId } = await import('@tollgate/apidef');
    t.sessions.stored.set(hashKeyId('org1bob'), { alias: 'Bob' });
    t.sessions.stored.set('org1mallory', { alias: 'stored unhashed' });
    const check = createAuthToken(apiDef({}), t.deps)!;
    const ctx = testRequest({ headers: { authorization: 'org1bob' } });
    assert.equal(await decide(check(ctx)), undefined);
    assert.equal(ctx.sessionKey, hashKeyId('org1bob'));
    assert.equal(await decide(check(testRequest({ headers: { authorization: 'org1mallory' } }))), errors.keyNotFound);
  });

  it('answers synchronously when the session source does, and asynchronously only on a miss', async () => {
    const t = authTestDeps();
    t.sessions.stored.set('org1alice', {});
    const check = createAuthToken(apiDef({}), t.deps)!;
    assert.equal(check(testRequest({ headers: { authorization: 'org1alice' } })), undefined);
    t.sessions.cached = false;
    const pending = check(testRequest({ headers: { authorization: 'org1alice' } }));
    assert.ok(pending instanceof Promise);
    assert.equal(await pending, undefined);
  });

  it('a key whose only policy is unknown is refused like an unknown key', async () => {
    const t = authTestDeps();
    t.sessions.stored.set('org1carol', { apply_policies: ['missing'] });
    const check = createAuthToken(apiDef({}), t.deps)!;
    assert.equal(await decide(check(testRequest({ headers: { authorization: 'carol' } }))), errors.keyNotFound);
  });

  it('base_identity_provided_by naming another mode: the key is still required but its session is not kept', async () => {
    const t = authTestDeps();
    t.sessions.stored.set('org1alice', { alias: 'Alice' });
    const check = createAuthToken(apiDef({ use_standard_auth: true, base_identity_provided_by: 'jwt_claim' }), t.deps)!;
    const ctx = testRequest({ headers: { authorization: 'alice' } });
    assert.equal(await decide(check(ctx)), undefined);
    assert.equal(ctx.session, null);
    assert.equal(await decide(check(testRequest({ headers: { authorization: 'unknown' } }))), errors.keyNotFound);
  });
});
