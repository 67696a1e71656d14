import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig, type ApiDefinition } from '@tollgate/apidef';
import pino from 'pino';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { RequestContext } from '../pipeline/request-context.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import { createHardTimeouts } from './hard-timeouts.js';

const deps = createPipelineDeps({ config: defaultConfig(), logger: pino({ level: 'silent' }) });
const request = (method: string, path: string): RequestContext =>
  new RequestContext({} as CompiledApi, method, path, '', 4, ['host', 'h'], '127.0.0.1', {} as UpstreamTarget, 0);
const def = (timeouts: { path: string; method: string; timeout: number }[]): ApiDefinition => ({
  api_id: 'a', proxy: { listen_path: '/api' },
  version_data: { not_versioned: true, versions: { Default: { use_extended_paths: true, extended_paths: { hard_timeouts: timeouts } } } },
});

describe('createHardTimeouts', () => {
  it('sets the upstream deadline of the matching endpoint and method only', () => {
    const step = createHardTimeouts(def([{ path: '/slow', method: 'GET', timeout: 2.5 }]), deps)!;
    const hit = request('GET', '/api/slow/1');
    step(hit);
    assert.equal(hit.upstreamTimeoutMs, 2500);
    const other = request('POST', '/api/slow/1');
    step(other);
    assert.equal(other.upstreamTimeoutMs, 0);
  });
  it('is off without positive timeouts', () => {
    assert.equal(createHardTimeouts(def([{ path: '/x', method: 'GET', timeout: 0 }]), deps), null);
  });
});
