import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isBcryptHashType, verifyBasicAuthPassword, type BasicAuthData } from '@tollgate/apidef';
import { LRUCache } from 'lru-cache';

/** Distinct stored bcrypt hashes remembered per process at most. */
const BCRYPT_CACHE_SIZE = 10_000;

/** Checks a presented password against `basic_auth_data`; a promise only when bcrypt runs. */
export type PasswordCheck = (data: BasicAuthData | undefined, password: string) => boolean | Promise<boolean>;

/**
 * Basic-auth password checks (auth.md §6) with the bcrypt cache: a successful bcrypt check is remembered
 * for `ttlSeconds` keyed by the stored hash (0 = no cache). What is remembered is an HMAC-SHA-256 of the
 * password under a random per-process key, never the password; the comparison is constant-time.
 *
 * @example
 * const check = createPasswordCheck(60); await check(session.basic_auth_data, 'secret') // true
 */
export function createPasswordCheck(ttlSeconds: number): PasswordCheck {
  const cacheKey = randomBytes(32);
  const remembered = ttlSeconds > 0 ? new LRUCache<string, Buffer>({ max: BCRYPT_CACHE_SIZE, ttl: ttlSeconds * 1000 }) : null;
  const mac = (password: string): Buffer => createHmac('sha256', cacheKey).update(password).digest();
  return (data, password) => {
    if (data === undefined || data === null) return false;
    if (remembered === null || !isBcryptHashType(data.hash_type) || typeof data.password !== 'string') {
      return verifyBasicAuthPassword(password, data);
    }
    const stored = data.password;
    const seen = remembered.get(stored);
    if (seen !== undefined && timingSafeEqual(seen, mac(password))) return true;
    return Promise.resolve(verifyBasicAuthPassword(password, data)).then((ok) => {
      if (ok) remembered.set(stored, mac(password));
      return ok;
    });
  };
}

/** Constant-time string equality (lengths are not secret). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
