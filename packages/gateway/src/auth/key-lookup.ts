import { keyIdCandidates, storageIdForKey, type SessionState } from '@tollgate/apidef';
import { LRUCache } from 'lru-cache';
import type { PipelineDeps } from '../pipeline/middleware.js';
import type { SessionLookup } from '../sessions/session-cache.js';

/** A key found for a presented credential. */
export interface FoundKey {
  /** The key ID (what Tyk calls the token). */
  readonly keyId: string;
  /** Where its session is stored (the hash with `hash_keys`). */
  readonly storageId: string;
  /** Policies applied; shared with the cache, so read-only. */
  readonly session: SessionState;
}

/** Finds the key for a credential; sync when the session is cached, a promise only on a cache miss. */
export type KeyLookup = (credential: string) => FoundKey | null | Promise<FoundKey | null>;

interface Candidates {
  readonly keyIds: readonly string[];
  readonly storageIds: readonly string[];
}

/** Distinct credentials per API whose candidate storage IDs are remembered (hashing is not redone). */
const CANDIDATE_CACHE_SIZE = 10_000;

/**
 * Lookup of a presented key in an API's org (gateway-api.md §6.4): too short → unknown; a key that carries
 * the API's org is fetched as is; otherwise the first session found among the ID built from (org, key),
 * the key itself and the IDs built with each `hash_key_function_fallback` algorithm, in one round trip.
 * A key whose policies cannot be applied counts as unknown (auth.md §4).
 *
 * @example
 * const lookup = createKeyLookup(def.org_id ?? '', deps);
 * const found = await lookup('e2e4f1c...'); // { keyId, storageId, session } or null
 */
export function createKeyLookup(orgId: string, deps: PipelineDeps): KeyLookup {
  const config = deps.config;
  const minLength = config.min_token_length > 0 ? config.min_token_length : 1;
  const options = {
    orgId, hashKeyFunction: config.hash_key_function, hashKeyFunctionFallback: config.hash_key_function_fallback,
    disableKeyActionsByUsername: config.disable_key_actions_by_username,
  };
  const hashKeys = config.hash_keys;
  const sessions = deps.sessions;
  const cache = new LRUCache<string, Candidates>({ max: CANDIDATE_CACHE_SIZE });

  const candidatesFor = (key: string): Candidates => {
    let candidates = cache.get(key);
    if (candidates === undefined) {
      const keyIds = Object.freeze(keyIdCandidates(key, options));
      candidates = Object.freeze({ keyIds, storageIds: Object.freeze(keyIds.map((id) => storageIdForKey(id, hashKeys))) });
      cache.set(key, candidates);
    }
    return candidates;
  };

  return (credential) => {
    if (credential.length < minLength) return null;
    const candidates = candidatesFor(credential);
    const hit = sessions.peek(candidates.storageIds, orgId);
    if (hit !== undefined) return toFound(candidates, hit);
    return sessions.get(candidates.storageIds, orgId).then((lookup) => toFound(candidates, lookup));
  };
}

function toFound(candidates: Candidates, lookup: SessionLookup): FoundKey | null {
  if (!lookup.found || lookup.policyError !== null) return null;
  const index = candidates.storageIds.indexOf(lookup.storageId);
  return { keyId: candidates.keyIds[index] ?? lookup.storageId, storageId: lookup.storageId, session: lookup.session };
}

/**
 * The session stored under one of `storageIds` (the first found), policies applied; null when none is or
 * its policies cannot be applied. Sync on a cache hit.
 */
export function findSession(deps: PipelineDeps, storageIds: readonly string[], orgId: string): SessionLookupResult | Promise<SessionLookupResult> {
  const hit = deps.sessions.peek(storageIds, orgId);
  if (hit !== undefined) return usable(hit);
  return deps.sessions.get(storageIds, orgId).then(usable);
}

/** A found, usable session, or null. */
export type SessionLookupResult = { readonly storageId: string; readonly session: SessionState } | null;

function usable(lookup: SessionLookup): SessionLookupResult {
  return lookup.found && lookup.policyError === null ? { storageId: lookup.storageId, session: lookup.session } : null;
}
