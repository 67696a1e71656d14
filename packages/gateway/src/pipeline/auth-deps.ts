import type { ApplyPoliciesResult, Policy, SessionState } from '@tollgate/apidef';
import type { PeekMemo, SessionLookup } from '../sessions/session-cache.js';

/**
 * Where auth middleware read sessions: the worker's SessionCache (sessions/session-cache.ts), sessions
 * at `apikey-<storage id>` with their policies applied, invalidated on every worker by the key-change
 * channel. `peek` answers from memory (undefined = not cached); only `get` touches Redis.
 */
export interface SessionSource {
  /** `memo`: a slot the caller keeps for these `storageIds`; a source may answer hits from it (SessionCache). */
  peek(storageIds: readonly string[], orgId: string, memo?: PeekMemo): SessionLookup | undefined;
  get(storageIds: readonly string[], orgId: string): Promise<SessionLookup>;
}

/** Stores a session (JWT sessions created from policies, auth.md §8.3); every cache drops it. */
export interface SessionWriter {
  save(storageId: string, session: SessionState, ttlSeconds: number): Promise<void>;
}

/** Policies from the configuration feed (the worker's PolicyIndex, gateway-api.md §8). */
export interface PolicySource {
  get(id: string): Policy | undefined;
  /** The session with its `apply_policies` merged in for an API of `orgId` (§8.3). */
  apply(session: SessionState, orgId: string): ApplyPoliciesResult;
}

/** What the auth middleware need beyond the basic PipelineDeps. */
export interface AuthDeps {
  readonly sessions: SessionSource;
  readonly sessionWriter: SessionWriter;
  readonly policies: PolicySource;
}
