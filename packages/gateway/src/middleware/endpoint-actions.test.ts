import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig, type ApiDefinition, type ExtendedPaths } from '@tollgate/apidef';
import pino from 'pino';
import { errors } from '../errors.js';
import type { Reply } from '../pipeline/decision.js';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { RequestContext } from '../pipeline/request-context.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import { createMethodTransforms, createMockResponses } from './endpoint-actions.js';
import { createVersionCheck } from './version-check.js';

const deps = createPipelineDeps({ config: defaultConfig(), logger: pino({ level: 'silent' }) });
const request = (method: string, path: string): RequestContext =>
  new RequestContext({} as CompiledApi, method, path, '', 4, ['host', 'h'], '127.0.0.1', {} as UpstreamTarget, 0);
const def = (extended: ExtendedPaths): ApiDefinition => ({
  api_id: 'a', proxy: { listen_path: '/api' },
  version_data: { not_versioned: true, versions: { Default: { use_extended_paths: true, extended_paths: extended } } },
});

describe('createMethodTransforms', () => {
  it('changes the upstream method of the matching endpoint and method', () => {
    const step = createMethodTransforms(def({ method_transforms: [{ path: '/legacy', method: 'GET', to_method: 'post' }] }), deps)!;
    const hit = request('GET', '/api/legacy');
    step(hit);
    assert.equal(hit.forwardMethod, 'POST');
    assert.equal(hit.method, 'GET', 'the request method itself is unchanged');
    const miss = request('PUT', '/api/legacy');
    step(miss);
    assert.equal(miss.forwardMethod, 'PUT');
  });
});

describe('createMockResponses', () => {
  const mocks = def({
    mock_response: [{ path: '/status', method: 'GET', code: 202, body: '{"ok":true}', headers: { 'Content-Type': 'application/json', 'X-Mock': '1' } }],
    white_list: [{ path: '/real', method: 'GET' }],
  });
  it('answers the matching endpoint with code, body and headers', () => {
    const answer = createMockResponses(mocks, deps)!(request('GET', '/api/status')) as Reply;
    assert.equal(answer.status, 202);
    assert.equal(answer.body.toString(), '{"ok":true}');
    assert.equal(answer.contentType, 'application/json');
    assert.deepEqual(answer.headers, ['X-Mock', '1']);
    assert.equal(createMockResponses(mocks, deps)!(request('POST', '/api/status')), undefined);
  });
  it('a mocked endpoint passes white-list mode (mocks are scanned first)', () => {
    const rules = createVersionCheck(mocks, deps)!;
    assert.equal(rules(request('GET', '/api/status')), undefined);
    assert.equal(rules(request('GET', '/api/other')), errors.endpointForbidden);
  });
});
