/**
 * The known tollgate.json keys: type and range of each leaf, keyed by dotted path. This one table
 * drives validation, env-variable names and env coercion, so a new key is added in one place
 * (plus its default in config-types.ts).
 */

export type KeyType = "int" | "number" | "bool" | "string" | "strings" | "object" | "array";

export interface KeySpec {
  type: KeyType;
  min?: number;
  max?: number;
  /** Exclusive lower bound (for "must be > 0"). */
  above?: number;
  oneOf?: readonly string[];
  nonEmpty?: boolean;
}

const port: KeySpec = { type: "int", min: 1, max: 65535 };
const optionalPort: KeySpec = { type: "int", min: 0, max: 65535 };
const bool: KeySpec = { type: "bool" };
const str: KeySpec = { type: "string" };
const strings: KeySpec = { type: "strings" };
const count: KeySpec = { type: "int", min: 0 };
const tlsVersion: KeySpec = { type: "int", min: 0, max: 772 };

export const CONFIG_KEYS: Readonly<Record<string, KeySpec>> = {
  listen_address: str,
  listen_port: port,
  control_api_port: optionalPort,
  control_api_hostname: str,
  control_api_advertise_address: str,
  secret: { type: "string", nonEmpty: true },
  node_secret: str,
  app_path: str,
  hostname: str,
  enable_custom_domains: bool,
  proxy_default_timeout: { type: "number", above: 0 },
  hide_generator_header: bool,
  close_connections: bool,
  health_check_endpoint_name: { type: "string", nonEmpty: true },
  readiness_check_endpoint_name: { type: "string", nonEmpty: true },
  metrics_port: optionalPort,
  workers: count,
  "storage.type": { type: "string", oneOf: ["redis"] },
  "storage.host": str,
  "storage.port": port,
  "storage.addrs": strings,
  "storage.master_name": str,
  "storage.sentinel_password": str,
  "storage.username": str,
  "storage.password": str,
  "storage.database": count,
  "storage.enable_cluster": bool,
  "storage.timeout": { type: "number", min: 0 },
  "storage.use_ssl": bool,
  "storage.ssl_insecure_skip_verify": bool,
  "http_server_options.use_ssl": bool,
  "http_server_options.certificates": { type: "array" },
  "http_server_options.ssl_certificates": strings,
  "http_server_options.server_name": str,
  "http_server_options.min_version": tlsVersion,
  "http_server_options.max_version": tlsVersion,
  "http_server_options.ssl_ciphers": strings,
  "http_server_options.enable_strict_routes": bool,
  "http_server_options.skip_url_cleaning": bool,
  "http_server_options.skip_target_path_escaping": bool,
  "http_server_options.max_request_body_size": count,
  "http_server_options.enable_path_prefix_matching": bool,
  "http_server_options.enable_path_suffix_matching": bool,
  "http_server_options.xff_depth": count,
  "http_server_options.ssl_insecure_skip_verify": bool,
  "http_server_options.skip_client_ca_announcement": bool,
  "http_server_options.enable_http2": bool,
  "http_server_options.enable_websockets": bool,
  "http_server_options.read_timeout": { type: "number", min: 0 },
  "http_server_options.write_timeout": { type: "number", min: 0 },
  // `service` and `rpc` are "later" sources (gateway-api.md §8.1); accepted so a tyk.conf loads.
  "policies.policy_source": { type: "string", oneOf: ["file", "service", "rpc"] },
  "policies.policy_path": str,
  "policies.policy_record_name": str,
  hash_keys: bool,
  hash_key_function: { type: "string", oneOf: ["", "murmur32", "murmur64", "murmur128", "sha256"] },
  hash_key_function_fallback: strings,
  disable_key_actions_by_username: bool,
  basic_auth_hash_key_function: { type: "string", oneOf: ["", "bcrypt", "murmur32", "murmur64", "murmur128", "sha256"] },
  enable_hashed_keys_listing: bool,
  min_token_length: count,
  allow_master_keys: bool,
  "security.pinned_public_keys": { type: "object" },
  "security.trusted_proxy_cidrs": strings,
  "security.certificates": { type: "object" },
  "security.control_api_use_mutual_tls": bool,
  "security.private_certificate_encoding_secret": str,
  "security.certificate_expiry_monitor.warning_threshold_days": { type: "int", min: 1 },
  "security.certificate_expiry_monitor.check_interval_seconds": { type: "int", min: 1 },
  proxy_ssl_insecure_skip_verify: bool,
  proxy_ssl_min_version: tlsVersion,
  proxy_ssl_max_version: tlsVersion,
  proxy_ssl_ciphers: strings,
  proxy_ssl_disable_renegotiation: bool,
  ssl_force_common_name_check: bool,
  "analytics_config.ignore_tag_prefix_list": strings,
  "analytics_config.enable_detailed_recording": bool,
  "analytics_config.ignored_ips": strings,
  "analytics_config.flush_interval": { type: "int", min: 1, max: 60_000 },
  "analytics_config.max_buffered_records": { type: "int", min: 1 },
  "analytics_config.max_queued_records": { type: "int", min: 1 },
  "analytics_config.track_all_paths": bool,
  "analytics_config.normalise_urls.enabled": bool,
  "analytics_config.normalise_urls.normalise_uuids": bool,
  "analytics_config.normalise_urls.normalise_ulids": bool,
  "analytics_config.normalise_urls.normalise_numbers": bool,
  "analytics_config.normalise_urls.custom_patterns": strings,
  aggregates_ignore_tags: strings,
  enable_analytics: bool,
  rate_limit_failure_mode: { type: "string", oneOf: ["local", "closed", "open"] },
  rate_limit_storage_timeout_ms: { type: "number", above: 0 },
  rate_limit_sliding_log_max: { type: "int", min: 1 },
  rate_limit_degraded_log_interval: { type: "number", above: 0 },
  rate_limit_response_headers: str,
  enable_fixed_window_rate_limiter: bool,
  enable_redis_rolling_limiter: bool,
  enable_sentinel_rate_limiter: bool,
  enable_non_transactional_rate_limiter: bool,
  enforce_org_quotas: bool,
  global_session_lifetime: count,
  force_global_session_lifetime: bool,
  session_lifetime_respects_key_expiration: bool,
  "local_session_cache.disable_cached_session_state": bool,
  ignore_endpoint_case: bool,
  use_db_app_configs: bool,
  jwt_ssl_insecure_skip_verify: bool,
  override_messages: { type: "object" },
  error_overrides: { type: "object" },
  log_level: { type: "string", oneOf: ["debug", "info", "warn", "error"] },
  "access_logs.enabled": bool,
  "liveness_check.check_duration": { type: "number", above: 0 },
  "uptime_tests.disable": bool,
  "uptime_tests.config.failure_trigger_sample_size": { type: "int", min: 1 },
  "uptime_tests.config.time_wait": { type: "number", above: 0 },
  "uptime_tests.config.checker_pool_size": { type: "int", min: 1 },
  tollgate: { type: "object" },
};

