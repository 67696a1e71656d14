import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { certificateEvents, certificateIdsOf } from './certificate-events.js';

describe('certificateEvents', () => {
  const apis = [
    { api_id: 'a', client_certificates: ['c1'] },
    { api_id: 'b', certificates: ['c2'], upstream_certificates: { '*': 'c1' } },
    { api_id: 'c' },
  ];
  it('collects the certificate IDs an API uses', () => {
    assert.deepEqual([...certificateIdsOf(apis[1]!)].sort(), ['c1', 'c2']);
  });
  it('raises each finding on every API using the certificate', () => {
    const events = certificateEvents({
      expiringSoon: [{ id: 'c1', daysLeft: 4, notAfter: '2026-01-05T00:00:00.000Z' }],
      expired: [{ id: 'c2', notAfter: '2025-12-01T00:00:00.000Z' }],
    }, apis);
    assert.deepEqual(events.map((e) => `${e.event} ${e.def.api_id}`), ['CertificateExpiringSoon a', 'CertificateExpiringSoon b', 'CertificateExpired b']);
    assert.equal(events[0]!.meta.message, 'certificate c1 expires in 4 days (2026-01-05T00:00:00.000Z)');
    assert.equal(events[2]!.meta.key, 'c2');
  });
});
