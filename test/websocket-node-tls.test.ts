import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateCertificate } from '@tollgate/store';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { createKey, keyedApi, rightsTo } from './support/auth-fixtures.js';
import { waitFor } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { type CertificateFiles, httpsGet, writeCertificateFiles } from './support/tls.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { connect, rawUpgrade, startWsUpstream, type WsUpstream } from './support/websocket.js';

// The node:tls front door (TLS version bounds, cipher lists, mutual TLS) relays upgrades as a byte tunnel
// after the pipeline: the same behaviour the uWS doors give (test/websocket.test.ts), over wss://.
const server = generateCertificate({ commonName: 'gw.test', dnsNames: ['gw.test'] });

describe('WebSocket upgrades on the node:tls front door (byte tunnel)', () => {
  let redis: RedisServer;
  let upstream: WsUpstream;
  let tg: Tollgate;
  let files: CertificateFiles;
  let key = '';
  let wssBase = '';

  before(async () => {
    files = writeCertificateFiles(server);
    redis = await startRedisServer();
    upstream = await startWsUpstream();
    tg = await startTollgate({
      redisPort: redis.port, workers: 1, config: {
        hash_keys: false,
        tollgate: { tls_front_door: 'node' },
        http_server_options: {
          enable_websockets: true, use_ssl: true,
          certificates: [files.entry],
        },
      },
    });
    const admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keylessApi('ws-open', '/ws/', `${upstream.url}/base`)));
    await admin.ok(admin.createApi(keyedApi('ws-keyed', '/wsk/', upstream.url, { use_standard_auth: true })));
    await admin.ok(admin.createApi(keylessApi('ws-down', '/wsdown/', 'http://127.0.0.1:9')));
    key = await createKey(admin, 'websocket-key-1', { access_rights: rightsTo('ws-keyed'), quota_max: 100, quota_renewal_rate: 3600 });
    await admin.reload(true);
    wssBase = `wss://127.0.0.1:${tg.gatewayPort}`;
  });
  after(async () => {
    await tg?.stop();
    upstream?.close();
    await redis?.stop();
    files?.remove();
  });

  test('served by node:tls', () => {
    assert.match(tg.logs(), /"front_door":"node-tls"/);
  });

  test('messages are relayed both ways; path, query and subprotocol are the upstream\'s; closes pass with code and reason', async () => {
    const client = await connect(`${wssBase}/ws/chat/room1?user=ann`, ['chat.v2', 'chat.v1']);
    assert.equal(client.ws.protocol, 'chat.v2');
    assert.equal(await client.next(), 'hello from upstream');
    client.ws.send('ping 1');
    assert.equal(await client.next(), 'echo:ping 1');
    client.ws.send(new Uint8Array([1, 2, 3, 4]));
    assert.deepEqual(await client.next(), Buffer.from([4, 3, 2, 1]));
    const big = 'x'.repeat(200_000);
    client.ws.send(big);
    assert.equal(await client.next(), `echo:${big}`);
    const handshake = upstream.handshakes.at(-1)!;
    assert.equal(handshake.url, '/base/chat/room1');
    assert.equal(handshake.query, 'user=ann');
    assert.equal(handshake.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(handshake.headers['x-forwarded-proto'], 'https');
    assert.equal(handshake.headers.upgrade, 'websocket');
    client.ws.close(1000, 'done');
    await client.closed;
    await waitFor('the upstream to see the close', async () => (upstream.closes.some((c) => c.code === 1000 && c.reason === 'done') ? true : undefined));
    const bye = await connect(`${wssBase}/ws/bye`);
    await bye.next();
    bye.ws.send('bye');
    assert.deepEqual(await bye.closed, { code: 4001, reason: 'upstream says bye' });
  });

  test('the upgrade passes the API\'s pipeline: no key → 401 with Tyk\'s body; a key opens it, counted once, quota headers on the 101', async () => {
    const before = upstream.handshakes.length;
    const refused = await rawUpgrade(tg.gatewayPort, '/wsk/', {}, true);
    assert.equal(refused.status, 401);
    assert.deepEqual(JSON.parse(refused.body), { error: 'Authorization field missing' });
    assert.equal(upstream.handshakes.length, before);
    const upgraded = await rawUpgrade(tg.gatewayPort, '/wsk/', { authorization: key }, true);
    assert.equal(upgraded.status, 101);
    assert.equal(upgraded.headers['x-ratelimit-limit'], '100');
    assert.equal(upgraded.headers['x-ratelimit-remaining'], '99');
    const client = await connect(`${wssBase}/wsk/`, [], { authorization: key });
    assert.equal(await client.next(), 'hello from upstream');
    client.ws.close();
    await client.closed;
  });

  test('an upstream that refuses the connection gets Tyk\'s proxy error; an unknown path 404', async () => {
    const res = await rawUpgrade(tg.gatewayPort, '/wsdown/', {}, true);
    assert.equal(res.status, 500);
    assert.deepEqual(JSON.parse(res.body), { error: 'There was a problem proxying the request' });
    assert.equal((await rawUpgrade(tg.gatewayPort, '/nowhere/', {}, true)).status, 404);
  });

  test('an upgrade the upstream does not switch gets the upstream\'s answer; plain HTTPS on the same API as before', async () => {
    const res = await rawUpgrade(tg.gatewayPort, '/ws/plain', { upgrade: 'h2c', 'sec-websocket-key': '' }, true);
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { plain: true, url: '/base/plain' });
    const plain = await httpsGet(tg.gatewayPort, '/ws/plain');
    assert.equal(plain.status, 200);
  });

  test('many connections opened at once each get their own replies', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => connect(`${wssBase}/ws/many`)));
    await Promise.all(clients.map((c) => c.next()));
    clients.forEach((c, i) => c.ws.send(`n${i}`));
    const replies = await Promise.all(clients.map((c) => c.next()));
    assert.deepEqual(replies, clients.map((_c, i) => `echo:n${i}`));
    for (const c of clients) c.ws.close();
    await Promise.all(clients.map((c) => c.closed));
  });
});
