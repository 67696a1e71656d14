import type { ConfigStore } from '../config-store.js';
import type { RedisClient } from '../redis-client.js';
import { scanKeys } from '../scan-keys.js';
import { prepareUpload, type UploadResult } from './upload.js';
import { decodeStoredCertificate, orgOfCertificateId, type StoredCertificate } from './stored-certificate.js';

/** Tyk's Redis key of a stored certificate (spec tls-and-certificates.md §6.3): `cert-raw-<id>`. */
const TYK_RAW_PREFIX = 'cert-raw-';

/** What `importTykLayout` did. */
export interface TykImport {
  readonly imported: string[];
  /** Certificates found under Tyk's keys that were not taken, with the reason (never the content). */
  readonly skipped: { readonly id: string; readonly reason: string }[];
}

export interface CertificateStoreOptions {
  /** `security.private_certificate_encoding_secret`, else `secret` (§6.3). */
  readonly secret: string;
  readonly now?: () => Date;
}

/**
 * The certificate store: certificates are configuration objects of kind 'cert' (so every change reaches the
 * workers through the change feed), keyed by Tyk-style ID, each value Tyk's `cert-raw-<id>` text.
 *
 * @example
 * const certs = new CertificateStore(configStore, { secret });
 * const r = await certs.add(pemText, 'org1'); // { ok: true, id: 'org1' + sha256 }
 */
export class CertificateStore {
  constructor(private readonly store: ConfigStore, private readonly options: CertificateStoreOptions) {}

  async add(text: string, orgId: string): Promise<UploadResult> {
    const prepared = prepareUpload(text, orgId, this.options.secret, this.options.now?.() ?? new Date());
    if (!prepared.ok) return prepared;
    if ((await this.store.get('cert', prepared.id)) !== null) {
      return { ok: false, message: `Certificate with ${prepared.id} id already exists` };
    }
    await this.store.put('cert', prepared.id, prepared.raw);
    return prepared;
  }

  /** The decoded certificate, or null when absent or unreadable. */
  async get(id: string): Promise<StoredCertificate | null> {
    const raw = await this.store.get('cert', id);
    if (raw === null) return null;
    try {
      return decodeStoredCertificate(id, raw, this.options.secret);
    } catch {
      return null;
    }
  }

  /** IDs, all or of one organisation (an ID's org is everything but its last 64 characters). */
  async list(orgId?: string): Promise<string[]> {
    const ids = [...(await this.store.list('cert')).keys()].sort();
    return orgId === undefined ? ids : ids.filter((id) => orgOfCertificateId(id) === orgId);
  }

  /** Every stored certificate that decodes (unreadable entries are skipped). */
  async all(): Promise<StoredCertificate[]> {
    const out: StoredCertificate[] = [];
    for (const [id, raw] of await this.store.list('cert')) {
      try {
        out.push(decodeStoredCertificate(id, raw, this.options.secret));
      } catch {
        // skipped: reported by whoever reads it for use
      }
    }
    return out;
  }

  async remove(id: string): Promise<void> {
    await this.store.delete('cert', id);
  }

  /**
   * Takes in the certificates a Tyk gateway stored in this Redis (spec §6.3: `cert-raw-<id>` strings, the
   * same text this store keeps), so a tollgate pointed at a Tyk Redis serves them: each one this store does
   * not hold yet is added as a configuration object (it reaches the workers through the change feed). Found
   * with SCAN on every master, never KEYS. A value that does not decode with this store's secret is skipped,
   * with the reason. Tyk's keys are left as they are.
   *
   * @example
   * const { imported, skipped } = await certs.importTykLayout(redis);
   */
  async importTykLayout(redis: RedisClient): Promise<TykImport> {
    const imported: string[] = [];
    const skipped: { id: string; reason: string }[] = [];
    const have = new Set((await this.store.list('cert')).keys());
    for await (const { node, keys } of scanKeys(redis, `${TYK_RAW_PREFIX}*`)) {
      for (const key of keys.sort()) {
        const id = key.slice(TYK_RAW_PREFIX.length);
        if (id === '' || have.has(id)) continue;
        const raw = await node.get(key);
        if (raw === null) continue;
        try {
          decodeStoredCertificate(id, raw, this.options.secret);
        } catch (err) {
          skipped.push({ id, reason: (err as Error).message });
          continue;
        }
        await this.store.put('cert', id, raw);
        have.add(id);
        imported.push(id);
      }
    }
    return { imported, skipped };
  }
}

/** The secret that encrypts stored private keys. */
export function certificateSecret(config: { secret: string; security?: { private_certificate_encoding_secret?: unknown } }): string {
  const own = config.security?.private_certificate_encoding_secret;
  return typeof own === 'string' && own !== '' ? own : config.secret;
}
