import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { AdminClient, keylessApi, type Definition } from './support/admin-client.js';
import { gatewayRequest, rawRequest, type GatewayResponse } from './support/gateway-client.js';
import { freePort } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const PROXY_ERROR = '{\n    "error": "There was a problem proxying the request"\n}';
const TIMEOUT_ERROR = '{\n    "error": "Upstream service reached hard timeout."\n}';

describe('proxy routing and forwarding (enable_custom_domains, proxy_default_timeout 1 s, hide_generator_header false, 2 workers)', () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let admin: AdminClient;
  let a: Upstream;
  let b: Upstream;
  let slow: Upstream;
  let refusedUrl: string;
  const upstreams: Upstream[] = [];

  const get = (path: string, headers?: Record<string, string>): Promise<GatewayResponse> =>
    gatewayRequest(tg.gatewayUrl, path, { headers });

  /** A request that must reach an echo upstream; returns the echo. */
  const echoed = async (path: string, headers?: Record<string, string>) => {
    const res = await get(path, headers);
    assert.equal(res.status, 200, `${path}: ${res.status} ${res.text}`);
    assert.ok(res.echo, `${path}: not an echo: ${res.text}`);
    return res.echo;
  };

  before(async () => {
    redis = await startRedisServer();
    a = await startUpstream({ name: 'a' });
    b = await startUpstream({ name: 'b' });
    slow = await startUpstream({ name: 'slow', delayMs: 3000 });
    upstreams.push(a, b, slow);
    refusedUrl = `http://127.0.0.1:${await freePort()}`;
    tg = await startTollgate({
      redisPort: redis.port, workers: 2, config: { enable_custom_domains: true, proxy_default_timeout: 1, hide_generator_header: false },
    });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    const apis: Definition[] = [
      keylessApi('short', '/lp/', `${a.url}/short`),
      keylessApi('long', '/lp/long/', `${a.url}/long`),
      // the strip table of api-definition.md §3, one API per row
      keylessApi('row1', '/api/', `${a.url}/base/`),
      keylessApi('row3', '/api-dss/', `${a.url}/base/`, { proxy: { disable_strip_slash: true } }),
      keylessApi('row4', '/api-b/', `${a.url}/base`),
      keylessApi('row5', '/api-ns/', `${a.url}/`, { proxy: { strip_listen_path: false } }),
      keylessApi('prefix', '/foo', `${a.url}`),
      keylessApi('tq', '/tq/', `${a.url}/t/path?fixed=1`),
      keylessApi('methods', '/methods/', `${a.url}/m`),
      keylessApi('preserve', '/preserve/', `${a.url}/`, { proxy: { preserve_host_header: true } }),
      keylessApi('plain', '/plain/', `${a.url}/`),
      keylessApi('dom-exact', '/dom/', `${a.url}/exact`, { domain: 'api.example.com' }),
      keylessApi('dom-template', '/dom/', `${a.url}/template`, { domain: '{sub}.tenant.example' }),
      keylessApi('dom-regex', '/dom/', `${a.url}/regex`, { domain: '{sub:[a-z]+}.re.example' }),
      keylessApi('dom-none', '/dom/', `${a.url}/nodomain`),
      keylessApi('inactive', '/inactive/', `${a.url}/`, { active: false }),
      keylessApi('internal-api', '/plain/internal/', `${a.url}/hidden-target`, { internal: true }),
      keylessApi('lb', '/lb/', `${a.url}/`, {
        proxy: { enable_load_balancing: true, target_list: [a.url, refusedUrl, b.url] },
      }),
      keylessApi('refused', '/refused/', `${refusedUrl}/`),
      keylessApi('slow', '/slow/', `${slow.url}/`),
      keylessApi('demo', '/demo/', `${a.url}/demo-target`),
    ];
    for (const def of apis) await admin.ok(admin.createApi(def));
    await tg.waitForConvergence();
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    for (const u of upstreams) await u.close();
  });

  test('GET /hello answers Tyk\'s health JSON', async () => {
    const res = await get('/hello');
    assert.equal(res.status, 200);
    const body = JSON.parse(res.text) as { status: string; details: { redis: { status: string; componentType: string } } };
    assert.equal(body.status, 'pass');
    assert.equal(body.details.redis.status, 'pass');
    assert.equal(body.details.redis.componentType, 'datastore');
  });

  test('the longest matching listen_path wins', async () => {
    assert.equal((await echoed('/lp/long/x')).path, '/long/x');
    assert.equal((await echoed('/lp/other')).path, '/short/other');
    assert.equal((await echoed('/lp/longer')).path, '/short/longer');
  });

  test('strip_listen_path / disable_strip_slash forward the paths of the spec table', async () => {
    const rows: Array<[string, string]> = [
      ['/api/users/1', '/base/users/1'],
      ['/api/', '/base'],
      ['/api-dss/', '/base/'],
      ['/api-b/x/', '/base/x/'],
      ['/api-ns/users', '/api-ns/users'],
      // listen paths are string prefixes: /foo also serves /foobar, forwarding /bar
      ['/foobar', '/bar'],
      ['/foo/x', '/x'],
    ];
    for (const [request, upstreamPath] of rows) assert.equal((await echoed(request)).path, upstreamPath, request);
  });

  test('target_url keeps its own path and prepends its query; the request query is kept', async () => {
    const echo = await echoed('/tq/x/y?a=b&c=%20d');
    assert.equal(echo.path, '/t/path/x/y');
    assert.equal(echo.query, 'fixed=1&a=b&c=%20d');
    assert.equal((await echoed('/lp/q?x=1&y=2&x=3')).query, 'x=1&y=2&x=3');
  });

  test('POST, PUT, PATCH and DELETE bodies reach the upstream intact', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      for (const body of [`hello ${method}`, Buffer.alloc(300_000, method)]) {
        const res = await gatewayRequest(tg.gatewayUrl, '/methods/item?k=v', {
          method, body, headers: { 'content-type': 'application/octet-stream' },
        });
        assert.equal(res.status, 200, `${method}: ${res.text}`);
        assert.equal(res.echo?.method, method);
        assert.equal(res.echo?.path, '/m/item');
        assert.equal(res.echo?.bodyLength, Buffer.byteLength(body));
        assert.equal(res.echo?.bodySha256, createHash('sha256').update(body).digest('hex'));
      }
    }
    const head = await gatewayRequest(tg.gatewayUrl, '/methods/h', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
  });

  test('Host: the target host by default, the client\'s with preserve_host_header', async () => {
    assert.equal((await echoed('/plain/h', { host: 'client.example:1234' })).headers.host, `127.0.0.1:${a.port}`);
    assert.equal((await echoed('/preserve/h', { host: 'client.example:1234' })).headers.host, 'client.example:1234');
  });

  test('X-Forwarded-For is appended to, X-Forwarded-Proto and X-Forwarded-Host are set', async () => {
    const fresh = await echoed('/plain/xff', { host: 'front.example' });
    assert.equal(fresh.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(fresh.headers['x-forwarded-proto'], 'http');
    assert.equal(fresh.headers['x-forwarded-host'], 'front.example');
    const chained = await echoed('/plain/xff', { 'x-forwarded-for': '10.1.1.1, 10.2.2.2' });
    assert.equal(chained.headers['x-forwarded-for'], '10.1.1.1, 10.2.2.2, 127.0.0.1');
  });

  test('hop-by-hop request headers, and headers named in Connection, are not forwarded', async () => {
    const res = await rawRequest(tg.gatewayPort, '/plain/hop', 'GET', {
      connection: 'keep-alive, X-Drop-Me',
      'x-drop-me': 'secret',
      'keep-alive': 'timeout=5',
      'proxy-authorization': 'Basic Zm9vOmJhcg==',
      te: 'gzip',
      'x-kept': 'yes',
    });
    assert.equal(res.status, 200, res.text);
    const seen = res.echo!.headers;
    assert.equal(seen['x-kept'], 'yes');
    for (const name of ['x-drop-me', 'keep-alive', 'proxy-authorization', 'te']) {
      assert.equal(seen[name], undefined, `${name} was forwarded: ${JSON.stringify(seen)}`);
    }
    assert.doesNotMatch(String(seen.connection ?? ''), /x-drop-me/i);
  });

  test('Te from the client is forwarded as `Te: trailers` when it lists trailers, else dropped (api-definition.md §3)', async () => {
    for (const [te, connection, expected] of [
      ['trailers', 'keep-alive', 'trailers'], ['gzip, Trailers', 'keep-alive', 'trailers'], ['trailers', 'TE', 'trailers'],
      ['gzip', 'keep-alive', undefined], ['trailers;q=0.5', 'keep-alive', undefined],
    ] as const) {
      const res = await rawRequest(tg.gatewayPort, '/plain/te', 'GET', { te, connection });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.echo!.headers.te, expected, `Te: ${te}, Connection: ${connection}`);
    }
  });

  test('response headers named in the upstream\'s Connection header are not passed to the client', async () => {
    const res = await get('/plain/conn?header=connection:X-Secret-Hop&header=x-secret-hop:1&header=x-shown:2');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['x-shown'], '2');
    assert.equal(res.headers['x-secret-hop'], undefined, JSON.stringify(res.headers));
  });

  test('domain routing: exact host, {sub} template, {sub:regex}, case-insensitive, port ignored; others fall through', async () => {
    const cases: Array<[string, string]> = [
      ['api.example.com', '/exact/p'],
      ['API.Example.COM:8443', '/exact/p'],
      ['acme.tenant.example', '/template/p'],
      ['ACME.Tenant.Example', '/template/p'],
      ['abc.re.example', '/regex/p'],
      ['abc1.re.example', '/nodomain/p'],
      ['a.b.tenant.example', '/nodomain/p'],
      ['other.example', '/nodomain/p'],
    ];
    for (const [host, path] of cases) assert.equal((await echoed('/dom/p', { host })).path, path, host);
  });

  test('an API with active:false is not routed (404), though still listed by the admin API', async () => {
    const res = await get('/inactive/x');
    assert.equal(res.status, 404);
    assert.equal(res.text, 'Not Found');
    assert.equal((await admin.getApi('inactive')).status, 200);
  });

  test('an API with internal:true is bound to no listen path (its own and /<api_id>/), though still listed', async () => {
    // Its longer listen path does not take the request: the shorter /plain/ API serves it.
    assert.equal((await echoed('/plain/internal/x')).path, '/internal/x');
    const byId = await get('/internal-api/x');
    assert.equal(byId.status, 404);
    assert.equal(byId.text, 'Not Found');
    assert.equal((await admin.getApi('internal-api')).status, 200);
  });

  test('load balancing: round robin over the targets, a refused target skipped: every request 200', async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const echo = await echoed(`/lb/${i}`);
      seen.set(echo.upstream, (seen.get(echo.upstream) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort(), ['a', 'b'], JSON.stringify([...seen]));
  });

  test('upstream refusing connections → 500 with Tyk\'s default JSON error', async () => {
    const res = await get('/refused/x');
    assert.equal(res.status, 500);
    assert.match(String(res.headers['content-type']), /application\/json/);
    assert.equal(res.text, PROXY_ERROR);
    // hide_generator_header: false in this gateway's config: Tyk's error handler header is sent (errors-and-flags.md §1).
    assert.equal(res.headers['x-generator'], 'tyk.io');
  });

  test('upstream slower than proxy_default_timeout → 504 hard timeout', async () => {
    const res = await get('/slow/x');
    assert.equal(res.status, 504);
    assert.match(String(res.headers['content-type']), /application\/json/);
    assert.equal(res.text, TIMEOUT_ERROR);
  });

  test('no API matches → 404 text Not Found', async () => {
    for (const path of ['/nothing-here', '/', '/lp']) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
      assert.equal(res.text, 'Not Found', path);
      // Not written by Tyk's error handler: no generator header even with hide_generator_header false.
      assert.equal(res.headers['x-generator'], undefined, path);
    }
  });

  test('every API is also reachable under /<api_id>/', async () => {
    // api_id "long" has listen path /lp/long/ and target <a>/long
    assert.equal((await echoed('/long/x?q=1')).path, '/long/x');
    assert.equal((await echoed('/row4/x/')).path, '/base/x/');
    const def = keylessApi('', '/by-generated-id/', `${a.url}/gen`);
    delete def.api_id;
    const { key } = await admin.ok(admin.createApi(def));
    await tg.waitForConvergence();
    const echo = await echoed(`/${key}/x?q=1`);
    assert.equal(echo.path, '/gen/x');
    assert.equal(echo.query, 'q=1');
    assert.equal((await echoed('/by-generated-id/x')).path, '/gen/x');
  });

  test('a path not in clean form gets a 301 to the cleaned path, query kept', async () => {
    for (const [path, location] of [['//demo/x', '/demo/x'], ['/demo/./x?a=1', '/demo/x?a=1'], ['/demo/y/../x', '/demo/x']]) {
      // node:http sends the path as written (undici's URL parsing would clean it first)
      const res = await rawRequest(tg.gatewayPort, path!, 'GET', {});
      assert.equal(res.status, 301, path);
      assert.equal(res.headers.location, location, path);
    }
  });
});
