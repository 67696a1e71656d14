import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

/** Where Go looks for the system roots on Linux (crypto/x509 root_linux.go), in its order. */
export const GO_CERT_FILES: readonly string[] = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian/Ubuntu/Gentoo etc.
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora/RHEL 6
  '/etc/ssl/ca-bundle.pem', // OpenSUSE
  '/etc/pki/tls/cacert.pem', // OpenELEC
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // CentOS/RHEL 7
  '/etc/ssl/cert.pem', // Alpine Linux
];

/** The trust store for upstream TLS. */
export interface SystemRoots {
  /** The file the roots came from; null: none found, Node's bundled roots are used. */
  readonly file: string | null;
  /** PEM certificates to verify upstreams against (instead of Node's bundle); undefined: Node's bundle. */
  readonly certificates: readonly string[] | undefined;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * The system roots as Go finds them on Linux (Tyk verifies upstreams against those, spec §8):
 * `SSL_CERT_FILE` when set, else the first existing file of `candidates` (Go's list); Node's bundled roots when
 * none exists. Read once, at start (synchronous: never on the request path). A file that cannot be read,
 * or holds no certificate, is an error naming it: the process must not start with a trust store other
 * than the one it was given. Blocks that do not parse are skipped, as Go's AppendCertsFromPEM does.
 *
 * @example
 * loadSystemRoots(process.env) // { file: '/etc/ssl/certs/ca-certificates.crt', certificates: [...] }
 * loadSystemRoots({ SSL_CERT_FILE: '/tmp/test-ca.pem' }) // { file: '/tmp/test-ca.pem', certificates: [caPem] }
 */
export function loadSystemRoots(env: NodeJS.ProcessEnv, candidates: readonly string[] = GO_CERT_FILES): SystemRoots {
  const fromEnv = env.SSL_CERT_FILE;
  const file = fromEnv ? fromEnv : candidates.find((path) => existsSync(path)) ?? null;
  if (file === null) return { file: null, certificates: undefined };
  const label = fromEnv ? `SSL_CERT_FILE ${file}` : `system trust store ${file}`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${label}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const certificates = (text.match(PEM_CERTIFICATE) ?? []).filter(isCertificate);
  if (certificates.length === 0) throw new Error(`${label}: holds no PEM certificate`);
  return { file, certificates };
}

function isCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}
