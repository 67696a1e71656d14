/**
 * Tyk Classic API definition, snake_case exactly as Tyk writes it so a definition round-trips
 * unchanged (spec/api-definition.md; reference/classic-api-definition.txt).
 *
 * Every property is optional: Tyk treats absent and zero values alike. Lists and maps may be `null`
 * because Go marshals nil slices and maps that way, and definitions exported from Tyk carry them.
 * The index signatures keep fields tollgate does not know yet (stored and echoed back as is).
 */

import type { AuthConfig, BasicAuthMeta, NotificationsConfig, OAuthMeta, OpenIdOptions, ProviderConfig } from "./auth-config.js";
import type { ExtendedPaths } from "./extended-paths.js";
import type { CacheOptions, CustomMiddleware, EventHandlers, ResponseProcessor, UptimeTests } from "./later-features.js";

/** Go's nil slice/map marshals as `null`; accept it wherever Tyk has a slice or map. */
export type Nullable<T> = T | null;

export interface ApiDefinition {
  id?: string;
  name?: string;
  slug?: string;
  api_id?: string;
  org_id?: string;
  active?: boolean;
  internal?: boolean;
  expiration?: string;
  listen_port?: number;
  protocol?: string;
  domain?: string;
  domain_disabled?: boolean;
  proxy?: ProxyConfig;
  definition?: VersionDefinition;
  version_data?: VersionData;

  // Authentication (spec §4)
  use_keyless?: boolean;
  use_standard_auth?: boolean;
  auth?: AuthConfig;
  auth_configs?: Nullable<Record<string, AuthConfig>>;
  use_basic_auth?: boolean;
  basic_auth?: BasicAuthMeta;
  enable_signature_checking?: boolean;
  hmac_allowed_algorithms?: Nullable<string[]>;
  hmac_allowed_clock_skew?: number;
  enable_jwt?: boolean;
  jwt_signing_method?: string;
  jwt_source?: string;
  jwt_identity_base_field?: string;
  jwt_client_base_field?: string;
  jwt_policy_field_name?: string;
  jwt_default_policies?: Nullable<string[]>;
  jwt_issued_at_validation_skew?: number;
  jwt_expires_at_validation_skew?: number;
  jwt_not_before_validation_skew?: number;
  jwt_skip_kid?: boolean;
  jwt_scope_to_policy_mapping?: Nullable<Record<string, string>>;
  jwt_scope_claim_name?: string;
  jwt_disable_issued_at_validation?: boolean;
  jwt_disable_expires_at_validation?: boolean;
  jwt_disable_not_before_validation?: boolean;
  scopes?: Record<string, unknown>;
  use_mutual_tls_auth?: boolean;
  client_certificates?: Nullable<string[]>;
  base_identity_provided_by?: string;
  strip_auth_data?: boolean;
  use_oauth2?: boolean;
  oauth_meta?: OAuthMeta;
  notifications?: NotificationsConfig;
  use_openid?: boolean;
  openid_options?: OpenIdOptions;
  external_oauth?: Record<string, unknown>;
  enable_coprocess_auth?: boolean;
  use_go_plugin_auth?: boolean;
  custom_plugin_auth_enabled?: boolean;
  auth_provider?: ProviderConfig;
  session_provider?: ProviderConfig;

  // CORS (spec §6) — the key is upper-case in Tyk's JSON
  CORS?: CorsConfig;

  // IP lists (spec §7)
  enable_ip_whitelisting?: boolean;
  allowed_ips?: Nullable<string[]>;
  enable_ip_blacklisting?: boolean;
  blacklisted_ips?: Nullable<string[]>;
  ip_access_control_disabled?: boolean;

  // Limits and quotas (spec §8)
  global_rate_limit?: GlobalRateLimit;
  disable_rate_limit?: boolean;
  disable_quota?: boolean;
  dont_set_quota_on_create?: boolean;

  // Sessions, analytics, TLS (spec §9)
  session_lifetime?: number;
  session_lifetime_respects_key_expiration?: boolean;
  tag_headers?: Nullable<string[]>;
  tags?: Nullable<string[]>;
  do_not_track?: boolean;
  expire_analytics_after?: number;
  enable_detailed_recording?: boolean;
  certificates?: Nullable<string[]>;
  upstream_certificates?: Nullable<Record<string, string>>;
  upstream_certificates_disabled?: boolean;
  pinned_public_keys?: Nullable<Record<string, string>>;
  certificate_pinning_disabled?: boolean;

