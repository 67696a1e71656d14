import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSessionBody, withSessionDefaults, ZERO_DATE } from './session-validation.js';
import { sessionLifetime } from './session-lifetime.js';
import { checkPolicy, INVALID_POLICY_ID, POLICY_WITHOUT_ID } from './policy-validation.js';
import { hashBasicAuthPassword, verifyBasicAuthPassword } from './basic-auth-password.js';

function error(body: unknown): string {
  const r = parseSessionBody(body);
  assert.equal(r.ok, false, 'expected a refusal');
  const { field, error: why } = r as { field: string; error: string };
  assert.ok(why.startsWith(field === '' ? 'the body' : `${field} must be `), `field ${field} does not lead ${why}`);
  return why;
}

describe('parseSessionBody', () => {
  it('refuses wrong types with a message naming the field', () => {
    assert.equal(error({ expires: 'tomorrow' }), 'expires must be an integer (got "tomorrow")');
    assert.equal(error({ quota_max: 1.5 }), 'quota_max must be an integer (got 1.5)');
    assert.equal(error({ rate: '10' }), 'rate must be a number (got "10")');
    assert.equal(error({ is_inactive: 'yes' }), 'is_inactive must be a boolean (got "yes")');
    assert.equal(error({ apply_policies: 'gold' }), 'apply_policies must be a list of strings (got "gold")');
    assert.equal(error({ tags: [1] }), 'tags must be a list of strings (got [1])');
    assert.equal(error({ access_rights: [] }), 'access_rights must be an object (got [])');
    assert.equal(error({ access_rights: { a1: { versions: 'v1' } } }), 'access_rights.a1.versions must be a list of strings (got "v1")');
    assert.equal(error({ access_rights: { a1: { allowed_urls: [{ url: '/x', methods: 'GET' }] } } }),
      'access_rights.a1.allowed_urls[0].methods must be a list of strings (got "GET")');
    assert.equal(error({ access_rights: { a1: { limit: { rate: 'fast' } } } }), 'access_rights.a1.limit.rate must be a number (got "fast")');
    assert.equal(error({ basic_auth_data: { password: 5 } }), 'basic_auth_data.password must be a string (got a number)');
    assert.equal(error({ last_updated: 1700000000 }), 'last_updated must be a string (got 1700000000)');
    assert.equal(error({ date_created: 'not a date' }), 'date_created must be an RFC 3339 date-time (got "not a date")');
    assert.equal(error([]), 'the body must be a JSON object (a session)');
  });

  it('names the wrong field separately and never quotes the value of a credential (the reason is logged)', () => {
    assert.deepEqual(parseSessionBody({ access_rights: { a1: { limit: { rate: 'fast' } } } }),
      { ok: false, field: 'access_rights.a1.limit.rate', error: 'access_rights.a1.limit.rate must be a number (got "fast")' });
    assert.equal(error({ hmac_string: 123456 }), 'hmac_string must be a string (got a number)');
    assert.equal(error({ jwt_data: { secret: ['k'] } }), 'jwt_data.secret must be a string (got a list)');
    assert.equal(error({ oauth_keys: { c1: 42 } }), 'oauth_keys.c1 must be a string (got a number)');
  });

  it('accepts null as the zero value, as Go does, and keeps unknown fields', () => {
    const r = parseSessionBody({ expires: null, tags: null, access_rights: null, custom_field: { a: 1 } });
    assert.ok(r.ok);
    assert.equal(r.session.expires, 0);
    assert.deepEqual(r.session.tags, []);
    assert.deepEqual(r.session.access_rights, {});
    assert.deepEqual(r.session.custom_field, { a: 1 });
  });
});

describe('withSessionDefaults', () => {
  it('emits every field with zero values, [] and {} instead of null', () => {
    const s = withSessionDefaults({ org_id: 'o', access_rights: { a1: { api_id: 'a1' } } });
    assert.equal(s.date_created, ZERO_DATE);
    assert.deepEqual(s.apply_policies, []);
    assert.deepEqual(s.meta_data, {});
    assert.deepEqual(s.basic_auth_data, { password: '', hash_type: '' });
    assert.deepEqual(s.jwt_data, { secret: '' });
    assert.deepEqual(s.monitor, { trigger_limits: [] });
    assert.equal(s.smoothing, null);
    for (const field of ['rate', 'per', 'quota_max', 'quota_renews', 'expires', 'session_lifetime', 'last_check', 'allowance']) {
      assert.equal(s[field], 0, field);
    }
    const a1 = s.access_rights!.a1!;
    assert.deepEqual([a1.api_name, a1.versions, a1.allowed_urls, a1.allowance_scope], ['', [], [], '']);
    assert.equal(a1.limit!.quota_max, 0);
  });
});

