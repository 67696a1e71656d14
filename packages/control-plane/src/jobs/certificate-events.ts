import type { ApiDefinition } from '@tollgate/apidef';
import type { EventMeta } from '@tollgate/store';
import type { ExpiryReport } from './cert-expiry.js';

/** Certificate IDs an API uses: server certificates, the mutual-TLS allow list, upstream client certificates. */
export function certificateIdsOf(def: ApiDefinition): Set<string> {
  return new Set([...(def.certificates ?? []), ...(def.client_certificates ?? []), ...Object.values(def.upstream_certificates ?? {})]);
}

/** One event to raise for one API. */
export interface CertificateEvent {
  readonly def: ApiDefinition;
  readonly event: 'CertificateExpiringSoon' | 'CertificateExpired';
  readonly meta: EventMeta;
}

/**
 * The certificate events of one expiry run: each expiring or expired certificate raises its event on
 * every API that uses it (`certificates`, `client_certificates`, `upstream_certificates`).
 *
 * @example
 * for (const e of certificateEvents(report, await registry.list())) await queueApiEvent(queue, e.def, e.event, e.meta, logger);
 */
export function certificateEvents(report: ExpiryReport, defs: readonly ApiDefinition[]): CertificateEvent[] {
  const out: CertificateEvent[] = [];
  const users = defs.map((def) => ({ def, ids: certificateIdsOf(def) }));
  for (const c of report.expiringSoon) {
    for (const { def, ids } of users) {
      if (!ids.has(c.id)) continue;
      out.push({ def, event: 'CertificateExpiringSoon', meta: { message: `certificate ${c.id} expires in ${c.daysLeft} days (${c.notAfter})`, path: '', origin: '', key: c.id } });
    }
  }
  for (const c of report.expired) {
    for (const { def, ids } of users) {
      if (!ids.has(c.id)) continue;
      out.push({ def, event: 'CertificateExpired', meta: { message: `certificate ${c.id} expired at ${c.notAfter}`, path: '', origin: '', key: c.id } });
    }
  }
  return out;
}
