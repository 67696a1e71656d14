/**
 * Key IDs and key hashes exactly as Tyk forms them (spec/gateway-api.md §6.4; Tyk's storage/hash.go).
 * Pure functions: the control plane uses them to create and address keys, the gateway to find the key a
 * client presented. A "key ID" is what a client sends; a "storage ID" is what follows `apikey-` in Redis
 * (the key ID itself, or its hash when tyk.conf `hash_keys` is on).
 */
import { createHash, randomUUID } from 'node:crypto';
import murmur from 'murmurhash3js-revisited';

export type KeyHashAlgorithm = 'murmur32' | 'murmur64' | 'murmur128' | 'sha256';

export const KEY_HASH_ALGORITHMS: readonly KeyHashAlgorithm[] = Object.freeze(['murmur32', 'murmur64', 'murmur128', 'sha256']);

/** Tyk records an unknown `hash_key_function` in new key IDs as this algorithm. */
const DEFAULT_KEY_ID_ALGORITHM: KeyHashAlgorithm = 'murmur64';

/** `{"` in base64: key IDs of the JSON form start with it (Tyk's B64JSONPrefix). */
const B64_JSON_PREFIX = 'ey';

/** Tyk's legacy org detection: a key longer than this starts with a 24-character (Mongo ObjectId) org ID. */
const LEGACY_ORG_LENGTH = 24;

export function isKeyHashAlgorithm(name: string): name is KeyHashAlgorithm {
  return (KEY_HASH_ALGORITHMS as readonly string[]).includes(name);
}

/**
 * Lowercase hex digest of `input` (UTF-8). murmur32 = MurmurHash3 x86_32, seed 0, big-endian (8 hex);
 * murmur64 = h1 of MurmurHash3 x64_128 (16 hex); murmur128 = h1 then h2 (32 hex); sha256 (64 hex).
 * Any other name (including "") falls back to murmur32, as Tyk's hashFunction does.
 *
 * @example hashString('hello', 'murmur32') // "248bfa47"
 */
export function hashString(input: string, algorithm: string): string {
  switch (algorithm) {
    case 'sha256':
      return createHash('sha256').update(input, 'utf8').digest('hex');
    case 'murmur64':
      return murmur.x64.hash128(Buffer.from(input, 'utf8'), 0).slice(0, 16);
    case 'murmur128':
      return murmur.x64.hash128(Buffer.from(input, 'utf8'), 0);
    default:
      return (murmur.x86.hash32(Buffer.from(input, 'utf8'), 0) >>> 0).toString(16).padStart(8, '0');
  }
}

/** Decodes a base64-JSON key ID (`ey...`); undefined for legacy keys or anything that does not decode. */
function decodeJsonKeyId(keyId: string): Record<string, unknown> | undefined {
  if (!keyId.startsWith(B64_JSON_PREFIX) || !isStdBase64(keyId)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(keyId, 'base64').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Standard padded base64, as Go's StdEncoding demands (Node's decoder is lenient). */
function isStdBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}

/** The `h` field of a base64-JSON key ID, else "" (legacy keys hash with murmur32). */
export function keyIdHashAlgorithm(keyId: string): string {
  const h = decodeJsonKeyId(keyId)?.h;
  return typeof h === 'string' ? h : '';
}

/**
 * The org a key ID carries: the `org` field of a base64-JSON key ID, else the first 24 characters of a
 * longer legacy key, else "" (Tyk's TokenOrg).
 */
export function keyIdOrg(keyId: string): string {
  const json = decodeJsonKeyId(keyId);
  if (json !== undefined && typeof json.org === 'string') return json.org;
  return keyId.length > LEGACY_ORG_LENGTH ? keyId.slice(0, LEGACY_ORG_LENGTH) : '';
}

/** The `id` part of a base64-JSON key ID (the custom name or generated hex), else undefined. */
export function keyIdName(keyId: string): string | undefined {
  const id = decodeJsonKeyId(keyId)?.id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * The hash Tyk stores a key under with `hash_keys` on: the digest named by the key's own `h` field, else
 * murmur32.
 *
 * @example hashKeyId('eyJvcmciOiIiLCJpZCI6ImFiYyIsImgiOiJzaGEyNTYifQ==') // 64 hex chars (sha256)
 */
export function hashKeyId(keyId: string): string {
  return hashString(keyId, keyIdHashAlgorithm(keyId));
}

/** The storage ID of a key: its hash with `hash_keys`, else the key ID itself. */
export function storageIdForKey(keyId: string, hashKeys: boolean): string {
  return hashKeys ? hashKeyId(keyId) : keyId;
}

export interface KeyIdOptions {
  readonly orgId: string;
  /** Custom key name; empty or absent = generate 32 hex characters (UUIDv4 without dashes). */
  readonly customId?: string;
  /** tyk.conf `hash_key_function`: "" = legacy `<org><id>`, else base64 JSON naming the algorithm. */
  readonly hashKeyFunction: string;
}

/**
 * Forms a key ID as Tyk's generateToken does: a custom ID that already starts with the org ID loses that
 * prefix first; legacy = `<org_id><id>`; otherwise standard padded base64 of exactly
 * `{"org":"<org_id>","id":"<id>","h":"<algorithm>"}` (an unknown algorithm is recorded as murmur64).
 *
 * @example generateKeyId({ orgId: 'org1', customId: 'alice', hashKeyFunction: '' }) // "org1alice"
 */
export function generateKeyId(options: KeyIdOptions): string {
  const { orgId, hashKeyFunction } = options;
  let id = options.customId ?? '';
  if (id === '') id = randomUUID().replace(/-/g, '');
  else if (orgId !== '' && id.startsWith(orgId)) id = id.slice(orgId.length);
  if (hashKeyFunction === '') return `${orgId}${id}`;
  const algorithm = isKeyHashAlgorithm(hashKeyFunction) ? hashKeyFunction : DEFAULT_KEY_ID_ALGORITHM;
  // Go's fmt %s: no JSON escaping, byte for byte what Tyk produces.
  return Buffer.from(`{"org":"${orgId}","id":"${id}","h":"${algorithm}"}`, 'utf8').toString('base64');
}

export interface KeyLookupOptions {
  /** The API's `org_id`. */
  readonly orgId: string;
  readonly hashKeyFunction: string;
  /** tyk.conf `hash_key_function_fallback`. */
  readonly hashKeyFunctionFallback?: readonly string[];
  /** tyk.conf `disable_key_actions_by_username`: never rebuild a key ID from a bare name. */
  readonly disableKeyActionsByUsername?: boolean;
}

/**
 * The key IDs to try, in order, for a presented credential or an admin-API key name (§6.4 "Lookup"):
 * the key itself when it carries the org, else the ID built from (org, name), the name itself, and the
 * IDs built with each fallback algorithm. Convert with `storageIdForKey` and take the first that exists.
 *
 * @example keyIdCandidates('alice', { orgId: 'org1', hashKeyFunction: '' }) // ["org1alice", "alice"]
 */
export function keyIdCandidates(key: string, options: KeyLookupOptions): string[] {
  if (keyIdOrg(key) === options.orgId) return [key];
  const byName = options.disableKeyActionsByUsername !== true;
  const candidates: string[] = [];
  if (byName) candidates.push(generateKeyId({ orgId: options.orgId, customId: key, hashKeyFunction: options.hashKeyFunction }));
  candidates.push(key);
  if (byName) {
    for (const fallback of options.hashKeyFunctionFallback ?? []) {
      candidates.push(generateKeyId({ orgId: options.orgId, customId: key, hashKeyFunction: fallback }));
    }
  }
  return [...new Set(candidates)];
}
