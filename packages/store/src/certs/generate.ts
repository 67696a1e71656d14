import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface GenerateOptions {
  readonly commonName: string;
  /** DNS subject alternative names (IP addresses are written as IP SANs). */
  readonly dnsNames?: readonly string[];
  /** Validity; default now − 1 minute to now + `days`. */
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly days?: number;
  readonly isCa?: boolean;
  /** Signs with this CA instead of self-signing. */
  readonly issuer?: { readonly certPem: string; readonly keyPem: string };
  readonly organization?: string;
  /** RSA modulus length; default 2048. */
  readonly bits?: number;
}

export interface GeneratedCertificate {
  readonly certPem: string;
  /** PKCS#8 PEM. */
  readonly keyPem: string;
  readonly publicKeyPem: string;
}

const IP = /^(\d{1,3}\.){3}\d{1,3}$|:/;

/**
 * A certificate and RSA key for development and tests, built with node-forge (the key pair comes from
 * node:crypto, which is much faster than forge's pure-JS generator).
 *
 * @example
 * const { certPem, keyPem } = generateCertificate({ commonName: 'localhost', dnsNames: ['localhost'], days: 365 });
 */
export function generateCertificate(options: GenerateOptions): GeneratedCertificate {
  const pair = generateKeyPairSync('rsa', { modulusLength: options.bits ?? 2048 });
  const keyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  // Positive 16-byte serial (high bit cleared so DER does not read it as negative).
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  cert.serialNumber = serial.toString('hex');
  const now = Date.now();
  cert.validity.notBefore = options.notBefore ?? new Date(now - 60_000);
  cert.validity.notAfter = options.notAfter ?? new Date(now + (options.days ?? 365) * 86_400_000);
  const subject: forge.pki.CertificateField[] = [{ name: 'commonName', value: options.commonName }];
  if (options.organization) subject.push({ name: 'organizationName', value: options.organization });
  cert.setSubject(subject);
  let signingKey = forge.pki.privateKeyFromPem(keyPem);
  if (options.issuer) {
    cert.setIssuer(forge.pki.certificateFromPem(options.issuer.certPem).subject.attributes);
    signingKey = forge.pki.privateKeyFromPem(options.issuer.keyPem);
  } else {
    cert.setIssuer(subject);
  }
  const altNames = (options.dnsNames ?? []).map((n) => (IP.test(n) ? { type: 7, ip: n } : { type: 2, value: n }));
  const extensions: object[] = [
    { name: 'basicConstraints', cA: Boolean(options.isCa), critical: true },
    options.isCa
      ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ];
  if (!options.isCa) extensions.push({ name: 'extKeyUsage', serverAuth: true, clientAuth: true });
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  cert.setExtensions(extensions);
  cert.sign(signingKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n'), keyPem, publicKeyPem };
}
