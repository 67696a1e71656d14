/**
 * Admin-API checks of the traffic rules (spec/api-definition.md §5, §6, §10, §11): every pattern is a
 * regex that compiles, every header name is an HTTP token, expiry strings follow Tyk's layout, URLs
 * parse. Each rule returns the reason, naming the field as written in the definition, or null.
 */

import type { ApiDefinition, VersionInfo } from "./api-definition.js";
import { endpointPatternError } from "./endpoint-pattern.js";
import type { ExtendedPaths } from "./extended-paths.js";
import { isNeverExpiry, parseTykExpiry } from "./tyk-time.js";

type Reason = string | null;

/** RFC 9110 token (header names, methods). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const LOCATIONS = new Set(["", "header", "url-param", "url"]);
const q = (s: unknown): string => JSON.stringify(s);

function first(checks: Iterable<Reason>): Reason {
  for (const reason of checks) if (reason !== null) return reason;
  return null;
}

function patternReason(field: string, pattern: unknown): Reason {
  if (typeof pattern !== "string") return null;
  const error = endpointPatternError(pattern);
  return error === null ? null : `${field} ${q(pattern)} is not a valid regular expression: ${error}`;
}

/** A raw regex (not an endpoint pattern: no template conversion). */
function regexReason(field: string, source: unknown): Reason {
  if (typeof source !== "string") return null;
  try {
    new RegExp(source);
    return null;
  } catch (e) {
    const message = (e as Error).message;
    return `${field} ${q(source)} is not a valid regular expression: ${message.slice(message.lastIndexOf(": ") + 2)}`;
  }
}

function expiryReason(field: string, value: string | undefined): Reason {
  if (isNeverExpiry(value) || !Number.isNaN(parseTykExpiry(value))) return null;
  return `${field} ${q(value)} is not a date in the layout "YYYY-MM-DD HH:MM" (or "" / "-1" for never)`;
}

function headerNameReason(field: string, name: string): Reason {
  return TOKEN.test(name) ? null : `${field} ${q(name)} is not a valid header name`;
}

function* headerMapReasons(field: string, map: Record<string, string> | null | undefined): Generator<Reason> {
  for (const [name, value] of Object.entries(map ?? {})) {
    yield headerNameReason(`${field} key`, name);
    if (/[\r\n\0]/.test(value)) yield `${field}.${name} must not contain CR, LF or NUL`;
  }
}

function* headerListReasons(field: string, list: string[] | null | undefined): Generator<Reason> {
  for (const [i, name] of (list ?? []).entries()) yield headerNameReason(`${field}[${i}]`, name);
}

function urlReason(field: string, value: string | undefined): Reason {
  if (value === undefined || value === "") return null;
  try {
    const url = new URL(value);
    if ((url.protocol === "http:" || url.protocol === "https:") && url.host !== "") return null;
  } catch {
    // reported below
  }
  return `${field} ${q(value)} is not a valid http(s) URL`;
}

function* extendedPathReasons(base: string, ep: ExtendedPaths | undefined): Generator<Reason> {
  if (ep === undefined || ep === null) return;
  for (const [kind, list] of Object.entries(ep)) {
    if (!Array.isArray(list)) continue;
    for (const [i, entry] of list.entries()) {
      const field = `${base}.extended_paths.${kind}[${i}]`;
      if (typeof entry === "string") {
        yield patternReason(field, entry);
        continue;
      }
      if (entry === null || typeof entry !== "object") continue;
      const e = entry as Record<string, unknown>;
      yield patternReason(`${field}.path`, e.path);
      if (kind === "url_rewrites") yield regexReason(`${field}.match_pattern`, e.match_pattern);
      if (typeof e.method === "string" && e.method !== "" && !TOKEN.test(e.method)) yield `${field}.method ${q(e.method)} is not an HTTP method`;
      if (kind === "size_limits" && typeof e.size_limit === "number" && e.size_limit < 0) yield `${field}.size_limit must not be negative (got ${e.size_limit})`;
      if (kind === "transform_headers" || kind === "transform_response_headers") {
        yield* headerMapReasons(`${field}.add_headers`, e.add_headers as Record<string, string> | undefined);
        yield* headerListReasons(`${field}.delete_headers`, e.delete_headers as string[] | undefined);
      }
    }
  }
}

