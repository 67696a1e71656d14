import { applyPolicies, defaultConfig, type ApiDefinition, type GatewayConfig, type Policy, type SessionState } from '@tollgate/apidef';
import pino from 'pino';
import type { SessionSource } from '../pipeline/auth-deps.js';
import type { PipelineDeps } from '../pipeline/middleware.js';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { RequestContext } from '../pipeline/request-context.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';

/**
 * Helpers for the auth decision tests: an in-memory session source (the real one is the sessions/ cache
 * over Redis, tested end to end) that applies policies as the cache does, and plain request contexts.
 */
export class MemorySessions implements SessionSource {
  readonly stored = new Map<string, SessionState>();
  gets = 0;
  asynchronous = false;

  constructor(private readonly policies: Map<string, Policy>, private readonly orgId = '') {}

  get(storageId: string): SessionState | null | Promise<SessionState | null> {
    this.gets++;
    const raw = this.stored.get(storageId);
    let result: SessionState | null = null;
    if (raw !== undefined) {
      const applied = applyPolicies(raw, this.policies, { orgId: this.orgId });
      result = applied.ok ? applied.session : null;
    }
    return this.asynchronous ? Promise.resolve(result) : result;
  }

  async save(storageId: string, session: SessionState): Promise<void> {
    this.stored.set(storageId, structuredClone(session));
  }
}

export interface AuthTestDeps {
  readonly deps: PipelineDeps;
  readonly sessions: MemorySessions;
  readonly policies: Map<string, Policy>;
  nowMs: number;
}

export function authTestDeps(configure: (c: GatewayConfig) => void = () => undefined, orgId = 'org1'): AuthTestDeps {
  const config = defaultConfig();
  config.hash_keys = false;
  configure(config);
  const policies = new Map<string, Policy>();
  const sessions = new MemorySessions(policies, orgId);
  const holder: AuthTestDeps = { deps: undefined as unknown as PipelineDeps, sessions, policies, nowMs: 1_700_000_000_000 };
  (holder as { deps: PipelineDeps }).deps = createPipelineDeps({
    config, logger: pino({ level: 'silent' }), now: () => holder.nowMs,
    auth: {
      sessions,
      policies: {
        get: (id) => policies.get(id),
        apply: (session, org) => {
          const result = applyPolicies(session, policies, { orgId: org });
          if (!result.ok) throw new Error(result.error);
          return result.session;
        },
      },
    },
  });
  return holder;
}

export interface TestRequest {
  readonly method?: string;
  readonly path?: string;
  readonly query?: string;
  readonly headers?: Record<string, string>;
  readonly matchedLength?: number;
}

export function testRequest(init: TestRequest = {}): RequestContext {
  const headers = ['host', 'gw.test'];
  for (const [name, value] of Object.entries(init.headers ?? {})) headers.push(name.toLowerCase(), value);
  return new RequestContext({} as CompiledApi, init.method ?? 'GET', init.path ?? '/api/x', init.query ?? '', init.matchedLength ?? 4,
    headers, '127.0.0.1', {} as UpstreamTarget, 0);
}

export function apiDef(fields: Partial<ApiDefinition> = {}): ApiDefinition {
  return { api_id: 'api1', name: 'Shop', org_id: 'org1', proxy: { listen_path: '/api/' }, ...fields };
}

/** Resolves a decision that may be a promise. */
export async function decide<T>(value: T | Promise<T>): Promise<T> {
  return value;
}
