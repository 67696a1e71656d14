import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { AdminClient, keylessApi, type Definition } from './support/admin-client.js';
import { waitFor } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { createTestPki, startForwardProxy, startHttpsUpstream, type ForwardProxy, type HttpsUpstream } from './support/tls.js';
import { generateCertificate } from '@tollgate/store';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';

// Upstream TLS (tls-and-certificates.md §8-10): real HTTPS upstreams with certificates made here, a real
// forward proxy, one gateway worker that trusts the test CA through SSL_CERT_FILE (as Tyk reads it).
const DAY = 86_400_000;
const pki = createTestPki();
const good = pki.issue({ commonName: '127.0.0.1', dnsNames: ['127.0.0.1'] });
const wrongHost = pki.issue({ commonName: 'other.test', dnsNames: ['other.test'] });
const otherCn = pki.issue({ commonName: 'other-cn', dnsNames: ['127.0.0.1'] });
const expired = pki.issue({ commonName: '127.0.0.1', dnsNames: ['127.0.0.1'], notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
const selfSigned = generateCertificate({ commonName: '127.0.0.1', dnsNames: ['127.0.0.1'] });
const client = pki.issue({ commonName: 'tollgate-client' });
const strangerKey = generateCertificate({ commonName: 'stranger' });

let redis: RedisServer;
let tg: Tollgate;
let admin: AdminClient;
let dir: string;
let proxy: ForwardProxy;
const up: Record<string, HttpsUpstream> = {};
const ids = {} as { goodKey: string; caKey: string; strangerKey: string; client: string; goodCert: string };

async function get(path: string): Promise<{ status: number; body: string }> {
  const res = await request(`${tg.gatewayUrl}${path}`, { headersTimeout: 20_000, bodyTimeout: 20_000 });
  return { status: res.statusCode, body: await res.body.text() };
}

async function upload(pem: string): Promise<string> {
  const res = await admin.call<{ id: string }>('POST', '/tyk/certs?org_id=e2e', pem);
  assert.equal(res.status, 200, res.text);
  return res.json.id;
}

/** Creates (or replaces) an API and waits until every worker has it. */
async function api(id: string, target: string, extra: Definition = {}): Promise<void> {
  const def = keylessApi(id, `/${id}/`, target, extra);
  const existing = await admin.getApi(id);
  await admin.ok(existing.status === 200 ? admin.updateApi(id, def) : admin.createApi(def));
  await admin.reload(true);
}

const PROXY_ERROR = '{\n    "error": "There was a problem proxying the request"\n}';

/** The gateway logged an upstream error with this flag (and text) for this API. */
async function loggedFlag(apiId: string, flag: string, text = ''): Promise<void> {
  await waitFor(`log line for ${apiId} with flag ${flag}`, async () => {
    const lines = tg.logs().split('\n').filter((l) => l.includes('"upstream error"') && l.includes(`"api_id":"${apiId}"`));
    return lines.some((l) => l.includes(`"flag":"${flag}"`) && l.includes(text)) ? true : undefined;
  }, 10_000);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-tls-upstream-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, pki.ca.certPem);
  redis = await startRedisServer();
  tg = await startTollgate({ redisPort: redis.port, workers: 1, env: { SSL_CERT_FILE: caFile } });
  admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
  up.good = await startHttpsUpstream({ cert: good });
  up.wrongHost = await startHttpsUpstream({ cert: wrongHost });
  up.otherCn = await startHttpsUpstream({ cert: otherCn });
  up.expired = await startHttpsUpstream({ cert: expired });
  up.selfSigned = await startHttpsUpstream({ cert: selfSigned });
  up.mtls = await startHttpsUpstream({ cert: good, ca: pki.ca.certPem });
  up.tls12 = await startHttpsUpstream({ cert: good, maxVersion: 'TLSv1.2' });
  proxy = await startForwardProxy();
  ids.goodKey = await upload(good.publicKeyPem);
  ids.caKey = await upload(pki.ca.publicKeyPem);
  ids.strangerKey = await upload(strangerKey.publicKeyPem);
  ids.client = await upload(client.certPem + client.keyPem);
  ids.goodCert = await upload(good.certPem);
});

