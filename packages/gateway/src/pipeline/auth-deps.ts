import type { Policy, SessionState } from '@tollgate/apidef';

/**
 * Where auth middleware reads sessions. The worker wires the sessions/ SessionCache into it: a session
 * stored at `apikey-<storage id>` (Tyk's layout, gateway-api.md §6.4), with its policies applied, kept
 * in process memory and invalidated by the key-change channel. Only a cache miss returns a promise.
 */
export interface SessionSource {
  /** The session, policies applied; null when absent or when its policies cannot be applied. */
  get(storageId: string): SessionState | null | Promise<SessionState | null>;
  /** Stores a session (JWT sessions created from policies, auth.md §8.3) and invalidates every cache. */
  save(storageId: string, session: SessionState): Promise<void>;
}

/** Policies from the configuration feed (gateway-api.md §8), for JWT sessions built from a policy. */
export interface PolicySource {
  get(id: string): Policy | undefined;
  /** The session with its `apply_policies` merged in (§8.3); throws with Tyk's reason when they cannot be. */
  apply(session: SessionState, orgId: string): SessionState;
}

/** What the auth middleware need beyond the basic PipelineDeps. */
export interface AuthDeps {
  readonly sessions: SessionSource;
  readonly policies: PolicySource;
}