/** Sections: parents of dotted keys, which must be objects when present. */
export const CONFIG_SECTIONS: readonly string[] = [
  ...new Set(Object.keys(CONFIG_KEYS).filter((k) => k.includes(".")).map((k) => k.slice(0, k.lastIndexOf(".")))),
];

/** `storage.use_ssl` → `STORAGE_USE_SSL` (suffix after `TOLLGATE_`). */
export function tollgateEnvSuffix(path: string): string {
  return path.replace(/\./g, "_").toUpperCase();
}

/** `http_server_options.use_ssl` → `HTTPSERVEROPTIONS_USESSL` (Tyk's envconfig, after `TYK_GW_`). */
export function tykEnvSuffix(path: string): string {
  return path
    .split(".")
    .map((seg) => seg.replace(/_/g, "").toUpperCase())
    .join("_");
}

function buildIndex(toSuffix: (p: string) => string): ReadonlyMap<string, string> {
  const index = new Map<string, string>();
  for (const path of Object.keys(CONFIG_KEYS)) index.set(toSuffix(path), path);
  return index;
}

export const TOLLGATE_ENV_INDEX = buildIndex(tollgateEnvSuffix);
export const TYK_ENV_INDEX = buildIndex(tykEnvSuffix);

/** Human description of what a key accepts, used in error messages. */
export function describeSpec(spec: KeySpec): string {
  if (spec.oneOf !== undefined) return `one of ${spec.oneOf.map((v) => JSON.stringify(v)).join(", ")}`;
  const noun = { int: "an integer", number: "a number", bool: "a boolean", string: "a string",
    strings: "a list of strings", object: "an object", array: "a list" }[spec.type];
  if (spec.nonEmpty === true) return `a non-empty string`;
  if (spec.above !== undefined) return `${noun} greater than ${spec.above}`;
  if (spec.min !== undefined && spec.max !== undefined) return `${noun} between ${spec.min} and ${spec.max}`;
  if (spec.min !== undefined) return `${noun} >= ${spec.min}`;
  return noun;
}
