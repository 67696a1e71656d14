import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { generateCertificate } from '@tollgate/store';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { asksForClientCertificate, type CertificateFiles, createTestPki, fingerprintOf, httpsGet, tlsProbe, writeCertificateFiles } from './support/tls.js';
import { scrape, sum } from './support/metrics-client.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { patternSha256, startUpstream, type Upstream } from './support/upstream.js';

// The node:tls front door: chosen because min_version/max_version/ssl_ciphers are set (uWS cannot honour
// them); the same pipeline serves mutual TLS (auth.md §9, tls-and-certificates.md §5).
const server = generateCertificate({ commonName: 'gw.test', dnsNames: ['gw.test', 'strict.test'] });
const pki = createTestPki('client CA');
const allowed = generateCertificate({ commonName: 'allowed-client' });
const stranger = generateCertificate({ commonName: 'stranger' });
const byCa = pki.issue({ commonName: 'ca-issued-client' });

let redis: RedisServer;
let tg: Tollgate;
let admin: AdminClient;
let upstream: Upstream;
let files: CertificateFiles;

before(async () => {
  files = writeCertificateFiles(server);
  redis = await startRedisServer();
  upstream = await startUpstream();
  tg = await startTollgate({
    redisPort: redis.port, workers: 2, config: {
      enable_custom_domains: true,
      http_server_options: {
        use_ssl: true,
        min_version: 769,
        max_version: 771,
        ssl_ciphers: ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', 'tls_ecdhe_rsa_with_aes_128_cbc_sha', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
          'TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'junk'],
        certificates: [files.entry],
      },
    },
  });
  admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
  const upload = async (pem: string): Promise<string> => (await admin.ok(admin.call<{ id: string }>('POST', '/tyk/certs?org_id=e2e', pem))).id;
  const allowedId = await upload(allowed.certPem);
  const caId = await upload(pki.ca.certPem);
  // No domain: an mTLS API beside a plain one, so the handshake only requests a certificate and the
  // request-level check answers. strict.test: only mTLS APIs, so the handshake requires one.
  await admin.ok(admin.createApi(keylessApi('mtls', '/mtls/', upstream.url, { use_mutual_tls_auth: true, client_certificates: [allowedId, caId] })));
  await admin.ok(admin.createApi(keylessApi('open', '/open/', upstream.url)));
  await admin.ok(admin.createApi(keylessApi('strict', '/strict/', upstream.url, { domain: 'strict.test', use_mutual_tls_auth: true, client_certificates: [allowedId] })));
  await admin.reload(true);
});

after(async () => {
  await tg?.stop();
  await upstream?.close();
  await redis?.stop();
  files?.remove();
});

