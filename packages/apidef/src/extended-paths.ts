/**
 * `version_data.versions.<name>.extended_paths`: endpoint rules of a Tyk Classic version
 * (spec/api-definition.md §5 and §10). All entries share `path`, `method` and `disabled`.
 */

import type { Nullable } from "./api-definition.js";

export interface EndpointBase {
  path?: string;
  method?: string;
  disabled?: boolean;
  [key: string]: unknown;
}

/** white_list / black_list / ignored entries. `method_actions` is deprecated (L). */
export interface EndpointMeta extends EndpointBase {
  ignore_case?: boolean;
  method_actions?: Nullable<Record<string, MethodAction>>;
}

export interface MethodAction {
  action?: "no_action" | "reply" | (string & {});
  code?: number;
  data?: string;
  headers?: Nullable<Record<string, string>>;
  [key: string]: unknown;
}

export interface HeaderTransform extends EndpointBase {
  delete_headers?: Nullable<string[]>;
  add_headers?: Nullable<Record<string, string>>;
  act_on?: boolean;
}

export interface UrlRewrite extends EndpointBase {
  match_pattern?: string;
  rewrite_to?: string;
  triggers?: Nullable<Array<Record<string, unknown>>>;
}

export interface HardTimeout extends EndpointBase {
  /** Seconds; negative is rejected by validation. */
  timeout?: number;
}

export interface SizeLimit extends EndpointBase {
  size_limit?: number;
}

export interface MethodTransform extends EndpointBase {
  to_method?: string;
}

export interface MockResponse extends EndpointBase {
  ignore_case?: boolean;
  code?: number;
  body?: string;
  headers?: Nullable<Record<string, string>>;
}

export interface EndpointRateLimit extends EndpointBase {
  rate?: number;
  per?: number;
}

export interface CircuitBreaker extends EndpointBase {
  threshold_percent?: number;
  samples?: number;
  return_to_service_after?: number;
  disable_half_open_state?: boolean;
}

export interface TemplateTransform extends EndpointBase {
  template_data?: Record<string, unknown>;
}

export interface AdvanceCacheConfig extends EndpointBase {
  cache_response_codes?: Nullable<number[]>;
  cache_key_regex?: string;
  timeout?: number;
}

export interface ValidateJson extends EndpointBase {
  schema?: Nullable<Record<string, unknown>>;
  error_response_code?: number;
}

export interface ExtendedPaths {
  ignored?: Nullable<EndpointMeta[]>;
  white_list?: Nullable<EndpointMeta[]>;
  black_list?: Nullable<EndpointMeta[]>;
  transform_headers?: Nullable<HeaderTransform[]>;
  transform_response_headers?: Nullable<HeaderTransform[]>;
  url_rewrites?: Nullable<UrlRewrite[]>;
  hard_timeouts?: Nullable<HardTimeout[]>;
  size_limits?: Nullable<SizeLimit[]>;
  method_transforms?: Nullable<MethodTransform[]>;
  mock_response?: Nullable<MockResponse[]>;
  internal?: Nullable<EndpointBase[]>;
  track_endpoints?: Nullable<EndpointBase[]>;
  do_not_track_endpoints?: Nullable<EndpointBase[]>;
  rate_limit?: Nullable<EndpointRateLimit[]>;
  circuit_breakers?: Nullable<CircuitBreaker[]>;
  /** Legacy cache list: plain path patterns. */
  cache?: Nullable<string[]>;
  advance_cache_config?: Nullable<AdvanceCacheConfig[]>;
  transform?: Nullable<TemplateTransform[]>;
  transform_response?: Nullable<TemplateTransform[]>;
  transform_jq?: Nullable<EndpointBase[]>;
  transform_jq_response?: Nullable<EndpointBase[]>;
  virtual?: Nullable<EndpointBase[]>;
  validate_json?: Nullable<ValidateJson[]>;
  validate_request?: Nullable<EndpointBase[]>;
  go_plugin?: Nullable<EndpointBase[]>;
  persist_graphql?: Nullable<EndpointBase[]>;
  [key: string]: unknown;
}
