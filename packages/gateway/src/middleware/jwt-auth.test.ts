import assert from 'node:assert/strict';
import { createHash, createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { generateCertificate } from '@tollgate/store';
import { exportJWK, SignJWT, type JWTPayload } from 'jose';
import { apiDef, authTestDeps, decide, testRequest } from '../auth/testing.js';
import { errors, type GatewayError } from '../errors.js';
import type { Reply } from '../pipeline/decision.js';
import { legacyCertificate } from '../auth/jwt-keys.js';
import { createJwtAuth } from './jwt-auth.js';

const SECRET = Buffer.from('a-very-secret-hmac-key-of-32-bytes!!');
const NOW = 1_700_000_000;
const hs256 = (claims: JWTPayload, secret: Uint8Array = SECRET, header: Record<string, unknown> = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', ...header }).sign(secret);
const unsigned = (claims: object) => `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

function setup(fields = {}) {
  const t = authTestDeps();
  t.policies.set('gold', { id: 'gold', org_id: 'org1', rate: 100, per: 1, quota_max: -1, access_rights: { api1: { api_id: 'api1', versions: ['Default'] } }, tags: ['gold'] });
  t.policies.set('silver', { id: 'silver', org_id: 'org1', rate: 10, per: 1, quota_max: -1, access_rights: { api1: { api_id: 'api1', versions: ['Default'] } } });
  t.policies.set('foreign', { id: 'foreign', org_id: 'org2', access_rights: { api1: { api_id: 'api1', versions: [] } } });
  const def = apiDef({ enable_jwt: true, jwt_signing_method: 'hmac', jwt_source: SECRET.toString('base64'), jwt_policy_field_name: 'pol', ...fields });
  return { t, check: createJwtAuth(def, t.deps)! };
}

const bearer = (token: string) => testRequest({ headers: { authorization: `Bearer ${token}` } });
const storageIdOf = (identity: string) => `org1${createHash('md5').update(identity).digest('hex')}`;

/** A JWKS endpoint answering `{"keys": keys()}` and counting its fetches. */
async function serveJwks(keys: () => object[]): Promise<{ readonly url: string; readonly fetches: number; close(): void }> {
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: keys() }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    get fetches() { return fetches; },
    close: () => { server.close(); },
  };
}

/** The decision for a token signed with a key the set gained, retried while jose waits out its refetch cooldown. */
async function decideAfterRotation(check: ReturnType<typeof setup>['check'], token: string): Promise<unknown> {
  let outcome: unknown = 'not tried';
  for (let attempt = 0; attempt < 50 && outcome !== undefined; attempt++) {
    outcome = await decide(check(bearer(token)));
    if (outcome !== undefined) await new Promise((r) => setTimeout(r, 100));
  }
  return outcome;
}

describe('createJwtAuth: verification (auth.md §8.2)', () => {
  it('missing → 400 [AMF]; garbage, oversized or wrongly signed → 403 Key not authorized [TKI]', async () => {
    const { check } = setup();
    assert.equal(check(testRequest()), errors.jwtMissing);
    assert.equal(errors.jwtMissing.status, 400);
    assert.equal(await decide(check(bearer('not.a.jwt'))), errors.jwtNotAuthorized);
    assert.equal(await decide(check(bearer('garbage'))), errors.jwtNotAuthorized);
    assert.equal(await decide(check(bearer(`${'e'.repeat(20_000)}.x.y`))), errors.jwtNotAuthorized);
    const otherKey = await hs256({ sub: 'u', pol: 'gold' }, Buffer.from('another-key-another-key-another-key'));
    assert.equal(await decide(check(bearer(otherKey))), errors.jwtNotAuthorized);
    const good = await hs256({ sub: 'u', pol: 'gold' });
    const [h, p] = good.split('.');
    assert.equal(await decide(check(bearer(`${h}.${p}.${'A'.repeat(43)}`))), errors.jwtNotAuthorized);
  });

  it('alg none and an algorithm of another family → 403 Unexpected signing method', async () => {
    const { check } = setup();
    assert.equal(await decide(check(bearer(unsigned({ sub: 'u', pol: 'gold' })))), errors.jwtUnexpectedMethod);
    const rsaApi = setup({ jwt_signing_method: 'rsa' }).check;
    // The HMAC-for-RSA swap: an HS256 token whose secret would be the RSA public key.
    assert.equal(await decide(rsaApi(bearer(await hs256({ sub: 'u' })))), errors.jwtUnexpectedMethod);
  });

  it('exp / iat / nbf → 401, each with its message and flag; the last failing of exp, iat, nbf is reported', async () => {
    const { check } = setup();
    const result = async (claims: JWTPayload) => (await decide(check(bearer(await hs256({ sub: 'u', pol: 'gold', ...claims }))))) as GatewayError;
    assert.equal(await result({ exp: NOW - 10 }), errors.jwtExpired);
    assert.equal(errors.jwtExpired.status, 401);
    assert.equal(errors.jwtExpired.flag, 'TKE');
    assert.equal(await result({ iat: NOW + 10 }), errors.jwtUsedBeforeIssued);
    assert.equal(await result({ nbf: NOW + 10 }), errors.jwtNotValidYet);
    assert.equal(errors.jwtNotValidYet.flag, 'TCV');
    assert.equal(await result({ exp: NOW - 10, iat: NOW + 10, nbf: NOW + 10 }), errors.jwtNotValidYet);
    assert.equal(await result({ exp: NOW - 10, iat: NOW + 10 }), errors.jwtUsedBeforeIssued);
    assert.equal(await result({ exp: NOW + 10, iat: NOW - 10, nbf: NOW - 10 }), undefined);
  });

  it('skews widen each check; the three disable flags skip their claim', async () => {
    const skewed = setup({ jwt_expires_at_validation_skew: 30, jwt_issued_at_validation_skew: 30, jwt_not_before_validation_skew: 30 }).check;
    assert.equal(await decide(skewed(bearer(await hs256({ sub: 'u', pol: 'gold', exp: NOW - 10, iat: NOW + 10, nbf: NOW + 10 })))), undefined);
    const disabled = setup({ jwt_disable_expires_at_validation: true, jwt_disable_issued_at_validation: true, jwt_disable_not_before_validation: true }).check;
    assert.equal(await decide(disabled(bearer(await hs256({ sub: 'u', pol: 'gold', exp: NOW - 1000, iat: NOW + 1000, nbf: NOW + 1000 })))), undefined);
  });

  it('a verified token is remembered: the second call is synchronous, and time claims are still checked', async () => {
    const { t, check } = setup();
    const token = await hs256({ sub: 'u', pol: 'gold', exp: NOW + 5 });
    assert.equal(await decide(check(bearer(token))), undefined);
    assert.equal(check(bearer(token)), undefined);
    t.nowMs = (NOW + 60) * 1000;
    assert.equal(check(bearer(token)), errors.jwtExpired);
  });

  it('RSA and ECDSA keys from a base64 PEM public key or certificate-free DER', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const der = ec.publicKey.export({ type: 'spki', format: 'der' });
    const rsaCheck = setup({ jwt_signing_method: 'rsa', jwt_source: Buffer.from(pem).toString('base64') }).check;
    for (const alg of ['RS256', 'PS384']) {
      const token = await new SignJWT({ sub: 'r', pol: 'gold' }).setProtectedHeader({ alg }).sign(rsa.privateKey);
      assert.equal(await decide(rsaCheck(bearer(token))), undefined, alg);
    }
    const ecCheck = setup({ jwt_signing_method: 'ecdsa', jwt_source: der.toString('base64') }).check;
    const token = await new SignJWT({ sub: 'e', pol: 'gold' }).setProtectedHeader({ alg: 'ES256' }).sign(ec.privateKey);
    assert.equal(await decide(ecCheck(bearer(token))), undefined);
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = await new SignJWT({ sub: 'e', pol: 'gold' }).setProtectedHeader({ alg: 'ES256' }).sign(other.privateKey);
    assert.equal(await decide(ecCheck(bearer(forged))), errors.jwtNotAuthorized);
  });
});

describe('createJwtAuth: centralised sessions (auth.md §8.3)', () => {
  it('creates the session from the policy claim, saves it under (org, md5(identity)) and makes it the request\'s', async () => {
    const { t, check } = setup();
    const ctx = bearer(await hs256({ sub: 'user-1', pol: 'gold', exp: NOW + 3600 }));
    assert.equal(await decide(check(ctx)), undefined);
    const id = storageIdOf('user-1');
    assert.equal(ctx.sessionKey, id);
    assert.equal(ctx.keyAlias, 'user-1');
    assert.equal(ctx.session?.rate, 100);
    assert.deepEqual(Object.keys(ctx.session?.access_rights ?? {}), ['api1']);
    const stored = t.sessions.stored.get(id)!;
    assert.deepEqual(stored.apply_policies, ['gold']);
    assert.equal(stored.expires, NOW + 3600);
    assert.deepEqual(stored.meta_data, { TykJWTSessionID: id });
  });

  it('identity from jwt_identity_base_field (dot path), else sub; empty or absent identities → 403 with Tyk\'s messages', async () => {
    const { check } = setup({ jwt_identity_base_field: 'user.email' });
    const ctx = bearer(await hs256({ user: { email: 'a@example.com' }, sub: 'ignored', pol: 'gold' }));
    assert.equal(await decide(check(ctx)), undefined);
    assert.equal(ctx.sessionKey, storageIdOf('a@example.com'));
    const empty = (await decide(check(bearer(await hs256({ user: { email: '' }, pol: 'gold' }))))) as Reply;
    assert.equal(empty.status, 403);
    assert.equal(empty.body.toString(), '{\n    "error": "found an empty user ID in predefined base claim, claim: user.email"\n}');
    assert.equal(await decide(check(bearer(await hs256({ sub: '', pol: 'gold' })))), errors.jwtEmptySub);
    assert.equal(await decide(check(bearer(await hs256({ pol: 'gold' })))), errors.jwtNoUserClaims);
  });

  it('unknown or foreign base policy → 403 no matching policy; no policy and no defaults → 403 no matching policy found', async () => {
    const { check } = setup();
    assert.equal(await decide(check(bearer(await hs256({ sub: 'a', pol: 'platinum' })))), errors.jwtNoMatchingPolicy);
    assert.equal(await decide(check(bearer(await hs256({ sub: 'b', pol: 'foreign' })))), errors.jwtNoMatchingPolicy);
    assert.equal(await decide(check(bearer(await hs256({ sub: 'c' })))), errors.jwtNoMatchingPolicyFound);
  });

  it('default policies apply when the token names none; an existing session follows a changed policy claim', async () => {
    const { t, check } = setup({ jwt_default_policies: ['silver'] });
    const first = bearer(await hs256({ sub: 'd' }));
    assert.equal(await decide(check(first)), undefined);
    assert.equal(first.session?.rate, 10);
    const upgraded = bearer(await hs256({ sub: 'd', pol: 'gold' }));
    assert.equal(await decide(check(upgraded)), undefined);
    assert.equal(upgraded.session?.rate, 100);
    assert.deepEqual(t.sessions.stored.get(storageIdOf('d'))?.apply_policies, ['gold']);
  });

  it('jwt_client_base_field (no policy field): the first policy of the key the claim names is the base policy', async () => {
    const { t, check } = setup({ jwt_policy_field_name: '', jwt_client_base_field: 'cid' });
    t.sessions.stored.set('org1client-gold', { apply_policies: ['gold', 'silver'], access_rights: {} });
    t.sessions.stored.set('org1client-silver', { apply_policies: ['silver'], access_rights: {} });
    const token = await hs256({ sub: 'cu', cid: 'client-gold' });
    const ctx = bearer(token);
    assert.equal(await decide(check(ctx)), undefined);
    assert.equal(ctx.session?.rate, 100);
    assert.deepEqual(t.sessions.stored.get(storageIdOf('cu'))?.apply_policies, ['gold']);
    // Both lookups (the JWT session and the client key) are answered from the session cache: no promise.
    const loads = t.sessions.loads;
    assert.equal(check(bearer(token)), undefined);
    assert.equal(t.sessions.loads, loads);
    // Another client switches the existing session to its first policy.
    const switched = bearer(await hs256({ sub: 'cu', cid: 'client-silver' }));
    assert.equal(await decide(check(switched)), undefined);
    assert.equal(switched.session?.rate, 10);
    assert.deepEqual(t.sessions.stored.get(storageIdOf('cu'))?.apply_policies, ['silver']);
  });

  it('jwt_client_base_field: no claim, an unknown client or a client without policies names no base policy (defaults, else 403)', async () => {
    const { t, check } = setup({ jwt_policy_field_name: '', jwt_client_base_field: 'cid' });
    t.sessions.stored.set('org1bare-client', { access_rights: {} });
    for (const claims of [{ sub: 'n1' }, { sub: 'n2', cid: 'no-such-client' }, { sub: 'n3', cid: 'bare-client' }, { sub: 'n4', cid: 7 }]) {
      assert.equal(await decide(check(bearer(await hs256(claims)))), errors.jwtNoMatchingPolicyFound, JSON.stringify(claims));
    }
    const withDefaults = setup({ jwt_policy_field_name: '', jwt_client_base_field: 'cid', jwt_default_policies: ['silver'] });
    const ctx = bearer(await hs256({ sub: 'n2', cid: 'no-such-client' }));
    assert.equal(await decide(withDefaults.check(ctx)), undefined);
    assert.equal(ctx.session?.rate, 10);
    // A key whose first policy does not exist cannot be found (its policies do not apply): no base policy either.
    t.sessions.stored.set('org1odd-client', { apply_policies: ['platinum'], access_rights: {} });
    assert.equal(await decide(check(bearer(await hs256({ sub: 'n5', cid: 'odd-client' })))), errors.jwtNoMatchingPolicyFound);
  });

  it('jwt_client_base_field is not used when jwt_policy_field_name is set', async () => {
    const { t, check } = setup({ jwt_client_base_field: 'cid' });
    t.sessions.stored.set('org1client-gold', { apply_policies: ['gold'], access_rights: {} });
    assert.equal(await decide(check(bearer(await hs256({ sub: 'p1', cid: 'client-gold' })))), errors.jwtNoMatchingPolicyFound);
  });

  it('a created session is stored with the API\'s session_lifetime as its TTL', async () => {
    const { t, check } = setup({ session_lifetime: 3600 });
    assert.equal(await decide(check(bearer(await hs256({ sub: 'ttl-user', pol: 'gold' })))), undefined);
    assert.equal(t.sessions.ttls.get(storageIdOf('ttl-user')), 3600);
  });

  it('an existing session and a token naming no policy, with no defaults and no scope mapping → 403 no matching policy found (step 7)', async () => {
    const { t, check } = setup();
    assert.equal(await decide(check(bearer(await hs256({ sub: 'u', pol: 'gold' })))), undefined);
    const later = bearer(await hs256({ sub: 'u', exp: NOW + 7200 }));
    assert.equal(await decide(check(later)), errors.jwtNoMatchingPolicyFound);
    assert.equal(later.session, null);
    // Refused before anything is saved: the later exp did not extend the stored session.
    assert.equal(t.sessions.stored.get(storageIdOf('u'))?.expires, 0);
    // The same token is accepted while defaults give a base policy.
    const withDefaults = setup({ jwt_default_policies: ['gold'] });
    withDefaults.t.sessions.stored.set(storageIdOf('u'), t.sessions.stored.get(storageIdOf('u'))!);
    assert.equal(await decide(withDefaults.check(bearer(await hs256({ sub: 'u' })))), undefined);
  });

  it('a stored session whose policies no longer apply is refused unless the token names a usable policy', async () => {
    const { t, check } = setup({ jwt_default_policies: ['deleted-policy'] });
    t.sessions.stored.set(storageIdOf('stale'), { apply_policies: ['deleted-policy'], access_rights: {} });
    assert.equal(await decide(check(bearer(await hs256({ sub: 'stale' })))), errors.jwtCouldNotApplyPolicy);
    const repaired = bearer(await hs256({ sub: 'stale', pol: 'gold' }));
    assert.equal(await decide(check(repaired)), undefined);
    assert.equal(repaired.session?.rate, 100);
  });

  it('a session without policies is refused: 403 no matching policy found', async () => {
    const { t, check } = setup();
    t.sessions.stored.set(storageIdOf('bare'), { access_rights: {} });
    assert.equal(await decide(check(bearer(await hs256({ sub: 'bare' })))), errors.jwtNoMatchingPolicyFound);
  });
});

describe('createJwtAuth: one-to-one keys (auth.md §8.4)', () => {
  it('kid names the key; its jwt_data.secret verifies; unknown key → 403', async () => {
    const t = authTestDeps();
    t.sessions.stored.set('org1client', { jwt_data: { secret: 'client-secret-client-secret-1234' }, alias: 'client' });
    const check = createJwtAuth(apiDef({ enable_jwt: true, jwt_signing_method: 'hmac' }), t.deps)!;
    const key = Buffer.from('client-secret-client-secret-1234');
    const ctx = bearer(await hs256({ sub: 'x' }, key, { kid: 'client' }));
    assert.equal(await decide(check(ctx)), undefined);
    assert.equal(ctx.sessionKey, 'org1client');
    assert.equal(await decide(check(bearer(await hs256({ sub: 'x' }, key, { kid: 'nobody' })))), errors.jwtNotAuthorized);
    assert.equal(await decide(check(bearer(await hs256({ sub: 'x' }, Buffer.from('wrong-secret-wrong-secret-wrong!'), { kid: 'client' })))), errors.jwtNotAuthorized);
    // Without kid (or with jwt_skip_kid) the identity claim names the key.
    assert.equal(await decide(check(bearer(await hs256({ sub: 'client' }, key)))), undefined);
  });
});

describe('createJwtAuth: JWKS (auth.md §8.2 step 3)', () => {
  it('picks the key by kid from a JWKS URL, caches the set and refetches it for an unknown kid', async () => {
    const first = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const second = generateKeyPairSync('rsa', { modulusLength: 2048 });
    let keys = [{ ...(await exportJWK(first.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }];
    const jwks = await serveJwks(() => keys);
    try {
      const { check } = setup({ jwt_signing_method: 'rsa', jwt_source: Buffer.from(jwks.url).toString('base64') });
      const sign = (key: typeof first.privateKey, kid: string, sub: string) =>
        new SignJWT({ sub, pol: 'gold' }).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
      assert.equal(await decide(check(bearer(await sign(first.privateKey, 'k1', 'a')))), undefined);
      assert.equal(await decide(check(bearer(await sign(first.privateKey, 'k1', 'b')))), undefined);
      assert.equal(jwks.fetches, 1);
      assert.equal(await decide(check(bearer(await new SignJWT({ sub: 'c' }).setProtectedHeader({ alg: 'RS256' }).sign(first.privateKey)))), errors.jwtNotAuthorized);
      keys = [...keys, { ...(await exportJWK(second.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' }];
      assert.equal(await decideAfterRotation(check, await sign(second.privateKey, 'k2', 'd')), undefined);
      assert.ok(jwks.fetches >= 2);
    } finally {
      jwks.close();
    }
  });
  it('a set whose keys carry only x5c (no n/e) is used in the legacy form: the first certificate of the key with the kid and kty', async () => {
    const der = (pem: string) => new X509Certificate(pem).raw.toString('base64');
    const signer = generateCertificate({ commonName: 'jwt signer', days: 1 });
    const stranger = generateCertificate({ commonName: 'someone else', days: 1 });
    // kid k1 exists for another kty first, and its second certificate is not the signer's: only the first x5c counts.
    let keys: object[] = [
      { kid: 'k1', kty: 'EC', x5c: [der(stranger.certPem)] },
      { kid: 'k1', kty: 'RSA', use: 'sig', x5c: [der(signer.certPem), der(stranger.certPem)] },
    ];
    const jwks = await serveJwks(() => keys);
    try {
      const { check } = setup({ jwt_signing_method: 'rsa', jwt_source: jwks.url });
      const sign = (keyPem: string, kid: string, sub: string) =>
        new SignJWT({ sub, pol: 'gold' }).setProtectedHeader({ alg: 'RS256', kid }).sign(createPrivateKey(keyPem));
      const ctx = bearer(await sign(signer.keyPem, 'k1', 'x5c-user'));
      assert.equal(await decide(check(ctx)), undefined);
      assert.equal(ctx.sessionKey, storageIdOf('x5c-user'));
      assert.equal(await decide(check(bearer(await sign(stranger.keyPem, 'k1', 'x5c-forged')))), errors.jwtNotAuthorized);
      assert.equal(await decide(check(bearer(await sign(signer.keyPem, 'k9', 'x5c-unknown')))), errors.jwtNotAuthorized);
      const before = jwks.fetches;
      // A new kid in the set is found by the refetch an unknown kid triggers (after the cooldown).
      const next = generateCertificate({ commonName: 'next signer', days: 1 });
      keys = [...keys, { kid: 'k2', kty: 'RSA', x5c: [der(next.certPem)] }];
      assert.equal(await decideAfterRotation(check, await sign(next.keyPem, 'k2', 'x5c-next')), undefined);
      assert.ok(jwks.fetches > before);
    } finally {
      jwks.close();
    }
  });

  it('legacyCertificate: matching kid and kty (any case), first x5c entry; nothing otherwise', () => {
    const set = { keys: [{ kid: 'a', kty: 'rsa', x5c: ['first', 'second'] }, { kid: 'b', kty: 'RSA' }, null, 'junk'] };
    assert.equal(legacyCertificate(set, 'a', 'RSA'), 'first');
    assert.equal(legacyCertificate(set, 'a', 'EC'), undefined);
    assert.equal(legacyCertificate(set, 'b', 'RSA'), undefined);
    assert.equal(legacyCertificate(set, 'c', 'RSA'), undefined);
    assert.equal(legacyCertificate(undefined, 'a', 'RSA'), undefined);
  });
});
