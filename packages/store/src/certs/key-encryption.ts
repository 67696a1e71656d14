import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { encodePem, type PemBlock } from './pem.js';

/**
 * Legacy OpenSSL PEM encryption (RFC 1423) with AES-256-CBC, as Go's x509.EncryptPEMBlock writes it and
 * Tyk stores uploaded private keys (tls-and-certificates.md §6.3): key = EVP_BytesToKey(MD5, secret,
 * salt = first 8 IV bytes), PKCS#7 padding, headers `Proc-Type: 4,ENCRYPTED` and `DEK-Info: AES-256-CBC,<iv hex>`.
 */
const KEY_SIZE = 32;

function deriveKey(secret: string, salt: Buffer): Buffer {
  const out = Buffer.alloc(KEY_SIZE);
  let digest = Buffer.alloc(0);
  for (let filled = 0; filled < KEY_SIZE; filled += digest.length) {
    digest = createHash('md5').update(digest).update(secret).update(salt).digest();
    digest.copy(out, filled);
  }
  return out;
}

/** The `ENCRYPTED PRIVATE KEY` block Tyk appends to a stored certificate. */
export function encryptPrivateKey(keyDer: Buffer, secret: string): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', deriveKey(secret, iv.subarray(0, 8)), iv);
  const body = Buffer.concat([cipher.update(keyDer), cipher.final()]);
  return encodePem('ENCRYPTED PRIVATE KEY', body, [['Proc-Type', '4,ENCRYPTED'], ['DEK-Info', `AES-256-CBC,${iv.toString('hex')}`]]);
}

/** Decrypts a block written by `encryptPrivateKey` (or by Tyk); throws when the secret is wrong. */
export function decryptPrivateKey(block: PemBlock, secret: string): Buffer {
  const info = block.headers.get('DEK-Info') ?? '';
  const [algo, ivHex] = info.split(',');
  if (algo?.toUpperCase() !== 'AES-256-CBC' || ivHex === undefined || !/^[0-9a-fA-F]{32}$/.test(ivHex)) {
    throw new Error(`unsupported private key encryption "${info}"`);
  }
  const iv = Buffer.from(ivHex, 'hex');
  const decipher = createDecipheriv('aes-256-cbc', deriveKey(secret, iv.subarray(0, 8)), iv);
  try {
    return Buffer.concat([decipher.update(block.der), decipher.final()]);
  } catch {
    throw new Error('cannot decrypt the stored private key (wrong private_certificate_encoding_secret or secret?)');
  }
}
