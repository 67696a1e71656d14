import type { IncomingMessage, ServerResponse } from 'node:http';
import { certificateInfo, certificateSummary, type CertificateStore } from '@tollgate/store';
import { sendJson, sendStatus } from '../http-reply.js';
import { BodyTooLargeError, readBody } from '../read-body.js';

/** Certificates and chains are small; this bounds a careless upload. */
const MAX_PEM_BYTES = 1024 * 1024;

/**
 * `/tyk/certs` and `/tyk/certs/{id}[,{id}...]` with Tyk's shapes (tls-and-certificates.md §7). Upload errors
 * answer 403 `{"status":"error","message":...}` as Tyk does; an empty list is `[]` (spec README difference 27).
 */
export async function handleCerts(
  certs: CertificateStore, req: IncomingMessage, res: ServerResponse, id: string | undefined, query: URLSearchParams,
): Promise<void> {
  const method = req.method ?? 'GET';
  const orgId = query.get('org_id') ?? undefined;
  if (id === undefined) {
    if (method === 'GET') return listCerts(certs, res, orgId, query.get('mode') === 'detailed');
    if (method === 'POST') {
      let text: string;
      try {
        text = (await readBody(req, MAX_PEM_BYTES)).toString('utf8');
      } catch (err) {
        if (err instanceof BodyTooLargeError) throw err;
        return sendStatus(res, 405, 'Malformed request body');
      }
      const result = await certs.add(text, orgId ?? '');
      if (!result.ok) return sendStatus(res, 403, result.message);
      return sendJson(res, 200, { id: result.id, status: 'ok', message: 'Certificate added' });
    }
    return sendStatus(res, 405, 'Method not supported');
  }
  if (method === 'GET') {
    const ids = id.split(',');
    if (ids.length === 1) {
      const cert = await certs.get(id);
      if (cert === null) return sendStatus(res, 404, 'Certificate with given SHA256 fingerprint not found');
      return sendJson(res, 200, certificateInfo(cert));
    }
    const found = await Promise.all(ids.map((one) => certs.get(one)));
    return sendJson(res, 200, found.map((cert) => (cert === null ? null : certificateInfo(cert))));
  }
  if (method === 'DELETE') {
    await certs.remove(id);
    return sendStatus(res, 200, 'removed');
  }
  return sendStatus(res, 405, 'Method not supported');
}

async function listCerts(certs: CertificateStore, res: ServerResponse, orgId: string | undefined, isDetailed: boolean): Promise<void> {
  const ids = await certs.list(orgId);
  if (!isDetailed) return sendJson(res, 200, { certs: ids });
  const found = await Promise.all(ids.map((one) => certs.get(one)));
  return sendJson(res, 200, { certs: found.filter((c) => c !== null).map(certificateSummary) });
}
