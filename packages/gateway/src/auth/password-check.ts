import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { BasicAuthData } from '@tollgate/apidef';
import bcrypt from 'bcryptjs';
import { LRUCache } from 'lru-cache';
import type { KeyIdScheme } from '../pipeline/auth-deps.js';

/** Distinct stored bcrypt hashes remembered per process at most. */
const BCRYPT_CACHE_SIZE = 10_000;
const DIGESTS = new Set(['sha256', 'murmur32', 'murmur64', 'murmur128']);

/**
 * Checks a basic-auth password against a session's `basic_auth_data` (auth.md §6): `""` plain, the four
 * digests compared with the stored hex, anything else bcrypt. Successful bcrypt checks are remembered for
 * `ttlSeconds` keyed by the stored hash (0 = no cache); what is remembered is an HMAC-SHA-256 of the
 * password under a random per-process key, never the password. Every comparison is constant-time.
 *
 * @example
 * const check = createPasswordCheck(keyIds, 60); await check(session.basic_auth_data, 'secret') // true
 */
export function createPasswordCheck(keyIds: KeyIdScheme, ttlSeconds: number): (data: BasicAuthData | undefined, password: string) => boolean | Promise<boolean> {
  const cacheKey = randomBytes(32);
  const remembered = ttlSeconds > 0 ? new LRUCache<string, Buffer>({ max: BCRYPT_CACHE_SIZE, ttl: ttlSeconds * 1000 }) : null;
  const mac = (password: string): Buffer => createHmac('sha256', cacheKey).update(password).digest();
  return (data, password) => {
    if (data === undefined || data === null || typeof data.password !== 'string') return false;
    const stored = data.password;
    const hashType = typeof data.hash_type === 'string' ? data.hash_type : '';
    if (hashType === '') return safeEqual(stored, password);
    if (DIGESTS.has(hashType)) return safeEqual(stored, keyIds.digest(hashType as 'sha256', password));
    if (remembered !== null) {
      const seen = remembered.get(stored);
      if (seen !== undefined && timingSafeEqual(seen, mac(password))) return true;
    }
    return bcrypt.compare(password, stored).then((ok) => {
      if (ok && remembered !== null) remembered.set(stored, mac(password));
      return ok;
    }, () => false);
  };
}

/** Constant-time string equality (lengths are not secret). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
