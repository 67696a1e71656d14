import { keyLimits, type ApiDefinition, type SessionState } from '@tollgate/apidef';
import { readQuotaCounter, type RedisClient } from '@tollgate/store';
import { credentialModes } from '../auth/identity.js';
import { errors } from '../errors.js';
import { reply, type Decision } from '../pipeline/decision.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import type { RequestContext } from '../pipeline/request-context.js';

/** The path after the listen path, with and without its trailing slash (Tyk mounts it through path.Join). */
const RATES_PATHS: ReadonlySet<string> = new Set(['tyk/rate-limits/', 'tyk/rate-limits']);

/** Tyk's `PublicSession`, field for field. */
interface PublicSession {
  quota: { quota_max: number; quota_remaining: number; quota_renews: number };
  rate_limit: { requests: number; per_unit: number };
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/**
 * `<listen_path>tyk/rate-limits/` (rate-limits-and-quotas.md §8, Tyk's `userRatesCheck`): on a keyed API the
 * calling key's quota and rate, instead of the upstream, after auth and the key checks and before the rate
 * limit (the request consumes nothing). The values are those that apply to this API (its per-API limit when
 * the key has one, else the key's own; the same rule as the rate-limit step), with the quota's
 * remaining count and renewal read live from its counter; when Redis does not answer, the stored session's.
 * No session (only possible when another step let the request through without a key): Tyk's 400.
 *
 * @example
 * const rates = createKeyRatesEndpoint(def, deps); // null on keyless APIs
 */
export function createKeyRatesEndpoint(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  if (credentialModes(def).length === 0) return null;
  const apiId = String(def.api_id ?? '');
  const redis = deps.limiter?.redis ?? null;
  const now = deps.now;
  return (ctx) => {
    const path = ctx.path;
    // Cheap first test: every other request pays one endsWith.
    if (!path.endsWith('rate-limits/') && !path.endsWith('rate-limits')) return undefined;
    const rest = path.slice(ctx.matchedLength);
    if (!RATES_PATHS.has(rest.charCodeAt(0) === 47 /* / */ ? rest.slice(1) : rest)) return undefined;
    const session = ctx.session;
    if (session === null) return errors.ratesWithoutSession;
    return publicSession(redis, ctx, session, apiId, now()).then(answer, () => answer(storedValues(session, apiId)));
  };
}

function answer(shown: PublicSession): Decision {
  return reply(200, JSON.stringify(shown), [], 'application/json');
}

/** The key's limits on this API as the session stores them. */
function storedValues(session: SessionState, apiId: string): PublicSession {
  const source = keyLimits(session, apiId).source as Partial<Record<'rate' | 'per' | 'quota_max' | 'quota_remaining' | 'quota_renews', unknown>>;
  return {
    quota: { quota_max: num(source.quota_max), quota_remaining: num(source.quota_remaining), quota_renews: num(source.quota_renews) },
    rate_limit: { requests: num(source.rate), per_unit: num(source.per) },
  };
}

async function publicSession(redis: RedisClient | null, ctx: RequestContext, session: SessionState, apiId: string, nowMs: number): Promise<PublicSession> {
  const shown = storedValues(session, apiId);
  const limits = keyLimits(session, apiId);
  if (redis === null || limits.quota === null) return shown;
  const { used, ttlMs } = await readQuotaCounter(redis, ctx.sessionKey, limits.scope);
  shown.quota.quota_remaining = Math.max(0, limits.quota.max - used);
  if (ttlMs >= 0) shown.quota.quota_renews = Math.ceil((nowMs + ttlMs) / 1000);
  return shown;
}
