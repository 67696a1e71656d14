/**
 * Go (= IANA) cipher suite names, as `ssl_ciphers`, `proxy_ssl_ciphers` and `proxy.transport.ssl_ciphers`
 * take them, mapped to OpenSSL's (tls-and-certificates.md §3), and the TLS version codes of tyk.conf.
 */
import type { SecureVersion } from 'node:tls';

const GO_TO_OPENSSL: Readonly<Record<string, string>> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  // Go's aliases of the two names above.
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};

/** The suites that TLS 1.0 and 1.1 can negotiate (the "≤1.2" rows of spec §3): CBC with SHA-1 MACs. */
const PRE_TLS12_SUITES = new Set([
  'AES128-SHA', 'AES256-SHA', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA', 'ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA',
]);

/** TLS 1.3 suites: not configurable (as in Go), always enabled; listing them is allowed. */
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/** Known to Go but never offered by tollgate (RC4 and 3DES; absent from Node's OpenSSL 3). */
const NEVER = new Set([
  'TLS_RSA_WITH_RC4_128_SHA', 'TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'TLS_ECDHE_ECDSA_WITH_RC4_128_SHA',
  'TLS_ECDHE_RSA_WITH_RC4_128_SHA', 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA',
]);

/** tollgate's TLS 1.2 default: the six ECDHE AEAD suites (spec §3, §11). */
export const DEFAULT_TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
];

export interface CipherChoice {
  /** OpenSSL cipher string for Node (TLS 1.2 suites then the TLS 1.3 ones). */
  readonly ciphers: string;
  /** True when the configured list named only TLS 1.3 suites: no TLS 1.2 suite is usable. */
  readonly isTls13Only: boolean;
  /** True when a configured list was used (false: defaults, because nothing valid was listed). */
  readonly isCustom: boolean;
  /** Names skipped, each with the reason, for one warning at load. */
  readonly skipped: readonly string[];
}

/**
 * Maps a configured list (case-insensitive Go names). Unknown names are skipped; if nothing valid
 * remains the default list is used, so "junk" behaves like no list (spec §3).
 *
 * @example
 * chooseCiphers(['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256']).ciphers // 'ECDHE-RSA-AES128-SHA256:TLS_AES_128_GCM_SHA256:...'
 */
export function chooseCiphers(names: readonly string[] | null | undefined): CipherChoice {
  const tls12: string[] = [];
  const skipped: string[] = [];
  let tls13Listed = false;
  for (const raw of names ?? []) {
    const name = raw.trim().toUpperCase();
    const openssl = GO_TO_OPENSSL[name];
    if (openssl !== undefined) {
      if (!tls12.includes(openssl)) tls12.push(openssl);
    } else if (TLS13_SUITES.includes(name)) {
      tls13Listed = true;
    } else {
      skipped.push(NEVER.has(name) ? `${raw} (never offered: RC4/3DES)` : `${raw} (unknown)`);
    }
  }
  const tls13 = TLS13_SUITES.join(':');
  if (tls12.length === 0 && tls13Listed) return { ciphers: tls13, isTls13Only: true, isCustom: true, skipped };
  if (tls12.length === 0) return { ciphers: `${DEFAULT_TLS12_CIPHERS.join(':')}:${tls13}`, isTls13Only: false, isCustom: false, skipped };
  return { ciphers: `${tls12.join(':')}:${tls13}`, isTls13Only: false, isCustom: true, skipped };
}

/**
 * Whether a cipher choice holds a suite TLS 1.0/1.1 can use. The defaults (ECDHE AEAD) do not: a listener
 * or client limited to those versions needs such a suite listed.
 *
 * @example
 * hasPreTls12Suite(chooseCiphers(['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'])) // true
 * hasPreTls12Suite(chooseCiphers([])) // false
 */
export function hasPreTls12Suite(choice: CipherChoice): boolean {
  return choice.ciphers.split(':').some((name) => PRE_TLS12_SUITES.has(name));
}

const VERSION_NAMES: Readonly<Record<number, SecureVersion>> = { 769: 'TLSv1', 770: 'TLSv1.1', 771: 'TLSv1.2', 772: 'TLSv1.3' };

/** tyk.conf version code → Node's name; `fallback` for 0 or absent. */
export function tlsVersion(code: number | undefined, fallback: SecureVersion): SecureVersion {
  return (code !== undefined && VERSION_NAMES[code]) || fallback;
}

/** TLS 1.0/1.1 need OpenSSL 3's security level 0 (spec §1); added only when such a version is enabled. */
export function withSecurityLevel(ciphers: string, minVersion: SecureVersion): string {
  return minVersion === 'TLSv1' || minVersion === 'TLSv1.1' ? `${ciphers}:@SECLEVEL=0` : ciphers;
}
