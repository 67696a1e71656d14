import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateCertificate } from '@tollgate/store';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { waitFor } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { fingerprintOf, httpsGet, tlsProbe } from './support/tls.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

// Inbound TLS on the uWS front door (default versions and suites): certificate selection by SNI from
// tyk.conf files, ssl_certificates store IDs and API certificates, all changing while two workers run.
const first = generateCertificate({ commonName: 'default.test', dnsNames: ['default.test'] });
const wild = generateCertificate({ commonName: '*.wild.test', dnsNames: ['*.wild.test'] });
const stored = generateCertificate({ commonName: 'store.test', dnsNames: ['store.test'] });
const apiCert = generateCertificate({ commonName: 'api.test', dnsNames: ['api.test'] });

let redis: RedisServer;
let tg: Tollgate;
let admin: AdminClient;
let upstream: Upstream;
let dir: string;
let storedId = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-tls-listener-'));
  const files: Record<string, string> = {};
  for (const [name, cert] of Object.entries({ first, wild })) {
    files[`${name}.crt`] = join(dir, `${name}.crt`);
    files[`${name}.key`] = join(dir, `${name}.key`);
    writeFileSync(files[`${name}.crt`]!, cert.certPem);
    writeFileSync(files[`${name}.key`]!, cert.keyPem);
  }
  storedId = `e2e${fingerprintOf(stored.certPem)}`;
  redis = await startRedisServer();
  upstream = await startUpstream();
  tg = await startTollgate({
    redisPort: redis.port, workers: 2, config: {
      enable_custom_domains: true,
      http_server_options: {
        use_ssl: true,
        certificates: [
          { domain_name: 'default.test', cert_file: files['first.crt'], key_file: files['first.key'] },
          { domain_name: '*.wild.test', cert_file: files['wild.crt'], key_file: files['wild.key'] },
          { domain_name: 'broken.test', cert_file: join(dir, 'missing.crt'), key_file: join(dir, 'missing.key') },
        ],
        // Not in the store yet: picked up from the change feed once uploaded.
        ssl_certificates: [storedId],
      },
    },
  });
  admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
  await admin.ok(admin.createApi(keylessApi('plain', '/plain/', upstream.url)));
  await admin.reload(true);
});

after(async () => {
  await tg?.stop();
  await upstream?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The certificate a handshake with this SNI gets (a few handshakes, since two workers share the port). */
async function servedFor(servername: string | undefined): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const probe = await tlsProbe(tg.gatewayPort, servername === undefined ? {} : { servername });
    assert.ok(probe.ok, `handshake for ${servername}: ${probe.ok ? '' : probe.error}`);
    seen.add(probe.peerFingerprint);
  }
  return seen;
}

const only = (cert: { certPem: string }): Set<string> => new Set([fingerprintOf(cert.certPem)]);

describe('SNI certificate selection (spec §2) on the uWS front door', () => {
  it('names map to their certificates; wildcards one level; unknown or no SNI get the first certificate', async () => {
    assert.deepEqual(await servedFor('default.test'), only(first));
    assert.deepEqual(await servedFor('a.wild.test'), only(wild));
    assert.deepEqual(await servedFor('A.Wild.Test'), only(wild));
    assert.deepEqual(await servedFor('a.b.wild.test'), only(first));
    assert.deepEqual(await servedFor('unknown.test'), only(first));
    assert.deepEqual(await servedFor(undefined), only(first));
    assert.match(tg.logs(), /http_server_options.certificates\[2\]/);
  });

  it('an ssl_certificates ID is served once the certificate is uploaded, without restart', async () => {
    const res = await admin.call<{ id: string }>('POST', '/tyk/certs?org_id=e2e', stored.certPem + stored.keyPem);
    assert.equal(res.json.id, storedId);
    await waitFor('store.test served by every worker', async () => {
      const seen = await servedFor('store.test');
      return seen.size === 1 && seen.has(fingerprintOf(stored.certPem)) ? true : undefined;
    });
  });
});

describe('API certificates and custom domains (spec §4), live', () => {
  it('an API with a domain and certificates is served for that domain, and stops when removed', async () => {
    const up = await admin.call<{ id: string }>('POST', '/tyk/certs?org_id=e2e', apiCert.certPem + apiCert.keyPem);
    assert.equal(up.status, 200, up.text);
    await admin.ok(admin.createApi(keylessApi('custom', '/custom/', upstream.url, { domain: 'api.test', certificates: [up.json.id] })));
    await waitFor('api.test served by every worker', async () => {
      const seen = await servedFor('api.test');
      return seen.size === 1 && seen.has(fingerprintOf(apiCert.certPem)) ? true : undefined;
    });
    const proxied = await httpsGet(tg.gatewayPort, '/custom/hello', { servername: 'api.test', host: 'api.test' });
    assert.equal(proxied.status, 200, JSON.stringify(proxied));
    await admin.ok(admin.deleteApi('custom'));
    await waitFor('api.test no longer served', async () => {
      const seen = await servedFor('api.test');
      return seen.size === 1 && seen.has(fingerprintOf(first.certPem)) ? true : undefined;
    });
  });

  it('deleting a certificate from the store stops serving it', async () => {
    const del = await admin.call('DELETE', `/tyk/certs/${storedId}`);
    assert.equal(del.status, 200);
    await waitFor('store.test falls back to the first certificate', async () => {
      const seen = await servedFor('store.test');
      return seen.size === 1 && seen.has(fingerprintOf(first.certPem)) ? true : undefined;
    });
  });
});

describe('versions and suites on the uWS front door (defaults: TLS 1.2-1.3, six ECDHE AEAD suites)', () => {
  it('TLS 1.3 by default, TLS 1.2 with an ECDHE AEAD suite when the client caps at 1.2', async () => {
    const tls13 = await tlsProbe(tg.gatewayPort, { servername: 'default.test' });
    assert.ok(tls13.ok);
    assert.equal(tls13.protocol, 'TLSv1.3');
    const tls12 = await tlsProbe(tg.gatewayPort, { servername: 'default.test', maxVersion: 'TLSv1.2' });
    assert.ok(tls12.ok);
    assert.equal(tls12.protocol, 'TLSv1.2');
    assert.match(tls12.cipher, /^ECDHE-RSA-(AES128-GCM-SHA256|AES256-GCM-SHA384|CHACHA20-POLY1305)$/);
  });

  it('refuses TLS 1.1 and suites outside the default list', async () => {
    const tls11 = await tlsProbe(tg.gatewayPort, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
    assert.equal(tls11.ok, false);
    for (const ciphers of ['AES128-SHA', 'ECDHE-RSA-AES128-SHA', 'AES128-GCM-SHA256']) {
      const probe = await tlsProbe(tg.gatewayPort, { maxVersion: 'TLSv1.2', ciphers });
      assert.equal(probe.ok, false, `${ciphers} must be refused`);
    }
  });

  it('proxies requests over TLS (X-Forwarded-Proto https)', async () => {
    const res = await httpsGet(tg.gatewayPort, '/plain/x', { servername: 'default.test' });
    assert.equal(res.status, 200, JSON.stringify(res));
    assert.equal((JSON.parse((res as { body: string }).body) as { headers: Record<string, string> }).headers['x-forwarded-proto'], 'https');
  });
});
