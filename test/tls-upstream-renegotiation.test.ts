import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { waitFor } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { createTestPki, startHttpsUpstream, type HttpsUpstream } from './support/tls.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';

// tyk.conf proxy_ssl_disable_renegotiation (tls-and-certificates.md §8): a real TLS 1.2 upstream that
// renegotiates after reading the request and before answering it, and two gateways, one with the option.
const pki = createTestPki();
const cert = pki.issue({ commonName: '127.0.0.1', dnsNames: ['127.0.0.1'] });
const PROXY_ERROR = '{\n    "error": "There was a problem proxying the request"\n}';

interface Node {
  readonly redis: RedisServer;
  readonly tg: Tollgate;
}

let dir: string;
let upstream: HttpsUpstream;
const nodes: Node[] = [];

async function startNode(config: Record<string, unknown>, caFile: string): Promise<Node> {
  const redis = await startRedisServer();
  const tg = await startTollgate({ redisPort: redis.port, workers: 1, config, env: { SSL_CERT_FILE: caFile } });
  const node = { redis, tg };
  nodes.push(node);
  const admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
  await admin.ok(admin.createApi(keylessApi('reneg', '/reneg/', upstream.url)));
  await admin.reload(true);
  return node;
}

async function get(tg: Tollgate, path: string): Promise<{ status: number; body: string }> {
  const res = await request(`${tg.gatewayUrl}${path}`, { headersTimeout: 20_000, bodyTimeout: 20_000 });
  return { status: res.statusCode, body: await res.body.text() };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-reneg-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, pki.ca.certPem);
  upstream = await startHttpsUpstream({ cert, maxVersion: 'TLSv1.2', renegotiate: true });
  await startNode({}, caFile);
  await startNode({ proxy_ssl_disable_renegotiation: true }, caFile);
});

after(async () => {
  for (const node of nodes) {
    await node.tg.stop();
    await node.redis.stop();
  }
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('server-initiated renegotiation on upstream TLS', () => {
  it('is allowed by default: the response arrives after the upstream renegotiated', async () => {
    const res = await get(nodes[0]!.tg, '/reneg/x');
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(JSON.parse(res.body).renegotiated, true);
  });

  it('with proxy_ssl_disable_renegotiation the renegotiation is refused and the request fails (500, TLH)', async () => {
    const { tg } = nodes[1]!;
    assert.deepEqual(await get(tg, '/reneg/x'), { status: 500, body: PROXY_ERROR });
    await waitFor('the upstream error logged with a TLS flag', async () => {
      const line = tg.logs().split('\n').find((l) => l.includes('"upstream error"') && l.includes('"api_id":"reneg"'));
      return line === undefined ? undefined : line;
    }, 10_000).then((line) => assert.match(line, /"flag":"TLH"/, line));
  });
});
