import { fullLimit, keyLimits, type ApiDefinition, type SessionState } from '@tollgate/apidef';
import { withQuotaRemaining } from '@tollgate/store';
import { credentialModes } from '../auth/identity.js';
import { errors } from '../errors.js';
import { reply, type Decision } from '../pipeline/decision.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';

/** The path after the listen path, with and without its trailing slash (Tyk mounts it through path.Join). */
const RATES_PATHS: ReadonlySet<string> = new Set(['tyk/rate-limits/', 'tyk/rate-limits']);

/** Tyk's `PublicSession`, field for field. */
interface PublicSession {
  quota: { quota_max: number; quota_remaining: number; quota_renews: number };
  rate_limit: { requests: number; per_unit: number };
}

/**
 * `<listen_path>tyk/rate-limits/` (rate-limits-and-quotas.md §8, Tyk's `userRatesCheck`): on a keyed API the
 * calling key's quota and rate, instead of the upstream, after auth and the key checks and before the rate
 * limit (the request consumes nothing). The values are those that apply to this API (its per-API limit when
 * the key has one, else the key's own; the same rule as the rate-limit step), with the quota's remaining
 * count and renewal read live from its counter as `GET /tyk/keys/{id}` reads them (`withQuotaRemaining`);
 * when Redis does not answer, the stored session's. No session (only possible when another step let the
 * request through without a key): Tyk's 400.
 *
 * @example
 * const rates = createKeyRatesEndpoint(def, deps); // null on keyless APIs
 */
export function createKeyRatesEndpoint(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  if (credentialModes(def).length === 0) return null;
  const apiId = String(def.api_id ?? '');
  const redis = deps.limiter?.redis ?? null;
  const now = deps.now;
  const answer = (session: SessionState): Decision => reply(200, JSON.stringify(publicSession(session, apiId)), [], 'application/json');
  return (ctx) => {
    const path = ctx.path;
    // Cheap first test: every other request pays one endsWith.
    if (!path.endsWith('rate-limits/') && !path.endsWith('rate-limits')) return undefined;
    const rest = path.slice(ctx.matchedLength);
    if (!RATES_PATHS.has(rest.charCodeAt(0) === 47 /* / */ ? rest.slice(1) : rest)) return undefined;
    const session = ctx.session;
    if (session === null) return errors.ratesWithoutSession;
    if (redis === null) return answer(session);
    return withQuotaRemaining(redis, ctx.sessionKey, session, now()).then(answer, () => answer(session));
  };
}

/** The limits that apply to this API, as Tyk's `PublicSession`. */
function publicSession(session: SessionState, apiId: string): PublicSession {
  const l = fullLimit(keyLimits(session, apiId).source);
  return {
    quota: { quota_max: l.quota_max, quota_remaining: l.quota_remaining, quota_renews: l.quota_renews },
    rate_limit: { requests: l.rate, per_unit: l.per },
  };
}
