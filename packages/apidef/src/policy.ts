/**
 * Tyk policy object (spec/gateway-api.md §8.1). Types only; merging into a session (§8.3) lives
 * with the code that applies it.
 */

import type { AccessDefinition, RateLimitSmoothing } from "./session.js";

/** Which parts a policy contributes; all false = all parts. */
export interface PolicyPartitions {
  quota?: boolean;
  rate_limit?: boolean;
  acl?: boolean;
  complexity?: boolean;
  per_api?: boolean;
  [key: string]: unknown;
}

export interface Policy {
  /** Required (or `_id`); characters `a-zA-Z0-9._-~`. */
  id?: string;
  _id?: string;
  name?: string;
  org_id?: string;
  rate?: number;
  per?: number;
  quota_max?: number;
  quota_renewal_rate?: number;
  throttle_interval?: number;
  throttle_retry_limit?: number;
  max_query_depth?: number;
  smoothing?: RateLimitSmoothing | null;
  access_rights?: Record<string, AccessDefinition> | null;
  partitions?: PolicyPartitions;
  is_inactive?: boolean;
  tags?: string[] | null;
  meta_data?: Record<string, unknown> | null;
  /** Seconds; new keys get `expires` = now + value. */
  key_expires_in?: number;
  hmac_enabled?: boolean;
  enable_http_signature_validation?: boolean;
  post_expiry_action?: string;
  post_expiry_grace_period?: number;
  last_updated?: string;
  active?: boolean;
  graphql_access_rights?: unknown;
  [key: string]: unknown;
}
