/**
 * Negative timeouts are refused by the admin API (spec/api-definition.md §1): each would turn into
 * an upstream deadline or cache TTL that has already passed.
 */

import type { ApiDefinition } from "./api-definition.js";

function negative(field: string, value: number | undefined): string | null {
  return value !== undefined && value < 0 ? `${field} must not be negative (got ${value})` : null;
}

function firstNegative(checks: Array<[string, number | undefined]>): string | null {
  for (const [field, value] of checks) {
    const err = negative(field, value);
    if (err !== null) return err;
  }
  return null;
}

function versionTimeouts(def: ApiDefinition): Array<[string, number | undefined]> {
  const out: Array<[string, number | undefined]> = [];
  for (const [name, v] of Object.entries(def.version_data?.versions ?? {})) {
    const base = `version_data.versions.${name}`;
    out.push([`${base}.global_enforce_timeout`, v.global_enforce_timeout]);
    const ep = v.extended_paths;
    for (const [i, t] of (ep?.hard_timeouts ?? []).entries()) {
      out.push([`${base}.extended_paths.hard_timeouts[${i}].timeout`, t.timeout]);
    }
    for (const [i, c] of (ep?.advance_cache_config ?? []).entries()) {
      out.push([`${base}.extended_paths.advance_cache_config[${i}].timeout`, c.timeout]);
    }
  }
  return out;
}

export function timeoutRule(def: ApiDefinition): string | null {
  const checks: Array<[string, number | undefined]> = [
    ["proxy.service_discovery.cache_timeout", def.proxy?.service_discovery?.cache_timeout],
    ["cache_options.cache_timeout", def.cache_options?.cache_timeout],
    ["uptime_tests.config.recheck_wait", def.uptime_tests?.config?.recheck_wait],
    ["uptime_tests.config.service_discovery.cache_timeout", def.uptime_tests?.config?.service_discovery?.cache_timeout],
    ...(def.uptime_tests?.check_list ?? []).map(
      (c, i): [string, number | undefined] => [`uptime_tests.check_list[${i}].timeout`, c.timeout],
    ),
    ...versionTimeouts(def),
  ];
  return firstNegative(checks);
}
