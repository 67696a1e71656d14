import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { defaultConfig } from '@tollgate/apidef';
import pino from 'pino';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { compileApi, type CompiledApi } from '../routing/compiled-api.js';
import { UpstreamPools } from './upstream-pools.js';
import { markDown, pickTarget, TARGET_DOWN_MS } from './load-balancer.js';

const pipelineDeps = createPipelineDeps({ config: defaultConfig(), logger: pino({ level: 'silent' }) });

const pools = new UpstreamPools({ timeoutSeconds: 1 });
after(() => pools.closeAll());

function api(targetList: string[]): CompiledApi {
  return compileApi(
    { api_id: 'lb', proxy: { listen_path: '/lb/', target_url: 'http://127.0.0.1:9', enable_load_balancing: true, target_list: targetList } },
    { pools, enableCustomDomains: false, hostname: '', pipelineDeps },
  );
}

const hosts = (picks: Array<{ host: string } | null>): Array<string | null> => picks.map((t) => (t === null ? null : t.host));

describe('pickTarget', () => {
  it('goes round robin over target_list, weighting by repetition', () => {
    const lb = api(['127.0.0.1:7001', 'http://127.0.0.1:7002', '127.0.0.1:7001']);
    const picks = Array.from({ length: 6 }, () => pickTarget(lb, 0));
    assert.deepEqual(hosts(picks), ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7001', '127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7001']);
  });

  it('skips a target marked down until its down time has passed', () => {
    const lb = api(['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003']);
    const now = 1_000_000;
    markDown(lb.targets[1]!, now);
    const picks = Array.from({ length: 4 }, () => pickTarget(lb, now + 1));
    assert.deepEqual(hosts(picks), ['127.0.0.1:7001', '127.0.0.1:7003', '127.0.0.1:7001', '127.0.0.1:7003']);
    const later = now + TARGET_DOWN_MS;
    const again = Array.from({ length: 3 }, () => pickTarget(lb, later));
    assert.deepEqual(new Set(hosts(again)), new Set(['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003']));
  });

  it('returns null when every target is down', () => {
    const lb = api(['127.0.0.1:7001', '127.0.0.1:7002']);
    for (const target of lb.targets) markDown(target, 0);
    assert.equal(pickTarget(lb, 1), null);
  });

  it('always returns the only target of a single-target API, even marked down', () => {
    const single = compileApi({ api_id: 's', proxy: { listen_path: '/s/', target_url: 'http://127.0.0.1:7009/base' } }, { pools, enableCustomDomains: false, hostname: '', pipelineDeps });
    markDown(single.targets[0]!, 0);
    assert.equal(pickTarget(single, 1)?.host, '127.0.0.1:7009');
    assert.equal(pickTarget(single, 1)?.path, '/base');
  });

  it('uses target_url alone when load balancing is off', () => {
    const off = compileApi(
      { api_id: 'o', proxy: { listen_path: '/o/', target_url: 'http://127.0.0.1:7010', enable_load_balancing: false, target_list: ['127.0.0.1:7011'] } },
      { pools, enableCustomDomains: false, hostname: '', pipelineDeps },
    );
    assert.deepEqual(hosts([pickTarget(off, 0), pickTarget(off, 0)]), ['127.0.0.1:7010', '127.0.0.1:7010']);
  });
});
