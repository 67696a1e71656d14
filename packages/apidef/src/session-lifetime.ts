/**
 * How long a session record lives in Redis (spec/gateway-api.md §6.2 step 8; api-definition.md §9):
 * Tyk's SessionState.Lifetime and Gateway.ApplyLifetime.
 */
import type { SessionState } from './session.js';

/** The parts of an API definition that bear on a key's lifetime. */
export interface LifetimeApi {
  readonly session_lifetime?: number;
  readonly session_lifetime_respects_key_expiration?: boolean;
}

/** The tyk.conf keys that bear on it. */
export interface LifetimeConfig {
  readonly global_session_lifetime: number;
  readonly force_global_session_lifetime: boolean;
  readonly session_lifetime_respects_key_expiration: boolean;
}

function stretch(respectExpiration: boolean, expires: number, lifetime: number, nowSeconds: number): number {
  if (!respectExpiration || expires <= 0) return lifetime;
  return expires - nowSeconds > lifetime ? expires - nowSeconds : lifetime;
}

/** One API's view: forced global lifetime, else the key's own, else the API's; 0 = no TTL. */
function lifetimeFor(session: SessionState, api: LifetimeApi | undefined, config: LifetimeConfig, nowSeconds: number): number {
  if (config.force_global_session_lifetime) return config.global_session_lifetime;
  const respect = Boolean(api?.session_lifetime_respects_key_expiration) || config.session_lifetime_respects_key_expiration;
  const expires = typeof session.expires === 'number' ? session.expires : 0;
  const own = typeof session.session_lifetime === 'number' ? session.session_lifetime : 0;
  if (own > 0) return stretch(respect, expires, own, nowSeconds);
  const fallback = typeof api?.session_lifetime === 'number' ? api.session_lifetime : 0;
  if (fallback > 0) return stretch(respect, expires, fallback, nowSeconds);
  return 0;
}

/**
 * The Redis TTL (seconds, 0 = none) for a session: the largest lifetime among the APIs it can call
 * (`apis` holds those that exist; for a master key, every API). With no known API the key's own
 * `session_lifetime` (or the forced global one) applies.
 *
 * @example sessionLifetime(session, [apiDef], config, Math.floor(Date.now() / 1000)) // 3600
 */
export function sessionLifetime(
  session: SessionState, apis: readonly LifetimeApi[], config: LifetimeConfig, nowSeconds: number,
): number {
  if (apis.length === 0) return Math.max(0, lifetimeFor(session, undefined, config, nowSeconds));
  let lifetime = 0;
  for (const api of apis) lifetime = Math.max(lifetime, lifetimeFor(session, api, config, nowSeconds));
  return lifetime;
}
