import { certificateNames, emptyName, type GoName } from './distinguished-name.js';
import type { StoredCertificate } from './stored-certificate.js';

/** `GET /tyk/certs/<id>` (tls-and-certificates.md §7). */
export interface CertificateInfo {
  id: string;
  fingerprint: string;
  has_private: boolean;
  issuer: GoName;
  subject: GoName;
  not_before: string;
  not_after: string;
  dns_names?: string[];
  is_ca: boolean;
}

/** `GET /tyk/certs?mode=detailed` entries. */
export interface CertificateSummary {
  id: string;
  issuer_cn: string;
  subject_cn: string;
  dns_names: string[];
  has_private: boolean;
  not_before: string;
  not_after: string;
  is_ca: boolean;
}

/** Go's zero time, what Tyk reports for a public key's validity. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** RFC 3339 without fractional seconds, as Go formats a certificate time. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** DNS names of the subject alternative name extension. */
export function dnsNames(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  return subjectAltName.split(', ').filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4));
}

export function certificateInfo(cert: StoredCertificate): CertificateInfo {
  const leaf = cert.chain[0];
  if (leaf === undefined) {
    const subject = emptyName();
    subject.CommonName = `Public Key: ${cert.spkiFingerprint}`;
    return {
      id: cert.id, fingerprint: cert.fingerprint, has_private: false, issuer: emptyName(), subject,
      not_before: ZERO_TIME, not_after: ZERO_TIME, is_ca: false,
    };
  }
  const { issuer, subject } = certificateNames(leaf.raw);
  const names = dnsNames(leaf.subjectAltName);
  return {
    id: cert.id, fingerprint: cert.fingerprint, has_private: cert.keyPem !== null, issuer, subject,
    not_before: rfc3339(new Date(leaf.validFrom)), not_after: rfc3339(new Date(leaf.validTo)),
    ...(names.length > 0 ? { dns_names: names } : {}),
    is_ca: leaf.ca,
  };
}

export function certificateSummary(cert: StoredCertificate): CertificateSummary {
  const info = certificateInfo(cert);
  return {
    id: info.id, issuer_cn: info.issuer.CommonName, subject_cn: info.subject.CommonName, dns_names: info.dns_names ?? [],
    has_private: info.has_private, not_before: info.not_before, not_after: info.not_after, is_ca: info.is_ca,
  };
}
