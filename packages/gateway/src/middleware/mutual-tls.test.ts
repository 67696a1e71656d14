import assert from 'node:assert/strict';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { defaultConfig } from '@tollgate/apidef';
import { generateCertificate, prepareUpload } from '@tollgate/store';
import { pino } from 'pino';
import { errors } from '../errors.js';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import type { RequestContext } from '../pipeline/request-context.js';
import { CertificateRegistry } from '../tls/certificate-registry.js';
import { createMutualTls } from './mutual-tls.js';

const logger = pino({ level: 'silent' });
const registry = new CertificateRegistry('s', logger);
const listed = generateCertificate({ commonName: 'listed' });
const stranger = generateCertificate({ commonName: 'stranger' });
const upload = prepareUpload(listed.certPem, '', 's', new Date());
assert.ok(upload.ok);
registry.put(upload.id, upload.raw);
const deps = createPipelineDeps({ config: { ...defaultConfig(), secret: 's' }, logger, certificates: registry });
const check = createMutualTls({ use_mutual_tls_auth: true, client_certificates: [upload.id] }, deps)!;

/** The server side of a real TLS connection whose client presents `client` (or nothing). */
async function serverSocket(client?: { certPem: string; keyPem: string }): Promise<{ socket: TLSSocket; close(): void }> {
  const server = generateCertificate({ commonName: 'srv' });
  const srv = createServer({ key: server.keyPem, cert: server.certPem, requestCert: true, rejectUnauthorized: false });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const accepted = once(srv, 'secureConnection') as Promise<[TLSSocket]>;
  const c = connect({ port: (srv.address() as AddressInfo).port, host: '127.0.0.1', rejectUnauthorized: false, ...(client ? { cert: client.certPem, key: client.keyPem } : {}) });
  c.on('error', () => undefined);
  const [socket] = await accepted;
  return { socket, close: () => { c.destroy(); socket.destroy(); srv.close(); } };
}

const ctx = (isTls: boolean, tlsSocket: TLSSocket | null = null): RequestContext => ({ isTls, tlsSocket }) as RequestContext;

describe('mutual TLS request check (auth.md §9)', () => {
  it('is off unless use_mutual_tls_auth', () => {
    assert.equal(createMutualTls({}, deps), null);
  });

  it('plain HTTP: 403 TLS not enabled', () => {
    assert.equal(check(ctx(false)), errors.mtlsNotTls);
  });

  it('TLS without a client certificate: 403 Client TLS certificate is required', async () => {
    assert.equal(check(ctx(true, null)), errors.mtlsCertificateRequired);
    const conn = await serverSocket();
    try {
      assert.equal(check(ctx(true, conn.socket)), errors.mtlsCertificateRequired);
    } finally {
      conn.close();
    }
  });

  it('a listed certificate continues; another gets 403 naming its hash', async () => {
    const ok = await serverSocket(listed);
    const bad = await serverSocket(stranger);
    try {
      assert.equal(check(ctx(true, ok.socket)), undefined);
      const refused = check(ctx(true, bad.socket));
      assert.ok(refused !== undefined && !(refused instanceof Promise));
      assert.equal(refused.status, 403);
      assert.match(refused.body.toString(), /"Certificate with SHA256 [0-9a-f]{64} not allowed"/);
    } finally {
      ok.close();
      bad.close();
    }
  });
});
