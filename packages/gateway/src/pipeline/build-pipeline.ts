import type { ApiDefinition } from '@tollgate/apidef';
import { createAuthToken } from '../middleware/auth-token.js';
import { createBasicAuth } from '../middleware/basic-auth.js';
import { createCors } from '../middleware/cors.js';
import { createMethodTransforms, createMockResponses } from '../middleware/endpoint-actions.js';
import { createHardTimeouts } from '../middleware/hard-timeouts.js';
import { createHeaderTransforms } from '../middleware/header-transforms.js';
import { createHmacSignature } from '../middleware/hmac-signature.js';
import { createIpAccessList } from '../middleware/ip-access-list.js';
import { createJwtAuth } from '../middleware/jwt-auth.js';
import { createKeyChecks } from '../middleware/key-checks.js';
import { createKeyRatesEndpoint } from '../middleware/key-rates-endpoint.js';
import { createResponseCache } from '../middleware/response-cache.js';
import { createSizeLimits } from '../middleware/size-limits.js';
import { createRateLimit } from '../middleware/rate-limit.js';
import { createStripAuthData } from '../middleware/strip-auth-data.js';
import { createUnsupportedAuth } from '../middleware/unsupported-auth.js';
import { createUrlRewrites } from '../middleware/url-rewrites.js';
import { createVersionCheck } from '../middleware/version-check.js';
import { hasIgnoredRules } from '../rules/path-rules.js';
import { createMutualTls } from '../middleware/mutual-tls.js';
import type { Middleware, MiddlewareFactory, PipelineDeps } from './middleware.js';

/**
 * Every middleware in Tyk's order (api-definition.md §12); each factory returns null when its concern is
 * off for the API, so an API pays only for what it uses. Steps of the order that tollgate does not run
 * (plugins, organisation quotas) are absent; step 0 (body size, path cleaning, routing) is the front door's.
 *
 *   1 version rules · 2 CORS · 4 IP lists · 5 mutual TLS · 7 size limits · 9 auth · 11 strip_auth_data ·
 *   12 key inactive/expired · 13 access rights · 14 allowed_urls · 15-16 rate limit and quota ·
 *   17 header transforms, URL rewrites, method transforms · 18 mock responses, response cache
 *
 * Requests matching an `ignored` endpoint rule (`ctx.isIgnored`, set in step 1) skip steps 5 and 9-15
 * (§12); `skipIgnored` wraps those factories, only for APIs that have such a rule.
 */
const FACTORIES: readonly MiddlewareFactory[] = Object.freeze([
  createVersionCheck, // 1
  createCors, // 2
  createIpAccessList, // 4
  skipIgnored(createMutualTls), // 5
  createSizeLimits, // 7
  // 9: every enabled mode runs and all must pass, in Tyk's order (api-definition.md §4); auth token last.
  // Modes tollgate does not implement (OAuth2, OpenID, plugins) refuse every request, first.
  skipIgnored(createUnsupportedAuth),
  skipIgnored(createBasicAuth),
  skipIgnored(createHmacSignature),
  skipIgnored(createJwtAuth),
  skipIgnored(createAuthToken),
  createStripAuthData, // 11 (runs for ignored endpoints too)
  skipIgnored(createKeyChecks), // 12-14: session present, inactive, expired, API and version rights, allowed_urls
  createKeyRatesEndpoint, // <listen_path>tyk/rate-limits/: the key's quota and rate, answered before any limit
  // 15–16: rate limits and quota, one Redis script call (rate-limits-and-quotas.md §3, §10). Ignored
  // endpoints skip the key's limits; the API-wide limit still applies to them (api-definition.md §12).
  createRateLimit,
  createHeaderTransforms, // 17
  createUrlRewrites, // 17
  createMethodTransforms, // 17
  createHardTimeouts, // 19 (applied by the proxy step)
  createMockResponses, // 18
  createResponseCache, // 18
]);

/** The step, skipped for requests the version step marked ignored (only when the API has ignored rules). */
function skipIgnored(factory: MiddlewareFactory): MiddlewareFactory {
  return (def, deps) => {
    const step = factory(def, deps);
    if (step === null || !hasIgnoredRules(def)) return step;
    return (ctx) => (ctx.isIgnored ? undefined : step(ctx));
  };
}

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
