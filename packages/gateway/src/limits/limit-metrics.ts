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
 * fixed names, bounded labels (style.md §12). Label children used per request are resolved here, once, so
 * counting costs an addition.
 *
 * @example
 * const metrics = createRateLimitMetrics(registry); metrics.limited('quota');
 */
export function createRateLimitMetrics(registry: Registry): RateLimitMetrics {
  const registers = [registry];
  const decisions = new Counter({
    name: 'tollgate_rate_limit_decisions_total',
    help: 'Limit checks of requests, by limit (key_rate, api_rate, quota) and outcome (admitted, limited).',
    labelNames: ['limit', 'outcome'] as const, registers,
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
  const children = Object.fromEntries((['key_rate', 'api_rate', 'quota'] as const).map((limit) =>
    [limit, { admitted: decisions.labels(limit, 'admitted'), limited: decisions.labels(limit, 'limited') }])) as
    Record<LimitName, { admitted: { inc(): void }; limited: { inc(): void } }>;
  return {
    admitted: (limit) => children[limit].admitted.inc(),
    limited: (limit) => children[limit].limited.inc(),
    degraded: (mode, outcome) => degraded.labels(mode, outcome).inc(),
    redisError: () => redisErrors.inc(),
    refund: () => refunds.inc(),
  };
}
