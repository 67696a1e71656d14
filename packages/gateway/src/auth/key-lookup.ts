import { keyIdCandidates, storageIdForKey, type SessionState } from '@tollgate/apidef';
import { LRUCache } from 'lru-cache';
import type { PipelineDeps } from '../pipeline/middleware.js';

/** A key found for a presented credential. */
export interface FoundKey {
  /** The key ID (what Tyk calls the token). */
  readonly keyId: string;
  /** Where its session is stored (the hash with `hash_keys`). */
  readonly storageId: string;
  readonly session: SessionState;
}

/** Finds the key for a credential; sync when the session is cached, a promise only on a cache miss. */
export type KeyLookup = (credential: string) => FoundKey | null | Promise<FoundKey | null>;

interface Candidate {
  readonly keyId: string;
  readonly storageId: string;
}

/** Distinct credentials per API whose candidate storage IDs are remembered (hashing is not redone). */
const CANDIDATE_CACHE_SIZE = 10_000;

/**
 * Lookup of a presented key in an API's org (gateway-api.md §6.4): too short → unknown; a key that carries
 * the API's org is fetched as is; otherwise the first session found among the ID built from (org, key),
 * the key itself and the IDs built with each `hash_key_function_fallback` algorithm.
 *
 * @example
 * const lookup = createKeyLookup(def.org_id ?? '', deps);
 * const found = await lookup('e2e4f1c...'); // { keyId, storageId, session } or null
 */
export function createKeyLookup(orgId: string, deps: PipelineDeps): KeyLookup {
  const config = deps.config;
  const minLength = config.min_token_length > 0 ? config.min_token_length : 0;
  const options = {
    orgId, hashKeyFunction: config.hash_key_function, hashKeyFunctionFallback: config.hash_key_function_fallback,
    disableKeyActionsByUsername: config.disable_key_actions_by_username,
  };
  const hashKeys = config.hash_keys;
  const sessions = deps.sessions;
  const cache = new LRUCache<string, readonly Candidate[]>({ max: CANDIDATE_CACHE_SIZE });

  const candidatesFor = (key: string): readonly Candidate[] => {
    let candidates = cache.get(key);
    if (candidates !== undefined) return candidates;
    candidates = Object.freeze(keyIdCandidates(key, options).map((keyId) => Object.freeze({ keyId, storageId: storageIdForKey(keyId, hashKeys) })));
    cache.set(key, candidates);
    return candidates;
  };

  const firstFound = (candidates: readonly Candidate[], from: number): FoundKey | null | Promise<FoundKey | null> => {
    for (let i = from; i < candidates.length; i++) {
      const candidate = candidates[i]!;
      const session = sessions.get(candidate.storageId);
      if (session instanceof Promise) {
        return session.then((s) => (s !== null ? found(candidate, s) : firstFound(candidates, i + 1)));
      }
      if (session !== null) return found(candidate, session);
    }
    return null;
  };

  return (credential) => {
    if (credential.length < minLength || credential.length === 0) return null;
    return firstFound(candidatesFor(credential), 0);
  };
}

function found(candidate: Candidate, session: SessionState): FoundKey {
  return { keyId: candidate.keyId, storageId: candidate.storageId, session };
}
