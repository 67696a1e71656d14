import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares the presented admin secret with the configured one in constant time. Both sides are hashed
 * first so that neither the length nor a common prefix of the secret leaks through timing.
 *
 * @example
 * const isAdmin = createAdminSecretCheck(config.secret);
 * isAdmin(req.headers['x-tyk-authorization']);
 */
export function createAdminSecretCheck(secret: string): (presented: string | string[] | undefined) => boolean {
  if (!secret) throw new Error('tollgate.json: secret must not be empty (the admin API would be open to anyone)');
  const expected = createHash('sha256').update(secret).digest();
  return (presented) => {
    if (typeof presented !== 'string' || presented.length === 0) return false;
    const actual = createHash('sha256').update(presented).digest();
    return timingSafeEqual(actual, expected);
  };
}
