import { effectiveMinTokenLength, keyIdCandidates, storageIdForKey, type SessionState } from '@tollgate/apidef';
import type { PipelineDeps } from '../pipeline/middleware.js';
import { newPeekMemo, type PeekMemo, type SessionLookup } from '../sessions/session-cache.js';

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
  /** The session source's answer for `storageIds`, kept between requests (SessionCache.peek). */
  readonly memo: PeekMemo;
  /** The last lookup answered for these candidates and the key made from it (reused while it is current). */
  lookup: SessionLookup | null;
  found: FoundKey | null;
}

/**
 * Distinct credentials per API whose candidate storage IDs are remembered (hashing is not redone). When
 * full, the oldest credential is dropped (a plain Map: a hit costs one lookup, no recency bookkeeping).
 */
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
  const minLength = effectiveMinTokenLength(config);
  const options = {
    orgId, hashKeyFunction: config.hash_key_function, hashKeyFunctionFallback: config.hash_key_function_fallback,
    disableKeyActionsByUsername: config.disable_key_actions_by_username,
  };
  const hashKeys = config.hash_keys;
  const sessions = deps.sessions;
  const cache = new Map<string, Candidates>();

  const candidatesFor = (key: string): Candidates => {
    let candidates = cache.get(key);
    if (candidates === undefined) {
      const keyIds = Object.freeze(keyIdCandidates(key, options));
      candidates = {
        keyIds, storageIds: Object.freeze(keyIds.map((id) => storageIdForKey(id, hashKeys))), memo: newPeekMemo(), lookup: null, found: null,
      };
      if (cache.size >= CANDIDATE_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(key, candidates);
    }
    return candidates;
  };

  return (credential) => {
    if (credential.length < minLength) return null;
    const candidates = candidatesFor(credential);
    const hit = sessions.peek(candidates.storageIds, orgId, candidates.memo);
    if (hit !== undefined) return toFound(candidates, hit);
    return sessions.get(candidates.storageIds, orgId).then((lookup) => toFound(candidates, lookup));
  };
}

/**
 * The key of a lookup. The session cache answers a hit with the same lookup object until the key or a
 * policy changes, so the FoundKey made for it is kept on the candidates and a hit allocates nothing.
 */
function toFound(candidates: Candidates, lookup: SessionLookup): FoundKey | null {
  if (lookup === candidates.lookup) return candidates.found;
  let found: FoundKey | null = null;
  if (lookup.found && lookup.policyError === null) {
    const index = candidates.storageIds.indexOf(lookup.storageId);
    found = { keyId: candidates.keyIds[index] ?? lookup.storageId, storageId: lookup.storageId, session: lookup.session };
  }
  candidates.lookup = lookup;
  candidates.found = found;
  return found;
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
