/**
 * tollgate.json: tyk.conf key names (snake_case) so an existing tyk.conf works as is
 * (design.md "Conventions"). Unknown keys are kept on the object but not typed here.
 */

export interface StorageConfig {
  type: string;
  host: string;
  port: number;
  /** Cluster or Sentinel seed addresses, `host:port`. */
  addrs: string[];
  /** Non-empty = Sentinel mode. */
  master_name: string;
  sentinel_password: string;
  username: string;
  password: string;
  database: number;
  enable_cluster: boolean;
  /** Seconds. */
  timeout: number;
  use_ssl: boolean;
  ssl_insecure_skip_verify: boolean;
  [key: string]: unknown;
}

export interface ServerCertificate {
  domain_name?: string;
  cert_file?: string;
  key_file?: string;
  [key: string]: unknown;
}

export interface HttpServerOptions {
  use_ssl: boolean;
  certificates: ServerCertificate[];
  ssl_certificates: string[];
  server_name: string;
  /** 0 = tollgate default (TLS 1.2); else 769..772 as in tyk.conf. */
  min_version: number;
  max_version: number;
  ssl_ciphers: string[];
  /** Accepted and ignored: Tyk uses it only for its own outbound Dashboard client (spec §1). */
  ssl_insecure_skip_verify: boolean;
  skip_client_ca_announcement: boolean;
  enable_http2: boolean;
  /** Relay WebSocket upgrades (Tyk: off unless set). */
  enable_websockets: boolean;
  enable_strict_routes: boolean;
  skip_url_cleaning: boolean;
  skip_target_path_escaping: boolean;
  /** Bytes, 0 = off. */
  max_request_body_size: number;
  enable_path_prefix_matching: boolean;
  enable_path_suffix_matching: boolean;
  xff_depth: number;
  /** Seconds. */
  read_timeout: number;
  write_timeout: number;
  [key: string]: unknown;
}

export interface PoliciesConfig {
  policy_source: string;
  policy_path: string;
  policy_record_name: string;
  [key: string]: unknown;
}

export interface SecurityConfig {
  pinned_public_keys: Record<string, string>;
  /** tollgate: forwarding headers are believed only from these peers when non-empty. */
  trusted_proxy_cidrs: string[];
  certificates: Record<string, unknown>;
  control_api_use_mutual_tls: boolean;
  /** Encrypts private keys in the certificate store; empty = `secret`. */
  private_certificate_encoding_secret: string;
  certificate_expiry_monitor: { warning_threshold_days: number; check_interval_seconds: number; [key: string]: unknown };
  [key: string]: unknown;
}

export interface AnalyticsConfig {
  /** Tags starting with one of these are left out of the `tags` aggregates (raw records keep them). */
  ignore_tag_prefix_list: string[];
  enable_detailed_recording: boolean;
  /** Client IPs (exact) whose requests leave no record. */
  ignored_ips: string[];
  /** Ms after which a worker hands a batch that is not full to Redis. */
  flush_interval: number;
  /** tollgate: records a worker holds while Redis is slow or down; past it records are dropped and counted. */
  max_buffered_records: number;
  /** tollgate: records the Redis queue may hold before workers' appends are refused (and buffered, then dropped). */
  max_queued_records: number;
  /** Tyk Pump's `track_all_paths`: aggregate the `endpoints` dimensions for every request, not only tracked ones. */
  track_all_paths: boolean;
  /** Rewrites of the record's `path` (spec analytics.md §2, URL normalisation); off unless `enabled`. */
  normalise_urls: NormaliseUrlsConfig;
  [key: string]: unknown;
}

export interface NormaliseUrlsConfig {
  enabled: boolean;
  /** UUIDs (with or without dashes) → `{uuid}`. */
  normalise_uuids: boolean;
  /** ULIDs → `{ulid}`. */
  normalise_ulids: boolean;
  /** `/<digits>` → `/{id}`. */
  normalise_numbers: boolean;
  /** Regexes (Go syntax that JavaScript shares; a leading `(?i)` is honoured) whose matches become `{var}`. */
  custom_patterns: string[];
  [key: string]: unknown;
}

