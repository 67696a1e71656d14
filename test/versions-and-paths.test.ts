import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { AdminClient, keylessApi, type Definition } from './support/admin-client.js';
import { gatewayRequest } from './support/gateway-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const tykBody = (message: string): string => `{\n    "error": "${message}"\n}`;
const FORBIDDEN = tykBody('Requested endpoint is forbidden');

/** Versions, endpoint rules, global headers and size limits (api-definition.md §5) through 2 workers. */
describe('versions and endpoint rules through a running cluster', () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let admin: AdminClient;
  let main: Upstream;
  let other: Upstream;

  const versioned = (id: string, listenPath: string, definition: Definition['definition'], versions: Record<string, unknown>, extra: Definition = {}): Definition =>
    keylessApi(id, listenPath, `${main.url}/`, { definition, version_data: { not_versioned: false, default_version: 'v1', versions }, ...extra } as Definition);

  before(async () => {
    redis = await startRedisServer();
    [main, other] = await Promise.all([startUpstream({ name: 'main' }), startUpstream({ name: 'other' })]);
    tg = await startTollgate({ redisPort: redis.port, workers: 2 });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    const versions = {
      v1: { name: 'v1', expires: '2099-01-01 00:00' },
      v2: { name: 'v2', override_target: `${other.url}/` },
      old: { name: 'old', expires: '2001-01-01 00:00' },
    };
    await admin.ok(admin.createApi(versioned('hdr', '/hdr/', { location: 'header', key: 'x-api-version', strip_versioning_data: true }, versions)));
    await admin.ok(admin.createApi(versioned('url', '/url/', { location: 'url', strip_versioning_data: true }, versions)));
    await admin.ok(admin.createApi(versioned('qry', '/qry/', { location: 'url-param', key: 'version', strip_versioning_data: true, fallback_to_default: true }, versions)));
    await admin.ok(admin.createApi(keylessApi('rules', '/rules/', `${main.url}/`, {
      version_data: { not_versioned: true, versions: { Default: {
        use_extended_paths: true,
        extended_paths: {
          ignored: [{ path: '/public/health', method: 'GET' }],
          black_list: [{ path: '/public/admin', method: '' }],
          white_list: [{ path: '/public/{item}', method: 'GET' }, { path: '/upload', method: 'POST' }],
          size_limits: [{ path: '/upload', method: 'POST', size_limit: 10 }],
          transform_headers: [{ path: '/public/{item}', method: 'GET', add_headers: { 'x-endpoint': 'yes' }, delete_headers: ['x-drop-here'] }],
          transform_response_headers: [{ path: '/public/{item}', method: 'GET', delete_headers: ['x-upstream'], add_headers: {} }],
          url_rewrites: [{ path: '/public/old/', method: 'GET', match_pattern: '/rules/public/old/(\\w+)', rewrite_to: '/rules/public/new/$1' }],
          hard_timeouts: [{ path: '/public/slow', method: 'GET', timeout: 1 }],
          mock_response: [{ path: '/private/mocked', method: 'GET', code: 201, body: 'mocked', headers: { 'x-mock': 'yes' } }],
          method_transforms: [{ path: '/public/xform', method: 'GET', to_method: 'PUT' }],
        },
        global_response_headers_remove: ['x-remove-me'],
        global_headers: { 'x-global': 'on' },
        global_headers_remove: ['x-secret', 'X-Forwarded-For'],
        global_response_headers: { 'x-served-by': 'tollgate' },
        global_size_limit: 100,
      } } },
    })));
    await admin.ok(admin.createApi(keylessApi('keyed', '/keyed/', `${main.url}/`, {
      use_keyless: false, use_standard_auth: true, strip_auth_data: true,
      version_data: { not_versioned: true, versions: { Default: { use_extended_paths: true, extended_paths: { ignored: [{ path: '/health', method: 'GET' }] } } } },
    })));
    await admin.ok(admin.createApi(keylessApi('internal-ep', '/internal-ep/', `${main.url}/`, {
      version_data: { not_versioned: true, versions: { Default: { use_extended_paths: true, extended_paths: { internal: [{ path: '/hidden', method: 'GET' }] } } } },
    })));
    await admin.ok(admin.createApi(keylessApi('ambiguous', '/ambiguous/', `${main.url}/`, {
      version_data: { not_versioned: true, versions: { Default: {}, default: {} } },
    })));
    await tg.waitForConvergence();
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    await Promise.all([main?.close(), other?.close()]);
  });

  const get = (path: string, headers: Record<string, string> = {}) => gatewayRequest(tg.gatewayUrl, path, { headers });

  test('version from a header: default, override_target, unknown, expired, expiry header, stripped', async () => {
    const dflt = await get('/hdr/x');
    assert.equal(dflt.status, 200, dflt.text);
    assert.equal(dflt.echo?.upstream, 'main');
    assert.equal(dflt.headers['x-tyk-api-expires'], 'Thu, 01 Jan 2099 00:00:00 UTC');
    const v2 = await get('/hdr/x', { 'x-api-version': 'v2' });
    assert.equal(v2.echo?.upstream, 'other');
    assert.equal(v2.echo?.headers['x-api-version'], undefined, 'strip_versioning_data removes the header');
    const unknown = await get('/hdr/x', { 'x-api-version': 'v9' });
    assert.equal(unknown.status, 403);
    assert.equal(unknown.text, tykBody('This API version does not seem to exist'));
    const expired = await get('/hdr/x', { 'x-api-version': 'old' });
    assert.equal(expired.status, 403);
    assert.equal(expired.text, tykBody('Api Version has expired, please check documentation or contact administrator'));
  });

  test('version from the URL, stripped from the forwarded path', async () => {
    const res = await get('/url/v2/items/7?a=1');
    assert.equal(res.echo?.upstream, 'other');
    assert.equal(res.echo?.url, '/items/7?a=1');
    assert.equal((await get('/url/v3/items')).status, 403);
  });

  test('version from a query parameter, stripped; unknown falls back to the default', async () => {
    const res = await get('/qry/x?a=1&version=v2&b=2');
    assert.equal(res.echo?.upstream, 'other');
    assert.equal(res.echo?.query, 'a=1&b=2');
    const fallback = await get('/qry/x?version=v9');
    assert.equal(fallback.status, 200);
    assert.equal(fallback.echo?.upstream, 'main');
  });

  test('white, black and ignored lists answer Tyk\'s 403 before the upstream', async () => {
    const before = main.requests;
    const black = await get('/rules/public/admin');
    assert.equal(black.status, 403);
    assert.equal(black.text, FORBIDDEN);
    // Rules see the decoded path (Tyk: r.URL.Path): escaping a character does not step around them.
    for (const escaped of ['/rules/public/%61dmin', '/rules/public%2Fadmin']) {
      const res = await get(escaped);
      assert.equal(res.status, 403, escaped);
      assert.equal(res.text, FORBIDDEN);
    }
    const unlisted = await get('/rules/private/x');
    assert.equal(unlisted.status, 403);
    assert.equal(unlisted.text, FORBIDDEN);
    assert.equal((await gatewayRequest(tg.gatewayUrl, '/rules/public/item', { method: 'DELETE' })).status, 403);
    assert.equal(main.requests, before);
    assert.equal((await get('/rules/public/health')).status, 200);
    assert.equal((await get('/rules/public/item')).status, 200);
  });

  test('extended_paths.internal endpoints answer 403 from outside, before the upstream; other methods and paths pass', async () => {
    const before = main.requests;
    const internal = await get('/internal-ep/hidden/x');
    assert.equal(internal.status, 403);
    assert.equal(internal.text, FORBIDDEN);
    assert.equal(main.requests, before);
    assert.equal((await gatewayRequest(tg.gatewayUrl, '/internal-ep/hidden/x', { method: 'POST', body: '' })).status, 200);
    assert.equal((await get('/internal-ep/shown')).status, 200);
  });

  test('global and endpoint headers: removed, set, response header added; X-Forwarded-For not sent', async () => {
    const res = await get('/rules/public/item', { 'x-secret': 's', 'x-drop-here': 'd', 'x-global': 'client' });
    assert.equal(res.status, 200);
    const h = res.echo!.headers;
    assert.equal(h['x-secret'], undefined);
    assert.equal(h['x-drop-here'], undefined);
    assert.equal(h['x-global'], 'on');
    assert.equal(h['x-endpoint'], 'yes');
    assert.equal(h['x-forwarded-for'], undefined);
    assert.equal(res.headers['x-served-by'], 'tollgate');
  });

  test('url_rewrites change the forwarded path; response headers are dropped as configured', async () => {
    const res = await get('/rules/public/old/thing?header=x-remove-me:1&header=x-kept:1');
    assert.equal(res.status, 200);
    assert.equal(res.echo?.path, '/public/new/thing', 'rewritten, then the listen path stripped');
    assert.equal(res.headers['x-remove-me'], undefined);
    assert.equal(res.headers['x-upstream'], undefined, 'transform_response_headers delete');
    assert.equal(res.headers['x-kept'], '1');
  });

  test('hard_timeouts: the endpoint gets 504 when the upstream is slower; other endpoints keep the default', async () => {
    const slow = await get('/rules/public/slow?delay=3000');
    assert.equal(slow.status, 504);
    assert.equal(slow.text, tykBody('Upstream service reached hard timeout.'));
    assert.equal((await get('/rules/public/other?delay=1500')).status, 200);
  });

  test('mock_response answers without the upstream (even outside the white list); method_transforms change the method', async () => {
    const calls = main.requests;
    const mocked = await get('/rules/private/mocked');
    assert.equal(mocked.status, 201);
    assert.equal(mocked.text, 'mocked');
    assert.equal(mocked.headers['x-mock'], 'yes');
    assert.equal(main.requests, calls);
    assert.equal((await get('/rules/public/xform')).echo?.method, 'PUT');
  });

  test('size limits: endpoint 400 BTL, global 400, 411 without Content-Length', async () => {
    const post = (path: string, body: Buffer | Readable) => gatewayRequest(tg.gatewayUrl, path, { method: 'POST', body: body as Buffer });
    assert.equal((await post('/rules/upload', Buffer.alloc(10))).status, 200);
    const tooBig = await post('/rules/upload', Buffer.alloc(11));
    assert.equal(tooBig.status, 400);
    assert.equal(tooBig.text, tykBody('Request is too large'));
    const chunked = await post('/rules/upload', Readable.from([Buffer.alloc(5)]));
    assert.equal(chunked.status, 411);
    assert.equal(chunked.text, tykBody('Content length is required for this request'));
  });

  test('an ignored endpoint skips authentication; others still need a key', async () => {
    const open = await get('/keyed/health', { authorization: 'whatever' });
    assert.equal(open.status, 200, open.text);
    assert.equal(open.echo?.headers.authorization, undefined, 'strip_auth_data still runs');
    const closed = await get('/keyed/other');
    assert.equal(closed.status, 401);
    assert.equal(closed.text, tykBody('Authorization field missing'));
    assert.equal((await gatewayRequest(tg.gatewayUrl, '/keyed/health', { method: 'POST' })).status, 401, 'the rule names GET only');
  });

  test('a non-versioned API with two default versions answers 403 Ambiguous', async () => {
    const res = await get('/ambiguous/x');
    assert.equal(res.status, 403);
    assert.equal(res.text, tykBody('Ambiguous default API version for this non-versioned API'));
  });

  test('bad rules are refused when saved, naming the field', async () => {
    const cases: [Definition, string][] = [
      [keylessApi('bad1', '/bad1/', main.url, { version_data: { not_versioned: true, versions: { Default: { use_extended_paths: true, extended_paths: { black_list: [{ path: '/a/(b', method: 'GET' }] } } } } }),
        'version_data.versions.Default.extended_paths.black_list[0].path "/a/(b" is not a valid regular expression: Unterminated group'],
      [versioned('bad2', '/bad2/', { location: 'header', key: 'v' }, { v1: { expires: '31/12/2030' } }),
        'version_data.versions.v1.expires "31/12/2030" is not a date in the layout "YYYY-MM-DD HH:MM" (or "" / "-1" for never)'],
      [versioned('bad3', '/bad3/', { location: 'header', key: 'v' }, { v1: { override_target: 'ftp://x' } }),
        'version_data.versions.v1.override_target "ftp://x" is not a valid http(s) URL'],
      [versioned('bad4', '/bad4/', { location: 'query' }, { v1: {} }),
        'definition.location "query" must be one of "header", "url-param", "url" or ""'],
    ];
    for (const [def, reason] of cases) {
      const res = await admin.createApi(def);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.message, `Validation of API Definition failed. Reason: ${reason}.`);
    }
  });
});
