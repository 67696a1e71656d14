/**
 * Basic-auth passwords in a session's `basic_auth_data` (spec/gateway-api.md §6.2 step 4, auth.md §6):
 * hashed on key create/update with tyk.conf `basic_auth_hash_key_function` and checked against the stored
 * value by `hash_type`. bcryptjs (pure JS, no native build) produces and checks the `$2a$`/`$2b$` hashes
 * Tyk's Go bcrypt does.
 */
import { timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { hashString } from './key-hash.js';
import type { BasicAuthData } from './session.js';

/** Tyk's cost for basic-auth bcrypt hashes. */
export const BCRYPT_COST = 10;

const DIGEST_HASH_TYPES = new Set(['sha256', 'murmur32', 'murmur64', 'murmur128']);

/** The hash type a `basic_auth_hash_key_function` value selects: bcrypt unless it names a known digest. */
export function basicAuthHashType(configured: string): string {
  return DIGEST_HASH_TYPES.has(configured) ? configured : 'bcrypt';
}

/**
 * Hashes a new password for storage; returns the `basic_auth_data` to store.
 *
 * @example await hashBasicAuthPassword('s3cret', '') // { password: '$2b$10$...', hash_type: 'bcrypt' }
 */
export async function hashBasicAuthPassword(password: string, configured: string): Promise<{ password: string; hash_type: string }> {
  const hashType = basicAuthHashType(configured);
  if (hashType === 'bcrypt') return { password: await bcrypt.hash(password, BCRYPT_COST), hash_type: 'bcrypt' };
  return { password: hashString(password, hashType), hash_type: hashType };
}

function equalConstantTime(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // Compare something of equal length either way, so a length mismatch costs the same as a content one.
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/** True when checking this data needs bcrypt (slow, async): `bcrypt` and any unknown hash type, as in Tyk. */
export function isBcryptHashType(hashType: string | undefined): boolean {
  return hashType !== undefined && hashType !== '' && !DIGEST_HASH_TYPES.has(hashType);
}

/**
 * Checks a presented password against stored `basic_auth_data`: `""` plain text, the digest types by
 * their hex digest (both in constant time), anything else with bcrypt. Synchronous except for bcrypt,
 * which returns a promise (callers may cache successful bcrypt checks, auth.md §6).
 *
 * @example verifyBasicAuthPassword('s3cret', session.basic_auth_data)
 */
export function verifyBasicAuthPassword(presented: string, data: BasicAuthData | undefined): boolean | Promise<boolean> {
  const stored = typeof data?.password === 'string' ? data.password : '';
  const hashType = typeof data?.hash_type === 'string' ? data.hash_type : '';
  if (hashType === '') return equalConstantTime(presented, stored);
  if (DIGEST_HASH_TYPES.has(hashType)) return equalConstantTime(hashString(presented, hashType), stored);
  return bcrypt.compare(presented, stored).catch(() => false);
}
