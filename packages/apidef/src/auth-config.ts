/** Authentication sub-objects of an API definition (spec/api-definition.md §4; auth.md). */

import type { Nullable } from "./api-definition.js";

export interface AuthConfig {
  name?: string;
  auth_header_name?: string;
  use_param?: boolean;
  param_name?: string;
  use_cookie?: boolean;
  cookie_name?: string;
  disable_header?: boolean;
  use_certificate?: boolean;
  validate_signature?: boolean;
  signature?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface BasicAuthMeta {
  disable_caching?: boolean;
  cache_ttl?: number;
  extract_from_body?: boolean;
  body_user_regexp?: string;
  body_password_regexp?: string;
  [key: string]: unknown;
}

export interface OAuthMeta {
  allowed_access_types?: Nullable<string[]>;
  allowed_authorize_types?: Nullable<string[]>;
  auth_login_redirect?: string;
  [key: string]: unknown;
}

export interface NotificationsConfig {
  shared_secret?: string;
  oauth_on_keychange_url?: string;
  [key: string]: unknown;
}

export interface OpenIdOptions {
  providers?: Nullable<Array<Record<string, unknown>>>;
  segregate_by_client?: boolean;
  [key: string]: unknown;
}

export interface ProviderConfig {
  name?: string;
  storage_engine?: string;
  meta?: Nullable<Record<string, unknown>>;
  [key: string]: unknown;
}
