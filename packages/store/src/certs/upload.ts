import { createPublicKey, X509Certificate } from 'node:crypto';
import { encryptPrivateKey } from './key-encryption.js';
import { decodePem, encodePem } from './pem.js';
import { privateKeyFromDer, sha256Hex, spkiDer } from './stored-certificate.js';

/** Tyk's upload error texts (tls-and-certificates.md §6.2), byte for byte. */
export const UPLOAD_ERRORS = Object.freeze({
  notPem: 'Failed to decode certificate. It should be PEM encoded.',
  expired: 'certificate is expired',
  multipleKeys: 'Found multiple private keys',
  publicKeyWithCertificates: "Public keys can't be combined with certificates",
  keyMismatch: 'tls: private key does not match public key',
});

export type UploadResult =
  | { readonly ok: true; readonly id: string; readonly raw: string }
  | { readonly ok: false; readonly message: string };

/**
 * Validates an uploaded PEM text and produces its ID and the text to store (Tyk's `cert-raw-<id>` format:
 * certificates re-encoded, then the private key encrypted with `secret`). Never throws.
 *
 * @example
 * const r = prepareUpload(pemText, 'org1', secret, new Date()); if (r.ok) store.put('cert', r.id, r.raw);
 */
export function prepareUpload(text: string, orgId: string, secret: string, now: Date): UploadResult {
  const blocks = decodePem(text);
  const certs = blocks.filter((b) => b.type === 'CERTIFICATE');
  const keys = blocks.filter((b) => b.type.endsWith('PRIVATE KEY'));
  const pubs = blocks.filter((b) => b.type === 'PUBLIC KEY');
  if (certs.length === 0 && pubs.length === 0) return fail(UPLOAD_ERRORS.notPem);
  if (keys.length > 1) return fail(UPLOAD_ERRORS.multipleKeys);
  if (pubs.length > 0 && (certs.length > 0 || keys.length > 0 || pubs.length > 1)) return fail(UPLOAD_ERRORS.publicKeyWithCertificates);
  if (pubs.length === 1) {
    try {
      createPublicKey({ key: pubs[0]!.der, format: 'der', type: 'spki' });
    } catch (err) {
      return fail(`failed to parse public key: ${(err as Error).message}`);
    }
    return { ok: true, id: orgId + sha256Hex(pubs[0]!.der), raw: encodePem('PUBLIC KEY', pubs[0]!.der) };
  }
  let parsed: X509Certificate[];
  try {
    parsed = certs.map((b) => new X509Certificate(b.der));
  } catch (err) {
    return fail(`failed to parse certificate: ${(err as Error).message}`);
  }
  if (parsed.some((c) => new Date(c.validTo).getTime() < now.getTime())) return fail(UPLOAD_ERRORS.expired);
  let raw = certs.map((b) => encodePem('CERTIFICATE', b.der)).join('\n');
  if (keys.length === 1) {
    let keyDer: Buffer;
    try {
      const key = privateKeyFromDer(keys[0]!.der);
      if (!spkiDer(createPublicKey(key)).equals(spkiDer(parsed[0]!.publicKey))) return fail(UPLOAD_ERRORS.keyMismatch);
      keyDer = keys[0]!.der;
    } catch (err) {
      return fail(`tls: failed to parse private key: ${(err as Error).message}`);
    }
    raw += `\n${encryptPrivateKey(keyDer, secret)}`;
  }
  return { ok: true, id: orgId + sha256Hex(certs[0]!.der), raw };
}

function fail(message: string): UploadResult {
  return { ok: false, message };
}
