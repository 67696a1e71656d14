import { Counter, Registry } from 'prom-client';

/**
 * The gateway's Prometheus metrics (style.md §12): fixed names, bounded labels, one registry per process.
 * A worker's registry is what the primary collects for `/metrics`. Label children used on the request
 * path are resolved once here, so counting costs an addition.
 */
export const metricsRegistry = new Registry();

/** Limit checks by limit and outcome (rate-limits-and-quotas.md §10.10). */
const rateLimitDecisions = new Counter({
  name: 'tollgate_rate_limit_decisions_total',
  help: 'Limit checks of requests, by limit (key_rate, api_rate, quota) and outcome (admitted, limited).',
  labelNames: ['limit', 'outcome'] as const,
  registers: [metricsRegistry],
});

/** Decisions taken without Redis, by failure mode (local, open, closed) and outcome. */
const rateLimitDegraded = new Counter({
  name: 'tollgate_rate_limit_degraded_total',
  help: 'Limit decisions taken without Redis (rate_limit_failure_mode), by mode and outcome.',
  labelNames: ['mode', 'outcome'] as const,
  registers: [metricsRegistry],
});

const rateLimitRedisErrors = new Counter({
  name: 'tollgate_rate_limit_redis_errors_total',
  help: 'Limit checks whose Redis call failed or timed out.',
  registers: [metricsRegistry],
});

const rateLimitRefunds = new Counter({
  name: 'tollgate_rate_limit_refunds_total',
  help: 'Admissions given back because a check in another Redis Cluster slot refused the request.',
  registers: [metricsRegistry],
});

type LimitName = 'key_rate' | 'api_rate' | 'quota';

const decisionChildren = {
  key_rate: { admitted: rateLimitDecisions.labels('key_rate', 'admitted'), limited: rateLimitDecisions.labels('key_rate', 'limited') },
  api_rate: { admitted: rateLimitDecisions.labels('api_rate', 'admitted'), limited: rateLimitDecisions.labels('api_rate', 'limited') },
  quota: { admitted: rateLimitDecisions.labels('quota', 'admitted'), limited: rateLimitDecisions.labels('quota', 'limited') },
} as const;

/** The rate-limit counters, as the limiter and the middleware use them. */
export const rateLimitMetrics = Object.freeze({
  admitted(limit: LimitName): void {
    decisionChildren[limit].admitted.inc();
  },
  limited(limit: LimitName): void {
    decisionChildren[limit].limited.inc();
  },
  degraded(mode: 'local' | 'open' | 'closed', outcome: 'admitted' | 'limited'): void {
    rateLimitDegraded.labels(mode, outcome).inc();
  },
  redisError(): void {
    rateLimitRedisErrors.inc();
  },
  refund(): void {
    rateLimitRefunds.inc();
  },
});
