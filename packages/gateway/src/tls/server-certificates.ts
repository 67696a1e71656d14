import { readFileSync } from 'node:fs';
import type { X509Certificate } from 'node:crypto';
import type { ApiDefinition, GatewayConfig } from '@tollgate/apidef';
import { dnsNames, type StoredCertificate } from '@tollgate/store';
import type { Logger } from 'pino';
import type { CertificateRegistry } from './certificate-registry.js';

/** A certificate the listener can serve: chain, key and the leaf to match names against. */
export interface ServerCertificate {
  /** SHA-256 of the leaf DER: identifies the pair (file names, contexts). */
  readonly id: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly leaf: X509Certificate;
}

/**
 * The certificate set of a listener and Tyk's selection by server name (tls-and-certificates.md §2).
 * Set order: `http_server_options.certificates` files, `ssl_certificates` entries, then the `certificates`
 * of every API (domain not disabled); entries without a private key are skipped.
 *
 * @example
 * const set = ServerCertificateSet.build({ config, apis, registry, logger }); set.select('api.example.com')
 */
export class ServerCertificateSet {
  private readonly byName = new Map<string, ServerCertificate>();

  constructor(readonly certificates: readonly ServerCertificate[], explicitNames: ReadonlyArray<readonly [string, ServerCertificate]>) {
    // Every certificate under its subject CN and DNS SANs (later entries replace earlier ones), then
    // each `certificates[].domain_name` maps to its own certificate.
    for (const cert of certificates) {
      for (const name of namesOf(cert.leaf)) this.byName.set(name, cert);
    }
    for (const [name, cert] of explicitNames) this.byName.set(name.toLowerCase(), cert);
  }

  get isEmpty(): boolean {
    return this.certificates.length === 0;
  }

  /** Identity of the set's content, to tell whether a rebuild changed anything. */
  get signature(): string {
    return [...this.certificates.map((c) => c.id), '|', ...[...this.byName].map(([n, c]) => `${n}=${c.id}`)].join(',');
  }

  /** The certificate for server name `serverName` ('' when the client sent no SNI). */
  select(serverName: string): ServerCertificate | null {
    const certs = this.certificates;
    if (certs.length <= 1) return certs[0] ?? null;
    const name = serverName.toLowerCase();
    if (name !== '') {
      const exact = this.byName.get(name);
      if (exact !== undefined) return exact;
      const dot = name.indexOf('.');
      if (dot > 0) {
        const wildcard = this.byName.get(`*${name.slice(dot)}`);
        if (wildcard !== undefined) return wildcard;
      }
      for (const cert of certs) if (cert.leaf.checkHost(name) !== undefined) return cert;
    }
    return certs[0]!;
  }

  static build(options: {
    readonly config: Readonly<GatewayConfig>;
    readonly apis: readonly ApiDefinition[];
    readonly registry: CertificateRegistry;
    readonly logger: Logger;
    /** Pairs from `http_server_options.certificates`, loaded once at start. */
    readonly files: ReadonlyArray<readonly [string, ServerCertificate]>;
  }): ServerCertificateSet {
    const { registry, logger } = options;
    const list: ServerCertificate[] = options.files.map(([, c]) => c);
    const add = (ref: string, source: string): void => {
      const stored = registry.resolve(ref);
      if (stored === null) return void logger.warn({ source, ref: shortRef(ref) }, 'server certificate not found; skipped');
      const cert = toServerCertificate(stored);
      if (cert === null) return void logger.warn({ source, ref: shortRef(ref) }, 'server certificate has no private key; skipped');
      if (!list.some((c) => c.id === cert.id)) list.push(cert);
    };
    for (const ref of options.config.http_server_options?.ssl_certificates ?? []) add(ref, 'http_server_options.ssl_certificates');
    for (const def of options.apis) {
      if (def.domain_disabled || def.active === false) continue;
      for (const ref of def.certificates ?? []) add(ref, `api ${def.api_id} certificates`);
    }
    return new ServerCertificateSet(list, options.files.filter(([name]) => name !== ''));
  }
}

/** `http_server_options.certificates`: PEM files read at start; a pair that fails is logged and skipped. */
export function loadCertificateFiles(config: Readonly<GatewayConfig>, registry: CertificateRegistry, logger: Logger): Array<[string, ServerCertificate]> {
  const out: Array<[string, ServerCertificate]> = [];
  for (const [i, entry] of (config.http_server_options?.certificates ?? []).entries()) {
    try {
      const text = `${readFileSync(String(entry.cert_file ?? ''), 'utf8')}\n${readFileSync(String(entry.key_file ?? ''), 'utf8')}`;
      const cert = registry.resolve(text);
      const server = cert === null ? null : toServerCertificate(cert);
      if (server === null) throw new Error('no certificate with a private key in the files');
      out.push([String(entry.domain_name ?? ''), server]);
    } catch (err) {
      logger.error({ key: `http_server_options.certificates[${i}]`, err: (err as Error).message }, 'server certificate not loaded; skipped');
    }
  }
  return out;
}

export function toServerCertificate(stored: StoredCertificate): ServerCertificate | null {
  const leaf = stored.chain[0];
  if (leaf === undefined || stored.keyPem === null) return null;
  return { id: stored.fingerprint, certPem: stored.certPem, keyPem: stored.keyPem, leaf };
}

function namesOf(leaf: X509Certificate): string[] {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(leaf.subject)?.[1];
  const names = dnsNames(leaf.subjectAltName).map((n) => n.toLowerCase());
  return cn ? [cn.toLowerCase(), ...names] : names;
}

function shortRef(ref: string): string {
  return ref.includes('-----BEGIN ') ? '(inline PEM)' : ref;
}
