import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { CertificateStore, StoredCertificate } from '@tollgate/store';
import type { Logger } from 'pino';
import { controlPlaneMetrics } from '../metrics.js';

/** Queue keys share one hash tag so BullMQ's scripts run on Redis Cluster too. */
const QUEUE_PREFIX = '{tollgate:jobs}';
const QUEUE_NAME = 'certificate-expiry';
const SCHEDULER_ID = 'certificate-expiry-check';
const DAY_MS = 86_400_000;

export interface ExpiryReport {
  readonly expiringSoon: ReadonlyArray<{ readonly id: string; readonly daysLeft: number; readonly notAfter: string }>;
  readonly expired: ReadonlyArray<{ readonly id: string; readonly notAfter: string }>;
}

/**
 * Which certificates expire within `thresholdDays` of `now` and which have expired; logs one line per
 * certificate (Tyk's event names `CertificateExpiringSoon` / `CertificateExpired`) and sets the gauges.
 */
export function checkExpiry(certs: readonly StoredCertificate[], thresholdDays: number, now: number, logger: Logger): ExpiryReport {
  const expiringSoon: Array<{ id: string; daysLeft: number; notAfter: string }> = [];
  const expired: Array<{ id: string; notAfter: string }> = [];
  for (const cert of certs) {
    const leaf = cert.chain[0];
    if (leaf === undefined) continue;
    const notAfterMs = new Date(leaf.validTo).getTime();
    const notAfter = new Date(notAfterMs).toISOString();
    if (notAfterMs <= now) {
      expired.push({ id: cert.id, notAfter });
      logger.warn({ event: 'CertificateExpired', cert_id: cert.id, not_after: notAfter }, 'certificate has expired');
    } else if (notAfterMs - now <= thresholdDays * DAY_MS) {
      const daysLeft = Math.floor((notAfterMs - now) / DAY_MS);
      expiringSoon.push({ id: cert.id, daysLeft, notAfter });
      logger.warn({ event: 'CertificateExpiringSoon', cert_id: cert.id, not_after: notAfter, days_left: daysLeft }, 'certificate expires soon');
    }
  }
  controlPlaneMetrics.certificatesExpiringSoon.set(expiringSoon.length);
  controlPlaneMetrics.certificatesExpired.set(expired.length);
  return { expiringSoon, expired };
}

export interface CertificateExpiryJobOptions {
  readonly certs: CertificateStore;
  /** Two BullMQ connections (queue and worker; the worker blocks). */
  readonly queueConnection: ConnectionOptions;
  readonly workerConnection: ConnectionOptions;
  readonly thresholdDays: number;
  readonly intervalMs: number;
  readonly logger: Logger;
}

/**
 * The scheduled expiry check: a BullMQ job scheduler runs it every `intervalMs` (once per cluster however
 * many control planes run); BullMQ runs the first one right away. Failures are logged and counted; BullMQ retries.
 *
 * @example
 * const job = await startCertificateExpiryJob({ certs, queueConnection, workerConnection, thresholdDays: 30, intervalMs: 3_600_000, logger });
 * await job.close();
 */
export async function startCertificateExpiryJob(options: CertificateExpiryJobOptions): Promise<{ close(): Promise<void> }> {
  const { certs, logger } = options;
  const queue = new Queue(QUEUE_NAME, { connection: options.queueConnection, prefix: QUEUE_PREFIX });
  const worker = new Worker(QUEUE_NAME, async () => {
    const report = checkExpiry(await certs.all(), options.thresholdDays, Date.now(), logger);
    controlPlaneMetrics.certificateExpiryChecks.inc({ outcome: 'ok' });
    return { expiringSoon: report.expiringSoon.length, expired: report.expired.length };
  }, { connection: options.workerConnection, prefix: QUEUE_PREFIX, concurrency: 1 });
  worker.on('failed', (_job, err) => {
    controlPlaneMetrics.certificateExpiryChecks.inc({ outcome: 'error' });
    logger.error({ err: err.message }, 'certificate expiry check failed');
  });
  worker.on('error', (err) => logger.warn({ err: err.message }, 'certificate expiry worker error'));
  queue.on('error', (err) => logger.warn({ err: err.message }, 'certificate expiry queue error'));
  await queue.upsertJobScheduler(SCHEDULER_ID, { every: options.intervalMs }, {
    name: 'check', opts: { removeOnComplete: 10, removeOnFail: 50 },
  });
  return {
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
