import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig, type ApiDefinition, type VersionInfo } from '@tollgate/apidef';
import pino from 'pino';
import { errors } from '../errors.js';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { RequestContext } from '../pipeline/request-context.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import { createSizeLimits } from './size-limits.js';

const deps = createPipelineDeps({ config: defaultConfig(), logger: pino({ level: 'silent' }) });
const request = (method: string, path: string, headers: string[] = []): RequestContext =>
  new RequestContext({} as CompiledApi, method, path, '', 4, ['host', 'h', ...headers], '127.0.0.1', {} as UpstreamTarget, 0);
const def = (version: VersionInfo): ApiDefinition => ({ api_id: 'a', proxy: { listen_path: '/api' }, version_data: { not_versioned: true, versions: { Default: version } } });

describe('createSizeLimits', () => {
  it('is left out when no version sets a limit, or the global one is disabled', () => {
    assert.equal(createSizeLimits(def({}), deps), null);
    assert.equal(createSizeLimits(def({ global_size_limit: 10, global_size_limit_disabled: true }), deps), null);
  });
  it('global limit: 411 without Content-Length, 400 when not a number, 400 BTL above it', () => {
    const check = createSizeLimits(def({ global_size_limit: 10 }), deps)!;
    assert.equal(check(request('POST', '/api/x')), errors.contentLengthMissing);
    assert.equal(check(request('POST', '/api/x', ['content-length', 'ten'])), errors.contentLengthInvalid);
    assert.equal(check(request('POST', '/api/x', ['content-length', '11'])), errors.bodyTooLarge);
    assert.equal(errors.bodyTooLarge.flag, 'BTL');
    assert.equal(check(request('POST', '/api/x', ['content-length', '10'])), undefined);
  });
  it('skips GET, DELETE, TRACE, OPTIONS and HEAD', () => {
    const check = createSizeLimits(def({ global_size_limit: 10 }), deps)!;
    for (const m of ['GET', 'DELETE', 'TRACE', 'OPTIONS', 'HEAD']) assert.equal(check(request(m, '/api/x')), undefined, m);
  });
  it('extended size_limits apply to their endpoint and method only', () => {
    const check = createSizeLimits(def({ use_extended_paths: true, extended_paths: { size_limits: [{ path: '/upload', method: 'PUT', size_limit: 5 }] } }), deps)!;
    assert.equal(check(request('PUT', '/api/upload', ['content-length', '6'])), errors.bodyTooLarge);
    assert.equal(check(request('POST', '/api/upload', ['content-length', '6'])), undefined);
    assert.equal(check(request('PUT', '/api/other', ['content-length', '6'])), undefined);
  });
});
