import type { ApiDefinition } from "./api-definition.js";

/**
 * Auth flags of modes tollgate does not implement, in Tyk's chain order (api-definition.md §4), with how
 * each is read. The gateway refuses requests to an API that sets one rather than serving it open; the admin
 * API's validation counts them as modes other than the auth token.
 */
const UNSUPPORTED_AUTH_FLAGS: readonly (readonly [string, (def: ApiDefinition) => boolean])[] = Object.freeze([
  ["use_oauth2", (def) => def.use_oauth2 === true],
  ["external_oauth.enabled", (def) => (def.external_oauth as { enabled?: unknown } | undefined)?.enabled === true],
  ["use_openid", (def) => def.use_openid === true],
  ["enable_coprocess_auth", (def) => def.enable_coprocess_auth === true],
  ["use_go_plugin_auth", (def) => def.use_go_plugin_auth === true],
  ["custom_plugin_auth_enabled", (def) => def.custom_plugin_auth_enabled === true],
]);

/**
 * The flags of unimplemented auth modes the API enables ([] for keyless APIs, where no mode runs).
 *
 * @example
 * unsupportedAuthModes({ ...def, use_oauth2: true }) // ['use_oauth2']
 */
export function unsupportedAuthModes(def: ApiDefinition): string[] {
  if (def.use_keyless === true) return [];
  return UNSUPPORTED_AUTH_FLAGS.filter(([, isSet]) => isSet(def)).map(([flag]) => flag);
}
