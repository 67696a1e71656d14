import { readFileSync } from 'node:fs';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { decodePem, decodeStoredCertificate, encodePem, privateKeyFromDer, sha256Hex, spkiDer, type StoredCertificate } from '@tollgate/store';
import type { Logger } from 'pino';

/**
 * The worker's copy of the certificate store, kept by the change feed, and the one place certificate
 * references are resolved (tls-and-certificates.md §6.4): a value holding `-----BEGIN ` is inline PEM;
 * otherwise a store ID; otherwise a file path (read when the referencing definition loads).
 *
 * @example
 * const registry = new CertificateRegistry(secret, logger);
 * registry.put(id, raw); registry.resolve('org1ab12...')?.keyPem
 */
export class CertificateRegistry {
  private readonly certs = new Map<string, StoredCertificate>();
  private readonly raw = new Map<string, string>();
  /** Bumped on every change; listeners rebuild what depends on certificates. */
  generation = 0;

  constructor(private readonly secret: string, private readonly logger: Logger) {}

  replaceAll(objects: ReadonlyMap<string, string>): boolean {
    let changed = false;
    for (const id of [...this.raw.keys()]) {
      if (!objects.has(id)) changed = this.delete(id) || changed;
    }
    for (const [id, raw] of objects) changed = this.put(id, raw) || changed;
    return changed;
  }

  /** Returns true when something changed. */
  put(id: string, raw: string): boolean {
    if (this.raw.get(id) === raw) return false;
    this.raw.set(id, raw);
    try {
      this.certs.set(id, decodeStoredCertificate(id, raw, this.secret));
    } catch (err) {
      this.certs.delete(id);
      this.logger.error({ cert_id: id, err: (err as Error).message }, 'stored certificate cannot be used');
    }
    this.generation++;
    return true;
  }

  delete(id: string): boolean {
    if (!this.raw.delete(id)) return false;
    this.certs.delete(id);
    this.generation++;
    return true;
  }

  get(id: string): StoredCertificate | undefined {
    return this.certs.get(id);
  }

  /** A reference to a certificate (inline PEM, store ID, file path); null when it cannot be resolved. */
  resolve(ref: string): StoredCertificate | null {
    const value = ref.trim();
    if (value === '') return null;
    if (value.includes('-----BEGIN ')) return this.fromPem(value, 'inline');
    const stored = this.certs.get(value);
    if (stored !== undefined) return stored;
    let text: string;
    try {
      text = readFileSync(value, 'utf8');
    } catch {
      return null;
    }
    return this.fromPem(text, value);
  }

  /** Every stored certificate (for `ssl_certificates` listing and metrics). */
  values(): IterableIterator<StoredCertificate> {
    return this.certs.values();
  }

  /** Parses PEM text that is not in the store (inline or a file): certificates and an unencrypted key. */
  private fromPem(text: string, source: string): StoredCertificate | null {
    try {
      const blocks = decodePem(text);
      const certBlocks = blocks.filter((b) => b.type === 'CERTIFICATE');
      const keyBlock = blocks.find((b) => b.type.endsWith('PRIVATE KEY'));
      if (certBlocks.length === 0) {
        const pub = blocks.find((b) => b.type === 'PUBLIC KEY');
        if (pub === undefined) return null;
        const fp = sha256Hex(pub.der);
        return {
          id: fp, orgId: '', isPublicKey: true, chain: [], certPem: '', keyPem: null, fingerprint: fp, spkiFingerprint: fp,
          publicKey: createPublicKey({ key: pub.der, format: 'der', type: 'spki' }),
        };
      }
      const chain = certBlocks.map((b) => new X509Certificate(b.der));
      const fingerprint = createHash('sha256').update(certBlocks[0]!.der).digest('hex');
      return {
        id: fingerprint, orgId: '', isPublicKey: false, chain,
        certPem: certBlocks.map((b) => encodePem('CERTIFICATE', b.der)).join(''),
        keyPem: keyBlock === undefined ? null : (privateKeyFromDer(keyBlock.der).export({ type: 'pkcs8', format: 'pem' }) as string),
        fingerprint, spkiFingerprint: sha256Hex(spkiDer(chain[0]!.publicKey)), publicKey: chain[0]!.publicKey,
      };
    } catch (err) {
      this.logger.warn({ source, err: (err as Error).message }, 'certificate reference cannot be parsed');
      return null;
    }
  }
}
