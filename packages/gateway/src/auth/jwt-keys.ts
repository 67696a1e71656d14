import { createPublicKey, createSecretKey, X509Certificate, type KeyObject, type webcrypto } from 'node:crypto';
import type { ApiDefinition, GatewayConfig } from '@tollgate/apidef';
import { createRemoteJWKSet, customFetch, type JWSHeaderParameters } from 'jose';
import { LRUCache } from 'lru-cache';
import { Agent, fetch as undiciFetch } from 'undici';
import type { JwksSets } from './jwks-sets.js';

/** Algorithms of each `jwt_signing_method` (auth.md §8.1); `""` behaves as `hmac`. */
export const ALGORITHM_FAMILIES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  hmac: ['HS256', 'HS384', 'HS512'],
  rsa: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  ecdsa: ['ES256', 'ES384', 'ES512'],
});

/** Resolves the verification key of a token; null when there is none (→ 403 `Key not authorized`). */
export type KeyResolver = (header: JWSHeaderParameters) => VerifyKey | null | Promise<VerifyKey | null>;

/** A key jose verifies with. */
export type VerifyKey = KeyObject | webcrypto.CryptoKey;

/** Where a centralised API's keys come from. */
export type JwtKeySource =
  | { readonly kind: 'static'; readonly key: KeyObject | null }
  | { readonly kind: 'jwks'; readonly url: string; readonly resolve: KeyResolver };

/** Default `jwks.cache.timeout` (seconds). */
const JWKS_CACHE_SECONDS = 240;
/** After a JWKS fetch, an unknown `kid` triggers a refetch only once this long has passed. */
const JWKS_COOLDOWN_MS = 1000;
const JWKS_TIMEOUT_MS = 5000;

/**
 * The key source of `jwt_source` (auth.md §8.1): a JWKS URL, plain or base64-encoded, or the base64 of an
 * HMAC secret or of a PEM/DER public key or certificate. A source that cannot be decoded gives a null
 * key (every token refused with 403, as Tyk does); the caller logs it once at load.
 *
 * @example
 * const source = jwtKeySource(def, config, sets); // { kind: 'jwks', url, resolve } or { kind: 'static', key }
 */
export function jwtKeySource(def: ApiDefinition, config: Readonly<GatewayConfig>, sets: JwksSets): JwtKeySource {
  const source = String(def.jwt_source ?? '');
  const url = jwksUrl(source);
  const method = familyName(def);
  if (url !== null) return { kind: 'jwks', url, resolve: sets.resolver(String(def.api_id ?? ''), url, method, () => remoteJwks(url, config, method)) };
  const bytes = Buffer.from(source, 'base64');
  return { kind: 'static', key: method === 'hmac' ? createSecretKey(bytes) : publicKeyOrNull(bytes) };
}

/** `jwt_signing_method` normalised; throws naming the field when unknown. */
export function familyName(def: ApiDefinition): string {
  const method = String(def.jwt_signing_method ?? '') || 'hmac';
  if (!(method in ALGORITHM_FAMILIES)) throw new Error(`jwt_signing_method "${method}" must be one of hmac, rsa, ecdsa`);
  return method;
}

/** A PEM public key, PEM certificate, DER SPKI or DER certificate; null when none of these. */
export function publicKeyOrNull(bytes: Buffer): KeyObject | null {
  const text = bytes.toString('utf8');
  try {
    if (text.includes('-----BEGIN CERTIFICATE-----')) return new X509Certificate(text).publicKey;
    if (text.includes('-----BEGIN')) return createPublicKey(text);
  } catch {
    return null;
  }
  try {
    return createPublicKey({ key: bytes, format: 'der', type: 'spki' });
  } catch {
    try {
      return new X509Certificate(bytes).publicKey;
    } catch {
      return null;
    }
  }
}

