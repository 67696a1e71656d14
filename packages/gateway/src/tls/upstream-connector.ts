import { constants as cryptoConstants } from 'node:crypto';
import { createSecureContext, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { buildConnector, Client } from 'undici';
import { sha256Hex } from '@tollgate/store';
import type { UpstreamTlsSpec } from './upstream-tls.js';

/** Error codes of the checks that run after a successful handshake (both map to UPE, spec §10). */
export const PIN_MISMATCH = 'TOLLGATE_UPSTREAM_PIN_MISMATCH';
export const COMMON_NAME_MISMATCH = 'TOLLGATE_UPSTREAM_CN_MISMATCH';

/** TLS handshake bound to upstreams (spec §8). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * undici `connect` function for one (API, https upstream) TLS spec: optional CONNECT tunnel through the forward
 * proxy (http upstreams behind a proxy use absoluteFormProxy instead, as Go does), the TLS handshake (chain and host-name verification unless skipped), then public-key pinning
 * against the chain Node verified and the optional common-name check. A failed check destroys the socket
 * and fails the connect with Tyk's message. With `proxy_ssl_disable_renegotiation` OpenSSL refuses a
 * renegotiation the upstream starts (TLS ≤ 1.2; SSL_OP_NO_RENEGOTIATION): the connection fails, and so
 * does the request on it. Otherwise renegotiation is allowed, as Tyk allows it by default.
 *
 * @example
 * new Pool(origin, { connect: createUpstreamConnector(spec, 30_000) });
 */
export function createUpstreamConnector(spec: UpstreamTlsSpec, timeoutMs: number): buildConnector.connector {
  // One OpenSSL context per connector: the trust store (a whole system bundle) is parsed once, not per connection.
  const secureContext = createSecureContext({
    minVersion: spec.minVersion,
    maxVersion: spec.maxVersion,
    ciphers: spec.ciphers,
    ...(spec.cert !== undefined ? { cert: spec.cert, key: spec.key_ } : {}),
    ...(spec.ca !== undefined ? { ca: [...spec.ca] } : {}),
    ...(spec.disableRenegotiation ? { secureOptions: cryptoConstants.SSL_OP_NO_RENEGOTIATION } : {}),
  });
  const tlsConnect = buildConnector({
    timeout: Math.min(timeoutMs, HANDSHAKE_TIMEOUT_MS),
    rejectUnauthorized: spec.rejectUnauthorized,
    secureContext,
  } as buildConnector.BuildOptions);
  const proxy = spec.proxyUrl ? createProxyClient(spec.proxyUrl, timeoutMs) : null;

  return (opts, callback) => {
    const isHttps = opts.protocol === 'https:';
    const finish = (err: Error | null, socket: Socket | TLSSocket | null): void => {
      if (err !== null || socket === null) return callback(err ?? new Error('no socket'), null);
      const failure = isHttps ? checkPeer(socket as TLSSocket, spec, opts.hostname) : null;
      if (failure !== null) {
        socket.destroy();
        return callback(failure, null);
      }
      callback(null, socket);
    };
    if (proxy === null) {
      tlsConnect(opts, finish as buildConnector.Callback);
      return;
    }
    const port = opts.port || (isHttps ? '443' : '80');
    proxy.client.connect({
      path: `${opts.hostname}:${port}`,
      headers: { host: `${opts.hostname}:${port}`, ...proxy.headers },
    }).then(({ socket, statusCode }) => {
      if (statusCode !== 200) {
        socket.destroy();
        return callback(Object.assign(new Error(`forward proxy answered ${statusCode} to CONNECT`), { code: 'TOLLGATE_PROXY_CONNECT' }), null);
      }
      if (!isHttps) return callback(null, socket as Socket);
      tlsConnect({ ...opts, httpSocket: socket as Socket } as buildConnector.Options, finish as buildConnector.Callback);
    }, (err: Error) => callback(err, null));
  };
}

function createProxyClient(proxyUrl: string, timeoutMs: number): { client: Client; headers: Record<string, string> } {
  const url = new URL(proxyUrl);
  const headers: Record<string, string> = {};
  const authorization = proxyAuthorization(url);
  if (authorization !== null) headers['proxy-authorization'] = authorization;
  return { client: new Client(url.origin, { connect: { timeout: timeoutMs } }), headers };
}

export interface AbsoluteFormProxy {
  /** The forward proxy the pool connects to. */
  readonly url: URL;
  /** `Proxy-Authorization` value from the URL's credentials; null without. */
  readonly authorization: string | null;
  /** TLS to an https:// proxy; null for an http:// one (the pool's plain TCP path). */
  readonly connector: buildConnector.connector | null;
}

/**
 * How a pool reaches a plain http upstream through the forward proxy of `spec`: as Go's transport does,
 * requests go to the proxy in absolute form (`GET http://host:port/path HTTP/1.1`, Host still the
 * upstream's) on connections to the proxy; only https upstreams use CONNECT (spec §8).
 *
 * @example
 * absoluteFormProxy({ ...spec, proxyUrl: 'http://u:p@proxy:3128' }, 30_000) // { url, authorization: 'Basic dTpw', connector: null }
 */
export function absoluteFormProxy(spec: UpstreamTlsSpec, timeoutMs: number): AbsoluteFormProxy {
  const url = new URL(spec.proxyUrl);
  const connector = url.protocol === 'https:'
    ? buildConnector({
      timeout: Math.min(timeoutMs, HANDSHAKE_TIMEOUT_MS),
      ...(spec.ca !== undefined ? { secureContext: createSecureContext({ ca: [...spec.ca] }) } : {}),
    } as buildConnector.BuildOptions)
    : null;
  return { url, authorization: proxyAuthorization(url), connector };
}

/** `Basic` credentials from a proxy URL's user info; null without a user name. */
function proxyAuthorization(url: URL): string | null {
  if (!url.username) return null;
  const creds = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return `Basic ${Buffer.from(creds).toString('base64')}`;
}

/** The post-handshake checks; returns the error to fail with, or null. */
export function checkPeer(socket: TLSSocket, spec: UpstreamTlsSpec, host: string): Error | null {
  if (spec.pins === null && !spec.forceCommonName) return null;
  const leaf = socket.getPeerCertificate(true);
  if (spec.forceCommonName) {
    const cn = typeof leaf?.subject?.CN === 'string' ? leaf.subject.CN : '';
    if (cn !== host) return Object.assign(new Error(`certificate had CN ${cn}expected ${host}`), { code: COMMON_NAME_MISMATCH });
  }
  if (spec.pins !== null && !chainHasPin(leaf, spec.pins)) {
    return Object.assign(new Error(`https://${host} certificate public key pinning error. Public keys do not match.`), { code: PIN_MISMATCH });
  }
  return null;
}

/** Walks leaf → issuers (Node links the chain it verified up to the trusted root); bounded against loops. */
function chainHasPin(leaf: DetailedPeerCertificate | undefined, pins: ReadonlySet<string>): boolean {
  let cert: DetailedPeerCertificate | undefined = leaf;
  for (let depth = 0; cert && depth < 16; depth++) {
    if (cert.pubkey && pins.has(sha256Hex(cert.pubkey))) return true;
    if (cert.issuerCertificate === cert) break;
    cert = cert.issuerCertificate;
  }
  return false;
}
