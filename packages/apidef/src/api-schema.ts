/**
 * JSON schema of the known Tyk Classic fields: types only, unknown fields allowed everywhere
 * (definitions round-trip and later features must still load, spec README "later").
 * Lists and maps also accept `null` because Go marshals nil slices and maps that way.
 * Integer fields are `integer` because Tyk's Go struct would refuse a fraction there.
 */

type Schema = Record<string, unknown>;

const str: Schema = { type: "string" };
const bool: Schema = { type: "boolean" };
const int: Schema = { type: "integer" };
const num: Schema = { type: "number" };
const anyObj: Schema = { type: ["object", "null"] };

function arr(items: Schema): Schema {
  return { type: ["array", "null"], items };
}

function map(values: Schema): Schema {
  return { type: ["object", "null"], additionalProperties: values };
}

function obj(properties: Record<string, Schema>): Schema {
  return { type: "object", properties };
}

const strList = arr(str);
const strMap = map(str);

const endpoint = (extra: Record<string, Schema> = {}): Schema =>
  obj({ path: str, method: str, disabled: bool, ...extra });

const endpointList = (extra: Record<string, Schema> = {}): Schema => arr(endpoint(extra));

const endpointMeta = endpointList({
  ignore_case: bool,
  method_actions: map(obj({ action: str, code: int, data: str, headers: strMap })),
});

const headerTransform = endpointList({ delete_headers: strList, add_headers: strMap, act_on: bool });

const extendedPaths = obj({
  ignored: endpointMeta,
  white_list: endpointMeta,
  black_list: endpointMeta,
  transform_headers: headerTransform,
  transform_response_headers: headerTransform,
  url_rewrites: endpointList({ match_pattern: str, rewrite_to: str, triggers: arr(anyObj) }),
  hard_timeouts: endpointList({ timeout: num }),
  size_limits: endpointList({ size_limit: int }),
  method_transforms: endpointList({ to_method: str }),
  mock_response: endpointList({ ignore_case: bool, code: int, body: str, headers: strMap }),
  internal: endpointList(),
  track_endpoints: endpointList(),
  do_not_track_endpoints: endpointList(),
  rate_limit: endpointList({ rate: num, per: num }),
  circuit_breakers: endpointList({
    threshold_percent: num,
    samples: int,
    return_to_service_after: int,
    disable_half_open_state: bool,
  }),
  cache: strList,
  advance_cache_config: endpointList({ cache_response_codes: arr(int), cache_key_regex: str, timeout: num }),
  transform: endpointList(),
  transform_response: endpointList(),
  virtual: endpointList(),
  validate_json: endpointList({ error_response_code: int }),
});

const versionInfo = obj({
  name: str,
  expires: str,
  paths: obj({ ignored: strList, white_list: strList, black_list: strList }),
  use_extended_paths: bool,
  extended_paths: extendedPaths,
  global_headers: strMap,
  global_headers_remove: strList,
  global_headers_disabled: bool,
  global_response_headers: strMap,
  global_response_headers_remove: strList,
  global_response_headers_disabled: bool,
  global_size_limit: int,
  global_size_limit_disabled: bool,
  ignore_endpoint_case: bool,
  override_target: str,
  global_enforce_timeout: num,
});

const serviceDiscovery = obj({
  use_discovery_service: bool,
  query_endpoint: str,
  use_nested_query: bool,
  parent_data_path: str,
  data_path: str,
  port_data_path: str,
  target_path: str,
  use_target_list: bool,
  cache_timeout: int,
  cache_disabled: bool,
  endpoint_returns_list: bool,
});

const proxy = obj({
  listen_path: str,
  target_url: str,
  strip_listen_path: bool,
  disable_strip_slash: bool,
  preserve_host_header: bool,
  enable_load_balancing: bool,
  target_list: strList,
  check_host_against_uptime_tests: bool,
  service_discovery: serviceDiscovery,
  transport: obj({
    proxy_url: str,
    ssl_min_version: int,
    ssl_max_version: int,
    ssl_ciphers: strList,
    ssl_insecure_skip_verify: bool,
    ssl_force_common_name_check: bool,
  }),
});

const authConfig = obj({
  name: str,
  auth_header_name: str,
  use_param: bool,
  param_name: str,
  use_cookie: bool,
  cookie_name: str,
  disable_header: bool,
  use_certificate: bool,
  validate_signature: bool,
  signature: anyObj,
});

