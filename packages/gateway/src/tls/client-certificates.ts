import { createHash, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { ApiDefinition, GatewayConfig } from '@tollgate/apidef';
import type { CertificateRegistry } from './certificate-registry.js';

/** One entry of an API's client-certificate allow list, resolved. */
export interface AllowedClientCertificate {
  /** SHA-256 of the entry's first certificate: a presented leaf with this hash matches. */
  readonly fingerprint: string;
  readonly first: X509Certificate;
  /** CA certificates of the entry: a presented chain that verifies up to one of them matches too. */
  readonly anchors: readonly X509Certificate[];
  /** PEM of what the handshake announces and verifies against (the CAs in a chain, else the certificate). */
  readonly trustPem: string;
}

/**
 * `client_certificates` of the API plus tyk.conf `security.certificates.api` (auth.md §9), resolved
 * through the registry; unresolvable entries are left out (they can never match).
 */
export function allowedClientCertificates(def: ApiDefinition, config: Readonly<GatewayConfig>, registry: CertificateRegistry): AllowedClientCertificate[] {
  const global = config.security?.certificates?.api;
  const refs = [...(def.client_certificates ?? []), ...(Array.isArray(global) ? (global as unknown[]).filter((r): r is string => typeof r === 'string') : [])];
  const out: AllowedClientCertificate[] = [];
  for (const ref of refs) {
    const cert = registry.resolve(ref);
    const first = cert?.chain[0];
    if (cert === null || first === undefined) continue;
    const anchors = cert.chain.filter((c) => c.ca);
    out.push({
      fingerprint: cert.fingerprint, first, anchors,
      trustPem: anchors.length > 0 && cert.chain.length > 1 ? anchors.map((c) => c.toString()).join('\n') : first.toString(),
    });
  }
  return out;
}

/**
 * Which allowed entry a presented chain (leaf first) matches: the leaf's hash equals an entry's first
 * certificate, or the chain verifies (signatures and issuer names, link by link) up to an entry's CA.
 * tollgate does not let a certificate the client merely sends besides its leaf match (README difference 14).
 */
export function matchClientCertificate(chain: readonly X509Certificate[], leafFingerprint: string, allowed: readonly AllowedClientCertificate[]): AllowedClientCertificate | null {
  for (const entry of allowed) if (entry.fingerprint === leafFingerprint) return entry;
  const leaf = chain[0];
  if (leaf === undefined) return null;
  for (const entry of allowed) {
    const anchors = entry.anchors.length > 0 ? entry.anchors : entry.first.ca ? [entry.first] : [];
    for (const anchor of anchors) if (chainsTo(chain, anchor)) return entry;
  }
  return null;
}

function chainsTo(chain: readonly X509Certificate[], anchor: X509Certificate): boolean {
  let current = chain[0]!;
  for (let depth = 0; depth < 8; depth++) {
    if (current.checkIssued(anchor) && current.verify(anchor.publicKey)) return true;
    const next = chain.find((c) => c !== current && c.ca && current.checkIssued(c) && current.verify(c.publicKey));
    if (next === undefined) return false;
    current = next;
  }
  return false;
}

/** The client's certificate chain as presented (leaf first, at most 8) and the leaf's SHA-256; null without one. */
export function presentedChain(socket: TLSSocket): { chain: X509Certificate[]; fingerprint: string } | null {
  const peer = socket.getPeerCertificate(true);
  if (!peer?.raw) return null;
  const chain: X509Certificate[] = [];
  for (let c = peer, depth = 0; c?.raw && depth < 8; depth++) {
    chain.push(new X509Certificate(c.raw));
    if (c.issuerCertificate === c) break;
    c = c.issuerCertificate;
  }
  return { chain, fingerprint: createHash('sha256').update(peer.raw).digest('hex') };
}
