import { applyPolicies, defaultConfig, type ApiDefinition, type GatewayConfig, type Policy, type SessionState } from '@tollgate/apidef';
import pino from 'pino';
import type { SessionSource, SessionWriter } from '../pipeline/auth-deps.js';
import type { SessionLookup } from '../sessions/session-cache.js';
import type { PipelineDeps } from '../pipeline/middleware.js';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { RequestContext } from '../pipeline/request-context.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';

/**
 * Helpers for the auth decision tests: an in-memory session source (the real one is the sessions/ cache
 * over Redis, tested end to end) that applies policies as the cache does, and plain request contexts.
 */
export class MemorySessions implements SessionSource, SessionWriter {
  readonly stored = new Map<string, SessionState>();
  /** Calls that went past memory (what would be a Redis round trip with the real cache). */
  loads = 0;
  /** When false, nothing is answered from memory: every lookup is a promise. */
  cached = true;
  /** TTLs given to saved sessions. */
  readonly ttls = new Map<string, number>();

  constructor(private readonly policies: Map<string, Policy>) {}

  peek(storageIds: readonly string[], orgId: string): SessionLookup | undefined {
    return this.cached ? this.lookup(storageIds, orgId) : undefined;
  }

  get(storageIds: readonly string[], orgId: string): Promise<SessionLookup> {
    this.loads++;
    return Promise.resolve(this.lookup(storageIds, orgId));
  }

  async save(storageId: string, session: SessionState, ttlSeconds: number): Promise<void> {
    this.stored.set(storageId, structuredClone(session));
    this.ttls.set(storageId, ttlSeconds);
  }

  private lookup(storageIds: readonly string[], orgId: string): SessionLookup {
    for (const storageId of storageIds) {
      const raw = this.stored.get(storageId);
      if (raw === undefined) continue;
      const applied = applyPolicies(raw, this.policies, { orgId });
      return applied.ok
        ? { found: true, storageId, session: applied.session, policyError: null }
        : { found: true, storageId, session: raw, policyError: applied.error };
    }
    return { found: false };
  }
}

export interface AuthTestDeps {
  readonly deps: PipelineDeps;
  readonly sessions: MemorySessions;
  readonly policies: Map<string, Policy>;
  nowMs: number;
}

export function authTestDeps(configure: (c: GatewayConfig) => void = () => undefined): AuthTestDeps {
  const config = defaultConfig();
  config.hash_keys = false;
  configure(config);
  const policies = new Map<string, Policy>();
  const sessions = new MemorySessions(policies);
  const holder: AuthTestDeps = { deps: undefined as unknown as PipelineDeps, sessions, policies, nowMs: 1_700_000_000_000 };
  (holder as { deps: PipelineDeps }).deps = createPipelineDeps({
    config, logger: pino({ level: 'silent' }), now: () => holder.nowMs,
    auth: {
      sessions,
      sessionWriter: sessions,
      policies: { get: (id) => policies.get(id), apply: (session, org) => applyPolicies(session, policies, { orgId: org }) },
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
