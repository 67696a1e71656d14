import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createSecureContext, type SecureContext, type SecureContextOptions, type SecureVersion, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { ClientCertPolicy } from '../tls/client-cert-policy.js';
import { matchClientCertificate, presentedChain } from '../tls/client-certificates.js';
import type { ServerCertificate, ServerCertificateSet } from '../tls/server-certificates.js';
import { NodeResponseWriter } from './node-response-writer.js';
import { HeaderCollector, serveRequest, serveTunnel, type FrontDoorOptions, type IncomingRequest } from './serve-request.js';

/** Server names whose contexts are kept; beyond this, names are served uncached (bounds memory). */
const MAX_CACHED_NAMES = 1024;

export interface NodeTlsOptions {
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
  readonly ciphers: string;
  readonly logger: Logger;
  /** A connection refused before any request: failed handshake, or no allowed certificate where one is required. */
  readonly onRejected?: () => void;
}

/**
 * The node:tls front door, for what uWS cannot do: TLS version bounds, configured cipher lists and client
 * certificates. Same request pipeline as the uWS door (`serveRequest`, through `NodeResponseWriter`); costs
 * a Node stream per connection and header objects per request. Certificates are chosen per server name
 * (§2) and clients are asked for a certificate; where a server name's policy requires one, a connection
 * without an allowed certificate is closed right after the handshake, before any HTTP response (§5).
 *
 * @example
 * const door = new NodeTlsFrontDoor(options, tls); door.update(set, policyFor); await door.listen('', 8443);
 */
export class NodeTlsFrontDoor {
  private readonly server: Server;
  private set: ServerCertificateSet | null = null;
  private policyFor: (name: string) => ClientCertPolicy = () => ({ mode: 'none', allowed: [] });
  private readonly contexts = new Map<string, SecureContext>();

  constructor(private readonly options: FrontDoorOptions, private readonly tls: NodeTlsOptions) {
    this.server = createServer({
      minVersion: tls.minVersion, maxVersion: tls.maxVersion, ciphers: tls.ciphers, honorCipherOrder: true,
      requestCert: true, rejectUnauthorized: false,
      SNICallback: (name, cb) => {
        try {
          cb(null, this.contextFor(name));
        } catch (err) {
          cb(err as Error, undefined);
        }
      },
    }, (req, res) => this.handle(req, res));
    this.server.on('secureConnection', (socket: TLSSocket) => this.enforcePolicy(socket));
    this.server.on('tlsClientError', (err) => {
      tls.logger.debug({ err: err.message }, 'TLS handshake failed');
      tls.onRejected?.();
    });
    this.server.keepAliveTimeout = 120_000;
    // Without a listener Node serves an upgrade request as a plain one (it goes upstream without Upgrade).
    if (options.webSockets) this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head));
  }

  /**
   * New certificates or policies: contexts are rebuilt lazily; the no-SNI context right away. Clients are
   * asked for a certificate only while some API uses mutual TLS (`isAnyRequested`): node:tls reads the
   * server's `requestCert` for each new connection, before the server name is known, so it cannot be per name.
   */
  update(set: ServerCertificateSet, policyFor: ((name: string) => ClientCertPolicy) & { readonly isAnyRequested?: boolean }): void {
    this.set = set;
    this.policyFor = policyFor;
    (this.server as unknown as { requestCert: boolean }).requestCert = policyFor.isAnyRequested ?? true;
    this.contexts.clear();
    const fallback = set.select('');
    if (fallback !== null) this.server.setSecureContext(this.contextOptions(fallback, policyFor('')));
  }

  listen(address: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, address || undefined, () => resolve());
    });
  }

  stopAccepting(): void {
    this.server.close();
  }

  closeAll(): void {
    this.server.closeAllConnections();
  }

  private contextFor(name: string): SecureContext {
    const key = name.toLowerCase();
    const cached = this.contexts.get(key);
    if (cached !== undefined) return cached;
    const cert = this.set?.select(key) ?? null;
    if (cert === null) throw new Error('no server certificate configured');
    const context = createSecureContext(this.contextOptions(cert, this.policyFor(key)));
    if (this.contexts.size < MAX_CACHED_NAMES) this.contexts.set(key, context);
    return context;
  }

  private contextOptions(cert: ServerCertificate, policy: ClientCertPolicy): SecureContextOptions {
    const ca = policy.allowed.map((a) => a.trustPem);
    return {
      key: cert.keyPem, cert: cert.certPem, minVersion: this.tls.minVersion, maxVersion: this.tls.maxVersion,
      ciphers: this.tls.ciphers, ...(ca.length > 0 ? { ca } : {}),
    };
  }

  /** "Require" policies: close the connection (no HTTP response) unless an allowed certificate was presented. */
  private enforcePolicy(socket: TLSSocket): void {
    const name = (socket as TLSSocket & { servername?: string | false }).servername;
    const policy = this.policyFor(typeof name === 'string' ? name : '');
    if (policy.mode !== 'require') return;
    const presented = presentedChain(socket);
    if (presented !== null && matchClientCertificate(presented.chain, presented.fingerprint, policy.allowed) !== null) return;
    this.tls.onRejected?.();
    socket.destroy();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const collector = collectHeaders(req);
    serveRequest(this.options, new NodeResponseWriter(req, res), incoming(req), collector);
  }

  /** An `Upgrade` request (with `enable_websockets`): through the pipeline to a byte tunnel (proxy/upgrade-tunnel.ts). */
  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const collector = collectHeaders(req);
    serveTunnel(this.options, socket, head, incoming(req), collector, req.headers.upgrade ?? '');
  }
}

function collectHeaders(req: IncomingMessage): HeaderCollector {
  const collector = new HeaderCollector(req.headers.host ?? '');
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) collector.add(raw[i]!.toLowerCase(), raw[i + 1]!);
  return collector;
}

function incoming(req: IncomingMessage): IncomingRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const socket = req.socket as TLSSocket;
  return {
    method: req.method ?? 'GET',
    path: q < 0 ? url : url.slice(0, q),
    query: q < 0 ? '' : url.slice(q + 1),
    host: req.headers.host ?? '',
    contentLength: req.headers['content-length'] ?? '',
    peer: (socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
    proto: 'https',
    tlsSocket: socket,
  };
}
