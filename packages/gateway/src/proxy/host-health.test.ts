import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultConfig, type ApiDefinition } from '@tollgate/apidef';
import { createRedisClient, HostHealthStore, type RedisClient } from '@tollgate/store';
import { startTestRedis, type TestRedisServer } from '@tollgate/store/testing';
import pino from 'pino';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { compileApi, type CompiledApi } from '../routing/compiled-api.js';
import { HostHealthView } from './host-health-view.js';
import { pickTarget } from './load-balancer.js';
import { ServiceDiscovery } from './service-discovery.js';
import { UpstreamPools } from './upstream-pools.js';

const logger = pino({ level: 'silent' });
const pipelineDeps = createPipelineDeps({ config: defaultConfig(), logger });
const pools = new UpstreamPools({ timeoutSeconds: 1 });
after(() => pools.closeAll());

describe('load balancing with uptime tests (check_host_against_uptime_tests)', () => {
  let server: TestRedisServer;
  let redis: RedisClient;
  before(async () => {
    server = await startTestRedis();
    redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test' });
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  const compile = (proxy: ApiDefinition['proxy'], view: HostHealthView): CompiledApi =>
    compileApi({ api_id: 'u', proxy: { listen_path: '/u/', target_url: 'http://127.0.0.1:7001', ...proxy } }, { pools, enableCustomDomains: false, hostname: '', pipelineDeps, hostHealth: view });

  it('skips hosts the checker marked down, answers null when all are, and ignores them without the flag', async () => {
    const store = new HostHealthStore(redis);
    const view = new HostHealthView(store, logger);
    await store.record('127.0.0.1:7002', false, 1, 1);
    await view.refresh();
    const lb = compile({ enable_load_balancing: true, target_list: ['127.0.0.1:7001', '127.0.0.1:7002'], check_host_against_uptime_tests: true }, view);
    assert.deepEqual(Array.from({ length: 3 }, () => pickTarget(lb, 0)?.host), ['127.0.0.1:7001', '127.0.0.1:7001', '127.0.0.1:7001']);
    const unchecked = compile({ enable_load_balancing: true, target_list: ['127.0.0.1:7001', '127.0.0.1:7002'] }, view);
    assert.deepEqual(new Set(Array.from({ length: 2 }, () => pickTarget(unchecked, 0)?.host)), new Set(['127.0.0.1:7001', '127.0.0.1:7002']));
    const single = compile({ target_url: 'http://127.0.0.1:7002/', check_host_against_uptime_tests: true }, view);
    assert.equal(single.fixedVersionName, '', 'no versions: no name');
    assert.equal(pickTarget(single, 0), null);
    await store.record('127.0.0.1:7002', true, 1, 2);
    await view.refresh();
    assert.equal(pickTarget(single, 0)?.host, '127.0.0.1:7002');
  });
});

describe('ServiceDiscovery (answers given by the test)', () => {
  it('replaces the targets with each new non-empty answer, keeps them on failure or empty answers', async () => {
    const answers: Array<string[] | Error> = [['http://127.0.0.1:7101'], [], new Error('down'), ['127.0.0.1:7102', '127.0.0.1:7103']];
    let calls = 0;
    const discovery = new ServiceDiscovery(pools, logger, async () => {
      const a = answers[Math.min(calls++, answers.length - 1)]!;
      if (a instanceof Error) throw a;
      return a;
    });
    const api = compileApi({ api_id: 'sd', proxy: { listen_path: '/sd/', service_discovery: { use_discovery_service: true, query_endpoint: 'http://sd', data_path: 'x', cache_disabled: true } } },
      { pools, enableCustomDomains: false, hostname: '', pipelineDeps, discovery });
    try {
      assert.equal(pickTarget(api, 0), null, 'no target before the first answer');
      const hostsAfter = async (n: number): Promise<string[]> => {
        for (let i = 0; i < 100 && calls < n; i++) await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setImmediate(r));
        return api.targets.map((t) => t.host);
      };
      assert.deepEqual(await hostsAfter(1), ['127.0.0.1:7101']);
      assert.deepEqual(await hostsAfter(3), ['127.0.0.1:7101'], 'empty answer and failure keep the last list');
      assert.deepEqual(await hostsAfter(4), ['127.0.0.1:7102', '127.0.0.1:7103']);
    } finally {
      api.release();
    }
  });
});