describe('sessionLifetime', () => {
  const config = { global_session_lifetime: 0, force_global_session_lifetime: false, session_lifetime_respects_key_expiration: false };

  it('the largest API lifetime; the key\'s own lifetime wins over the API\'s; 0 = none', () => {
    assert.equal(sessionLifetime({}, [{ session_lifetime: 100 }, { session_lifetime: 300 }, {}], config, 1000), 300);
    assert.equal(sessionLifetime({ session_lifetime: 50 }, [{ session_lifetime: 300 }], config, 1000), 50);
    assert.equal(sessionLifetime({}, [{}], config, 1000), 0);
    assert.equal(sessionLifetime({ session_lifetime: 70 }, [], config, 1000), 70);
  });

  it('a forced global lifetime wins; respecting expiry stretches the TTL to reach expires', () => {
    assert.equal(sessionLifetime({ session_lifetime: 50 }, [{}], { ...config, force_global_session_lifetime: true, global_session_lifetime: 9 }, 1000), 9);
    assert.equal(sessionLifetime({ expires: 5000 }, [{ session_lifetime: 100, session_lifetime_respects_key_expiration: true }], config, 1000), 4000);
    assert.equal(sessionLifetime({ expires: 1050 }, [{ session_lifetime: 100 }], { ...config, session_lifetime_respects_key_expiration: true }, 1000), 100);
  });

  it('post_expiry_action: delete ends the record at expires, retain at expires + grace, grace -1 never; over any lifetime', () => {
    const api = [{ session_lifetime: 100 }];
    assert.equal(sessionLifetime({ expires: 1500, post_expiry_action: 'delete' }, api, config, 1000), 500);
    assert.equal(sessionLifetime({ expires: 1500, post_expiry_action: 'delete', post_expiry_grace_period: 70 }, api, config, 1000), 500, 'delete ignores the grace');
    assert.equal(sessionLifetime({ expires: 1500, post_expiry_action: 'retain', post_expiry_grace_period: 70 }, api, config, 1000), 570);
    assert.equal(sessionLifetime({ expires: 1500, post_expiry_action: 'retain' }, api, config, 1000), 500, 'no grace = 0');
    assert.equal(sessionLifetime({ expires: 1500, post_expiry_action: 'retain', post_expiry_grace_period: -1 }, api, config, 1000), 0, 'kept forever');
    assert.equal(sessionLifetime({ expires: 1500, session_lifetime: 9000, post_expiry_action: 'delete' }, [], config, 1000), 500);
    assert.equal(sessionLifetime({ expires: 900, post_expiry_action: 'delete' }, api, config, 1000), 1, 'already past: gone at once, never "no TTL"');
  });

  it('post_expiry_action does not apply to keys that never expire, to other values, or over a forced global lifetime', () => {
    const api = [{ session_lifetime: 100 }];
    assert.equal(sessionLifetime({ expires: 0, post_expiry_action: 'delete' }, api, config, 1000), 100);
    assert.equal(sessionLifetime({ expires: 1500, post_expiry_action: '' }, api, config, 1000), 100);
    assert.equal(sessionLifetime({ expires: 1500, post_expiry_action: 'keep' }, api, config, 1000), 100);
    assert.equal(sessionLifetime({ expires: 1500, post_expiry_action: 'retain', post_expiry_grace_period: -1 }, api,
      { ...config, force_global_session_lifetime: true, global_session_lifetime: 9 }, 1000), 9);
  });
});

describe('checkPolicy', () => {
  it('requires an ID of allowed characters, taking _id when id is absent', () => {
    assert.deepEqual(checkPolicy({ name: 'x' }), { ok: false, error: POLICY_WITHOUT_ID });
    assert.deepEqual(checkPolicy({ id: 'a/b' }), { ok: false, error: INVALID_POLICY_ID });
    assert.deepEqual(checkPolicy({ id: 'a b' }), { ok: false, error: INVALID_POLICY_ID });
    const fromUnderscore = checkPolicy({ _id: 'mongo.id-1~x_y' });
    assert.ok(fromUnderscore.ok);
    assert.equal(fromUnderscore.policy.id, 'mongo.id-1~x_y');
  });

  it('answers Tyk\'s exact Request malformed for a wrong type, naming the field in the detail only', () => {
    assert.deepEqual(checkPolicy({ id: 'p', rate: 'lots' }), { ok: false, error: 'Request malformed', field: 'rate', detail: 'rate must be a number' });
    assert.deepEqual(checkPolicy({ id: 'p', partitions: { acl: 'yes' } }),
      { ok: false, error: 'Request malformed', field: 'partitions.acl', detail: 'partitions.acl must be a boolean' });
    assert.deepEqual(checkPolicy({ id: 'p', access_rights: { a: 1 } }),
      { ok: false, error: 'Request malformed', field: 'access_rights.a', detail: 'access_rights.a must be an object' });
    assert.deepEqual(checkPolicy('x'), { ok: false, error: 'Request malformed' });
  });
});

describe('basic-auth passwords', () => {
  it('bcrypt by default (cost 10); digests when configured; verified in each form', async () => {
    const bcrypted = await hashBasicAuthPassword('s3cret:with:colons', '');
    assert.equal(bcrypted.hash_type, 'bcrypt');
    assert.match(bcrypted.password, /^\$2[ab]\$10\$/);
    assert.equal(await verifyBasicAuthPassword('s3cret:with:colons', bcrypted), true);
    assert.equal(await verifyBasicAuthPassword('wrong', bcrypted), false);
    const sha = await hashBasicAuthPassword('pw', 'sha256');
    assert.deepEqual(sha, { password: '30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4', hash_type: 'sha256' });
    assert.equal(verifyBasicAuthPassword('pw', sha), true);
    assert.equal(verifyBasicAuthPassword('pw2', sha), false);
    const m = await hashBasicAuthPassword('pw', 'murmur64');
    assert.equal(m.password.length, 16);
    assert.equal(verifyBasicAuthPassword('pw', m), true);
    assert.equal(verifyBasicAuthPassword('pw', { password: 'pw', hash_type: '' }), true);
    assert.equal(verifyBasicAuthPassword('p', { password: 'pw', hash_type: '' }), false);
  });
});
