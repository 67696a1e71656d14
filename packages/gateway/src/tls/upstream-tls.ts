import { createHash } from 'node:crypto';
import type { ApiDefinition, GatewayConfig } from '@tollgate/apidef';
import type { Logger } from 'pino';
import type { CertificateRegistry } from './certificate-registry.js';
import { chooseCiphers, tlsVersion, withSecurityLevel } from './cipher-suites.js';

/**
 * How one API reaches one upstream host: the TLS client settings and extra checks
 * (tls-and-certificates.md §8-9). `key` identifies equal settings, so pools are shared only between
 * APIs that would connect the same way.
 */
export interface UpstreamTlsSpec {
  readonly key: string;
  readonly rejectUnauthorized: boolean;
  readonly minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  readonly maxVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  readonly ciphers: string;
  /** Client certificate for upstream mutual TLS. */
  readonly cert: string | undefined;
  readonly key_: string | undefined;
  /** Trust anchors: the system roots (system-roots.ts), instead of Node's; undefined = Node's bundled roots. */
  readonly ca: readonly string[] | undefined;
  /** SPKI SHA-256 fingerprints one of which the verified chain must contain; null = not pinned. */
  readonly pins: ReadonlySet<string> | null;
  readonly forceCommonName: boolean;
  /** Forward proxy URL ('' = direct). */
  readonly proxyUrl: string;
  /** tyk.conf `proxy_ssl_disable_renegotiation`: refuse server-initiated renegotiation (default: allowed). */
  readonly disableRenegotiation: boolean;
}

export interface UpstreamTlsContext {
  readonly config: Readonly<GatewayConfig>;
  readonly registry: CertificateRegistry;
  readonly logger: Logger;
  /** The system roots (`SSL_CERT_FILE`, else Go's file list), read once per worker; undefined = Node's bundled roots. */
  readonly trustedRoots: readonly string[] | undefined;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * The settings for `def` talking to `url` (an http: URL gets only the proxy choice).
 *
 * @example
 * const spec = upstreamTlsSpec(def, new URL('https://api.internal:8443'), ctx);
 */
export function upstreamTlsSpec(def: ApiDefinition, url: URL, ctx: UpstreamTlsContext): UpstreamTlsSpec {
  const { config } = ctx;
  const transport = def.proxy?.transport ?? {};
  const proxyUrl = transport.proxy_url || proxyFromEnvironment(url, ctx.env);
  const skipVerify = Boolean(config.proxy_ssl_insecure_skip_verify || transport.ssl_insecure_skip_verify);
  const minVersion = tlsVersion(transport.ssl_min_version || config.proxy_ssl_min_version, 'TLSv1.2');
  // Tyk forces any API value to 771; tollgate honours it (spec README difference 5).
  let maxVersion = tlsVersion(transport.ssl_max_version || config.proxy_ssl_max_version, 'TLSv1.3');
  if (maxVersion < minVersion) maxVersion = minVersion;
  const configured = (transport.ssl_ciphers?.length ?? 0) > 0 ? transport.ssl_ciphers : config.proxy_ssl_ciphers;
  const choice = chooseCiphers(configured);
  if (choice.skipped.length > 0) ctx.logger.warn({ api_id: def.api_id, skipped: choice.skipped }, 'upstream ssl_ciphers entries skipped');
  const forceCommonName = Boolean(config.ssl_force_common_name_check || transport.ssl_force_common_name_check);
  const isHttps = url.protocol === 'https:';
  const clientCert = isHttps ? upstreamClientCertificate(def, url, ctx) : null;
  const pins = isHttps ? resolvePins(def, url.hostname, ctx) : null;
  const disableRenegotiation = Boolean(config.proxy_ssl_disable_renegotiation);
  const parts = {
    skipVerify, minVersion, maxVersion, ciphers: choice.ciphers, cert: clientCert?.fingerprint ?? '',
    pins: pins === null ? null : [...pins].sort(), forceCommonName, proxyUrl, disableRenegotiation,
  };
  return {
    key: createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16),
    rejectUnauthorized: !skipVerify,
    minVersion: choice.isTls13Only ? 'TLSv1.3' : minVersion,
    maxVersion,
    ciphers: withSecurityLevel(choice.ciphers, minVersion),
    cert: clientCert?.certPem, key_: clientCert?.keyPem ?? undefined,
    ca: ctx.trustedRoots,
    pins, forceCommonName, proxyUrl, disableRenegotiation,
  };
}

