import { effectiveServerVersions, type GatewayConfig } from '@tollgate/apidef';
import type { SecureVersion } from 'node:tls';
import { chooseCiphers, hasPreTls12Suite, tlsVersion, withSecurityLevel } from '../tls/cipher-suites.js';

export type FrontDoorKind = 'http' | 'uws-tls' | 'node-tls';

export interface FrontDoorChoice {
  readonly kind: FrontDoorKind;
  /** Why the node:tls door was chosen (for the start log); empty otherwise. */
  readonly reasons: readonly string[];
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
  /** OpenSSL cipher string for the node:tls door. */
  readonly ciphers: string;
  readonly warnings: readonly string[];
}

/**
 * Which front door serves the listener, decided once from tollgate.json (all workers of a node must agree:
 * uWS workers share the port with SO_REUSEPORT, node:https workers through the cluster primary).
 * Plain HTTP and default TLS (1.2-1.3, default suites) run on uWS; TLS version bounds, a configured cipher
 * list, or `tollgate.tls_front_door: "node"` (needed for mutual TLS) select node:tls.
 *
 * @example
 * chooseFrontDoor(config).kind // 'uws-tls'
 */
export function chooseFrontDoor(config: Readonly<GatewayConfig>): FrontDoorChoice {
  const opts = config.http_server_options;
  // Only max_version 769/770: the minimum follows it down (the default TLS 1.2 would refuse everyone).
  const [minCode, maxCode] = effectiveServerVersions(opts.min_version, opts.max_version);
  const minVersion = tlsVersion(minCode, 'TLSv1.2');
  const maxVersion = tlsVersion(maxCode, 'TLSv1.3');
  const cipherChoice = chooseCiphers(opts.ssl_ciphers);
  const warnings: string[] = cipherChoice.skipped.length > 0
    ? [`http_server_options.ssl_ciphers: skipped ${cipherChoice.skipped.join(', ')}${cipherChoice.isCustom ? '' : '; using the defaults'}`] : [];
  if (opts.use_ssl && isBelowTls12(minVersion) && !hasPreTls12Suite(cipherChoice)) {
    // The default suites are TLS 1.2 AEAD ones: TLS 1.0/1.1 need a CBC suite listed.
    const keys = `http_server_options.${opts.min_version !== 0 ? `min_version ${opts.min_version}` : `max_version ${opts.max_version}`}`;
    if (isBelowTls12(maxVersion)) {
      throw new Error(`${keys} allows only TLS 1.0/1.1, but http_server_options.ssl_ciphers lists no suite they can use `
        + '(e.g. TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA): no client could connect');
    }
    warnings.push(`${keys} enables TLS 1.0/1.1, but http_server_options.ssl_ciphers lists no suite they can use: only TLS 1.2+ clients can connect`);
  }
  const base = {
    minVersion: cipherChoice.isTls13Only ? 'TLSv1.3' as const : minVersion, maxVersion,
    ciphers: withSecurityLevel(cipherChoice.ciphers, minVersion), warnings,
  };
  if (!opts.use_ssl) return { kind: 'http', reasons: [], ...base };
  const reasons: string[] = [];
  if (opts.min_version !== 0 && minVersion !== 'TLSv1.2') reasons.push(`http_server_options.min_version ${opts.min_version}`);
  if (maxVersion !== 'TLSv1.3') reasons.push(`http_server_options.max_version ${opts.max_version}`);
  if (cipherChoice.isCustom) reasons.push('http_server_options.ssl_ciphers');
  const wanted = wantedFrontDoor(config);
  if (wanted === 'node') reasons.push('tollgate.tls_front_door "node"');
  else if (wanted === 'uws' && reasons.length > 0) {
    throw new Error(`tollgate.tls_front_door is "uws" but uWS cannot honour ${reasons.join(', ')}; use "auto" or "node"`);
  } else if (wanted !== 'auto' && wanted !== 'uws') {
    throw new Error(`tollgate.tls_front_door must be "auto", "uws" or "node" (got ${JSON.stringify(wanted)})`);
  }
  return { kind: reasons.length > 0 ? 'node-tls' : 'uws-tls', reasons, ...base };
}

/** `tollgate.tls_front_door` as configured ("auto" when absent; other values are refused by `chooseFrontDoor`). */
export function wantedFrontDoor(config: Readonly<GatewayConfig>): unknown {
  return (config.tollgate as { tls_front_door?: unknown } | undefined)?.tls_front_door ?? 'auto';
}

function isBelowTls12(version: SecureVersion): boolean {
  return version === 'TLSv1' || version === 'TLSv1.1';
}
