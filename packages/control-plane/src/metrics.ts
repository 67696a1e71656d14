import { Counter, Gauge, Registry } from 'prom-client';

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
