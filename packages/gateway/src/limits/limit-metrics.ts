import { Counter, type Registry } from 'prom-client';

/** Which limit a decision is about. */
export type LimitName = 'key_rate' | 'api_rate' | 'quota';

/** The rate-limit counters (rate-limits-and-quotas.md §10.10), as the limiter and the middleware use them. */
export interface RateLimitMetrics {
  admitted(limit: LimitName): void;
  limited(limit: LimitName): void;
  degraded(mode: 'local' | 'open' | 'closed', outcome: 'admitted' | 'limited'): void;
  redisError(): void;
  refund(): void;
}

/**
 * Declares the rate-limit metrics in a worker's registry (the one the primary aggregates for `/metrics`):
 * fixed names, bounded labels (style.md §12). Per-request decisions are added to plain numbers and handed
 * to prom-client when the registry is collected (prom-client's `inc` hashes and validates the label set on
 * every call, too much for every request).
 *
 * @example
 * const metrics = createRateLimitMetrics(registry); metrics.limited('quota');
 */
export function createRateLimitMetrics(registry: Registry): RateLimitMetrics {
  const registers = [registry];
  const limits = ['key_rate', 'api_rate', 'quota'] as const;
  const pending = { admitted: { key_rate: 0, api_rate: 0, quota: 0 }, limited: { key_rate: 0, api_rate: 0, quota: 0 } };
  new Counter({
    name: 'tollgate_rate_limit_decisions_total',
    help: 'Limit checks of requests, by limit (key_rate, api_rate, quota) and outcome (admitted, limited).',
    labelNames: ['limit', 'outcome'] as const, registers,
    collect() {
      for (const outcome of ['admitted', 'limited'] as const) {
        for (const limit of limits) {
          const delta = pending[outcome][limit];
          if (delta === 0) continue;
          pending[outcome][limit] = 0;
          this.inc({ limit, outcome }, delta);
        }
      }
    },
  });
  const degraded = new Counter({
    name: 'tollgate_rate_limit_degraded_total',
    help: 'Limit decisions taken without Redis (rate_limit_failure_mode), by mode and outcome.',
    labelNames: ['mode', 'outcome'] as const, registers,
  });
  const redisErrors = new Counter({
    name: 'tollgate_rate_limit_redis_errors_total', help: 'Limit checks whose Redis call failed or timed out.', registers,
  });
  const refunds = new Counter({
    name: 'tollgate_rate_limit_refunds_total',
    help: 'Admissions given back because a check in another Redis Cluster slot refused the request.', registers,
  });
  return {
    admitted: (limit) => { pending.admitted[limit]++; },
    limited: (limit) => { pending.limited[limit]++; },
    // Rare (Redis trouble, Cluster refunds): counted directly.
    degraded: (mode, outcome) => degraded.labels(mode, outcome).inc(),
    redisError: () => redisErrors.inc(),
    refund: () => refunds.inc(),
  };
}
