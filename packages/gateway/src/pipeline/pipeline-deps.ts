import type { GatewayConfig } from '@tollgate/apidef';
import type { Logger } from 'pino';
import type { Limiter } from '../limits/limiter.js';
import { createClientIpResolver } from './client-ip.js';
import type { PipelineDeps } from './middleware.js';

/**
 * The dependencies every worker hands its middleware factories, built once at start.
 *
 * @example
 * const deps = createPipelineDeps({ config, logger }); compileApi(def, { ..., pipelineDeps: deps });
 */
export function createPipelineDeps(options: {
  readonly config: Readonly<GatewayConfig>;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly limiter?: Limiter;
}): PipelineDeps {
  const { config, logger, limiter } = options;
  return Object.freeze({ config, logger, now: options.now ?? Date.now, clientIp: createClientIpResolver(config), limiter });
}
