import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashBasicAuthPassword } from '@tollgate/apidef';
import { apiDef, authTestDeps, decide, testRequest } from '../auth/testing.js';
import { errors } from '../errors.js';
import type { Reply } from '../pipeline/decision.js';
import { createBasicAuth } from './basic-auth.js';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const challenge = ['www-authenticate', 'Basic realm="Shop"'];

describe('createBasicAuth (auth.md §6)', () => {
  const def = apiDef({ use_basic_auth: true });

  it('missing → 401 [AMF] with WWW-Authenticate; the three malformed cases → 400 [IHD]', async () => {
    const check = createBasicAuth(def, authTestDeps().deps)!;
    const missing = check(testRequest()) as Reply;
    assert.equal(missing.status, 401);
    assert.equal(missing.flag, 'AMF');
    assert.deepEqual(missing.headers, challenge);
    assert.equal(missing.body.toString(), errors.authFieldMissing.body.toString());
    assert.equal(check(testRequest({ headers: { authorization: 'Basic' } })), errors.basicHeaderMalformed);
    assert.equal(check(testRequest({ headers: { authorization: 'Basic  abc' } })), errors.basicHeaderMalformed);
    assert.equal(check(testRequest({ headers: { authorization: 'Basic dXNlcjpwYXNz=' } })), errors.basicEncodingMalformed);
    assert.equal(check(testRequest({ headers: { authorization: 'Basic !!!!' } })), errors.basicEncodingMalformed);
    assert.equal(check(testRequest({ headers: { authorization: `Basic ${Buffer.from('nocolon').toString('base64')}` } })), errors.basicValuesMalformed);
  });

  it('plain, digest and bcrypt passwords; a colon in the password works; the scheme word is not checked', async () => {
    const t = authTestDeps();
    t.sessions.stored.set('org1plain', { basic_auth_data: { password: 'pa:ss', hash_type: '' }, alias: 'plain' });
    t.sessions.stored.set('org1digest', { basic_auth_data: await hashBasicAuthPassword('s3cret', 'sha256') });
    t.sessions.stored.set('org1crypt', { basic_auth_data: await hashBasicAuthPassword('hunter2', 'bcrypt') });
    const check = createBasicAuth(def, t.deps)!;
    const ctx = testRequest({ headers: { authorization: basic('plain', 'pa:ss') } });
    assert.equal(await decide(check(ctx)), undefined);
    assert.equal(ctx.sessionKey, 'org1plain');
    assert.equal(ctx.keyAlias, 'plain');
    assert.equal(await decide(check(testRequest({ headers: { authorization: basic('digest', 's3cret').replace('Basic', 'Foo') } }))), undefined);
    assert.equal(await decide(check(testRequest({ headers: { authorization: basic('crypt', 'hunter2') } }))), undefined);
  });

  it('unknown user or wrong password → 401 User not authorised with the challenge header', async () => {
    const t = authTestDeps();
    t.sessions.stored.set('org1crypt', { basic_auth_data: await hashBasicAuthPassword('hunter2', 'bcrypt') });
    const check = createBasicAuth(def, t.deps)!;
    for (const header of [basic('nobody', 'x'), basic('crypt', 'wrong'), basic('crypt', '')]) {
      const refused = (await decide(check(testRequest({ headers: { authorization: header } })))) as Reply;
      assert.equal(refused.status, 401);
      assert.equal(refused.body.toString(), '{\n    "error": "User not authorised"\n}');
      assert.deepEqual(refused.headers, challenge);
    }
  });

  it('caches a successful bcrypt check (answered synchronously the second time) unless disable_caching', async () => {
    const t = authTestDeps();
    t.sessions.stored.set('org1crypt', { basic_auth_data: await hashBasicAuthPassword('hunter2', 'bcrypt') });
    const cached = createBasicAuth(def, t.deps)!;
    const header = { authorization: basic('crypt', 'hunter2') };
    const first = cached(testRequest({ headers: header }));
    assert.ok(first instanceof Promise);
    assert.equal(await first, undefined);
    assert.equal(cached(testRequest({ headers: header })), undefined);
    // A wrong password is never answered from the cache.
    assert.ok(cached(testRequest({ headers: { authorization: basic('crypt', 'hunter3') } })) instanceof Promise);
    const uncached = createBasicAuth(apiDef({ use_basic_auth: true, basic_auth: { disable_caching: true } }), t.deps)!;
    await decide(uncached(testRequest({ headers: header })));
    assert.ok(uncached(testRequest({ headers: header })) instanceof Promise);
  });

  it('tries the legacy <org><user> ID when hash_key_function is set', async () => {
    const t = authTestDeps((c) => { c.hash_key_function = 'murmur64'; });
    t.sessions.stored.set('org1legacy', { basic_auth_data: { password: 'pw', hash_type: '' } });
    const check = createBasicAuth(def, t.deps)!;
    assert.equal(await decide(check(testRequest({ headers: { authorization: basic('legacy', 'pw') } }))), undefined);
  });
});
