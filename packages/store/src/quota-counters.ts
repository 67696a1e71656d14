import { quotaScopes, type SessionState } from '@tollgate/apidef';
import { keyLayout } from './key-layout.js';
import type { RedisClient } from './redis-client.js';

/** One quota counter as stored: requests used in the current period and the time left in it. */
export interface QuotaCounter {
  readonly used: number;
  /** Milliseconds until the period renews; -1 without TTL (never renews), -2 when there is no counter. */
  readonly ttlMs: number;
}

/** Reads one quota counter (GET + PTTL in one round trip). */
export async function readQuotaCounter(redis: RedisClient, keyId: string, scope: string): Promise<QuotaCounter> {
  const key = keyLayout.quotaCounter(scope, keyId);
  const [used, ttlMs] = await Promise.all([redis.get(key), redis.pttl(key)]);
  return { used: used === null ? 0 : Number(used), ttlMs };
}

/**
 * The session as `GET /tyk/keys/{id}` shows it (gateway-api.md §6.3): `quota_remaining` recomputed as
 * `quota_max − used` (floor 0) from the root counter unless the quota is unlimited, and likewise
 * `limit.quota_remaining` of every per-API limit from its counter, named by the scope the gateway uses
 * (`keyLimits`; missing counter → `quota_max`). `quota_renews` becomes the end of the current period
 * (now + the counter's PTTL) when the counter has one (rate-limits-and-quotas.md §8, §10.5). Returns a copy; the
 * stored session is never rewritten per request (rate-limits-and-quotas.md §10.5).
 *
 * @example
 * const shown = await withQuotaRemaining(redis, keyId, session, Date.now());
 */
export async function withQuotaRemaining(redis: RedisClient, keyId: string, session: SessionState, nowMs: number): Promise<SessionState> {
  const out: SessionState = { ...session };
  if (session.access_rights) out.access_rights = { ...session.access_rights };
  const scopes = quotaScopes(session).filter((s) => s.quota !== null);
  // APIs that share a scope share a counter (a policy's APIs share the key's own): read each once.
  const reads = new Map<string, Promise<QuotaCounter>>();
  for (const s of scopes) if (!reads.has(s.scope)) reads.set(s.scope, readQuotaCounter(redis, keyId, s.scope));
  const counters = await Promise.all(scopes.map((s) => reads.get(s.scope)!));
  scopes.forEach((s, i) => {
    const counter = counters[i]!;
    const max = s.quota!.max;
    const remaining = Math.max(0, max - counter.used);
    const renews = counter.ttlMs >= 0 ? Math.ceil((nowMs + counter.ttlMs) / 1000) : undefined;
    if (s.apiId === null) {
      out.quota_remaining = remaining;
      if (renews !== undefined) out.quota_renews = renews;
      return;
    }
    const access = out.access_rights![s.apiId]!;
    const limit = { ...access.limit!, quota_remaining: remaining };
    if (renews !== undefined) limit.quota_renews = renews;
    out.access_rights![s.apiId] = { ...access, limit };
  });
  return out;
}
