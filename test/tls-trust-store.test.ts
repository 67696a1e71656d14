import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { createTestPki, startHttpsUpstream, type HttpsUpstream } from './support/tls.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';

// The upstream trust store (tls-and-certificates.md §8): the system roots as Go finds them, SSL_CERT_FILE
// first. A real HTTPS upstream whose certificate a test CA signed; gateways started with SSL_CERT_FILE
// pointing at that CA, at a file with no certificate, and at a file that does not exist.
const pki = createTestPki('trust store test CA');
const cert = pki.issue({ commonName: '127.0.0.1', dnsNames: ['127.0.0.1'] });

let dir: string;
let redis: RedisServer;
let upstream: HttpsUpstream;
const started: Tollgate[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-trust-'));
  redis = await startRedisServer();
  upstream = await startHttpsUpstream({ cert });
});

after(async () => {
  for (const tg of started) await tg.stop();
  await upstream?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A gateway that should not start; one that does anyway is stopped after the tests. */
function startExpectingFailure(sslCertFile: string): Promise<Tollgate> {
  return startTollgate({ redisPort: redis.port, workers: 1, env: { SSL_CERT_FILE: sslCertFile } }).then((tg) => {
    started.push(tg);
    return tg;
  });
}

describe('SSL_CERT_FILE', () => {
  it('a bundle holding the CA that signed the upstream: the upstream is verified and answers', async () => {
    const caFile = join(dir, 'bundle.pem');
    writeFileSync(caFile, `# test bundle\n${pki.ca.certPem}`);
    const tg = await startTollgate({ redisPort: redis.port, workers: 1, env: { SSL_CERT_FILE: caFile } });
    started.push(tg);
    const admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keylessApi('trusted', '/trusted/', upstream.url)));
    await admin.reload(true);
    const res = await request(`${tg.gatewayUrl}/trusted/x`, { headersTimeout: 20_000, bodyTimeout: 20_000 });
    const body = await res.body.text();
    assert.equal(res.statusCode, 200, body);
    assert.equal((JSON.parse(body) as { path: string }).path, '/x');
  });

  it('a file that holds no certificate stops the gateway at start, naming it', async () => {
    const empty = join(dir, 'empty.pem');
    writeFileSync(empty, 'no certificates here\n');
    await assert.rejects(startExpectingFailure(empty),
      (err: Error) => /gateway exited early/.test(err.message) && err.message.includes(`SSL_CERT_FILE ${empty}: holds no PEM certificate`));
  });

  it('a file that cannot be read stops the gateway at start, naming it', async () => {
    const missing = join(dir, 'missing.pem');
    await assert.rejects(startExpectingFailure(missing),
      (err: Error) => /gateway exited early/.test(err.message) && err.message.includes(`SSL_CERT_FILE ${missing}: cannot read (ENOENT)`));
  });
});
