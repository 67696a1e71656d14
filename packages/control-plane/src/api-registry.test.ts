import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pino, type Logger } from 'pino';
import { ConfigStore, createRedisClient, waitForReady, type RedisClient } from '@tollgate/store';
import { ApiRegistry } from './api-registry.js';
import { startTestRedis, type TestRedisServer } from '@tollgate/store/testing';

let server: TestRedisServer;
let redis: RedisClient;
let store: ConfigStore;
let registry: ApiRegistry;

before(async () => {
  server = await startTestRedis();
  redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:api-registry' });
  await waitForReady(redis, 5000);
  store = new ConfigStore(redis);
  registry = new ApiRegistry(store, { enableCustomDomains: false });
});

after(async () => {
  redis.disconnect();
  await server.stop();
});

beforeEach(async () => {
  await redis.flushall();
});

function def(apiId: string | undefined, listenPath: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = { name: `API ${apiId ?? ''}`, proxy: { listen_path: listenPath, target_url: 'http://127.0.0.1:3000/' }, ...extra };
  if (apiId !== undefined) body.api_id = apiId;
  return body;
}

/** A pino logger whose JSON lines are collected in `lines`. */
function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

describe('ApiRegistry create / update / remove', () => {
  it('generates a 32-hex api_id when none is given and stores the body as received', async () => {
    const body = def(undefined, '/gen/', { x_unknown: { kept: true } });
    const result = await registry.create(body);
    assert.ok(result.ok);
    assert.match(result.id, /^[0-9a-f]{32}$/);
    assert.equal(result.revision, 1);
    const stored = await registry.get(result.id);
    assert.deepEqual(stored, { ...body, api_id: result.id });
    assert.deepEqual((stored as Record<string, unknown>).x_unknown, { kept: true });
  });

  it('treats an empty api_id as none', async () => {
    const result = await registry.create(def('', '/empty/'));
    assert.ok(result.ok);
    assert.match(result.id, /^[0-9a-f]{32}$/);
  });

  it('refuses a duplicate api_id', async () => {
    assert.ok((await registry.create(def('a1', '/one/'))).ok);
    const again = await registry.create(def('a1', '/two/'));
    assert.equal(again.ok, false);
    assert.ok(!again.ok);
    assert.equal(again.status, 400);
    assert.match(again.message, /api_id "a1" already exists/);
    assert.equal((await registry.get('a1'))?.proxy?.listen_path, '/one/', 'the first definition is kept');
  });

  it('refuses an api_id that is not a safe path component', async () => {
    for (const id of ['a/b', '..', 'a b', 'x?y']) {
      const result = await registry.create(def(id, `/p${id.length}/`));
      assert.ok(!result.ok, id);
      assert.equal(result.status, 400);
      assert.equal(result.message, 'Invalid API ID');
    }
  });

  it('refuses a listen path another API uses, naming that API', async () => {
    assert.ok((await registry.create(def('first', '/shared/'))).ok);
    // "shared//" normalises to the same listen path.
    const result = await registry.create(def('second', 'shared//'));
    assert.ok(!result.ok);
    assert.equal(result.status, 400);
    assert.equal(result.message, 'Validation of API Definition failed. Reason: proxy.listen_path "/shared/" on domain "" is already used by API "first".');
    assert.equal(await registry.get('second'), undefined);
  });

  it('allows the same listen path on different domains when custom domains are on', async () => {
    const withDomains = new ApiRegistry(store, { enableCustomDomains: true });
    assert.ok((await withDomains.create(def('d1', '/x/', { domain: 'a.example.com' }))).ok);
    assert.ok((await withDomains.create(def('d2', '/x/', { domain: 'b.example.com' }))).ok);
    const clash = await withDomains.create(def('d3', '/x/', { domain: 'A.example.com' }));
    assert.ok(!clash.ok);
    assert.match(clash.message, /already used by API "d1"/);
  });

  it('refuses an invalid definition with the validation reason', async () => {
    const result = await registry.create({ api_id: 'bad', proxy: { target_url: 'http://u/' } });
    assert.ok(!result.ok);
    assert.equal(result.status, 400);
    assert.match(result.message, /^Validation of API Definition failed\. Reason: proxy\.listen_path is required/);
  });

  it('updates an existing API, keeping its own listen path free of conflict with itself', async () => {
    await registry.create(def('u1', '/u/'));
    const result = await registry.update('u1', def('u1', '/u/', { name: 'renamed' }));
    assert.ok(result.ok);
    assert.equal(result.revision, 2);
    assert.equal((await registry.get('u1'))?.name, 'renamed');
  });

  it('answers 404 for an update of a missing API', async () => {
    const result = await registry.update('missing', def('missing', '/m/'));
    assert.deepEqual(result, { ok: false, status: 404, message: 'API not found' });
    assert.equal(await store.revision(), 0);
  });

  it('answers 400 when the body api_id differs from the URL id', async () => {
    await registry.create(def('u2', '/u2/'));
    const result = await registry.update('u2', def('other', '/u2/'));
    assert.deepEqual(result, {
      ok: false, status: 400, message: 'Request APIID does not match that in Definition! For Update operations these must match.',
    });
  });

  it('removes an API and answers 404 for one that is gone', async () => {
    await registry.create(def('r1', '/r/'));
    const removed = await registry.remove('r1');
    assert.deepEqual(removed, { ok: true, id: 'r1', revision: 2 });
    assert.equal(await registry.get('r1'), undefined);
    assert.deepEqual(await registry.list(), []);
    assert.deepEqual(await registry.remove('r1'), { ok: false, status: 404, message: 'API not found' });
  });

  it('lists every stored definition', async () => {
    await registry.create(def('l1', '/l1/'));
    await registry.create(def('l2', '/l2/'));
    assert.deepEqual((await registry.list()).map((d) => d.api_id).sort(), ['l1', 'l2']);
  });
});

