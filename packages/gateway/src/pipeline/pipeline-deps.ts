import type { GatewayConfig } from '@tollgate/apidef';
import type { ResponseCache } from '@tollgate/store';
import type { Logger } from 'pino';
import type { Limiter } from '../limits/limiter.js';
import { createClientIpResolver } from './client-ip.js';
import type { AuthDeps } from './auth-deps.js';
import { JwksSets } from '../auth/jwks-sets.js';
import type { CertificateRegistry } from '../tls/certificate-registry.js';
import type { PipelineDeps } from './middleware.js';

/**
 * The dependencies every worker hands its middleware factories, built once at start.
 *
 * @example
 * const deps = createPipelineDeps({ config, logger, auth: { sessions, sessionWriter, policies } }); compileApi(def, { ..., pipelineDeps: deps });
 */
export function createPipelineDeps(options: {
  readonly config: Readonly<GatewayConfig>;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly responseCache?: ResponseCache | null;
  /**
   * Sessions and policies for the auth middleware (the worker wires the sessions/ caches).
   * Without it no key is ever found: for tests of middleware that never look one up.
   */
  readonly auth?: AuthDeps;
  readonly limiter?: Limiter;
  readonly certificates?: CertificateRegistry;
  /** The worker's remote JWKS (the worker shares it with the key-change feed); a new one when absent. */
  readonly jwks?: JwksSets;
}): PipelineDeps {
  const { config, logger, limiter } = options;
  const auth = options.auth ?? NO_KEY_STORE;
  return Object.freeze({
    config, logger, now: options.now ?? Date.now, clientIp: createClientIpResolver(config), responseCache: options.responseCache ?? null,
    certificates: options.certificates, jwks: options.jwks ?? new JwksSets(),
    sessions: auth.sessions, sessionWriter: auth.sessionWriter, policies: auth.policies, limiter,
  });
}

/** A key store with no keys and no policies. */
const NO_KEY_STORE: AuthDeps = Object.freeze({
  sessions: { peek: () => ({ found: false }) as const, get: () => Promise.resolve({ found: false } as const) },
  sessionWriter: { save: () => Promise.reject(new Error('no key store configured')) },
  policies: { get: () => undefined, apply: () => ({ ok: false, error: 'no key store configured' }) as const },
});
