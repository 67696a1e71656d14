import { createPublicKey, createSecretKey, X509Certificate, type KeyObject, type webcrypto } from 'node:crypto';
import type { ApiDefinition, GatewayConfig } from '@tollgate/apidef';
import { createRemoteJWKSet, customFetch, type JWSHeaderParameters } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';

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
 * const source = jwtKeySource(def, config); // { kind: 'jwks', url, resolve } or { kind: 'static', key }
 */
export function jwtKeySource(def: ApiDefinition, config: Readonly<GatewayConfig>): JwtKeySource {
  const source = String(def.jwt_source ?? '');
  const url = jwksUrl(source);
  if (url !== null) return { kind: 'jwks', url, resolve: remoteJwks(url, config) };
  const bytes = Buffer.from(source, 'base64');
  const method = familyName(def);
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

/**
 * jose's remote key set: fetched on first use, kept for `jwks.cache.timeout` seconds, refetched when a
 * `kid` is unknown (at most once per cooldown). TLS is verified unless `jwt_ssl_insecure_skip_verify`.
 */
function remoteJwks(url: string, config: Readonly<GatewayConfig>): KeyResolver {
  const jwks = config['jwks'] as { cache?: { timeout?: unknown } } | undefined;
  const timeout = typeof jwks?.cache?.timeout === 'number' && jwks.cache.timeout > 0 ? jwks.cache.timeout : JWKS_CACHE_SECONDS;
  const dispatcher = config.jwt_ssl_insecure_skip_verify ? new Agent({ connect: { rejectUnauthorized: false } }) : undefined;
  const set = createRemoteJWKSet(new URL(url), {
    cacheMaxAge: timeout * 1000,
    cooldownDuration: JWKS_COOLDOWN_MS,
    timeoutDuration: JWKS_TIMEOUT_MS,
    [customFetch]: (input: string, init: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher }) as unknown as Promise<Response>,
  });
  return (header) => {
    if (typeof header.kid !== 'string') return null;
    return set(header as Parameters<typeof set>[0]);
  };
}
