import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateCertificate } from '@tollgate/store';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { waitFor } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { type CertificateFiles, httpsGet, type HttpsResult, writeCertificateFiles } from './support/tls.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

// A node serving TLS through uWS (no mTLS API when it started) learns of an API with use_mutual_tls_auth:
// its primary moves it to the node:tls front door without a restart (new workers loaded and held, the old
// ones stop accepting and drain, the new ones listen). Requests keep going all along: none of them may get
// a wrong answer; only connection attempts in the handover window may be refused.
const server = generateCertificate({ commonName: 'gw.test', dnsNames: ['gw.test'] });
const allowed = generateCertificate({ commonName: 'allowed-client' });

describe('an mTLS API added at run time moves a uWS TLS node to node:tls, no restart', () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let upstream: Upstream;
  let admin: AdminClient;
  let files: CertificateFiles;
  let workersBefore: number[];
  const during: HttpsResult[] = [];
  let isLoading = true;
  let load: Promise<void>;

  before(async () => {
    files = writeCertificateFiles(server);
    redis = await startRedisServer();
    upstream = await startUpstream();
    tg = await startTollgate({
      redisPort: redis.port, workers: 2, config: {
        log_level: 'info',
        http_server_options: { use_ssl: true, certificates: [files.entry] },
      },
    });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keylessApi('open', '/open/', upstream.url)));
    await tg.waitForConvergence();
    workersBefore = await tg.gateway.workerPids();
    // Four clients, one request after the other each, for as long as the switch takes.
    load = Promise.all(Array.from({ length: 4 }, async () => {
      while (isLoading) during.push(await httpsGet(tg.gatewayPort, '/open/x'));
    })).then(() => undefined);
  });
  after(async () => {
    isLoading = false;
    await load;
    await tg?.stop();
    await upstream?.close();
    await redis?.stop();
    files?.remove();
  });

  it('started on uWS TLS', async () => {
    assert.match(tg.logs(), /"front_door":"uws-tls"/);
    assert.equal((await httpsGet(tg.gatewayPort, '/open/')).status, 200);
  });

  it('serves the mTLS API once it is added: a listed certificate passes, none gets Tyk\'s 403', async () => {
    const id = (await admin.ok(admin.call<{ id: string }>('POST', '/tyk/certs?org_id=e2e', allowed.certPem))).id;
    await admin.ok(admin.createApi(keylessApi('mtls', '/mtls/', upstream.url, { use_mutual_tls_auth: true, client_certificates: [id] })));
    await waitFor('the mTLS API to accept the listed certificate', async () =>
      (await httpsGet(tg.gatewayPort, '/mtls/a', { cert: allowed })).status === 200 || undefined, 30_000);
    assert.deepEqual(await httpsGet(tg.gatewayPort, '/mtls/a', {}), { status: 403, body: '{\n    "error": "Client TLS certificate is required"\n}' });
    assert.equal((await httpsGet(tg.gatewayPort, '/open/', {})).status, 200);
  });

  it('moved by the primary: same gateway process, new workers on node:tls, the old ones drained', async () => {
    assert.match(tg.logs(), /moving TLS to the node:tls front door/);
    assert.match(tg.logs(), /TLS now served through the node:tls front door/);
    assert.match(tg.logs(), /"front_door":"node-tls"/);
    assert.doesNotMatch(tg.logs(), /gateway worker died/);
    const workersAfter = await waitFor('two workers again', async () => {
      const pids = await tg.gateway.workerPids();
      return pids.length === 2 ? pids : undefined;
    });
    for (const pid of workersAfter) assert.ok(!workersBefore.includes(pid), `worker ${pid} is one of the old ones`);
    assert.equal(await Promise.race([tg.gateway.exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('running'), 10))]), 'running');
  });

  it('no request got a wrong answer while the node moved', async (t) => {
    isLoading = false;
    await load;
    const answered = during.filter((r) => r.status !== 0);
    assert.ok(answered.length > 0, 'the load ran');
    assert.deepEqual(answered.filter((r) => r.status !== 200), [], 'every answered request got 200');
    // Refused connections (the handover window) are allowed, nothing else.
    const failed = during.flatMap((r) => (r.status === 0 && 'error' in r ? [r.error] : []));
    t.diagnostic(`${answered.length} requests answered, ${failed.length} connections refused or cut: ${[...new Set(failed)].join(', ')}`);
    for (const error of failed) assert.match(String(error), /ECONNREFUSED|ECONNRESET|socket hang up|EPIPE/, `request failed with ${error}`);
  });
});
