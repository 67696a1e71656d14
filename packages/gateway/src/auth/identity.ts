import { unsupportedAuthModes, type ApiDefinition, type SessionState } from '@tollgate/apidef';
import type { RequestContext } from '../pipeline/request-context.js';
import type { AuthMode } from './credential.js';

/** `base_identity_provided_by` values of the modes tollgate runs (auth.md §2). */
export type IdentityMode = 'auth_token' | 'basic_auth_user' | 'hmac_key' | 'jwt_claim';

/**
 * Whether a mode's session becomes the request's session: every mode when `base_identity_provided_by`
 * is empty (the last to run wins), otherwise only the named one.
 */
export function keepsIdentity(def: ApiDefinition, mode: IdentityMode): boolean {
  const base = def.base_identity_provided_by ?? '';
  return base === '' || base === mode;
}

/** Makes a found session the request's: rate limits, quotas and analytics key on `sessionKey`. */
export function setIdentity(ctx: RequestContext, storageId: string, session: SessionState): void {
  ctx.session = session;
  ctx.sessionKey = storageId;
  ctx.keyAlias = typeof session.alias === 'string' ? session.alias : '';
}

/**
 * Keyless wins over every other flag; otherwise the auth-token check runs when `use_standard_auth` is set
 * or when no other mode is (api-definition.md §4: an API with no auth flag is an auth-token API).
 */
export function usesAuthToken(def: ApiDefinition): boolean {
  if (def.use_keyless === true) return false;
  if (def.use_standard_auth === true) return true;
  return !(def.use_basic_auth === true || def.enable_signature_checking === true || def.enable_jwt === true
    || unsupportedAuthModes(def).length > 0);
}

/**
 * Whether the auth step of `mode` runs on this API: keyless runs none; basic, HMAC and JWT run on their
 * flag; the auth token as `usesAuthToken` says. The one place the middlewares and `strip_auth_data` ask.
 */
export function runsAuthMode(def: ApiDefinition, mode: AuthMode): boolean {
  if (def.use_keyless === true) return false;
  switch (mode) {
    case 'basic': return def.use_basic_auth === true;
    case 'hmac': return def.enable_signature_checking === true;
    case 'jwt': return def.enable_jwt === true;
    case 'authToken': return usesAuthToken(def);
  }
}

const CREDENTIAL_MODES: readonly AuthMode[] = ['basic', 'hmac', 'jwt', 'authToken'];

/** The auth modes that read a credential on this API, in pipeline order. */
export function credentialModes(def: ApiDefinition): AuthMode[] {
  return CREDENTIAL_MODES.filter((mode) => runsAuthMode(def, mode));
}