describe('node:tls front door: versions and suites', () => {
  it('was chosen, and warned about the skipped suite names', () => {
    assert.match(tg.logs(), /"front_door":"node-tls"/);
    assert.match(tg.logs(), /TLS_RSA_WITH_3DES_EDE_CBC_SHA \(never offered: RC4\/3DES\)/);
    assert.match(tg.logs(), /junk \(unknown\)/);
  });

  it('max_version 771 refuses TLS 1.3; min_version 769 accepts TLS 1.0 with a listed suite', async () => {
    const tls13 = await tlsProbe(tg.gatewayPort, { minVersion: 'TLSv1.3' });
    assert.equal(tls13.ok, false);
    const tls10 = await tlsProbe(tg.gatewayPort, { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'ECDHE-RSA-AES128-SHA:@SECLEVEL=0' });
    assert.ok(tls10.ok, tls10.ok ? '' : tls10.error);
    assert.equal(tls10.protocol, 'TLSv1');
    assert.equal(tls10.cipher, 'ECDHE-RSA-AES128-SHA');
  });

  it('a client forcing a listed suite gets it; an unlisted one (even a default) fails the handshake', async () => {
    const listed = await tlsProbe(tg.gatewayPort, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-SHA256' });
    assert.ok(listed.ok);
    assert.equal(listed.cipher, 'ECDHE-RSA-AES128-SHA256');
    const unlisted = await tlsProbe(tg.gatewayPort, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-CHACHA20-POLY1305' });
    assert.equal(unlisted.ok, false);
  });

  it('serves the certificate by SNI and proxies', async () => {
    const probe = await tlsProbe(tg.gatewayPort, { servername: 'gw.test' });
    assert.ok(probe.ok);
    assert.equal(probe.peerFingerprint, fingerprintOf(server.certPem));
    const res = await httpsGet(tg.gatewayPort, '/open/x', { servername: 'gw.test' });
    assert.equal(res.status, 200, JSON.stringify(res));
  });

  it('downloads at once, their clients pausing, all arrive intact', async () => {
    // Upstream bytes are read into one reused buffer per worker; this front door hands node:http copies,
    // since node:http may hold on to a chunk it cannot write at once.
    const MB = 1024 * 1024;
    const sizes = [6, 7, 8, 9].map((n) => n * MB + n);
    const results = await Promise.all(sizes.map((size, i) => downloadSha(tg.gatewayPort, `/open/dl-${i}?download=${size}`, 'gw.test', (i + 1) * 512 * 1024)));
    results.forEach((r, i) => {
      assert.equal(r.status, 200, `download ${i}`);
      assert.equal(r.received, sizes[i], `download ${i} length`);
      assert.equal(r.sha, patternSha256(sizes[i]!), `download ${i} content`);
    });
  });
});

/** GETs `path` over TLS, hashing the body; the client stops reading for 100 ms every `pauseEvery` bytes. */
function downloadSha(port: number, path: string, servername: string, pauseEvery: number): Promise<{ status: number; received: number; sha: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, servername, agent: false, rejectUnauthorized: false }, (res) => {
      const hash = createHash('sha256');
      let received = 0;
      let nextPause = pauseEvery;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        hash.update(chunk);
        if (received >= nextPause) {
          nextPause += pauseEvery;
          res.pause();
          setTimeout(() => res.resume(), 100);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, received, sha: hash.digest('hex') }));
      res.on('error', reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('mutual TLS (use_mutual_tls_auth, client_certificates)', () => {
  const body = (message: string): string => `{\n    "error": "${message}"\n}`;

  it('no client certificate: 403 Client TLS certificate is required', async () => {
    assert.deepEqual(await httpsGet(tg.gatewayPort, '/mtls/', {}), { status: 403, body: body('Client TLS certificate is required') });
  });

  it('a certificate not in the list: 403 naming its SHA-256', async () => {
    const res = await httpsGet(tg.gatewayPort, '/mtls/', { cert: stranger });
    assert.deepEqual(res, { status: 403, body: body(`Certificate with SHA256 ${fingerprintOf(stranger.certPem)} not allowed`) });
  });

  it('a listed certificate, or one issued by a listed CA, passes', async () => {
    assert.equal((await httpsGet(tg.gatewayPort, '/mtls/a', { cert: allowed })).status, 200);
    assert.equal((await httpsGet(tg.gatewayPort, '/mtls/b', { cert: byCa })).status, 200);
  });

  it('APIs without mTLS on the same listener are not affected', async () => {
    assert.equal((await httpsGet(tg.gatewayPort, '/open/', {})).status, 200);
  });

  it('asks clients for a certificate while APIs use mutual TLS', async () => {
    assert.equal(await asksForClientCertificate(tg.gatewayPort, 'gw.test', ['-tls1_2']), true);
  });

  it('a domain served only by mTLS APIs requires the certificate at the handshake: no HTTP response without it', async () => {
    const rejectedBefore = sum(await scrape(tg.metricsUrl), 'tollgate_rejections_total', { api: '', reason: 'tls' });
    const refused = await httpsGet(tg.gatewayPort, '/strict/', { servername: 'strict.test', host: 'strict.test' });
    assert.equal(refused.status, 0, JSON.stringify(refused));
    const wrong = await httpsGet(tg.gatewayPort, '/strict/', { servername: 'strict.test', host: 'strict.test', cert: stranger });
    assert.equal(wrong.status, 0, JSON.stringify(wrong));
    // Both refusals count as tls rejections that reached no API.
    assert.equal(sum(await scrape(tg.metricsUrl), 'tollgate_rejections_total', { api: '', reason: 'tls' }) - rejectedBefore, 2);
    const ok = await httpsGet(tg.gatewayPort, '/strict/', { servername: 'strict.test', host: 'strict.test', cert: allowed });
    assert.equal(ok.status, 200, JSON.stringify(ok));
  });
});
