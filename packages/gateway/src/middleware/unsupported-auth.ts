import type { ApiDefinition } from '@tollgate/apidef';
import { unsupportedAuthModes } from '@tollgate/apidef';
import { unsupportedAuthMode } from '../errors.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';

/**
 * Fails closed for auth modes tollgate does not implement (api-definition.md §4 marks them L): a
 * non-keyless API that enables `use_oauth2`, `external_oauth.enabled`, `use_openid`,
 * `enable_coprocess_auth`, `use_go_plugin_auth` or `custom_plugin_auth_enabled` still loads, one warning
 * names the flags, and every request that reaches authentication is refused with 501 — also when an
 * implemented mode is enabled beside it, since all enabled modes must pass. Without this step such an API
 * would get no auth step and no key checks, i.e. be served open like a keyless one.
 *
 * @example
 * createUnsupportedAuth({ ...def, use_oauth2: true }, deps)!(ctx) // 501 "API uses use_oauth2, which ..."
 */
export function createUnsupportedAuth(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  const flags = unsupportedAuthModes(def);
  if (flags.length === 0) return null;
  deps.logger.warn({ api_id: def.api_id, auth_modes: flags },
    `auth mode not implemented (${flags.join(', ')}): every request to this API is refused with 501`);
  const refusal = unsupportedAuthMode(flags);
  return () => refusal;
}
