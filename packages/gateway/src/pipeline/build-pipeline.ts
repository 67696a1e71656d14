import type { ApiDefinition } from '@tollgate/apidef';
import { createAuthToken } from '../middleware/auth-token.js';
import { createBasicAuth } from '../middleware/basic-auth.js';
import { createHmacSignature } from '../middleware/hmac-signature.js';
import { createIpAccessList } from '../middleware/ip-access-list.js';
import { createJwtAuth } from '../middleware/jwt-auth.js';
import { createKeyChecks } from '../middleware/key-checks.js';
import { createRateLimit } from '../middleware/rate-limit.js';
import { createStripAuthData } from '../middleware/strip-auth-data.js';
import { createMutualTls } from '../middleware/mutual-tls.js';
import type { Middleware, MiddlewareFactory, PipelineDeps } from './middleware.js';

/**
 * Every middleware in Tyk's order (api-definition.md §12); each factory returns null when its concern is
 * off for the API, so an API pays only for what it uses. Steps of the order that tollgate does not run
 * (plugins, organisation quotas) are absent; step 0 (body size, path cleaning, routing) is the front door's.
 *
 *   1 version rules · 2 CORS · 4 IP lists · 5 mutual TLS · 7 size limits · 9 auth · 11 strip_auth_data ·
 *   12 key inactive/expired · 13 access rights · 14 allowed_urls · 15-16 rate limit and quota ·
 *   17 header transforms
 */
const FACTORIES: readonly MiddlewareFactory[] = Object.freeze([
  createIpAccessList, // 4
  createMutualTls, // 5
  // 9: every enabled mode runs and all must pass, in Tyk's order (api-definition.md §4); auth token last.
  createBasicAuth,
  createHmacSignature,
  createJwtAuth,
  createAuthToken,
  createStripAuthData, // 11
  createKeyChecks, // 12-14: session present, inactive, expired, API and version rights, allowed_urls
  // 15–16: rate limits and quota, one Redis script call (rate-limits-and-quotas.md §3, §10).
  createRateLimit,
]);

/**
 * Builds an API's chain once, when its definition loads. Throws, naming the field, when a slice of the
 * definition cannot be served.
 *
 * @example
 * const steps = buildPipeline(def, deps); // frozen; empty for a plain keyless API
 */
export function buildPipeline(def: ApiDefinition, deps: PipelineDeps): readonly Middleware[] {
  const steps: Middleware[] = [];
  for (const factory of FACTORIES) {
    const step = factory(def, deps);
    if (step !== null) steps.push(step);
  }
  return Object.freeze(steps);
}
