import type { ApiDefinition, SessionState } from '@tollgate/apidef';
import { RequestContext } from '../pipeline/request-context.js';
import { compileApi } from '../routing/compiled-api.js';
import type { UpstreamPools } from '../proxy/upstream-pools.js';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { defaultConfig } from '@tollgate/apidef';
import { pino } from 'pino';

export const testDeps = createPipelineDeps({ config: { ...defaultConfig(), secret: 'x' }, logger: pino({ level: 'silent' }) });

export interface ContextOverrides {
  method?: string;
  path?: string;
  headers?: string[];
  peer?: string;
  session?: SessionState | null;
  sessionKey?: string;
  keyAlias?: string;
  status?: number;
  flag?: string;
  error?: RequestContext['error'];
  startMs?: number;
  upstreamSentMs?: number;
  upstreamHeadMs?: number;
  endMs?: number;
}

/**
 * A finished request as the pipeline leaves it, for the record, emitter and metrics tests: a proxied
 * GET that took 12 ms, 9 of them upstream.
 */
export function testContext(pools: UpstreamPools, def: Partial<ApiDefinition> = {}, o: ContextOverrides = {}): RequestContext {
  const api = compileApi({
    api_id: 'a1', name: 'API one', org_id: 'org1',
    proxy: { listen_path: '/a/', target_url: 'http://127.0.0.1:9/base', strip_listen_path: true }, ...def,
  } as ApiDefinition, { pools, enableCustomDomains: false, hostname: '', pipelineDeps: testDeps });
  const ctx = new RequestContext(api, o.method ?? 'GET', o.path ?? '/a/items/7', '', 3,
    o.headers ?? ['host', 'gw', 'user-agent', 'curl/8', 'x-team', 'blue'], o.peer ?? '10.0.0.9', api.targets[0]!, o.startMs ?? 1_000);
  ctx.hasClientUserAgent = ctx.header('user-agent') !== '';
  ctx.session = o.session ?? null;
  ctx.sessionKey = o.sessionKey ?? '';
  ctx.keyAlias = o.keyAlias ?? '';
  ctx.status = o.status ?? 200;
  ctx.flag = o.flag ?? o.error?.flag ?? '';
  ctx.error = o.error ?? null;
  ctx.upstreamSentMs = o.upstreamSentMs ?? (o.error ? 0 : 1_001);
  ctx.upstreamHeadMs = o.upstreamHeadMs ?? (o.error ? 0 : 1_010);
  ctx.endMs = o.endMs ?? 1_012;
  return ctx;
}