export type RateLimitFailureMode = "local" | "closed" | "open";
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface GatewayConfig {
  listen_address: string;
  listen_port: number;
  /** 0 = the admin API shares `listen_port` (gateway-api.md §1). */
  control_api_port: number;
  control_api_hostname: string;
  /**
   * tollgate: the host gateways use to reach this control plane's admin API when they serve `/tyk/` on
   * their own port (`control_api_port` 0). Default: `listen_address` when it names one interface, else the
   * machine's first non-loopback IPv4 address, else 127.0.0.1.
   */
  control_api_advertise_address: string;
  /** Admin API secret; must be non-empty. */
  secret: string;
  node_secret: string;
  app_path: string;
  hostname: string;
  enable_custom_domains: boolean;
  /** Seconds, > 0. */
  proxy_default_timeout: number;
  hide_generator_header: boolean;
  close_connections: boolean;
  health_check_endpoint_name: string;
  readiness_check_endpoint_name: string;
  metrics_port: number;
  /** 0 = one worker per CPU core. */
  workers: number;
  storage: StorageConfig;
  http_server_options: HttpServerOptions;
  policies: PoliciesConfig;
  hash_keys: boolean;
  hash_key_function: string;
  /** Algorithms also tried when looking a key up (keys created before `hash_key_function` changed). */
  hash_key_function_fallback: string[];
  /** Never rebuild a key ID from a bare name (`?username=true`, custom-key lookups). */
  disable_key_actions_by_username: boolean;
  basic_auth_hash_key_function: string;
  enable_hashed_keys_listing: boolean;
  min_token_length: number;
  allow_master_keys: boolean;
  security: SecurityConfig;
  /** Upstream TLS defaults (tls-and-certificates.md §8); an API's `proxy.transport` refines them. */
  proxy_ssl_insecure_skip_verify: boolean;
  proxy_ssl_min_version: number;
  proxy_ssl_max_version: number;
  proxy_ssl_ciphers: string[];
  proxy_ssl_disable_renegotiation: boolean;
  ssl_force_common_name_check: boolean;
  analytics_config: AnalyticsConfig;
  /** Older name of `analytics_config.ignore_tag_prefix_list`, merged into it by consumers. */
  aggregates_ignore_tags: string[];
  enable_analytics: boolean;
  /** tollgate-only (rate-limits-and-quotas.md §7). */
  rate_limit_failure_mode: RateLimitFailureMode;
  /** tollgate-only: milliseconds a limit check waits for Redis before the failure mode decides. */
  rate_limit_storage_timeout_ms: number;
  /** tollgate-only: largest sliding-log capacity; limits above it use GCRA (rate-limits-and-quotas.md §10.3). */
  rate_limit_sliding_log_max: number;
  /** tollgate-only: seconds between two log lines about degraded limit decisions. */
  rate_limit_degraded_log_interval: number;
  rate_limit_response_headers: string;
  enable_fixed_window_rate_limiter: boolean;
  enable_redis_rolling_limiter: boolean;
  enable_sentinel_rate_limiter: boolean;
  enable_non_transactional_rate_limiter: boolean;
  enforce_org_quotas: boolean;
  global_session_lifetime: number;
  force_global_session_lifetime: boolean;
  session_lifetime_respects_key_expiration: boolean;
  /** tyk.conf `local_session_cache` (gateway-api.md §6.4): true = every request reads its session from Redis. */
  local_session_cache: { disable_cached_session_state: boolean; [key: string]: unknown };
  ignore_endpoint_case: boolean;
  use_db_app_configs: boolean;
  jwt_ssl_insecure_skip_verify: boolean;
  override_messages: Record<string, unknown>;
  /**
   * Gateway-level error overrides (errors-and-flags.md §5): status ("401") or class ("4xx") → ordered rules;
   * applied after an API's own rules. Validated at load (apidef error-overrides.ts).
   */
  error_overrides: Record<string, unknown>;
  log_level: LogLevel;
  access_logs: { enabled: boolean; [key: string]: unknown };
  /** Seconds. */
  liveness_check: { check_duration: number; [key: string]: unknown };
  uptime_tests: UptimeTestsGatewayConfig;
  /** tollgate-only extras that have no tyk.conf name; free-form, not validated here. */
  tollgate: Record<string, unknown>;
  [key: string]: unknown;
}

