import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import type { Logger } from 'pino';
import { generateCertificate } from '@tollgate/store';
import { DEFAULT_TLS12_CIPHERS } from '../tls/cipher-suites.js';
import { toServerCertificate, type ServerCertificate, type ServerCertificateSet } from '../tls/server-certificates.js';
import { closeListenSocket, createUwsFrontDoor, createUwsHandler, listen, registerRoutes, type FrontDoorOptions } from './uws-front-door.js';

/** Server names given their own context per app; beyond this the default certificate answers. */
const MAX_SERVER_NAMES = 1024;
/**
 * Replaced apps kept open so their keep-alive connections can finish; past this many the oldest is closed
 * (its connections are cut), bounding what a long series of certificate changes can hold.
 */
const MAX_RETIRED_APPS = 8;

/**
 * TLS on the uWS fast path (uWS's SSLApp, BoringSSL; TLS 1.2-1.3 only, the six ECDHE AEAD suites for 1.2).
 * uWS reads certificates from files, so each pair is written once to a private temp directory (0700,
 * files 0600, removed at exit). SNI: on a server name uWS has no context for, `missingServerName` runs
 * Tyk's selection (§2) and adds the chosen pair for that name. When the certificate set changes a new
 * SSLApp is built and listens on the same port (uWS listens with SO_REUSEPORT) before the old listen socket
 * closes: new connections get the new set at once, connections already open finish on the old one.
 *
 * @example
 * const tls = new UwsTlsListener(options, logger); await tls.start(set, '', 8443);
 */
export class UwsTlsListener {
  private readonly dir = mkdtempSync(join(tmpdir(), 'tollgate-tls-'));
  private current: { app: TemplatedApp; socket: us_listen_socket; signature: string } | null = null;
  private readonly retired: TemplatedApp[] = [];
  private address = '';
  private port = 0;
  private placeholder: ServerCertificate | null = null;
  /** Updates run one at a time, in order (each listens before the previous socket closes). */
  private queue: Promise<void> = Promise.resolve();
  private readonly handler: ReturnType<typeof createUwsHandler>;

  constructor(private readonly options: FrontDoorOptions, private readonly logger: Logger) {
    this.handler = createUwsHandler(options, 'https');
  }

  get apps(): readonly TemplatedApp[] {
    return this.current === null ? this.retired : [...this.retired, this.current.app];
  }

  async start(set: ServerCertificateSet, address: string, port: number): Promise<void> {
    this.address = address;
    this.port = port;
    await this.update(set);
  }

  /** Serves `set` from now on (no-op when nothing changed). */
  update(set: ServerCertificateSet): Promise<void> {
    const next = this.queue.then(() => this.swap(set));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async swap(set: ServerCertificateSet): Promise<void> {
    const signature = set.signature;
    if (this.current?.signature === signature) return;
    const fallback = set.select('') ?? this.placeholderCertificate();
    const app = createUwsFrontDoor(this.options, { ...this.files(fallback), ssl_ciphers: DEFAULT_TLS12_CIPHERS.join(':') });
    let added = 0;
    app.missingServerName((name: string) => {
      const cert = set.select(name);
      if (cert === null || cert.id === fallback.id || added >= MAX_SERVER_NAMES) return;
      added++;
      // A server name has its own router in uWS: the same routes are registered under it.
      registerRoutes(app.addServerName(name, { ...this.files(cert), ssl_ciphers: DEFAULT_TLS12_CIPHERS.join(':') }).domain(name), this.options, 'https', this.handler);
    });
    const socket = await listen(app, this.address, this.port);
    const previous = this.current;
    this.current = { app, socket, signature };
    if (previous !== null) {
      closeListenSocket(previous.socket);
      this.retired.push(previous.app);
      if (this.retired.length > MAX_RETIRED_APPS) (this.retired.shift() as unknown as { close(): void }).close();
    }
  }

  stopAccepting(): void {
    if (this.current !== null) closeListenSocket(this.current.socket);
  }

  /** Removes the key files (at exit). */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private files(cert: ServerCertificate): { cert_file_name: string; key_file_name: string } {
    const certFile = join(this.dir, `${cert.id}.crt`);
    const keyFile = join(this.dir, `${cert.id}.key`);
    if (!existsSync(keyFile)) {
      writeFileSync(certFile, cert.certPem, { mode: 0o600 });
      writeFileSync(keyFile, cert.keyPem, { mode: 0o600 });
    }
    return { cert_file_name: certFile, key_file_name: keyFile };
  }

  /** With no certificate at all, handshakes use a throwaway self-signed one (logged) until one is configured. */
  private placeholderCertificate(): ServerCertificate {
    if (this.placeholder === null) {
      this.logger.warn('use_ssl is on but no server certificate is configured; serving a throwaway self-signed certificate');
      const { certPem, keyPem } = generateCertificate({ commonName: 'tollgate.invalid', days: 3650 });
      const leaf = new X509Certificate(certPem);
      this.placeholder = toServerCertificate({
        id: 'placeholder', orgId: '', isPublicKey: false, chain: [leaf], certPem, keyPem,
        fingerprint: 'placeholder', spkiFingerprint: '', publicKey: leaf.publicKey,
      })!;
    }
    return this.placeholder;
  }
}
