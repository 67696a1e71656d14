import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CertificateStore, ConfigStore, createRedisClient, encodePem, decodePem, generateCertificate, sha256Hex, waitForReady, type RedisClient } from '@tollgate/store';
import { startTestRedis, type TestRedisServer } from '@tollgate/store/testing';
import { pino } from 'pino';
import { controlPlaneMetrics, controlPlaneRegistry } from '../metrics.js';
import { startCertificateExpiryJob } from './cert-expiry.js';

const DAY = 86_400_000;
let server: TestRedisServer;
let redis: RedisClient;
let certs: CertificateStore;

before(async () => {
  server = await startTestRedis();
  redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:expiry' });
  await waitForReady(redis, 5000);
  const store = new ConfigStore(redis);
  certs = new CertificateStore(store, { secret: 's' });
  const soon = generateCertificate({ commonName: 'soon', notAfter: new Date(Date.now() + 10 * DAY) });
  const later = generateCertificate({ commonName: 'later', notAfter: new Date(Date.now() + 100 * DAY) });
  assert.ok((await certs.add(soon.certPem, 'o')).ok);
  assert.ok((await certs.add(later.certPem, 'o')).ok);
  // An expired certificate cannot be uploaded; one that expired while stored is written directly.
  const old = generateCertificate({ commonName: 'old', notBefore: new Date(Date.now() - 9 * DAY), notAfter: new Date(Date.now() - DAY) });
  const der = decodePem(old.certPem)[0]!.der;
  await store.put('cert', `o${sha256Hex(der)}`, encodePem('CERTIFICATE', der));
});

after(async () => {
  redis.disconnect();
  await server.stop();
});

describe('certificate expiry job (BullMQ)', () => {
  it('warns about certificates expiring within the threshold and counts them in the metrics', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } });
    const conn = (name: string): RedisClient => createRedisClient({ host: '127.0.0.1', port: server.port }, { name, isQueue: true });
    const [q, w] = [conn('test:q'), conn('test:w')];
    const job = await startCertificateExpiryJob({ certs, logger, queueConnection: q, workerConnection: w, thresholdDays: 30, intervalMs: 3_600_000 });
    try {
      const deadline = Date.now() + 15_000;
      while (lines.filter((l) => l.event !== undefined).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const soon = lines.filter((l) => l.event === 'CertificateExpiringSoon');
      const expired = lines.filter((l) => l.event === 'CertificateExpired');
      assert.equal(soon.length, 1);
      assert.equal(soon[0]!.days_left, 9);
      assert.equal(expired.length, 1);
      assert.equal((await controlPlaneMetrics.certificatesExpiringSoon.get()).values[0]?.value, 1);
      assert.equal((await controlPlaneMetrics.certificatesExpired.get()).values[0]?.value, 1);
      assert.match(await controlPlaneRegistry.metrics(), /tollgate_certificate_expiry_checks_total\{outcome="ok"\} 1/);
    } finally {
      await job.close();
      q.disconnect();
      w.disconnect();
    }
  });
});