/** tyk.conf `uptime_tests`: the host checker that runs the APIs' `uptime_tests.check_list`. */
export interface UptimeTestsGatewayConfig {
  disable: boolean;
  config: {
    /** Consecutive failed checks before a host is down (Tyk default 3). */
    failure_trigger_sample_size: number;
    /** Seconds between check rounds (Tyk default 10). */
    time_wait: number;
    /** Checks run at the same time. */
    checker_pool_size: number;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Tyk's publicly known example secret: accepted, but worth a warning at start. */
export const DEFAULT_TYK_SECRET = "352d20ee67be67f6340b4c0605b044b7";

/**
 * A fresh copy of the defaults. `secret` is empty, so the defaults alone do not load:
 * tollgate refuses to start without a secret (spec README difference 10).
 */
export function defaultConfig(): GatewayConfig {
  return {
    listen_address: "",
    listen_port: 8080,
    control_api_port: 9696,
    control_api_hostname: "",
    control_api_advertise_address: "",
    secret: "",
    node_secret: "",
    app_path: "./apps",
    hostname: "",
    enable_custom_domains: false,
    proxy_default_timeout: 30,
    hide_generator_header: true,
    close_connections: false,
    health_check_endpoint_name: "hello",
    readiness_check_endpoint_name: "ready",
    metrics_port: 9091,
    workers: 0,
    storage: {
      type: "redis",
      host: "127.0.0.1",
      port: 6379,
      addrs: [],
      master_name: "",
      sentinel_password: "",
      username: "",
      password: "",
      database: 0,
      enable_cluster: false,
      timeout: 5,
      use_ssl: false,
      ssl_insecure_skip_verify: false,
    },
    http_server_options: {
      use_ssl: false,
      certificates: [],
      ssl_certificates: [],
      server_name: "",
      min_version: 0,
      max_version: 0,
      ssl_ciphers: [],
      ssl_insecure_skip_verify: false,
      skip_client_ca_announcement: false,
      enable_http2: false,
      enable_websockets: false,
      enable_strict_routes: false,
      skip_url_cleaning: false,
      skip_target_path_escaping: false,
      max_request_body_size: 0,
      enable_path_prefix_matching: false,
      enable_path_suffix_matching: false,
      xff_depth: 0,
      // Tyk's default when unset (120 s); explicit here so consumers need no fallback.
      read_timeout: 120,
      write_timeout: 120,
    },
    policies: { policy_source: "file", policy_path: "", policy_record_name: "" },
    hash_keys: true,
    hash_key_function: "",
    hash_key_function_fallback: [],
    disable_key_actions_by_username: false,
    basic_auth_hash_key_function: "",
    enable_hashed_keys_listing: false,
    min_token_length: DEFAULT_MIN_TOKEN_LENGTH,
    allow_master_keys: false,
    security: {
      pinned_public_keys: {}, trusted_proxy_cidrs: [], certificates: {}, control_api_use_mutual_tls: false,
      private_certificate_encoding_secret: "",
      certificate_expiry_monitor: { warning_threshold_days: 30, check_interval_seconds: 3600 },
    },
    proxy_ssl_insecure_skip_verify: false,
    proxy_ssl_min_version: 0,
    proxy_ssl_max_version: 0,
    proxy_ssl_ciphers: [],
    proxy_ssl_disable_renegotiation: false,
    ssl_force_common_name_check: false,
    analytics_config: {
      ignore_tag_prefix_list: [], enable_detailed_recording: false, ignored_ips: [], flush_interval: 200,
      max_buffered_records: 50_000, max_queued_records: 1_000_000, track_all_paths: false,
      normalise_urls: { enabled: false, normalise_uuids: false, normalise_ulids: false, normalise_numbers: false, custom_patterns: [] },
    },
    aggregates_ignore_tags: [],
    enable_analytics: false,
    rate_limit_failure_mode: "local",
    rate_limit_storage_timeout_ms: 200,
    rate_limit_sliding_log_max: 10000,
    rate_limit_degraded_log_interval: 10,
    rate_limit_response_headers: "quotas",
    enable_fixed_window_rate_limiter: false,
    enable_redis_rolling_limiter: false,
    enable_sentinel_rate_limiter: false,
    enable_non_transactional_rate_limiter: false,
    enforce_org_quotas: false,
    global_session_lifetime: 0,
    force_global_session_lifetime: false,
    session_lifetime_respects_key_expiration: false,
    local_session_cache: { disable_cached_session_state: false },
    ignore_endpoint_case: false,
    use_db_app_configs: false,
    jwt_ssl_insecure_skip_verify: false,
    override_messages: {},
    error_overrides: {},
    log_level: "info",
    access_logs: { enabled: false },
    liveness_check: { check_duration: 10 },
    uptime_tests: { disable: false, config: { failure_trigger_sample_size: 3, time_wait: 10, checker_pool_size: 10 } },
    tollgate: {},
  };
}

/** Tyk's `min_token_length` when the config says 0 (or omits it). */
export const DEFAULT_MIN_TOKEN_LENGTH = 3;

/**
 * The `min_token_length` in force (gateway-api.md §6.4, default 3): an explicit 0 means the default, as
 * in Tyk, not "no minimum". One reading for presented keys (gateway) and custom key IDs (admin API).
 *
 * @example
 * effectiveMinTokenLength({ min_token_length: 0 }) // 3
 */
export function effectiveMinTokenLength(config: Pick<GatewayConfig, 'min_token_length'>): number {
  return config.min_token_length > 0 ? config.min_token_length : DEFAULT_MIN_TOKEN_LENGTH;
}
