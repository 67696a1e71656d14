import type { Decision } from './decision.js';
import type { Middleware } from './middleware.js';
import type { RequestContext } from './request-context.js';

/**
 * Walks the steps by index. Synchronous steps cost a call each; only a step that returns a promise makes
 * the walk asynchronous from there on (hono's compose, fastify's hook runner): no microtask per step.
 *
 * @example
 * const decision = runPipeline(ctx, api.pipeline);
 * if (decision instanceof Promise) decision.then(onDecision); else onDecision(decision);
 */
export function runPipeline(ctx: RequestContext, steps: readonly Middleware[]): Decision | Promise<Decision> {
  return walk(ctx, steps, 0);
}

function walk(ctx: RequestContext, steps: readonly Middleware[], from: number): Decision | Promise<Decision> {
  const last = steps.length - 1;
  for (let i = from; i <= last; i++) {
    const decision = steps[i]!(ctx);
    if (decision === undefined) continue;
    if (decision instanceof Promise) {
      // The last step's promise is the pipeline's answer as it is: no further promise, closure or microtask.
      return i === last ? decision : decision.then((d) => (d === undefined ? walk(ctx, steps, i + 1) : d));
    }
    return decision;
  }
  return undefined;
}
