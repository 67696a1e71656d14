/**
 * Semantic checks on a type-checked definition, in the order the error is reported. Each rule
 * returns the reason text (naming the field) or null. Texts quoted in spec/api-definition.md §1
 * are exact because the admin API sends them to clients.
 */

import type { ApiDefinition } from "./api-definition.js";
import type { AuthConfig } from "./auth-config.js";
import { unsupportedAuthModes } from "./auth-modes.js";
import { compileDomain } from "./domain.js";
import { readErrorOverrides } from "./error-overrides.js";
import { isValidIpOrCidr } from "./ip.js";
import { compileListenPath } from "./listen-path.js";
import { timeoutRule } from "./validate-timeouts.js";
import { eventHandlersRule } from "./event-handlers.js";
import { cacheRule, corsRule, uptimeAndDiscoveryRule, versionsRule } from "./validate-traffic.js";

export type Rule = (def: ApiDefinition) => string | null;

// h2c:// and tyk:// are "later" features (spec §3): accepted and stored, not yet proxied.
const TARGET_SCHEMES = new Set(["http:", "https:", "h2c:", "tyk:"]);

function listenPathRule(def: ApiDefinition): string | null {
  const lp = def.proxy?.listen_path;
  if (lp === undefined || lp === "") return "proxy.listen_path is required";
  if (/\s/.test(lp)) return `proxy.listen_path ${JSON.stringify(lp)} must not contain spaces`;
  try {
    compileListenPath(lp);
  } catch (e) {
    return `proxy.listen_path ${JSON.stringify(lp)} is not a valid template: ${(e as Error).message}`;
  }
  return null;
}

function apiIdRule(def: ApiDefinition): string | null {
  const id = def.api_id;
  // The id becomes a path component (admin API, `/<api_id>/` route, app_path file name).
  if (id !== undefined && (id.includes("/") || id.includes(".."))) return 'api_id must not contain "/" or ".."';
  return null;
}

function parseTarget(s: string): URL | null {
  try {
    const url = new URL(s);
    return TARGET_SCHEMES.has(url.protocol) && url.host !== "" ? url : null;
  } catch {
    return null;
  }
}

function targetUrlRule(def: ApiDefinition): string | null {
  const target = def.proxy?.target_url ?? "";
  const list = def.proxy?.target_list ?? [];
  if (target === "") {
    // An empty target is fine when load balancing supplies the upstreams (spec §3).
    if (def.proxy?.enable_load_balancing === true && list.length > 0) return null;
    if (def.proxy?.service_discovery?.use_discovery_service === true) return null;
    return "proxy.target_url is required";
  }
  if (parseTarget(target) === null) {
    return `proxy.target_url ${JSON.stringify(target)} is not a valid URL (scheme must be http or https)`;
  }
  return null;
}

function loadBalancingRule(def: ApiDefinition): string | null {
  if (def.proxy?.enable_load_balancing !== true) return null;
  const list = def.proxy.target_list ?? [];
  // Weighting is by repetition, so an empty list is Tyk's "all weights 0".
  if (list.length === 0 && def.proxy.service_discovery?.use_discovery_service === true) return null;
  if (list.length === 0) return "all load balancing targets have weight 0, at least one target must have weight > 0";
  for (const [i, entry] of list.entries()) {
    const withScheme = entry.includes("://") ? entry : `http://${entry}`;
    if (entry.trim() === "" || parseTarget(withScheme) === null) {
      return `proxy.target_list[${i}] ${JSON.stringify(entry)} is not a valid host:port or URL`;
    }
  }
  return null;
}

/** Auth modes by `auth_configs` key and the flag that enables each (spec §4). */
const AUTH_MODES: Array<[string, (d: ApiDefinition) => boolean]> = [
  ["authToken", (d) => d.use_standard_auth === true || !hasNonTokenAuth(d)],
  ["basic", (d) => d.use_basic_auth === true],
  ["hmac", (d) => d.enable_signature_checking === true],
  ["jwt", (d) => d.enable_jwt === true],
  ["oauth", (d) => d.use_oauth2 === true],
  ["oidc", (d) => d.use_openid === true],
  ["coprocess", (d) => d.enable_coprocess_auth === true],
];

/** Another mode than the auth token is on: one validated here, or one tollgate refuses at request time (plugins, external OAuth). */
function hasNonTokenAuth(d: ApiDefinition): boolean {
  return AUTH_MODES.slice(1).some(([, enabled]) => enabled(d)) || unsupportedAuthModes(d).length > 0;
}

function authConfigFor(def: ApiDefinition, mode: string): AuthConfig | undefined {
  const own = def.auth_configs?.[mode];
  if (own !== undefined) return own;
  // The deprecated `auth` object stands in for authToken and JWT (spec §4).
  return mode === "authToken" || mode === "jwt" ? def.auth : undefined;
}

function authSourcesRule(def: ApiDefinition): string | null {
  if (def.use_keyless === true) return null;
  for (const [mode, enabled] of AUTH_MODES) {
    if (!enabled(def)) continue;
    const cfg = authConfigFor(def, mode);
    if (cfg?.disable_header === true && cfg.use_param !== true && cfg.use_cookie !== true) {
      return `all auth sources are disabled for ${mode}, at least one of header/cookie/query must be enabled`;
    }
  }
  return null;
}

function ipListRule(def: ApiDefinition): string | null {
  const lists = [
    def.enable_ip_whitelisting === true ? def.allowed_ips : null,
    def.enable_ip_blacklisting === true ? def.blacklisted_ips : null,
  ];
  for (const list of lists) {
    for (const entry of list ?? []) if (!isValidIpOrCidr(entry)) return `invalid IP/CIDR ${JSON.stringify(entry)}`;
  }
  return null;
}

function domainRule(def: ApiDefinition): string | null {
  if (def.domain === undefined || def.domain === "") return null;
  try {
    compileDomain(def.domain);
  } catch (e) {
    return `domain ${JSON.stringify(def.domain)} is not a valid host pattern: ${(e as Error).message}`;
  }
  return null;
}

/**
 * `error_overrides` (errors-and-flags.md §5): checked even when `error_overrides_disabled`, so a stored
 * definition never holds rules that would fail once enabled.
 */
function errorOverridesRule(def: ApiDefinition): string | null {
  try {
    readErrorOverrides(def.error_overrides, "error_overrides");
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

export const semanticRules: readonly Rule[] = [
  apiIdRule,
  listenPathRule,
  targetUrlRule,
  loadBalancingRule,
  domainRule,
  authSourcesRule,
  ipListRule,
  timeoutRule,
  versionsRule,
  corsRule,
  cacheRule,
  uptimeAndDiscoveryRule,
  eventHandlersRule,
  errorOverridesRule,
];