after(async () => {
  await tg?.stop();
  await Promise.all(Object.values(up).map((u) => u.close()));
  await proxy?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('upstream certificate verification', () => {
  it('a chain to a trusted root with a matching name passes', async () => {
    await api('good', up.good!.url);
    const res = await get('/good/x');
    assert.equal(res.status, 200, res.body);
    assert.equal(JSON.parse(res.body).path, '/x');
  });

  it('a self-signed upstream is refused (500, TLN) unless ssl_insecure_skip_verify', async () => {
    await api('self', up.selfSigned!.url);
    assert.deepEqual(await get('/self/'), { status: 500, body: PROXY_ERROR });
    await loggedFlag('self', 'TLN');
    await api('self', up.selfSigned!.url, { proxy: { transport: { ssl_insecure_skip_verify: true } } });
    assert.equal((await get('/self/')).status, 200);
  });

  it('a name mismatch is TLM and an expired certificate TLE', async () => {
    await api('wronghost', up.wrongHost!.url);
    assert.deepEqual(await get('/wronghost/'), { status: 500, body: PROXY_ERROR });
    await loggedFlag('wronghost', 'TLM');
    await api('expired', up.expired!.url);
    assert.deepEqual(await get('/expired/'), { status: 500, body: PROXY_ERROR });
    await loggedFlag('expired', 'TLE');
  });

  it('ssl_force_common_name_check requires CN == host (500 UPE with Tyk\'s text)', async () => {
    await api('cn-ok', up.good!.url, { proxy: { transport: { ssl_force_common_name_check: true } } });
    assert.equal((await get('/cn-ok/')).status, 200);
    await api('cn-bad', up.otherCn!.url, { proxy: { transport: { ssl_force_common_name_check: true } } });
    assert.deepEqual(await get('/cn-bad/'), { status: 500, body: PROXY_ERROR });
    await loggedFlag('cn-bad', 'UPE', 'certificate had CN other-cnexpected 127.0.0.1');
  });
});

describe('proxy.transport versions and ciphers', () => {
  it('ssl_max_version 771 and a listed suite are what the upstream negotiates', async () => {
    await api('cipher', up.good!.url, {
      proxy: { transport: { ssl_max_version: 771, ssl_ciphers: ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'] } },
    });
    const res = await get('/cipher/');
    assert.equal(res.status, 200, res.body);
    const seen = JSON.parse(res.body) as { protocol: string; cipher: string };
    assert.equal(seen.protocol, 'TLSv1.2');
    assert.equal(seen.cipher, 'ECDHE-RSA-AES256-GCM-SHA384');
  });

  it('ssl_min_version 772 against a TLS 1.2-only upstream fails the handshake with a TLS flag', async () => {
    await api('tls13', up.tls12!.url, { proxy: { transport: { ssl_min_version: 772 } } });
    assert.deepEqual(await get('/tls13/'), { status: 500, body: PROXY_ERROR });
    await waitFor('a TLS flag', async () => (/"api_id":"tls13"[^\n]*"flag":"TL[PHA]"/.test(tg.logs()) ? true : undefined), 10_000);
  });
});

describe('upstream mutual TLS (upstream_certificates)', () => {
  it('without a client certificate the upstream refuses; with one (by store ID, "*") it answers', async () => {
    await api('mtls', up.mtls!.url);
    assert.deepEqual(await get('/mtls/'), { status: 500, body: PROXY_ERROR });
    await api('mtls', up.mtls!.url, { upstream_certificates: { '*': ids.client } });
    const res = await get('/mtls/');
    assert.equal(res.status, 200, res.body);
    assert.equal(JSON.parse(res.body).client, 'tollgate-client');
  });

  it('upstream_certificates_disabled ignores the API map', async () => {
    await api('mtls-off', up.mtls!.url, { upstream_certificates: { '127.0.0.1': ids.client }, upstream_certificates_disabled: true });
    assert.equal((await get('/mtls-off/')).status, 500);
  });
});

describe('public-key pinning (pinned_public_keys)', () => {
  it('the leaf key or the root key of the verified chain matches; by host and by "*"', async () => {
    await api('pin-leaf', up.good!.url, { pinned_public_keys: { '127.0.0.1': ids.goodKey } });
    assert.equal((await get('/pin-leaf/')).status, 200);
    await api('pin-root', up.good!.url, { pinned_public_keys: { '*': `${ids.strangerKey},${ids.caKey}` } });
    assert.equal((await get('/pin-root/')).status, 200);
  });

  it('a wrong key is refused with 500 and the pinning error in the log (UPE); a certificate ID never matches', async () => {
    await api('pin-bad', up.good!.url, { pinned_public_keys: { '*': ids.strangerKey } });
    assert.deepEqual(await get('/pin-bad/'), { status: 500, body: PROXY_ERROR });
    await loggedFlag('pin-bad', 'UPE', `https://127.0.0.1 certificate public key pinning error. Public keys do not match.`);
    await api('pin-cert', up.good!.url, { pinned_public_keys: { '127.0.0.1': ids.goodCert } });
    assert.equal((await get('/pin-cert/')).status, 500);
  });

  it('an inline PEM public key works; certificate_pinning_disabled ignores the API map', async () => {
    await api('pin-inline', up.good!.url, { pinned_public_keys: { '127.0.0.1': good.publicKeyPem } });
    assert.equal((await get('/pin-inline/')).status, 200);
    await api('pin-off', up.good!.url, { pinned_public_keys: { '*': ids.strangerKey }, certificate_pinning_disabled: true });
    assert.equal((await get('/pin-off/')).status, 200);
  });
});

describe('forward proxy (proxy.transport.proxy_url)', () => {
  it('goes through CONNECT and still verifies and pins', async () => {
    await api('via-proxy', up.good!.url, { proxy: { transport: { proxy_url: proxy.url } } });
    const res = await get('/via-proxy/p');
    assert.equal(res.status, 200, res.body);
    assert.ok(proxy.tunnels.includes(`127.0.0.1:${up.good!.port}`), JSON.stringify(proxy.tunnels));
    const before = proxy.tunnels.length;
    await api('via-proxy-pin', up.good!.url, { proxy: { transport: { proxy_url: proxy.url } }, pinned_public_keys: { '127.0.0.1': ids.strangerKey } });
    assert.deepEqual(await get('/via-proxy-pin/'), { status: 500, body: PROXY_ERROR });
    assert.ok(proxy.tunnels.length > before);
    await api('via-proxy-self', up.selfSigned!.url, { proxy: { transport: { proxy_url: proxy.url } } });
    assert.equal((await get('/via-proxy-self/')).status, 500);
  });
});
