import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GatewayConfig } from '@tollgate/apidef';
import { generateCertificate } from '@tollgate/store';

export interface GenerateCommandOptions {
  readonly domains: readonly string[];
  readonly outDir: string;
  readonly days: number;
}

/**
 * `tollgate certs generate`: a self-signed certificate (CN = first domain, every domain a DNS SAN) and its
 * key for development, written as `<name>.crt` and `<name>.key` (key file mode 0600). Returns the paths.
 */
export async function generateCommand(options: GenerateCommandOptions): Promise<{ certFile: string; keyFile: string }> {
  const [first] = options.domains;
  if (first === undefined) throw new Error('certs generate: give at least one --domain');
  const { certPem, keyPem } = generateCertificate({ commonName: first, dnsNames: options.domains, days: options.days });
  const base = first.replace(/^\*\./, 'wildcard.').replace(/[^A-Za-z0-9.-]/g, '_');
  const certFile = join(options.outDir, `${base}.crt`);
  const keyFile = join(options.outDir, `${base}.key`);
  await writeFile(certFile, certPem);
  await writeFile(keyFile, keyPem, { mode: 0o600 });
  return { certFile, keyFile };
}

export interface AddCommandOptions {
  readonly files: readonly string[];
  readonly orgId: string;
  /** Admin API base URL; default from the configuration (`http://127.0.0.1:<control_api_port>`). */
  readonly url?: string;
}

/**
 * `tollgate certs add FILE...`: uploads the files' PEM (concatenated: a certificate and its key may sit in
 * two files) to `POST /tyk/certs` and returns the certificate ID. Throws with the admin API's message.
 */
export async function addCommand(config: Readonly<GatewayConfig>, options: AddCommandOptions): Promise<string> {
  if (options.files.length === 0) throw new Error('certs add: give a PEM file');
  const pem = (await Promise.all(options.files.map((f) => readFile(f, 'utf8')))).join('\n');
  const base = options.url ?? `http://${config.control_api_hostname || '127.0.0.1'}:${config.control_api_port || config.listen_port}`;
  const res = await fetch(`${base}/tyk/certs?org_id=${encodeURIComponent(options.orgId)}`, {
    method: 'POST', headers: { 'x-tyk-authorization': config.secret, 'content-type': 'text/plain' }, body: pem,
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json().catch(() => ({}))) as { id?: string; message?: string };
  if (res.status !== 200 || typeof body.id !== 'string') throw new Error(`certs add: ${res.status} ${body.message ?? 'unexpected answer'}`);
  return body.id;
}
