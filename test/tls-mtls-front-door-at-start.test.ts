import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateCertificate } from '@tollgate/store';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { type CertificateFiles, httpsGet, writeCertificateFiles } from './support/tls.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

// With default TLS settings a node would serve TLS through uWS, which cannot ask for client certificates.
// A node that finds an API with use_mutual_tls_auth stored when it starts serves TLS through node:tls
// instead, without any tollgate.tls_front_door setting.
const server = generateCertificate({ commonName: 'gw.test', dnsNames: ['gw.test'] });
const allowed = generateCertificate({ commonName: 'allowed-client' });

describe('the TLS front door is settled at start from the stored APIs', () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let upstream: Upstream;
  let files: CertificateFiles;

  before(async () => {
    files = writeCertificateFiles(server);
    redis = await startRedisServer();
    upstream = await startUpstream();
    // First the control plane alone: the certificate and the mTLS API are stored before any gateway runs.
    const cp = await startTollgate({ redisPort: redis.port, workers: 0 });
    const admin = new AdminClient({ baseUrl: cp.controlUrl, secret: cp.secret });
    const id = (await admin.ok(admin.call<{ id: string }>('POST', '/tyk/certs?org_id=e2e', allowed.certPem))).id;
    await admin.ok(admin.createApi(keylessApi('mtls', '/mtls/', upstream.url, { use_mutual_tls_auth: true, client_certificates: [id] })));
    await admin.ok(admin.createApi(keylessApi('open', '/open/', upstream.url)));
    await cp.stop();
    tg = await startTollgate({
      redisPort: redis.port, workers: 2, config: {
        http_server_options: { use_ssl: true, certificates: [files.entry] },
      },
    });
    await tg.waitForConvergence();
  });
  after(async () => {
    await tg?.stop();
    await upstream?.close();
    await redis?.stop();
    files?.remove();
  });

  it('chose node:tls because of the stored mTLS API', () => {
    assert.match(tg.logs(), /serving TLS through the node:tls front door/);
    assert.match(tg.logs(), /"front_door":"node-tls"/);
  });

  it('mutual TLS works: a listed certificate passes, none gets Tyk\'s 403', async () => {
    assert.equal((await httpsGet(tg.gatewayPort, '/mtls/a', { cert: allowed })).status, 200);
    assert.deepEqual(await httpsGet(tg.gatewayPort, '/mtls/a', {}), { status: 403, body: '{\n    "error": "Client TLS certificate is required"\n}' });
    assert.equal((await httpsGet(tg.gatewayPort, '/open/', {})).status, 200);
  });
});