  // Later features (spec §11): accepted, stored, echoed
  uptime_tests?: UptimeTests;
  event_handlers?: EventHandlers;
  cache_options?: CacheOptions;
  custom_middleware?: CustomMiddleware;
  custom_middleware_bundle?: string;
  custom_middleware_bundle_disabled?: boolean;
  enable_context_vars?: boolean;
  config_data?: Nullable<Record<string, unknown>>;
  config_data_disabled?: boolean;
  response_processors?: Nullable<ResponseProcessor[]>;
  enable_batch_request_support?: boolean;
  graphql?: Record<string, unknown>;
  analytics_plugin?: Record<string, unknown>;
  request_signing?: Record<string, unknown>;
  upstream_auth?: Record<string, unknown>;
  error_overrides?: Nullable<Record<string, unknown>>;
  error_overrides_disabled?: boolean;
  ignore_endpoint_case?: boolean;
  is_oas?: boolean;

  [key: string]: unknown;
}

export interface ProxyConfig {
  listen_path?: string;
  target_url?: string;
  strip_listen_path?: boolean;
  disable_strip_slash?: boolean;
  preserve_host_header?: boolean;
  enable_load_balancing?: boolean;
  target_list?: Nullable<string[]>;
  check_host_against_uptime_tests?: boolean;
  service_discovery?: ServiceDiscoveryConfig;
  transport?: ProxyTransport;
  [key: string]: unknown;
}

export interface ProxyTransport {
  proxy_url?: string;
  ssl_min_version?: number;
  ssl_max_version?: number;
  ssl_ciphers?: Nullable<string[]>;
  ssl_insecure_skip_verify?: boolean;
  ssl_force_common_name_check?: boolean;
  [key: string]: unknown;
}

export interface ServiceDiscoveryConfig {
  use_discovery_service?: boolean;
  query_endpoint?: string;
  use_nested_query?: boolean;
  parent_data_path?: string;
  data_path?: string;
  port_data_path?: string;
  target_path?: string;
  use_target_list?: boolean;
  cache_timeout?: number;
  cache_disabled?: boolean;
  endpoint_returns_list?: boolean;
  [key: string]: unknown;
}

/** `definition`: where the version name is read from (spec §5). */
export interface VersionDefinition {
  location?: "" | "header" | "url-param" | "url" | (string & {});
  key?: string;
  strip_path?: boolean;
  strip_versioning_data?: boolean;
  url_versioning_pattern?: string;
  fallback_to_default?: boolean;
  enabled?: boolean;
  name?: string;
  default?: string;
  versions?: Nullable<Record<string, string>>;
  [key: string]: unknown;
}

export interface VersionData {
  not_versioned?: boolean;
  default_version?: string;
  versions?: Nullable<Record<string, VersionInfo>>;
  [key: string]: unknown;
}

export interface VersionInfo {
  name?: string;
  expires?: string;
  paths?: LegacyPaths;
  use_extended_paths?: boolean;
  extended_paths?: ExtendedPaths;
  global_headers?: Nullable<Record<string, string>>;
  global_headers_remove?: Nullable<string[]>;
  global_headers_disabled?: boolean;
  global_response_headers?: Nullable<Record<string, string>>;
  global_response_headers_remove?: Nullable<string[]>;
  global_response_headers_disabled?: boolean;
  global_size_limit?: number;
  global_size_limit_disabled?: boolean;
  ignore_endpoint_case?: boolean;
  override_target?: string;
  global_enforce_timeout?: number;
  [key: string]: unknown;
}

export interface LegacyPaths {
  ignored?: Nullable<string[]>;
  white_list?: Nullable<string[]>;
  black_list?: Nullable<string[]>;
  [key: string]: unknown;
}

export interface CorsConfig {
  enable?: boolean;
  allowed_origins?: Nullable<string[]>;
  allowed_methods?: Nullable<string[]>;
  allowed_headers?: Nullable<string[]>;
  exposed_headers?: Nullable<string[]>;
  allow_credentials?: boolean;
  max_age?: number;
  options_passthrough?: boolean;
  debug?: boolean;
  [key: string]: unknown;
}

export interface GlobalRateLimit {
  rate?: number;
  per?: number;
  disabled?: boolean;
  [key: string]: unknown;
}
