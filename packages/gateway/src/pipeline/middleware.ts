import type { ApiDefinition, GatewayConfig } from '@tollgate/apidef';
import type { ResponseCache } from '@tollgate/store';
import type { Logger } from 'pino';
import type { AuthDeps } from './auth-deps.js';
import type { Limiter } from '../limits/limiter.js';
import type { CertificateRegistry } from '../tls/certificate-registry.js';
import type { JwksSets } from '../auth/jwks-sets.js';
import type { ClientIpResolver } from './client-ip.js';
import type { Decision } from './decision.js';
import type { RequestContext } from './request-context.js';

/** One concern of request handling; returns a promise only when it must wait (Redis, a JWKS fetch). */
export type Middleware = (ctx: RequestContext) => Decision | Promise<Decision>;

/**
 * What middleware factories may use, injected once per worker (style.md §10): no factory reaches for a
 * global. Extend it as middleware needs more (a Redis client, a session cache, a clock).
 */
export interface PipelineDeps extends AuthDeps {
  readonly config: Readonly<GatewayConfig>;
  readonly logger: Logger;
  /** Unix ms; injected so tests can move time. */
  readonly now: () => number;
  /** The address a request counts as coming from (cached on the context). */
  readonly clientIp: ClientIpResolver;
  /** The Redis response cache of `cache_options`; null where there is no Redis (unit tests of other steps). */
  readonly responseCache: ResponseCache | null;
  /** Rate limit and quota counters (Redis, with the failure mode); absent where no Redis is wired. */
  readonly limiter?: Limiter;
  /** The worker's certificate store copy (mutual TLS allow lists); absent in tests that need none. */
  readonly certificates?: CertificateRegistry;
  /** The worker's remote JWKS per API, emptied by `DELETE /tyk/cache/jwks[/{apiID}]`. */
  readonly jwks: JwksSets;
}

/**
 * Validates its slice of a definition, precomputes what requests need, and returns null when the
 * concern is not enabled for the API. Throws, naming the field, when the slice cannot be served.
 */
export type MiddlewareFactory = (def: ApiDefinition, deps: PipelineDeps) => Middleware | null;
