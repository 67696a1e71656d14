import { createSecretKey, type KeyObject } from 'node:crypto';
import type { ApiDefinition } from '@tollgate/apidef';
import { compactVerify, decodeJwt, decodeProtectedHeader, type JWSHeaderParameters } from 'jose';
import { LRUCache } from 'lru-cache';
import { credentialLocation, readCredential } from '../auth/credential.js';
import { keepsIdentity, runsAuthMode, setIdentity } from '../auth/identity.js';
import { createTimeCheck, identityOf, type Claims } from '../auth/jwt-claims.js';
import { ALGORITHM_FAMILIES, familyName, jwtKeySource, publicKeyOrNull, type VerifyKey } from '../auth/jwt-keys.js';
import { createCentralisedSession } from '../auth/jwt-session.js';
import { createKeyLookup, type FoundKey } from '../auth/key-lookup.js';
import { errors, type GatewayError } from '../errors.js';
import type { Decision } from '../pipeline/decision.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import type { RequestContext } from '../pipeline/request-context.js';

/** Longer credentials are refused before any parsing. */
const MAX_TOKEN_LENGTH = 16 * 1024;
/** Verified tokens remembered per API (signature only: time claims are checked on every request). */
const VERIFIED_CACHE_SIZE = 10_000;
const VERIFIED_TTL_MS = 60_000;
const SECRET_CACHE_SIZE = 1000;
const utf8 = new TextDecoder();

/**
 * JWT (`enable_jwt`, auth.md §8) with jose: no token → 400 [AMF]; `alg` outside `jwt_signing_method`'s
 * family (`none` and an HMAC-for-RSA swap included) → 403 `Key not authorized: Unexpected signing method`;
 * bad token, key or signature → 403 `Key not authorized`; `exp`/`iat`/`nbf` → 401. With `jwt_source` the
 * session comes from the identity claim and policies (centralised), without it from the key named by
 * `kid` (one-to-one). A verified token is remembered for a minute, so repeat calls skip the signature.
 *
 * @example
 * const check = createJwtAuth(def, deps); // null unless enable_jwt
 */
export function createJwtAuth(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  if (!runsAuthMode(def, 'jwt')) return null;
  const method = familyName(def);
  const family = ALGORITHM_FAMILIES[method]!;
  const where = credentialLocation(def, 'jwt');
  const timeCheck = createTimeCheck(def);
  const isIdentity = keepsIdentity(def, 'jwt_claim');
  const now = deps.now;
  const checkTime = (claims: Claims): GatewayError | undefined => timeCheck(claims, Math.floor(now() / 1000));
  if (String(def.jwt_source ?? '') === '') return oneToOne(def, deps, { method, family, where, checkTime, isIdentity });

  const source = jwtKeySource(def, deps.config, deps.jwks);
  if (source.kind === 'static' && source.key === null) {
    deps.logger.warn({ api_id: def.api_id }, 'jwt_source is not a usable key: every token of this API will be refused');
  }
  const resolveKey = source.kind === 'static' ? () => source.key : source.resolve;
  const resolveSession = createCentralisedSession(def, deps);
  const verified = new LRUCache<string, Claims>({ max: VERIFIED_CACHE_SIZE, ttl: VERIFIED_TTL_MS });
  const afterVerify = (ctx: RequestContext, claims: Claims): Decision | Promise<Decision> => checkTime(claims) ?? resolveSession(ctx, claims, isIdentity);

  return (ctx) => {
    const token = readCredential(ctx, where);
    if (token === '') return errors.jwtMissing;
    const cached = verified.get(token);
    if (cached !== undefined) return afterVerify(ctx, cached);
    const header = checkHeader(token, family);
    if (isError(header)) return header;
    return verifyWith(token, family, resolveKey(header)).then((claims) => {
      if (claims === null) return errors.jwtNotAuthorized;
      verified.set(token, claims);
      return afterVerify(ctx, claims);
    });
  };
}

