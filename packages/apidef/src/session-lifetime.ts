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
 * The session's `post_expiry_action` (gateway-api.md §7), when it decides the TTL: only for a key that
 * expires (`expires` > 0) and an action of `delete` or `retain`. `delete`: the record ends at `expires`;
 * `retain`: at `expires` + `post_expiry_grace_period`, or never for a negative grace (−1 in Tyk's
 * documents). A record whose end has passed gets 1 s (0 would mean "no TTL"). Undefined = not set.
 */
function postExpiryLifetime(session: SessionState, nowSeconds: number): number | undefined {
  const expires = typeof session.expires === 'number' ? session.expires : 0;
  const action = session.post_expiry_action;
  if (expires <= 0 || (action !== 'delete' && action !== 'retain')) return undefined;
  const grace = action === 'retain' && typeof session.post_expiry_grace_period === 'number' ? session.post_expiry_grace_period : 0;
  if (grace < 0) return 0;
  return Math.max(1, expires + grace - nowSeconds);
}

/**
 * The Redis TTL (seconds, 0 = none) for a session. A forced `global_session_lifetime` wins (as in Tyk);
 * then a key that expires and says what happens after (`post_expiry_action`) ends when that says,
 * whatever its lifetimes; otherwise the largest lifetime among the APIs it can call (`apis` holds those
 * that exist; for a master key, every API). With no known API the key's own `session_lifetime` applies.
 *
 * @example sessionLifetime(session, [apiDef], config, Math.floor(Date.now() / 1000)) // 3600
 * @example sessionLifetime({ expires: now + 60, post_expiry_action: 'retain', post_expiry_grace_period: 30 }, [apiDef], config, now) // 90
 */
export function sessionLifetime(
  session: SessionState, apis: readonly LifetimeApi[], config: LifetimeConfig, nowSeconds: number,
): number {
  if (config.force_global_session_lifetime) return config.global_session_lifetime;
  const postExpiry = postExpiryLifetime(session, nowSeconds);
  if (postExpiry !== undefined) return postExpiry;
  if (apis.length === 0) return Math.max(0, lifetimeFor(session, undefined, config, nowSeconds));
  let lifetime = 0;
  for (const api of apis) lifetime = Math.max(lifetime, lifetimeFor(session, api, config, nowSeconds));
  return lifetime;
}
