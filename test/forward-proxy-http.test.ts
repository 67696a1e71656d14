import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Echo, type Upstream } from './support/upstream.js';

// A plain http upstream behind a forward proxy (tls-and-certificates.md §8): only HTTPS upstreams go
// through CONNECT; http requests go to the proxy in absolute form, as Go's transport sends them. The
// proxies here are real HTTP forward proxies that record what they receive and, like common proxy
// configurations (Squid's SSL_ports), refuse CONNECT to any port but 443.

interface Seen {
  readonly requestLine: string;
  readonly headers: IncomingHttpHeaders;
}

interface TestProxy {
  readonly url: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

async function startTestProxy(): Promise<TestProxy> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    seen.push({ requestLine: `${req.method} ${req.url} HTTP/${req.httpVersion}`, headers: req.headers });
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form request target required');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const out = httpRequest({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.writeHead(502).end());
    req.pipe(out);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req, client: Socket) => {
    seen.push({ requestLine: `${req.method} ${req.url} HTTP/${req.httpVersion}`, headers: req.headers });
    // Only TLS ports may be tunnelled.
    client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`, seen,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

let redis: RedisServer;
let tg: Tollgate;
let admin: AdminClient;
let upstream: Upstream;
let explicitProxy: TestProxy;
let envProxy: TestProxy;

async function get(path: string): Promise<{ status: number; body: string }> {
  const res = await request(`${tg.gatewayUrl}${path}`, { headersTimeout: 20_000, bodyTimeout: 20_000 });
  return { status: res.statusCode, body: await res.body.text() };
}

before(async () => {
  redis = await startRedisServer();
  upstream = await startUpstream();
  explicitProxy = await startTestProxy();
  envProxy = await startTestProxy();
  // The environment proxy (with credentials) serves every http upstream without proxy.transport.proxy_url.
  const envUrl = new URL(envProxy.url);
  envUrl.username = 'gw';
  envUrl.password = 's3cret';
  tg = await startTollgate({ redisPort: redis.port, workers: 1, env: { HTTP_PROXY: envUrl.toString() } });
  admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
  await admin.ok(admin.createApi(keylessApi('explicit', '/explicit/', upstream.url, { proxy: { transport: { proxy_url: explicitProxy.url } } })));
  await admin.ok(admin.createApi(keylessApi('from-env', '/from-env/', upstream.url)));
  await admin.reload(true);
});

after(async () => {
  await tg?.stop();
  await explicitProxy?.close();
  await envProxy?.close();
  await upstream?.close();
  await redis?.stop();
});

describe('http upstream through a forward proxy', () => {
  it('proxy_url: the request goes to the proxy in absolute form, Host stays the upstream\'s, no CONNECT', async () => {
    const res = await get('/explicit/items?a=1');
    assert.equal(res.status, 200, res.body);
    const echo = JSON.parse(res.body) as Echo;
    assert.equal(echo.url, '/items?a=1');
    const host = new URL(upstream.url).host;
    assert.deepEqual(explicitProxy.seen.map((s) => s.requestLine), [`GET ${upstream.url}/items?a=1 HTTP/1.1`]);
    assert.equal(explicitProxy.seen[0]!.headers.host, host);
    assert.equal(explicitProxy.seen[0]!.headers['proxy-authorization'], undefined);
  });

  it('HTTP_PROXY: the same, with the URL\'s credentials as Proxy-Authorization', async () => {
    const res = await get('/from-env/x');
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(envProxy.seen.map((s) => s.requestLine), [`GET ${upstream.url}/x HTTP/1.1`]);
    assert.equal(envProxy.seen[0]!.headers['proxy-authorization'], `Basic ${Buffer.from('gw:s3cret').toString('base64')}`);
  });
});