function jwksUrl(source: string): string | null {
  if (/^https?:\/\//i.test(source)) return source;
  const decoded = Buffer.from(source, 'base64').toString('utf8');
  return /^https?:\/\/\S+$/i.test(decoded) ? decoded : null;
}

/** Certificates of a legacy set parsed so far (keyed by the `x5c` entry). */
const LEGACY_CACHE_SIZE = 100;
/** The JWK `kty` of the keys each family verifies with. */
const FAMILY_KTY: Readonly<Record<string, string>> = Object.freeze({ rsa: 'RSA', ecdsa: 'EC' });

/**
 * jose's remote key set: fetched on first use, kept for `jwks.cache.timeout` seconds, refetched when a
 * `kid` is unknown (at most once per cooldown). TLS is verified unless `jwt_ssl_insecure_skip_verify`.
 * When jose cannot use the set (keys that carry only `x5c`, no `n`/`e`), the legacy form is tried on the
 * same cached set: the first `x5c` certificate of the key whose `kid` and `kty` match (auth.md §8.2 step 3).
 */
function remoteJwks(url: string, config: Readonly<GatewayConfig>, family: string): KeyResolver {
  const jwks = config['jwks'] as { cache?: { timeout?: unknown } } | undefined;
  const timeout = typeof jwks?.cache?.timeout === 'number' && jwks.cache.timeout > 0 ? jwks.cache.timeout : JWKS_CACHE_SECONDS;
  const dispatcher = config.jwt_ssl_insecure_skip_verify ? new Agent({ connect: { rejectUnauthorized: false } }) : undefined;
  const set = createRemoteJWKSet(new URL(url), {
    cacheMaxAge: timeout * 1000,
    cooldownDuration: JWKS_COOLDOWN_MS,
    timeoutDuration: JWKS_TIMEOUT_MS,
    [customFetch]: (input: string, init: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher }) as unknown as Promise<Response>,
  });
  const certificates = new LRUCache<string, KeyObject | false>({ max: LEGACY_CACHE_SIZE });
  const kty = FAMILY_KTY[family];
  const legacy = (kid: string): KeyObject | null => {
    // Only a set fetched within the cache time: a failed refetch must not fall back on an expired set.
    const x5c = kty === undefined || !set.fresh ? undefined : legacyCertificate(set.jwks(), kid, kty);
    if (x5c === undefined) return null;
    let key = certificates.get(x5c);
    if (key === undefined) {
      key = certificateKey(x5c) ?? false;
      certificates.set(x5c, key);
    }
    return key === false ? null : key;
  };
  return (header) => {
    const kid = header.kid;
    if (typeof kid !== 'string') return null;
    return set(header as Parameters<typeof set>[0]).catch(() => legacy(kid));
  };
}

/**
 * The legacy JWKS form: the first `x5c` entry (standard base64 DER) of the first key whose `kid` equals
 * `kid` and whose `kty` is `kty` (case-insensitive); undefined when there is none.
 *
 * @example
 * legacyCertificate({ keys: [{ kid: 'k1', kty: 'RSA', x5c: ['MIIC...'] }] }, 'k1', 'RSA') // 'MIIC...'
 */
export function legacyCertificate(set: unknown, kid: string, kty: string): string | undefined {
  const keys = (set as { keys?: unknown } | undefined)?.keys;
  if (!Array.isArray(keys)) return undefined;
  for (const key of keys as unknown[]) {
    if (key === null || typeof key !== 'object') continue;
    const { kid: keyKid, kty: keyKty, x5c } = key as { kid?: unknown; kty?: unknown; x5c?: unknown };
    if (keyKid !== kid || typeof keyKty !== 'string' || keyKty.toLowerCase() !== kty.toLowerCase()) continue;
    return Array.isArray(x5c) && typeof x5c[0] === 'string' && x5c[0] !== '' ? x5c[0] : undefined;
  }
  return undefined;
}

function certificateKey(x5c: string): KeyObject | null {
  try {
    return new X509Certificate(Buffer.from(x5c, 'base64')).publicKey;
  } catch {
    return null;
  }
}
