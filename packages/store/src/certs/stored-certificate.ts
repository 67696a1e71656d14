import { createHash, createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { decryptPrivateKey } from './key-encryption.js';
import { decodePem, encodePem, type PemBlock } from './pem.js';

/** Length of the hex SHA-256 at the end of every certificate ID (§6.1). */
export const FINGERPRINT_HEX_LENGTH = 64;

/** A stored certificate (or bare public key) decoded for use: TLS contexts, pins, allow lists, metadata. */
export interface StoredCertificate {
  readonly id: string;
  readonly orgId: string;
  readonly isPublicKey: boolean;
  /** Certificates in upload order (leaf first); empty for a public key. */
  readonly chain: readonly X509Certificate[];
  /** The chain as PEM (for TLS contexts); '' for a public key. */
  readonly certPem: string;
  /** The private key as PKCS#8 PEM when one was uploaded. */
  readonly keyPem: string | null;
  /** Lowercase hex SHA-256 of the first certificate's DER, or of the SPKI for a public key. */
  readonly fingerprint: string;
  /** Lowercase hex SHA-256 of the leaf's (or the key's) DER SubjectPublicKeyInfo: what pins compare. */
  readonly spkiFingerprint: string;
  readonly publicKey: KeyObject;
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function spkiDer(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** The organisation part of an ID: everything but the trailing fingerprint. */
export function orgOfCertificateId(id: string): string {
  return id.length > FINGERPRINT_HEX_LENGTH ? id.slice(0, id.length - FINGERPRINT_HEX_LENGTH) : '';
}

const KEY_TYPES = ['pkcs1', 'pkcs8', 'sec1'] as const;

/** Reads a DER private key trying PKCS#1, PKCS#8 and SEC1 in that order (§6.3). */
export function privateKeyFromDer(der: Buffer): KeyObject {
  for (const type of KEY_TYPES) {
    try {
      return createPrivateKey({ key: der, format: 'der', type });
    } catch {
      // next format
    }
  }
  throw new Error('private key is not PKCS#1, PKCS#8 or SEC1');
}

/**
 * Decodes what is stored under an ID (Tyk's `cert-raw-<id>` text): certificate blocks, or one `PUBLIC KEY`
 * block, optionally followed by the encrypted private key. Throws with a reason on anything else.
 *
 * @example
 * const cert = decodeStoredCertificate(id, raw, config.secret); cert.keyPem // PKCS#8 PEM or null
 */
export function decodeStoredCertificate(id: string, raw: string, secret: string): StoredCertificate {
  const blocks = decodePem(raw);
  const certBlocks = blocks.filter((b) => b.type === 'CERTIFICATE');
  const keyBlock = blocks.find((b) => b.type.endsWith('PRIVATE KEY'));
  const orgId = orgOfCertificateId(id);
  if (certBlocks.length === 0) {
    const pub = blocks.find((b) => b.type === 'PUBLIC KEY');
    if (pub === undefined) throw new Error('no certificate or public key in the stored value');
    const publicKey = createPublicKey({ key: pub.der, format: 'der', type: 'spki' });
    const fp = sha256Hex(pub.der);
    return { id, orgId, isPublicKey: true, chain: [], certPem: '', keyPem: null, fingerprint: fp, spkiFingerprint: fp, publicKey };
  }
  const chain = certBlocks.map((b) => new X509Certificate(b.der));
  const publicKey = chain[0]!.publicKey;
  return {
    id, orgId, isPublicKey: false, chain,
    certPem: certBlocks.map((b) => encodePem('CERTIFICATE', b.der)).join(''),
    keyPem: keyBlock === undefined ? null : keyPemOf(keyBlock, secret),
    fingerprint: sha256Hex(certBlocks[0]!.der),
    spkiFingerprint: sha256Hex(spkiDer(publicKey)),
    publicKey,
  };
}

function keyPemOf(block: PemBlock, secret: string): string {
  const der = block.headers.get('Proc-Type')?.includes('ENCRYPTED') ? decryptPrivateKey(block, secret) : block.der;
  return privateKeyFromDer(der).export({ type: 'pkcs8', format: 'pem' }) as string;
}