/**
 * Upstream client certificate for `host[:port]`: for each map in order [global, API] the lookups `*`,
 * `*.<host minus first label>`, `*.<host:port minus first label>`, `<host>`, `<host:port>` run and every
 * hit replaces the previous one (spec §8). The certificate must carry a private key.
 */
function upstreamClientCertificate(def: ApiDefinition, url: URL, ctx: UpstreamTlsContext): { fingerprint: string; certPem: string; keyPem: string } | null {
  const maps = [ctx.config.security?.certificates?.upstream as Record<string, string> | undefined];
  if (!def.upstream_certificates_disabled) maps.push(def.upstream_certificates ?? undefined);
  const host = url.hostname;
  const hostPort = url.port ? `${host}:${url.port}` : host;
  const lookups = ['*', `*.${afterFirstLabel(host)}`, `*.${afterFirstLabel(hostPort)}`, host, hostPort];
  let ref: string | undefined;
  for (const map of maps) {
    if (!map || typeof map !== 'object') continue;
    for (const name of lookups) if (typeof map[name] === 'string') ref = map[name];
  }
  if (ref === undefined) return null;
  const cert = ctx.registry.resolve(ref);
  if (cert === null || cert.keyPem === null) {
    ctx.logger.error({ api_id: def.api_id, host: hostPort }, 'upstream certificate not found or has no private key; connecting without one');
    return null;
  }
  return { fingerprint: cert.fingerprint, certPem: cert.certPem, keyPem: cert.keyPem };
}

/**
 * Pinned SPKI fingerprints for `host` (spec §9): for each map in order [global, API], `*`, then
 * `*.<host minus first label>`, then `host`; later hits override. A ref that resolves to nothing adds no
 * fingerprint, but the host stays pinned (fail closed).
 */
export function resolvePins(def: ApiDefinition, host: string, ctx: Pick<UpstreamTlsContext, 'config' | 'registry'>): Set<string> | null {
  const maps: Array<Readonly<Record<string, string>> | undefined> = [ctx.config.security?.pinned_public_keys];
  if (!def.certificate_pinning_disabled) maps.push(def.pinned_public_keys ?? undefined);
  let refs: string | undefined;
  for (const map of maps) {
    if (!map || typeof map !== 'object') continue;
    for (const name of ['*', `*.${afterFirstLabel(host)}`, host]) if (typeof map[name] === 'string') refs = map[name];
  }
  if (refs === undefined) return null;
  const pins = new Set<string>();
  for (const ref of refs.split(',')) {
    // The first block's hash: a public key's SPKI; a certificate's DER (which never matches an SPKI).
    const resolved = ctx.registry.resolve(ref);
    if (resolved !== null) pins.add(resolved.fingerprint);
  }
  return pins;
}

function afterFirstLabel(host: string): string {
  const dot = host.indexOf('.');
  return dot < 0 ? '' : host.slice(dot + 1);
}

/** Go's http.ProxyFromEnvironment: HTTPS_PROXY / HTTP_PROXY by scheme, skipped for NO_PROXY hosts. */
function proxyFromEnvironment(url: URL, env: NodeJS.ProcessEnv): string {
  const proxy = url.protocol === 'https:' ? env.HTTPS_PROXY ?? env.https_proxy : env.HTTP_PROXY ?? env.http_proxy;
  if (!proxy) return '';
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const host = url.hostname.toLowerCase();
  if (noProxy.some((p) => p === '*' || host === p.replace(/^\./, '') || host.endsWith(p.startsWith('.') ? p : `.${p}`))) return '';
  return proxy;
}