const cors = obj({
  enable: bool,
  allowed_origins: strList,
  allowed_methods: strList,
  allowed_headers: strList,
  exposed_headers: strList,
  allow_credentials: bool,
  max_age: int,
  options_passthrough: bool,
  debug: bool,
});

const uptimeTests = obj({
  check_list: arr(
    obj({ url: str, method: str, headers: strMap, body: str, timeout: num, protocol: str, enable_proxy_protocol: bool }),
  ),
  config: obj({ expire_utime_after: int, service_discovery: serviceDiscovery, recheck_wait: int }),
  disabled: bool,
});

const cacheOptions = obj({
  cache_timeout: int,
  enable_cache: bool,
  cache_all_safe_requests: bool,
  cache_response_codes: arr(int),
  enable_upstream_cache_control: bool,
  cache_control_ttl_header: str,
  cache_by_headers: strList,
});

const booleans = [
  "active", "internal", "domain_disabled", "use_keyless", "use_standard_auth", "use_basic_auth",
  "enable_signature_checking", "enable_jwt", "jwt_skip_kid", "jwt_disable_issued_at_validation",
  "jwt_disable_expires_at_validation", "jwt_disable_not_before_validation", "use_mutual_tls_auth",
  "strip_auth_data", "use_oauth2", "use_openid", "enable_coprocess_auth", "use_go_plugin_auth",
  "custom_plugin_auth_enabled", "enable_ip_whitelisting", "enable_ip_blacklisting",
  "ip_access_control_disabled", "disable_rate_limit", "disable_quota", "dont_set_quota_on_create",
  "session_lifetime_respects_key_expiration", "do_not_track", "enable_detailed_recording",
  "upstream_certificates_disabled", "certificate_pinning_disabled", "enable_context_vars",
  "config_data_disabled", "enable_batch_request_support", "error_overrides_disabled",
  "ignore_endpoint_case", "custom_middleware_bundle_disabled",
];

const strings = [
  "id", "name", "slug", "api_id", "org_id", "expiration", "protocol", "domain", "jwt_signing_method",
  "jwt_source", "jwt_identity_base_field", "jwt_client_base_field", "jwt_policy_field_name",
  "jwt_scope_claim_name", "base_identity_provided_by", "custom_middleware_bundle",
];

const stringLists = [
  "hmac_allowed_algorithms", "jwt_default_policies", "client_certificates", "allowed_ips",
  "blacklisted_ips", "tag_headers", "tags", "certificates",
];

function fromNames(names: string[], schema: Schema): Record<string, Schema> {
  return Object.fromEntries(names.map((n) => [n, schema]));
}

/** The schema handed to ajv by `validateApiDefinition`. */
export const apiDefinitionSchema: Schema = {
  type: "object",
  properties: {
    ...fromNames(booleans, bool),
    ...fromNames(strings, str),
    ...fromNames(stringLists, strList),
    listen_port: int,
    hmac_allowed_clock_skew: num,
    jwt_issued_at_validation_skew: int,
    jwt_expires_at_validation_skew: int,
    jwt_not_before_validation_skew: int,
    jwt_scope_to_policy_mapping: strMap,
    session_lifetime: int,
    expire_analytics_after: int,
    proxy,
    definition: obj({
      location: str,
      key: str,
      strip_path: bool,
      strip_versioning_data: bool,
      url_versioning_pattern: str,
      fallback_to_default: bool,
      enabled: bool,
      name: str,
      default: str,
      versions: strMap,
    }),
    version_data: obj({ not_versioned: bool, default_version: str, versions: map(versionInfo) }),
    auth: authConfig,
    auth_configs: map(authConfig),
    basic_auth: obj({
      disable_caching: bool,
      cache_ttl: int,
      extract_from_body: bool,
      body_user_regexp: str,
      body_password_regexp: str,
    }),
    oauth_meta: obj({ allowed_access_types: strList, allowed_authorize_types: strList, auth_login_redirect: str }),
    notifications: obj({ shared_secret: str, oauth_on_keychange_url: str }),
    openid_options: obj({ providers: arr(anyObj), segregate_by_client: bool }),
    CORS: cors,
    global_rate_limit: obj({ rate: num, per: num, disabled: bool }),
    upstream_certificates: strMap,
    pinned_public_keys: strMap,
    uptime_tests: uptimeTests,
    event_handlers: obj({ events: map(arr(obj({ handler_name: str, handler_meta: anyObj }))) }),
    cache_options: cacheOptions,
    config_data: anyObj,
    response_processors: arr(obj({ name: str })),
  },
};
