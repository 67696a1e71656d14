import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { Client, request } from 'undici';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { rssBytes, sleep } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { patternChunks, patternSha256, startUpstream, type Echo, type Upstream } from './support/upstream.js';

const MB = 1024 * 1024;
const SIZE = 200 * MB;
/** A worker may grow by this much over its idle RSS while moving SIZE bytes: far less than SIZE. */
const RSS_GROWTH_BOUND = 150 * MB;
/** The reading side stops for this long after PAUSE_AFTER bytes, so that a proxy without back-pressure would buffer the rest. */
const PAUSE_MS = 1500;
const PAUSE_AFTER = 10 * MB;

/** Samples every worker's RSS until stopped; reports the largest growth over the idle values. */
function sampleRss(idle: ReadonlyMap<number, number>): { stop(): Promise<number> } {
  let peakGrowth = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const [pid, base] of idle) {
        const rss = await rssBytes(pid).catch(() => base);
        peakGrowth = Math.max(peakGrowth, rss - base);
      }
      await sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peakGrowth;
    },
  };
}

describe('streaming: 200 MB each way through the gateway with bounded worker memory', () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let upstream: Upstream;
  let idle: Map<number, number>;
  let expectedSha: string;

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream();
    tg = await startTollgate({ redisPort: redis.port, workers: 2 });
    const admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keylessApi('stream', '/stream/', `${upstream.url}/files`)));
    await tg.waitForConvergence();
    // warm every worker up a little (fresh connections), then take the idle RSS
    for (let i = 0; i < 20; i++) {
      const res = await request(`${tg.gatewayUrl}/stream/warm?download=1048576`, { reset: true });
      await res.body.dump();
      const up = await request(`${tg.gatewayUrl}/stream/warm`, { method: 'POST', body: Buffer.alloc(MB), reset: true });
      await up.body.dump();
    }
    idle = new Map();
    for (const pid of await tg.gateway.workerPids()) idle.set(pid, await rssBytes(pid));
    expectedSha = patternSha256(SIZE);
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    await upstream?.close();
  });

  for (const framing of ['content-length', 'chunked'] as const) {
    test(`a 200 MB upload (${framing}) arrives intact while the upstream pauses, worker RSS bounded`, async (t) => {
      const rss = sampleRss(idle);
      let echo: Echo;
      let growth: number;
      try {
        const res = await request(`${tg.gatewayUrl}/stream/upload?pause_after=${PAUSE_AFTER}&pause_ms=${PAUSE_MS}`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream', ...(framing === 'content-length' ? { 'content-length': String(SIZE) } : {}) },
          body: Readable.from(patternChunks(SIZE), { objectMode: false }),
          headersTimeout: 120_000,
          bodyTimeout: 120_000,
        });
        const text = await res.body.text();
        assert.equal(res.statusCode, 200, text.slice(0, 500));
        echo = JSON.parse(text) as Echo;
      } finally {
        growth = await rss.stop();
      }
      assert.equal(echo.path, '/files/upload');
      assert.equal(echo.bodyLength, SIZE);
      assert.equal(echo.bodySha256, expectedSha);
      t.diagnostic(`peak worker RSS growth ${(growth / MB).toFixed(1)} MB`);
    assert.ok(growth < RSS_GROWTH_BOUND, `worker RSS grew by ${(growth / MB).toFixed(0)} MB`);
    });
  }

  test('a 200 MB download arrives intact while the client pauses, worker RSS bounded', async (t) => {
    const rss = sampleRss(idle);
    let growth: number;
    const hash = createHash('sha256');
    let received = 0;
    let status = 0;
    let contentLength: unknown;
    const requestsBefore = upstream.requests;
    try {
      const res = await request(`${tg.gatewayUrl}/stream/download?download=${SIZE}`, { headersTimeout: 120_000, bodyTimeout: 120_000 });
      status = res.statusCode;
      contentLength = res.headers['content-length'];
      let paused = false;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        received += chunk.length;
        hash.update(chunk);
        if (!paused && received >= PAUSE_AFTER) {
          paused = true;
          await sleep(PAUSE_MS);
        }
      }
    } catch (err) {
      throw new Error(`download failed after ${received} bytes (status ${status}; upstream received ${upstream.requests - requestsBefore} `
        + `request(s), ${upstream.inFlight} in flight): ${(err as Error).message}\n${tg.logs()}`);
    } finally {
      growth = await rss.stop();
    }
    assert.equal(status, 200);
    assert.equal(contentLength, String(SIZE));
    assert.equal(received, SIZE);
    assert.equal(hash.digest('hex'), expectedSha);
    t.diagnostic(`peak worker RSS growth ${(growth / MB).toFixed(1)} MB`);
    assert.ok(growth < RSS_GROWTH_BOUND, `worker RSS grew by ${(growth / MB).toFixed(0)} MB`);
  });

  test('downloads at once, their clients pausing at different points, all arrive intact', async () => {
    // The workers read upstream sockets into one reused buffer per process: a chunk held back for a slow
    // client must be the bytes it was, whatever the other downloads read since. Six downloads on two
    // workers put several on one worker; the pauses are staggered so each waits while the others read.
    const sizes = [24, 25, 26, 27, 28, 29].map((n) => n * MB + n);
    const results = await Promise.all(sizes.map(async (size, i) => {
      const res = await request(`${tg.gatewayUrl}/stream/concurrent-${i}?download=${size}`, { headersTimeout: 60_000, bodyTimeout: 60_000, reset: true });
      const hash = createHash('sha256');
      let received = 0;
      let nextPause = (i + 1) * MB;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        received += chunk.length;
        hash.update(chunk);
        if (received >= nextPause) {
          nextPause += 6 * MB;
          await sleep(100);
        }
      }
      return { status: res.statusCode, received, sha: hash.digest('hex') };
    }));
    results.forEach((r, i) => {
      assert.equal(r.status, 200, `download ${i}`);
      assert.equal(r.received, sizes[i], `download ${i} length`);
      assert.equal(r.sha, patternSha256(sizes[i]!), `download ${i} content`);
    });
  });

  test('a keep-alive connection keeps serving after streamed uploads the upstream read slowly', async () => {
    // One connection for everything: a streamed body that left the client socket paused would leave the
    // next request on it unread.
    const client = new Client(tg.gatewayUrl, { pipelining: 1 });
    try {
      for (let i = 0; i < 12; i++) {
        const size = 16 * MB + i;
        const up = await client.request({
          path: `/stream/upload-${i}?pause_after=${MB}&pause_ms=100`,
          method: 'POST',
          headers: i % 2 === 0 ? { 'content-length': String(size) } : {},
          body: Readable.from(patternChunks(size), { objectMode: false }),
          headersTimeout: 60_000,
          bodyTimeout: 60_000,
        });
        const echo = JSON.parse(await up.body.text()) as Echo;
        assert.equal(up.statusCode, 200);
        assert.equal(echo.bodyLength, size);
        const next = await client.request({ path: `/stream/after-${i}`, method: 'GET', headersTimeout: 60_000 });
        assert.equal(next.statusCode, 200, `request ${i} after a streamed upload on the same connection`);
        assert.equal((JSON.parse(await next.body.text()) as Echo).path, `/files/after-${i}`);
      }
    } finally {
      await client.close();
    }
  });
});
