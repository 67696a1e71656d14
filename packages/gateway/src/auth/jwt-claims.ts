import type { ApiDefinition } from '@tollgate/apidef';
import { errors, tykError, type GatewayError } from '../errors.js';

/** A verified token's payload. */
export type Claims = Record<string, unknown>;

/** Checks `exp`/`iat`/`nbf` against now; returns the error or undefined (auth.md §8.2 step 5). */
export type TimeCheck = (claims: Claims, nowSeconds: number) => GatewayError | undefined;

/**
 * Each claim checked only when present and numeric, with its own leeway; tollgate honours the three
 * `jwt_disable_*_validation` flags. When several fail, the reported reason is the last of exp, iat, nbf.
 *
 * @example
 * const check = createTimeCheck(def); check({ exp: 1 }, 1_700_000_000) // errors.jwtExpired
 */
export function createTimeCheck(def: ApiDefinition): TimeCheck {
  const expSkew = seconds(def.jwt_expires_at_validation_skew);
  const iatSkew = seconds(def.jwt_issued_at_validation_skew);
  const nbfSkew = seconds(def.jwt_not_before_validation_skew);
  const checkExp = def.jwt_disable_expires_at_validation !== true;
  const checkIat = def.jwt_disable_issued_at_validation !== true;
  const checkNbf = def.jwt_disable_not_before_validation !== true;
  return (claims, now) => {
    const { exp, iat, nbf } = claims;
    if (checkNbf && typeof nbf === 'number' && nbf > now + nbfSkew) return errors.jwtNotValidYet;
    if (checkIat && typeof iat === 'number' && iat > now + iatSkew) return errors.jwtUsedBeforeIssued;
    if (checkExp && typeof exp === 'number' && exp < now - expSkew) return errors.jwtExpired;
    return undefined;
  };
}

/** A claim by name: the literal (possibly dotted) key first, then a path into nested objects. */
export function claimAt(claims: Claims, path: string): unknown {
  if (path in claims) return claims[path];
  if (!path.includes('.')) return undefined;
  let node: unknown = claims;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/**
 * The user identity (auth.md §8.3 step 1): the `jwt_identity_base_field` claim when present (it must be
 * a non-empty string), else `sub`. Returns the identity or the 403 to answer.
 */
export function identityOf(claims: Claims, baseField: string): string | GatewayError {
  if (baseField !== '') {
    const value = claimAt(claims, baseField);
    if (value !== undefined) {
      if (typeof value !== 'string' || value === '') {
        return tykError('TOLLGATE_ERR_JWT_IDENTITY', 403, '', `found an empty user ID in predefined base claim, claim: ${baseField}`);
      }
      return value;
    }
  }
  if ('sub' in claims) {
    const sub = claims.sub;
    return typeof sub === 'string' && sub !== '' ? sub : errors.jwtEmptySub;
  }
  return errors.jwtNoUserClaims;
}

function seconds(value: unknown): number {
  return typeof value === 'number' && value > 0 ? value : 0;
}
