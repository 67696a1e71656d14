/**
 * Tyk session object (spec/gateway-api.md §7), snake_case as on the wire. Types only: the
 * gateway and control plane decide defaults; unknown fields are kept for the round trip.
 */

export interface RateLimitSmoothing {
  enabled?: boolean;
  threshold?: number;
  trigger?: number;
  step?: number;
  delay?: number;
  [key: string]: unknown;
}

/** Per-API limits inside an access definition; an all-zero object means "no per-API limit". */
export interface APILimit {
  rate?: number;
  per?: number;
  smoothing?: RateLimitSmoothing | null;
  throttle_interval?: number;
  throttle_retry_limit?: number;
  max_query_depth?: number;
  quota_max?: number;
  quota_remaining?: number;
  quota_renewal_rate?: number;
  quota_renews?: number;
  [key: string]: unknown;
}

export interface AccessSpec {
  url: string;
  methods: string[] | null;
  [key: string]: unknown;
}

export interface EndpointMethodLimit {
  name: string;
  limit: { rate?: number; per?: number; [key: string]: unknown };
}

export interface EndpointLimit {
  path: string;
  methods: EndpointMethodLimit[] | null;
  [key: string]: unknown;
}

/** Value of `access_rights[api_id]` in a session or policy. */
export interface AccessDefinition {
  api_id?: string;
  api_name?: string;
  versions?: string[] | null;
  allowed_urls?: AccessSpec[] | null;
  limit?: APILimit | null;
  allowance_scope?: string;
  endpoints?: EndpointLimit[] | null;
  restricted_types?: unknown[] | null;
  allowed_types?: unknown[] | null;
  field_access_rights?: unknown[] | null;
  disable_introspection?: boolean;
  [key: string]: unknown;
}

export interface BasicAuthData {
  password?: string;
  hash_type?: "" | "bcrypt" | "sha256" | "murmur32" | "murmur64" | "murmur128" | (string & {});
  [key: string]: unknown;
}

/** The key-level limits (`rate`, `per`, quota and throttle fields, `smoothing`) are those of APILimit. */
export interface SessionState extends APILimit {
  allowance?: number;
  last_check?: number;
  /** Unix seconds; 0 (or < 1) never expires. */
  expires?: number;
  date_created?: string;
  /** Empty map = every API (master key). */
  access_rights?: Record<string, AccessDefinition> | null;
  org_id?: string;
  apply_policies?: string[] | null;
  /** Deprecated single-policy form, used when `apply_policies` is empty. */
  apply_policy_id?: string;
  is_inactive?: boolean;
  alias?: string;
  tags?: string[] | null;
  meta_data?: Record<string, unknown> | null;
  basic_auth_data?: BasicAuthData;
  hmac_enabled?: boolean;
  hmac_string?: string;
  enable_http_signature_validation?: boolean;
  rsa_certificate_id?: string;
  jwt_data?: { secret?: string; [key: string]: unknown };
  certificate?: string;
  mtls_static_certificate_bindings?: string[] | null;
  oauth_client_id?: string;
  oauth_keys?: Record<string, string> | null;
  /** Unix seconds as a string. */
  last_updated?: string;
  session_lifetime?: number;
  post_expiry_action?: "retain" | "delete" | (string & {});
  post_expiry_grace_period?: number;
  monitor?: { trigger_limits?: number[] | null; [key: string]: unknown };
  enable_detailed_recording?: boolean;
  /** Deprecated spelling of `enable_detailed_recording`. */
  enable_detail_recording?: boolean;
  data_expires?: number;
  id_extractor_deadline?: number;
  [key: string]: unknown;
}
