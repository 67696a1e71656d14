import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateCertificate } from '@tollgate/store';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { asksForClientCertificate, type CertificateFiles, tlsProbe, writeCertificateFiles } from './support/tls.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';

// http_server_options.max_version 770 with min_version unset (tls-and-certificates.md §1): the default
// minimum (TLS 1.2) would be above the maximum and refuse every handshake; the minimum follows the
// explicit maximum down instead, with a startup warning and OpenSSL's @SECLEVEL=0. Real node:tls clients.
// (Before the fix the gateway did not even answer its own /hello: every handshake failed.)
const server = generateCertificate({ commonName: 'gw.test', dnsNames: ['gw.test'] });
/** Old protocols need security level 0 on the client too (OpenSSL 3). */
const OLD_CLIENT_CIPHERS = 'DEFAULT:@SECLEVEL=0';

let redis: RedisServer;
let tg: Tollgate;
let files: CertificateFiles;

before(async () => {
  files = writeCertificateFiles(server);
  redis = await startRedisServer();
  tg = await startTollgate({
    redisPort: redis.port, workers: 1, config: {
      http_server_options: {
        use_ssl: true,
        max_version: 770,
        // The default suites are TLS 1.2 AEAD ones; TLS 1.1 needs a CBC suite listed.
        ssl_ciphers: ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'],
        certificates: [files.entry],
      },
    },
  });
});

after(async () => {
  await tg?.stop();
  await redis?.stop();
  files?.remove();
});

describe('max_version 770 without min_version', () => {
  it('warns at start that deprecated TLS is enabled', () => {
    assert.match(tg.logs(), /http_server_options.max_version 770 without min_version enables deprecated TLS/);
  });

  it('accepts a TLS 1.1 handshake', async () => {
    const tls11 = await tlsProbe(tg.gatewayPort, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: OLD_CLIENT_CIPHERS });
    assert.ok(tls11.ok, tls11.ok ? '' : tls11.error);
    assert.equal(tls11.protocol, 'TLSv1.1');
  });

  it('does not ask clients for a certificate: no API uses mutual TLS (node:tls front door)', async () => {
    assert.equal(await asksForClientCertificate(tg.gatewayPort, 'gw.test', ['-tls1_1', '-cipher', OLD_CLIENT_CIPHERS]), false);
  });

  it('refuses TLS 1.2 (above the maximum) and TLS 1.0 (below the minimum, never asked for)', async () => {
    const tls12 = await tlsProbe(tg.gatewayPort, { minVersion: 'TLSv1.2' });
    assert.equal(tls12.ok, false);
    const tls10 = await tlsProbe(tg.gatewayPort, { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: OLD_CLIENT_CIPHERS });
    assert.equal(tls10.ok, false);
  });
});
