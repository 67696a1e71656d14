import type { ApiDefinition, SessionState } from '@tollgate/apidef';
import { compileApi } from '../routing/compiled-api.js';
import type { UpstreamPools } from '../proxy/upstream-pools.js';
import type { RecordSource } from './record-source.js';

/**
 * A finished exchange as a plain object, for the record, emitter and metrics tests (the pipeline's
 * RequestContext carries the same fields).
 */
export function testSource(
  pools: UpstreamPools, def: Partial<ApiDefinition> = {}, overrides: Partial<Omit<RecordSource, 'api'>> & { session?: SessionState | null } = {},
): RecordSource {
  const api = compileApi({
    api_id: 'a1', name: 'API one', org_id: 'org1',
    proxy: { listen_path: '/a/', target_url: 'http://127.0.0.1:9/base', strip_listen_path: true }, ...def,
  } as ApiDefinition, { pools, enableCustomDomains: false, hostname: '' });
  return {
    api, method: 'GET', path: '/a/items/7', headers: ['host', 'gw', 'user-agent', 'curl/8', 'x-team', 'blue'], peer: '10.0.0.9',
    session: null, sessionKey: '', status: 200, flag: '', isGatewayError: false, startMs: 1_000, endMs: 1_012, upstreamMs: 9,
    upstreamHost: '127.0.0.1:9', matchedLength: 3, contentLength: -1, apiVersion: '', ...overrides,
  };
}
