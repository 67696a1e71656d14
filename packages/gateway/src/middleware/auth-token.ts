import type { ApiDefinition } from '@tollgate/apidef';
import { credentialLocation, readCredential } from '../auth/credential.js';
import { keepsIdentity, runsAuthMode, setIdentity } from '../auth/identity.js';
import { createKeyLookup, type FoundKey } from '../auth/key-lookup.js';
import { errors } from '../errors.js';
import type { Decision } from '../pipeline/decision.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import type { RequestContext } from '../pipeline/request-context.js';

/**
 * Auth token (auth.md §4): the credential from header, query parameter or cookie; none → 401
 * `Authorization field missing` [AMF]; no key found (too short, unknown, policies that cannot apply) → 403
 * `Access to this API has been disallowed` [AKI]. Runs last among the auth modes.
 *
 * @example
 * const check = createAuthToken(def, deps); // null for keyless APIs and APIs using only other modes
 */
export function createAuthToken(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  if (!runsAuthMode(def, 'authToken')) return null;
  const where = credentialLocation(def, 'authToken');
  const lookup = createKeyLookup(String(def.org_id ?? ''), deps);
  const isIdentity = keepsIdentity(def, 'auth_token');
  const accept = (ctx: RequestContext, key: FoundKey | null): Decision => {
    if (key === null) return errors.keyNotFound;
    if (isIdentity) setIdentity(ctx, key.storageId, key.session);
    return undefined;
  };
  return (ctx) => {
    const credential = readCredential(ctx, where);
    if (credential === '') return errors.authFieldMissing;
    const key = lookup(credential);
    if (key instanceof Promise) return key.then((k) => accept(ctx, k));
    return accept(ctx, key);
  };
}
