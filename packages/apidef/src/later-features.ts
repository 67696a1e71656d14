/**
 * Sub-objects of "later" features (spec/api-definition.md §11): accepted, stored and echoed back,
 * not acted on yet. Typed so consumers that start using them have a shape to code against.
 */

import type { Nullable, ServiceDiscoveryConfig } from "./api-definition.js";

export interface UptimeTests {
  check_list?: Nullable<UptimeCheck[]>;
  config?: UptimeTestsConfig;
  disabled?: boolean;
  [key: string]: unknown;
}

export interface UptimeCheck {
  url?: string;
  method?: string;
  headers?: Nullable<Record<string, string>>;
  body?: string;
  timeout?: number;
  protocol?: string;
  commands?: Nullable<Array<Record<string, unknown>>>;
  enable_proxy_protocol?: boolean;
  [key: string]: unknown;
}

export interface UptimeTestsConfig {
  expire_utime_after?: number;
  service_discovery?: ServiceDiscoveryConfig;
  recheck_wait?: number;
  [key: string]: unknown;
}

export interface EventHandlers {
  events?: Nullable<Record<string, Array<{ handler_name?: string; handler_meta?: Record<string, unknown> }>>>;
  [key: string]: unknown;
}

export interface CacheOptions {
  cache_timeout?: number;
  enable_cache?: boolean;
  cache_all_safe_requests?: boolean;
  cache_response_codes?: Nullable<number[]>;
  enable_upstream_cache_control?: boolean;
  cache_control_ttl_header?: string;
  cache_by_headers?: Nullable<string[]>;
  [key: string]: unknown;
}

export interface MiddlewareDefinition {
  name?: string;
  path?: string;
  require_session?: boolean;
  raw_body_only?: boolean;
  disabled?: boolean;
  [key: string]: unknown;
}

export interface CustomMiddleware {
  pre?: Nullable<MiddlewareDefinition[]>;
  post?: Nullable<MiddlewareDefinition[]>;
  post_key_auth?: Nullable<MiddlewareDefinition[]>;
  auth_check?: MiddlewareDefinition;
  response?: Nullable<MiddlewareDefinition[]>;
  driver?: string;
  id_extractor?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ResponseProcessor {
  name?: string;
  options?: unknown;
  [key: string]: unknown;
}
