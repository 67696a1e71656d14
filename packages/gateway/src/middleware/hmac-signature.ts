import { createHmac } from 'node:crypto';
import type { ApiDefinition } from '@tollgate/apidef';
import { credentialLocation, readCredential } from '../auth/credential.js';
import { escapeSignature, parseSignatureDate, parseSignatureHeader, signingString, upperEscapes, type SignatureParams } from '../auth/http-signature.js';
import { keepsIdentity, runsAuthMode, setIdentity } from '../auth/identity.js';
import { createKeyLookup, type FoundKey } from '../auth/key-lookup.js';
import { safeEqual } from '../auth/password-check.js';
import { errors } from '../errors.js';
import type { Decision } from '../pipeline/decision.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import type { RequestContext } from '../pipeline/request-context.js';

const ALGORITHMS: Record<string, string> = { 'hmac-sha1': 'sha1', 'hmac-sha256': 'sha256', 'hmac-sha384': 'sha384', 'hmac-sha512': 'sha512' };

/**
 * HMAC request signing (`enable_signature_checking`, auth.md §7). Every failure answers 400
 * `Authorization field missing, malformed or invalid`. tollgate: unknown algorithms are refused (Tyk
 * falls back to SHA-1) and signatures are compared in constant time. No nonce: a captured request can
 * be replayed within `hmac_allowed_clock_skew`.
 *
 * @example
 * const check = createHmacSignature(def, deps); // null unless enable_signature_checking
 */
export function createHmacSignature(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  if (!runsAuthMode(def, 'hmac')) return null;
  const where = credentialLocation(def, 'hmac');
  const allowed = (def.hmac_allowed_algorithms ?? []).filter((a: unknown): a is string => typeof a === 'string');
  const skewMs = typeof def.hmac_allowed_clock_skew === 'number' ? def.hmac_allowed_clock_skew : 0;
  const lookup = createKeyLookup(String(def.org_id ?? ''), deps);
  const isIdentity = keepsIdentity(def, 'hmac_key');
  const now = deps.now;

  const verify = (ctx: RequestContext, params: SignatureParams, hash: string, key: FoundKey | null): Decision => {
    if (key === null) return errors.hmacInvalid;
    const session = key.session;
    const secret = session.hmac_string;
    if (typeof secret !== 'string' || secret === '') return errors.hmacInvalid;
    if (session.hmac_enabled !== true && session.enable_http_signature_validation !== true) return errors.hmacInvalid;
    const text = signingString(params, ctx.method, ctx.decodedPath, (name) => ctx.header(name));
    const expected = escapeSignature(createHmac(hash, secret).update(text).digest('base64'));
    if (!safeEqual(upperEscapes(params.signature), expected)) return errors.hmacInvalid;
    const aux = ctx.header('x-aux-date');
    const date = parseSignatureDate(aux !== '' ? aux : ctx.header('date'));
    if (Number.isNaN(date)) return errors.hmacInvalid;
    if (skewMs > 0 && Math.abs(now() - date) > skewMs) return errors.hmacInvalid;
    if (isIdentity) setIdentity(ctx, key.storageId, session);
    return undefined;
  };

  return (ctx) => {
    const value = readCredential(ctx, where);
    if (value === '') return errors.hmacInvalid;
    const params = parseSignatureHeader(value);
    if (params === null) return errors.hmacInvalid;
    const hash = ALGORITHMS[params.algorithm];
    if (hash === undefined || (allowed.length > 0 && !allowed.includes(params.algorithm))) return errors.hmacInvalid;
    const key = lookup(params.keyId);
    if (key instanceof Promise) return key.then((k) => verify(ctx, params, hash, k));
    return verify(ctx, params, hash, key);
  };
}

