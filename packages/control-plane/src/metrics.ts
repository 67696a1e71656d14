import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** The control plane's own metrics (style.md §12), served on `/metrics` of the admin port. */
export interface ControlPlaneMetrics {
  readonly registry: Registry;
  readonly adminRequests: Counter;
}

/**
 * Declares the control plane metrics in a registry of their own (the `up` command runs the gateway
 * primary in the same process, which has its own).
 *
 * @example
 * const metrics = createControlPlaneMetrics({ revision: () => store.revision(), isRedisUp: () => health.isRedisUp });
 */
export function createControlPlaneMetrics(sources: { revision: () => Promise<number>; isRedisUp: () => boolean }): ControlPlaneMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'tollgate_config_revision', help: 'Configuration revision in Redis', registers,
    async collect() { this.set(await sources.revision().catch(() => -1)); },
  });
  new Gauge({ name: 'tollgate_redis_up', help: '1 when the last Redis health check passed', registers, collect() { this.set(sources.isRedisUp() ? 1 : 0); } });
  const adminRequests = new Counter({
    name: 'tollgate_admin_requests_total', help: 'Admin API requests by route group and status code', labelNames: ['route', 'code'], registers,
  });
  return { registry, adminRequests };
}