interface Common {
  readonly method: string;
  readonly family: readonly string[];
  readonly where: ReturnType<typeof credentialLocation>;
  readonly checkTime: (claims: Claims) => GatewayError | undefined;
  readonly isIdentity: boolean;
}

/**
 * One-to-one mode (auth.md §8.4): the key ID is the `kid` header (unless `jwt_skip_kid`), else the
 * identity claim, else `sub`; that key's `jwt_data.secret` verifies the token and its session is used.
 */
function oneToOne(def: ApiDefinition, deps: PipelineDeps, common: Common): Middleware {
  const { method, family, where, checkTime, isIdentity } = common;
  const lookup = createKeyLookup(String(def.org_id ?? ''), deps);
  const skipKid = def.jwt_skip_kid === true;
  const identityField = String(def.jwt_identity_base_field ?? '');
  const keys = new LRUCache<string, KeyObject | false>({ max: SECRET_CACHE_SIZE });
  const keyFor = (secret: string): KeyObject | null => {
    let key = keys.get(secret);
    if (key === undefined) {
      key = (method === 'hmac' ? createSecretKey(Buffer.from(secret)) : publicKeyOrNull(Buffer.from(secret))) ?? false;
      keys.set(secret, key);
    }
    return key === false ? null : key;
  };
  const withKey = (ctx: RequestContext, token: string, found: FoundKey | null): Decision | Promise<Decision> => {
    const secret = found?.session.jwt_data?.secret;
    if (found === null || typeof secret !== 'string' || secret === '') return errors.jwtNotAuthorized;
    return verifyWith(token, family, keyFor(secret)).then((claims) => {
      if (claims === null) return errors.jwtNotAuthorized;
      const late = checkTime(claims);
      if (late !== undefined) return late;
      if (isIdentity) setIdentity(ctx, found.storageId, found.session);
      return undefined;
    });
  };
  return (ctx) => {
    const token = readCredential(ctx, where);
    if (token === '') return errors.jwtMissing;
    const header = checkHeader(token, family);
    if (isError(header)) return header;
    const keyId = !skipKid && typeof header.kid === 'string' && header.kid !== '' ? header.kid : unverifiedIdentity(token, identityField);
    if (keyId === '') return errors.jwtNotAuthorized;
    const found = lookup(keyId);
    return found instanceof Promise ? found.then((f) => withKey(ctx, token, f)) : withKey(ctx, token, found);
  };
}

/** The protected header when the token parses and its `alg` is of the configured family; else the error. */
function checkHeader(token: string, family: readonly string[]): JWSHeaderParameters | GatewayError {
  if (token.length > MAX_TOKEN_LENGTH) return errors.jwtNotAuthorized;
  let header: JWSHeaderParameters;
  try {
    header = decodeProtectedHeader(token) as JWSHeaderParameters;
  } catch {
    return errors.jwtNotAuthorized;
  }
  if (typeof header.alg !== 'string' || !family.includes(header.alg)) return errors.jwtUnexpectedMethod;
  return header;
}

function isError(value: JWSHeaderParameters | GatewayError): value is GatewayError {
  return typeof (value as GatewayError).statusLine === 'string' && Buffer.isBuffer((value as GatewayError).body);
}

/** The verified payload as an object, or null for any failure (unknown kid, bad signature, garbage). */
async function verifyWith(token: string, family: readonly string[], key: VerifyKey | null | Promise<VerifyKey | null>): Promise<Claims | null> {
  try {
    const resolved = await key;
    if (resolved === null) return null;
    const { payload } = await compactVerify(token, resolved, { algorithms: [...family] });
    const claims = JSON.parse(utf8.decode(payload)) as unknown;
    return claims !== null && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Claims) : null;
  } catch {
    return null;
  }
}

function unverifiedIdentity(token: string, identityField: string): string {
  try {
    const identity = identityOf(decodeJwt(token), identityField);
    return typeof identity === 'string' ? identity : '';
  } catch {
    return '';
  }
}