function* versionReasons(name: string, v: VersionInfo, isVersioned: boolean): Generator<Reason> {
  const base = `version_data.versions.${name}`;
  if (isVersioned) yield expiryReason(`${base}.expires`, v.expires);
  for (const kind of ["white_list", "black_list", "ignored"] as const) {
    for (const [i, p] of (v.paths?.[kind] ?? []).entries()) yield patternReason(`${base}.paths.${kind}[${i}]`, p);
  }
  yield* extendedPathReasons(base, v.extended_paths);
  yield* headerMapReasons(`${base}.global_headers`, v.global_headers);
  yield* headerListReasons(`${base}.global_headers_remove`, v.global_headers_remove);
  yield* headerMapReasons(`${base}.global_response_headers`, v.global_response_headers);
  yield* headerListReasons(`${base}.global_response_headers_remove`, v.global_response_headers_remove);
  if ((v.global_size_limit ?? 0) < 0) yield `${base}.global_size_limit must not be negative (got ${v.global_size_limit})`;
  if (isVersioned) yield urlReason(`${base}.override_target`, v.override_target);
}

/** `version_data`, `definition` and `expiration`. */
export function versionsRule(def: ApiDefinition): Reason {
  const isVersioned = def.version_data?.not_versioned !== true;
  const d = def.definition;
  return first((function* () {
    if (!isVersioned) yield expiryReason("expiration", def.expiration);
    if (isVersioned && d !== undefined) {
      const location = d.location ?? "";
      if (!LOCATIONS.has(location)) yield `definition.location ${q(location)} must be one of "header", "url-param", "url" or ""`;
      if ((location === "header" || location === "url-param") && (d.key ?? "") === "") yield `definition.key is required when definition.location is ${q(location)}`;
      if (location === "header" && !TOKEN.test(d.key ?? "")) yield headerNameReason("definition.key", d.key ?? "");
      if ((d.url_versioning_pattern ?? "") !== "") yield patternReason("definition.url_versioning_pattern", d.url_versioning_pattern);
    }
    for (const [name, v] of Object.entries(def.version_data?.versions ?? {})) yield* versionReasons(name, v, isVersioned);
  })());
}

/** `CORS.*`: methods and header names are tokens; an origin holds at most one `*` wildcard. */
export function corsRule(def: ApiDefinition): Reason {
  const c = def.CORS;
  if (c === undefined) return null;
  return first((function* () {
    for (const [i, m] of (c.allowed_methods ?? []).entries()) if (!TOKEN.test(m)) yield `CORS.allowed_methods[${i}] ${q(m)} is not an HTTP method`;
    for (const [i, h] of (c.allowed_headers ?? []).entries()) if (h !== "*") yield headerNameReason(`CORS.allowed_headers[${i}]`, h);
    yield* headerListReasons("CORS.exposed_headers", c.exposed_headers);
    for (const [i, o] of (c.allowed_origins ?? []).entries()) {
      if (o !== "*" && o.split("*").length > 2) yield `CORS.allowed_origins[${i}] ${q(o)} may contain only one "*" wildcard`;
      if (o === "") yield `CORS.allowed_origins[${i}] must not be empty`;
    }
  })());
}

/** `cache_options`: status codes are HTTP statuses; header names are tokens. */
export function cacheRule(def: ApiDefinition): Reason {
  const c = def.cache_options;
  if (c === undefined) return null;
  return first((function* () {
    for (const [i, code] of (c.cache_response_codes ?? []).entries()) {
      if (code < 100 || code > 599) yield `cache_options.cache_response_codes[${i}] ${code} is not an HTTP status code`;
    }
    yield* headerListReasons("cache_options.cache_by_headers", c.cache_by_headers);
    if ((c.cache_control_ttl_header ?? "") !== "") yield headerNameReason("cache_options.cache_control_ttl_header", c.cache_control_ttl_header!);
  })());
}

/** `uptime_tests.check_list` URLs and methods; `proxy.service_discovery` endpoint and data path. */
export function uptimeAndDiscoveryRule(def: ApiDefinition): Reason {
  return first((function* () {
    if (def.uptime_tests?.disabled !== true) {
      for (const [i, check] of (def.uptime_tests?.check_list ?? []).entries()) {
        const field = `uptime_tests.check_list[${i}]`;
        if ((check.url ?? "") === "") yield `${field}.url is required`;
        yield urlReason(`${field}.url`, check.url);
        if ((check.method ?? "") !== "" && !TOKEN.test(check.method!)) yield `${field}.method ${q(check.method)} is not an HTTP method`;
        yield* headerMapReasons(`${field}.headers`, check.headers);
      }
    }
    const sd = def.proxy?.service_discovery;
    if (sd?.use_discovery_service === true) {
      if ((sd.query_endpoint ?? "") === "") yield "proxy.service_discovery.query_endpoint is required when use_discovery_service is true";
      yield urlReason("proxy.service_discovery.query_endpoint", sd.query_endpoint);
      if ((sd.data_path ?? "") === "") yield "proxy.service_discovery.data_path is required when use_discovery_service is true";
      if (sd.use_nested_query === true && (sd.parent_data_path ?? "") === "") yield "proxy.service_discovery.parent_data_path is required when use_nested_query is true";
    }
  })());
}