describe('ApiRegistry.loadDirectory', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tollgate-app-path-'));
  });

  const write = (name: string, content: unknown): Promise<void> =>
    writeFile(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));

  it('loads valid files, skips malformed JSON and invalid definitions with a log line each', async () => {
    try {
      await write('1-good.json', def('good', '/good/'));
      await write('2-broken.json', '{"api_id": "broken", ');
      await write('3-invalid.json', { api_id: 'invalid', proxy: { listen_path: '/inv/', target_url: 'htp//x' } });
      await write('4-array.json', [def('arr', '/arr/')]);
      await write('5-unsafe-id.json', def('../etc', '/unsafe/'));
      await write('6-also-good.json', def('good2', '/good2/'));
      await write('notes.txt', 'not a definition');
      const { logger, lines } = captureLogger();
      const result = await registry.loadDirectory(dir, logger);
      assert.deepEqual(result, { loaded: 2, skipped: 4 });
      assert.deepEqual((await registry.list()).map((d) => d.api_id).sort(), ['good', 'good2']);

      const errorsFor = (file: string): Array<Record<string, unknown>> => lines.filter((l) => l.level === 50 && l.file === join(dir, file));
      assert.equal(errorsFor('2-broken.json')[0]?.msg, 'API definition file skipped: unreadable or malformed JSON');
      assert.equal(errorsFor('3-invalid.json')[0]?.msg, 'API definition file skipped');
      assert.match(String(errorsFor('3-invalid.json')[0]?.reason), /proxy\.target_url/);
      assert.equal(errorsFor('4-array.json')[0]?.msg, 'API definition file skipped: not a JSON object');
      assert.match(String(errorsFor('5-unsafe-id.json')[0]?.msg), /api_id missing or not a safe path component/);
      assert.equal(errorsFor('1-good.json').length, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('renames a conflicting listen path to <path>-<api_id> and logs it', async () => {
    try {
      await write('a.json', def('first', '/shared'));
      await write('b.json', def('second', '/shared'));
      const { logger, lines } = captureLogger();
      assert.deepEqual(await registry.loadDirectory(dir, logger), { loaded: 2, skipped: 0 });
      assert.equal((await registry.get('first'))?.proxy?.listen_path, '/shared');
      assert.equal((await registry.get('second'))?.proxy?.listen_path, '/shared-second');
      const renamed = lines.find((l) => l.msg === 'listen path already in use; renamed');
      assert.equal(renamed?.level, 50);
      assert.equal(renamed?.api_id, 'second');
      assert.equal(renamed?.listen_path, '/shared');
      assert.equal(renamed?.renamed_to, '/shared-second');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('appends _ until the renamed listen path is unique', async () => {
    try {
      await registry.create(def('taken', '/s-second'));
      await write('a.json', def('first', '/s'));
      await write('b.json', def('second', '/s'));
      const { logger } = captureLogger();
      assert.deepEqual(await registry.loadDirectory(dir, logger), { loaded: 2, skipped: 0 });
      assert.equal((await registry.get('second'))?.proxy?.listen_path, '/s-second_');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('skips a file without proxy settings even when an API already listens on /', async () => {
    try {
      await registry.create(def('root', '/'));
      await write('no-proxy.json', { api_id: 'no-proxy', name: 'no proxy' });
      const { logger, lines } = captureLogger();
      assert.deepEqual(await registry.loadDirectory(dir, logger), { loaded: 0, skipped: 1 });
      assert.ok(lines.some((l) => l.level === 50 && l.file === join(dir, 'no-proxy.json')));
      assert.equal(await registry.get('no-proxy'), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads nothing and warns when app_path cannot be read', async () => {
    const { logger, lines } = captureLogger();
    assert.deepEqual(await registry.loadDirectory(join(tmpdir(), 'tollgate-no-such-dir-for-test'), logger), { loaded: 0, skipped: 0 });
    assert.equal(lines[0]?.level, 40);
    assert.match(String(lines[0]?.msg), /app_path not readable/);
  });
});
