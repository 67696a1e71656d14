import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { exportJWK, SignJWT } from 'jose';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { createKey, hmacAuthorization, keyedApi, putPolicy, rightsTo, startJwksServer, type JwksServer } from './support/auth-fixtures.js';
import { gatewayRequest, rawRequest } from './support/gateway-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const body = (message: string) => `{\n    "error": "${message}"\n}`;
const JWT_SECRET = randomBytes(32);
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rotatedRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
/** Requests per round, each on a new connection, so the kernel spreads them over both workers. */
const ROUND = 24;
/** How long a JWKS flush may take to reach every worker (pub/sub; the cache itself keeps sets 240 s). */
const PROPAGATION_BOUND_MS = 3000;

describe('every auth mode through a running cluster (2 workers)', () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let upstream: Upstream;
  let jwks: JwksServer;
  let rotating: JwksServer;
  let admin: AdminClient;
  const keys: Record<string, string> = {};
  const get = (path: string, headers: Record<string, string> = {}) => gatewayRequest(tg.gatewayUrl, path, { headers });

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream({ name: 'auth' });
    jwks = await startJwksServer([{ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' }]);
    rotating = await startJwksServer([{ ...(await exportJWK(rsa.publicKey)), kid: 'rot', alg: 'RS256', use: 'sig' }]);
    tg = await startTollgate({ redisPort: redis.port, workers: 2, config: { hash_keys: true } });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    const target = `${upstream.url}/`;
    await admin.ok(admin.createApi(keylessApi('open', '/open/', target)));
    await admin.ok(admin.createApi(keyedApi('token', '/token/', target, {
      use_standard_auth: true, strip_auth_data: true,
      auth_configs: { authToken: { auth_header_name: 'X-Api-Key', use_param: true, param_name: 'api_key', use_cookie: true, cookie_name: 'api_key' } },
    })));
    await admin.ok(admin.createApi(keyedApi('other', '/other/', target, { use_standard_auth: true })));
    await admin.ok(admin.createApi(keyedApi('basic', '/basic/', target, { use_basic_auth: true, name: 'Basic Shop' })));
    await admin.ok(admin.createApi(keyedApi('hmac', '/hmac/', target, { enable_signature_checking: true, hmac_allowed_clock_skew: 60_000 })));
    await admin.ok(admin.createApi(keyedApi('jwt', '/jwt/', target, {
      enable_jwt: true, jwt_signing_method: 'hmac', jwt_source: JWT_SECRET.toString('base64'), jwt_policy_field_name: 'pol', jwt_default_policies: ['jwt-basic'],
    })));
    await admin.ok(admin.createApi(keyedApi('jwks', '/jwks/', target, {
      enable_jwt: true, jwt_signing_method: 'rsa', jwt_source: jwks.url, jwt_default_policies: ['jwt-basic'],
    })));
    await admin.ok(admin.createApi(keyedApi('jwt-client', '/jwt-client/', target, {
      enable_jwt: true, jwt_signing_method: 'hmac', jwt_source: JWT_SECRET.toString('base64'), jwt_client_base_field: 'cid',
    })));
    for (const id of ['jwks-rot', 'jwks-rot2']) {
      await admin.ok(admin.createApi(keyedApi(id, `/${id}/`, target, {
        enable_jwt: true, jwt_signing_method: 'rsa', jwt_source: rotating.url, jwt_default_policies: ['jwks-rot'],
      })));
    }
    await admin.ok(admin.createApi(keyedApi('chained', '/chained/', target, {
      use_basic_auth: true, use_standard_auth: true, base_identity_provided_by: 'auth_token',
      auth_configs: { authToken: { auth_header_name: 'X-Api-Key' } },
    })));
    // OAuth2 and plugin auth are not implemented: such APIs must be refused, not served open.
    await admin.ok(admin.createApi(keyedApi('oauth', '/oauth/', target, { use_oauth2: true })));
    await admin.ok(admin.createApi(keyedApi('oauth-token', '/oauth-token/', target, { use_oauth2: true, use_standard_auth: true, use_go_plugin_auth: true })));
    await putPolicy(admin, { id: 'jwt-basic', name: 'jwt basic', rate: 0, per: 0, quota_max: -1, access_rights: rightsTo('jwt', 'jwks') });
    await putPolicy(admin, { id: 'jwt-gold', name: 'jwt gold', rate: 0, per: 0, quota_max: -1, access_rights: rightsTo('jwt') });
    await putPolicy(admin, { id: 'jwks-rot', name: 'jwks rot', rate: 0, per: 0, quota_max: -1, access_rights: rightsTo('jwks-rot', 'jwks-rot2') });
    await putPolicy(admin, { id: 'gold', name: 'gold', rate: 0, per: 0, quota_max: -1, access_rights: rightsTo('jwt-client') });
    await createKey(admin, 'cid1', { apply_policies: ['gold'], access_rights: {} });
    keys.token = await createKey(admin, 'token-user-1', { alias: 'token user', access_rights: rightsTo('token', 'chained', 'oauth', 'oauth-token') });
    keys.expired = await createKey(admin, 'expired-user', { expires: 1_000_000_000, access_rights: rightsTo('token') });
    keys.inactive = await createKey(admin, 'inactive-user', { is_inactive: true, access_rights: rightsTo('token') });
    keys.narrow = await createKey(admin, 'narrow-user', {
      access_rights: { token: { api_id: 'token', versions: ['Default'], allowed_urls: [{ url: '/token/orders', methods: ['GET'] }] } },
    });
    await createKey(admin, 'basic-user', { basic_auth_data: { password: 'pa:ss' }, access_rights: rightsTo('basic') });
    await createKey(admin, 'hmac-user', { hmac_enabled: true, hmac_string: 'hmac-secret', access_rights: rightsTo('hmac') });
    await tg.waitForConvergence();
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    await upstream?.close();
    await jwks?.close();
    await rotating?.close();
  });

  test('keyless: no credential needed', async () => {
    assert.equal((await get('/open/x')).status, 200);
  });

  test('auth token from the header, the query parameter or the cookie; stripped before the upstream', async () => {
    for (const [path, headers] of [
      ['/token/x', { 'x-api-key': keys.token! }],
      ['/token/x', { 'x-api-key': 'token-user-1' }],
      [`/token/x?api_key=${encodeURIComponent(keys.token!)}&keep=1`, {}],
      ['/token/x', { cookie: `other=1; api_key=${keys.token}` }],
    ] as const) {
      const res = await get(path, headers);
      assert.equal(res.status, 200, `${path} ${JSON.stringify(headers)}: ${res.text}`);
      assert.equal(res.echo?.headers['x-api-key'], undefined);
      assert.ok(!String(res.echo?.headers.cookie ?? '').includes('api_key'));
      assert.ok(!res.echo!.query.includes('api_key'));
    }
    assert.equal((await get('/token/x?api_key=x&keep=1', { 'x-api-key': keys.token! })).status, 403);
  });

  test('auth token errors: missing 401, unknown 403, another API\'s key 403, expired 401, inactive 403, allowed_urls 403', async () => {
    const missing = await get('/token/x');
    assert.equal(missing.status, 401);
    assert.equal(missing.text, body('Authorization field missing'));
    assert.equal(missing.headers['content-type'], 'application/json');
    const unknown = await get('/token/x', { 'x-api-key': 'no-such-key-anywhere' });
    assert.equal(unknown.status, 403);
    assert.equal(unknown.text, body('Access to this API has been disallowed'));
    assert.equal((await get('/other/x', { authorization: keys.token! })).status, 403);
    const expired = await get('/token/x', { 'x-api-key': keys.expired! });
    assert.equal(expired.status, 401);
    assert.equal(expired.text, body('Key has expired, please renew'));
    const inactive = await get('/token/x', { 'x-api-key': keys.inactive! });
    assert.equal(inactive.status, 403);
    assert.equal(inactive.text, body('Key is inactive, please renew'));
    assert.equal((await get('/token/orders', { 'x-api-key': keys.narrow! })).status, 200);
    // allowed_urls see the decoded path, as Tyk's r.URL.Path.
    assert.equal((await get('/token/%6Frders', { 'x-api-key': keys.narrow! })).status, 200);
    const narrow = await get('/token/payments', { 'x-api-key': keys.narrow! });
    assert.equal(narrow.status, 403);
    assert.equal(narrow.text, body('Access to this resource has been disallowed'));
  });

  test('basic auth: good credentials, a colon in the password, the challenge header and the malformed cases', async () => {
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    assert.equal((await get('/basic/x', { authorization: basic('basic-user', 'pa:ss') })).status, 200);
    assert.equal((await get('/basic/x', { authorization: basic('basic-user', 'pa:ss') })).status, 200);
    const wrong = await get('/basic/x', { authorization: basic('basic-user', 'nope') });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.text, body('User not authorised'));
    assert.equal(wrong.headers['www-authenticate'], 'Basic realm="Basic Shop"');
    const missing = await get('/basic/x');
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'Basic realm="Basic Shop"');
    const malformed = await get('/basic/x', { authorization: 'Basic not*base64' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.text, body('Attempted access with malformed header, auth data not encoded correctly'));
  });

  test('HMAC signatures: valid, tampered, and outside the clock skew', async () => {
    const date = new Date().toUTCString();
    assert.equal((await get('/hmac/x', { date, authorization: hmacAuthorization('hmac-user', 'hmac-secret', date) })).status, 200);
    const tampered = await get('/hmac/x', { date, authorization: hmacAuthorization('hmac-user', 'other-secret', date) });
    assert.equal(tampered.status, 400);
    assert.equal(tampered.text, body('Authorization field missing, malformed or invalid'));
    const old = new Date(Date.now() - 3_600_000).toUTCString();
    assert.equal((await get('/hmac/x', { date: old, authorization: hmacAuthorization('hmac-user', 'hmac-secret', old) })).status, 400);
  });

  test('JWT (HMAC): a session is created from the policy claim or the defaults; bad tokens are refused cleanly', async () => {
    const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(JWT_SECRET);
    const now = Math.floor(Date.now() / 1000);
    assert.equal((await get('/jwt/x', { authorization: `Bearer ${await sign({ sub: 'jwt-user', exp: now + 600 })}` })).status, 200);
    assert.equal((await get('/jwt/x', { authorization: `Bearer ${await sign({ sub: 'jwt-user', pol: 'jwt-gold' })}` })).status, 200);
    const expired = await get('/jwt/x', { authorization: `Bearer ${await sign({ sub: 'jwt-user', exp: now - 600 })}` });
    assert.equal(expired.status, 401);
    assert.equal(expired.text, body('Key not authorized: token has expired'));
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`;
    const noneRes = await get('/jwt/x', { authorization: `Bearer ${none}` });
    assert.equal(noneRes.status, 403);
    assert.equal(noneRes.text, body('Key not authorized: Unexpected signing method'));
    const forged = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256' }).sign(randomBytes(32));
    assert.equal((await get('/jwt/x', { authorization: `Bearer ${forged}` })).text, body('Key not authorized'));
    assert.equal((await get('/jwt/x', { authorization: 'Bearer %%%garbage%%%' })).status, 403);
    assert.equal((await get('/jwt/x')).status, 400);
    const unknownPolicy = await get('/jwt/x', { authorization: `Bearer ${await sign({ sub: 'other-user', pol: 'nope' })}` });
    assert.equal(unknownPolicy.status, 403);
    assert.equal(unknownPolicy.text, body('key not authorized: no matching policy'));
  });

  test('JWT (RSA) from a JWKS URL; an HS256 token made with the public key is refused', async () => {
    const token = await new SignJWT({ sub: 'rsa-user' }).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).sign(rsa.privateKey);
    assert.equal((await get('/jwks/x', { authorization: `Bearer ${token}` })).status, 200);
    const publicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' });
    const swapped = await new SignJWT({ sub: 'rsa-user' }).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).sign(Buffer.from(publicPem));
    const res = await get('/jwks/x', { authorization: `Bearer ${swapped}` });
    assert.equal(res.status, 403);
    assert.equal(res.text, body('Key not authorized: Unexpected signing method'));
  });

  test('JWT jwt_client_base_field: the first policy of the key the claim names is the base policy; no base policy → 403', async () => {
    const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(JWT_SECRET);
    const res = await get('/jwt-client/x', { authorization: `Bearer ${await sign({ sub: 'client-user', cid: 'cid1' })}` });
    assert.equal(res.status, 200, res.text);
    const sessionName = createHash('md5').update('client-user').digest('hex');
    const session = await admin.call<{ apply_policies?: string[]; alias?: string }>('GET', `/tyk/keys/${sessionName}?api_id=jwt-client`);
    assert.equal(session.status, 200, session.text);
    assert.deepEqual(session.json.apply_policies, ['gold']);
    assert.equal(session.json.alias, 'client-user');
    // The session exists, but a token naming no client (and the API has no default policies) is refused.
    const noClient = await get('/jwt-client/x', { authorization: `Bearer ${await sign({ sub: 'client-user' })}` });
    assert.equal(noClient.status, 403);
    assert.equal(noClient.text, body('key not authorized: no matching policy found'));
    const unknownClient = await get('/jwt-client/x', { authorization: `Bearer ${await sign({ sub: 'other-client-user', cid: 'no-such-client' })}` });
    assert.equal(unknownClient.status, 403);
    assert.equal(unknownClient.text, body('key not authorized: no matching policy found'));
  });

  test('DELETE /tyk/cache/jwks[/{apiID}] empties the JWKS caches of every worker: a key rotated under the same kid works only after it', async () => {
    const round = async (path: string, token: string): Promise<Set<number>> => {
      const statuses = new Set<number>();
      for (let i = 0; i < ROUND; i++) statuses.add((await rawRequest(tg.gatewayPort, path, 'GET', { authorization: `Bearer ${token}` })).status);
      return statuses;
    };
    const until = async (path: string, token: string): Promise<void> => {
      const start = Date.now();
      let last = new Set<number>();
      while (Date.now() - start < PROPAGATION_BOUND_MS) {
        last = await round(path, token);
        if (last.size === 1 && last.has(200)) return;
      }
      assert.fail(`${path}: after ${PROPAGATION_BOUND_MS} ms still ${JSON.stringify([...last])}`);
    };
    const sign = (key: typeof rsa.privateKey) => new SignJWT({ sub: 'rotating-user' }).setProtectedHeader({ alg: 'RS256', kid: 'rot' }).sign(key);
    const oldToken = await sign(rsa.privateKey);
    const newToken = await sign(rotatedRsa.privateKey);
    // Every worker fetches and caches the set for both APIs.
    for (const path of ['/jwks-rot/x', '/jwks-rot2/x']) assert.deepEqual(await round(path, oldToken), new Set([200]));
    rotating.keys = [{ ...(await exportJWK(rotatedRsa.publicKey)), kid: 'rot', alg: 'RS256', use: 'sig' }];
    // The kid is known, so no refetch: the cached (old) key refuses the new token everywhere.
    for (const path of ['/jwks-rot/x', '/jwks-rot2/x']) assert.deepEqual(await round(path, newToken), new Set([403]));

    const one = await admin.call('DELETE', '/tyk/cache/jwks/jwks-rot');
    assert.equal(one.status, 200);
    assert.deepEqual(JSON.parse(one.text), { status: 'ok', message: 'cache invalidated' });
    await until('/jwks-rot/x', newToken);
    // Only that API's set went: the other still has the old key on every worker.
    assert.deepEqual(await round('/jwks-rot2/x', newToken), new Set([403]));

    const all = await admin.call('DELETE', '/tyk/cache/jwks');
    assert.equal(all.status, 200);
    assert.deepEqual(JSON.parse(all.text), { status: 'ok', message: 'cache invalidated' });
    await until('/jwks-rot2/x', newToken);
    assert.equal((await admin.call('GET', '/tyk/cache/jwks')).status, 405);
  });

  test('chained basic + token: both must pass; the token\'s session is the one checked', async () => {
    const basic = `Basic ${Buffer.from('basic-user:pa:ss').toString('base64')}`;
    // basic-user has no rights to this API: 200 shows the token key's session was kept.
    assert.equal((await get('/chained/x', { authorization: basic, 'x-api-key': keys.token! })).status, 200);
    assert.equal((await get('/chained/x', { 'x-api-key': keys.token! })).status, 401);
    assert.equal((await get('/chained/x', { authorization: basic })).status, 401);
    assert.equal((await get('/chained/x', { authorization: basic, 'x-api-key': 'unknown-key' })).status, 403);
  });

  test('an API whose auth mode is not implemented (use_oauth2, plugins) is refused with 501, even with a valid key; one warning per worker', async () => {
    for (const [path, headers] of [
      ['/oauth/x', {}],
      ['/oauth/x', { authorization: `Bearer ${keys.token!}` }],
      ['/oauth-token/x', { authorization: keys.token! }],
    ] as const) {
      const res = await get(path, headers);
      assert.equal(res.status, 501, `${path}: ${res.text}`);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.equal(res.echo, undefined, 'never reaches the upstream');
    }
    assert.equal((await get('/oauth/x')).text, body('API uses use_oauth2, which this gateway does not implement'));
    assert.equal((await get('/oauth-token/x')).text, body('API uses use_oauth2 and use_go_plugin_auth, which this gateway does not implement'));
    // The same key passes an implemented API: the refusal is the mode's, not the key's.
    assert.equal((await get('/token/x', { 'x-api-key': keys.token! })).status, 200);
    const warnings = tg.logLines('gateway').filter((l) => l.api_id === 'oauth' && Array.isArray(l.auth_modes));
    assert.ok(warnings.length >= 1 && warnings.length <= 2, `one warning per worker: ${JSON.stringify(warnings)}`);
    assert.deepEqual(warnings[0]!.auth_modes, ['use_oauth2']);
  });

  test('oversized and garbage credentials are refused without harming the gateway', async () => {
    const huge = 'x'.repeat(6000);
    const res = await rawRequest(tg.gatewayPort, '/jwt/x', 'GET', { authorization: `Bearer ${huge}` });
    assert.ok(res.status === 403 || res.status === 431, String(res.status));
    const weird = await rawRequest(tg.gatewayPort, '/basic/x', 'GET', { authorization: 'Basic \u00ff\u00fe' });
    assert.equal(weird.status, 400);
    assert.equal((await get('/open/x')).status, 200);
  });
});
