import { generateKeyId, storageIdForKey, type ApiDefinition } from '@tollgate/apidef';
import { credentialLocation, readCredential } from '../auth/credential.js';
import { keepsIdentity, runsAuthMode, setIdentity } from '../auth/identity.js';
import { findSession, type SessionLookupResult } from '../auth/key-lookup.js';
import { createPasswordCheck } from '../auth/password-check.js';
import { errors, withHeaders } from '../errors.js';
import type { Decision } from '../pipeline/decision.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import type { RequestContext } from '../pipeline/request-context.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Basic auth (`use_basic_auth`, auth.md §6). The user name is a custom key ID in the API's org (then the
 * legacy `<org><user>` when `hash_key_function` is set); the password is checked against the session's
 * `basic_auth_data`. Missing → 401 [AMF] and unknown user or wrong password → 401 `User not authorised`,
 * both with `WWW-Authenticate: Basic realm="<API name>"`; the three malformed cases → 400 [IHD].
 * tollgate: the password is split at the first `:` (RFC 7617), so it may contain colons.
 *
 * @example
 * const check = createBasicAuth(def, deps); // null unless use_basic_auth
 */
export function createBasicAuth(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  if (!runsAuthMode(def, 'basic')) return null;
  const where = credentialLocation(def, 'basic');
  const challenge = ['www-authenticate', `Basic realm="${String(def.name ?? '')}"`];
  const missing = withHeaders(errors.basicFieldMissing, challenge);
  const refused = withHeaders(errors.userNotAuthorised, challenge);
  const orgId = String(def.org_id ?? '');
  const isLegacyTried = deps.config.hash_key_function !== '';
  const meta = def.basic_auth ?? {};
  const ttl = meta.disable_caching === true ? 0 : typeof meta.cache_ttl === 'number' && meta.cache_ttl > 0 ? meta.cache_ttl : 60;
  const checkPassword = createPasswordCheck(ttl);
  const { hash_key_function: hashKeyFunction, hash_keys: hashKeys } = deps.config;
  const isIdentity = keepsIdentity(def, 'basic_auth_user');

  const verify = (ctx: RequestContext, found: SessionLookupResult, password: string): Decision | Promise<Decision> => {
    if (found === null) return refused;
    const ok = checkPassword(found.session.basic_auth_data, password);
    const accept = (isOk: boolean): Decision => {
      if (!isOk) return refused;
      if (isIdentity) setIdentity(ctx, found.storageId, found.session);
      return undefined;
    };
    return ok instanceof Promise ? ok.then(accept) : accept(ok);
  };

  const lookup = (ctx: RequestContext, user: string, password: string): Decision | Promise<Decision> => {
    const primary = storageIdForKey(generateKeyId({ orgId, customId: user, hashKeyFunction }), hashKeys);
    const ids = isLegacyTried ? [primary, storageIdForKey(`${orgId}${user}`, hashKeys)] : [primary];
    const found = findSession(deps, ids, orgId);
    return found instanceof Promise ? found.then((f) => verify(ctx, f, password)) : verify(ctx, found, password);
  };

  return (ctx) => {
    const value = readCredential(ctx, where);
    if (value === '') return missing;
    const parts = value.split(' ');
    if (parts.length !== 2) return errors.basicHeaderMalformed;
    const encoded = parts[1]!;
    if (!BASE64.test(encoded)) return errors.basicEncodingMalformed;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) return errors.basicValuesMalformed;
    return lookup(ctx, decoded.slice(0, colon), decoded.slice(colon + 1));
  };
}
