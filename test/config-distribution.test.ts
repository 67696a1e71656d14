import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { Agent } from 'undici';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { gatewayRequest } from './support/gateway-client.js';
import { waitFor } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, WORKERS_HASH, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const WORKERS = 4;
const CHANGES = 50;

describe(`config distribution: ${WORKERS} workers converge after a burst of ${CHANGES} changes`, () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let admin: AdminClient;
  let upstream: Upstream;
  let killer: Redis;
  /** One connection per request, so requests spread over every worker. */
  const fresh = new Agent({ pipelining: 0 });

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream();
    tg = await startTollgate({ redisPort: redis.port, workers: WORKERS });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    killer = new Redis({ host: '127.0.0.1', port: redis.port });
  });
  after(async () => {
    killer?.disconnect();
    await fresh.close();
    await tg?.stop();
    await redis?.stop();
    await upstream?.close();
  });

  /**
   * Applies `CHANGES` changes through the admin API as fast as it answers: creates, updates (new target
   * path) and deletes, in a fixed mix. `midway` runs after half of them. Returns the expected final state:
   * api_id → the version its target path carries (absent = deleted).
   */
  async function burst(prefix: string, midway: () => Promise<void>): Promise<{ live: Map<string, number>; deleted: Set<string> }> {
    const live = new Map<string, number>();
    const deleted = new Set<string>();
    let created = 0;
    const def = (id: string, version: number) => keylessApi(id, `/${id}/`, `${upstream.url}/v${version}`);
    for (let i = 0; i < CHANGES; i++) {
      if (i === CHANGES / 2) await midway();
      const ids = [...live.keys()];
      const kind = i % 5;
      if (kind <= 1 || ids.length === 0) {
        const id = `${prefix}-${created++}`;
        await admin.ok(admin.createApi(def(id, i)));
        live.set(id, i);
      } else if (kind <= 3) {
        const id = ids[(i * 7) % ids.length]!;
        await admin.ok(admin.updateApi(id, def(id, i)));
        live.set(id, i);
      } else {
        const id = ids[(i * 3) % ids.length]!;
        await admin.ok(admin.deleteApi(id));
        live.delete(id);
        deleted.add(id);
      }
    }
    for (const id of live.keys()) deleted.delete(id);
    return { live, deleted };
  }

  async function assertConverged(startRevision: number, expected: { live: Map<string, number>; deleted: Set<string> }): Promise<void> {
    const revision = await tg.waitForConvergence();
    assert.equal(revision, startRevision + CHANGES, 'every change bumps the revision once');

    // the workers hash: one entry per worker of this gateway, all at the final revision
    const pids = await tg.gateway.workerPids();
    assert.equal(pids.length, WORKERS);
    const hash = await tg.redis.hgetall(WORKERS_HASH);
    for (const pid of pids) {
      const entry = Object.entries(hash).find(([id]) => id.endsWith(`:${pid}`));
      assert.ok(entry, `worker ${pid} missing from ${WORKERS_HASH}: ${JSON.stringify(hash)}`);
      assert.equal(Number(entry[1].split(':')[0]), revision, `worker ${pid}: ${entry[1]}`);
    }

    // traffic reflects the final state, on fresh connections spread over the workers
    for (let round = 0; round < 3 * WORKERS; round++) {
      for (const [id, version] of expected.live) {
        const res = await gatewayRequest(tg.gatewayUrl, `/${id}/check`, { dispatcher: fresh, headers: { connection: 'close' } });
        assert.equal(res.status, 200, `${id}: ${res.text}`);
        assert.equal(res.echo?.path, `/v${version}/check`, id);
      }
      for (const id of expected.deleted) {
        const res = await gatewayRequest(tg.gatewayUrl, `/${id}/check`, { dispatcher: fresh, headers: { connection: 'close' } });
        assert.equal(res.status, 404, `${id} was deleted but answered ${res.status} ${res.text}`);
      }
    }
    assert.equal((await admin.ok(admin.listApis())).filter((d) => expected.live.has(String(d.api_id))).length, expected.live.size);
  }

  test('a burst of creates, updates and deletes: every worker applies the final revision and serves the final state', async () => {
    const start = await tg.revision();
    const expected = await burst('burst', async () => undefined);
    assert.ok(expected.live.size > 0 && expected.deleted.size > 0);
    await assertConverged(start, expected);
  });

  test('the same with every pub/sub connection killed (CLIENT KILL TYPE pubsub) in the middle of the burst', async () => {
    const start = await tg.revision();
    let killed = 0;
    const expected = await burst('killed', async () => {
      killed = Number(await killer.call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
    });
    assert.ok(killed >= WORKERS, `CLIENT KILL TYPE pubsub closed ${killed} connections, expected one per worker`);
    await assertConverged(start, expected);
    // the workers subscribed again
    await waitFor(`${WORKERS} subscribers on the change channel again`, async () => {
      const [, count] = await killer.call('PUBSUB', 'NUMSUB', 'tollgate:config:changes') as [string, number];
      return Number(count) === WORKERS ? true : undefined;
    });
  });
});
