import type { ApiDefinition } from '@tollgate/apidef';
import { createCors } from '../middleware/cors.js';
import { createHeaderTransforms } from '../middleware/header-transforms.js';
import { createIpAccessList } from '../middleware/ip-access-list.js';
import { createResponseCache } from '../middleware/response-cache.js';
import { createSizeLimits } from '../middleware/size-limits.js';
import { createUrlRewrites } from '../middleware/url-rewrites.js';
import { createVersionCheck } from '../middleware/version-check.js';
import type { Middleware, MiddlewareFactory, PipelineDeps } from './middleware.js';

/**
 * Every middleware in Tyk's order (api-definition.md §12); each factory returns null when its concern is
 * off for the API, so an API pays only for what it uses. Steps of the order that tollgate does not run
 * (plugins, organisation quotas) are absent; step 0 (body size, path cleaning, routing) is the front door's.
 *
 *   1 version rules · 2 CORS · 4 IP lists · 5 mutual TLS · 7 size limits · 9 auth · 11 strip_auth_data ·
 *   12 key inactive/expired · 13 access rights · 14 allowed_urls · 15-16 rate limit and quota ·
 *   17 header transforms · 18 response cache
 */
const FACTORIES: readonly MiddlewareFactory[] = Object.freeze([
  createVersionCheck,
  createCors,
  createIpAccessList,
  createSizeLimits,
  createHeaderTransforms,
  createUrlRewrites,
  createResponseCache,
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
