import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/**
 * Every metric the control plane exposes, declared in one place with fixed names and bounded labels
 * (style.md §12). The registry is exported for the endpoint that serves it.
 */
export const controlPlaneRegistry = new Registry();

export const controlPlaneMetrics = Object.freeze({
  /** Certificates whose `not_after` is within `security.certificate_expiry_monitor.warning_threshold_days`. */
  certificatesExpiringSoon: new Gauge({
    name: 'tollgate_certificates_expiring_soon',
    help: 'Stored certificates that expire within the warning threshold (not yet expired)',
    registers: [controlPlaneRegistry],
  }),
  certificatesExpired: new Gauge({
    name: 'tollgate_certificates_expired',
    help: 'Stored certificates whose not_after has passed',
    registers: [controlPlaneRegistry],
  }),
  certificateExpiryChecks: new Counter({
    name: 'tollgate_certificate_expiry_checks_total',
    help: 'Runs of the certificate expiry check, by outcome',
    labelNames: ['outcome'] as const,
    registers: [controlPlaneRegistry],
  }),
});

/** The control plane's request and health metrics (one set per control plane instance). */
export interface ControlPlaneMetrics {
  /** Everything `/metrics` serves: this instance's metrics and the module-level ones above. */
  metrics(): Promise<string>;
  readonly contentType: string;
  readonly adminRequests: Counter;
}

/**
 * Declares the per-instance metrics in a registry of their own (the `up` command runs the gateway primary
 * in the same process, which has its own), served together with `controlPlaneRegistry`.
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
  return {
    metrics: () => Registry.merge([registry, controlPlaneRegistry]).metrics(),
    contentType: registry.contentType,
    adminRequests,
  };
}
