import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest, type Server as HttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type SecureVersion, type TLSSocket } from 'node:tls';
import { generateCertificate, type GeneratedCertificate, type GenerateOptions } from '@tollgate/store';

export type { GeneratedCertificate };

/** A test CA and certificates it issues, made at test time with node-forge (through @tollgate/store). */
export interface TestPki {
  readonly ca: GeneratedCertificate;
  issue(options: Omit<GenerateOptions, 'issuer'>): GeneratedCertificate;
}

export function createTestPki(name = 'tollgate test CA'): TestPki {
  const ca = generateCertificate({ commonName: name, isCa: true, days: 30 });
  return { ca, issue: (options) => generateCertificate({ ...options, issuer: ca }) };
}

/** Lowercase hex SHA-256 of a PEM certificate's DER (Tyk's certificate fingerprint). */
export function fingerprintOf(certPem: string): string {
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex');
}

export interface HttpsUpstream {
  readonly port: number;
  readonly url: string;
  /** Client-certificate subject CNs seen, per request. */
  readonly clientNames: string[];
  close(): Promise<void>;
}

/**
 * An HTTPS upstream on 127.0.0.1 answering `{"ok":true,"path":...,"client":<client cert CN or null>}`.
 * With `ca` it requires a client certificate issued by it.
 */
export async function startHttpsUpstream(options: {
  readonly cert: GeneratedCertificate;
  readonly ca?: string;
  readonly maxVersion?: SecureVersion;
  /**
   * Renegotiate (server-initiated, TLS ≤ 1.2) after reading each request and before answering it; a
   * refused renegotiation closes the connection without a response.
   */
  readonly renegotiate?: boolean;
}): Promise<HttpsUpstream> {
  const clientNames: string[] = [];
  const server: HttpsServer = createHttpsServer({
    key: options.cert.keyPem, cert: options.cert.certPem, maxVersion: options.maxVersion,
    ...(options.ca ? { ca: options.ca, requestCert: true, rejectUnauthorized: true } : {}),
  }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const client = peer && typeof peer.subject?.CN === 'string' ? peer.subject.CN : null;
    if (client) clientNames.push(client);
    const socket = req.socket as TLSSocket;
    const answer = (renegotiated: boolean): void => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, path: req.url, client, protocol: socket.getProtocol(), cipher: socket.getCipher().name, renegotiated }));
    };
    if (!options.renegotiate) return answer(false);
    const started = socket.renegotiate({ rejectUnauthorized: false }, (err) => {
      if (err) socket.destroy();
      else answer(true);
    });
    if (!started) socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port, url: `https://127.0.0.1:${port}`, clientNames,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface ForwardProxy {
  readonly url: string;
  /** `host:port` of every CONNECT received. */
  readonly tunnels: string[];
  close(): Promise<void>;
}

/** An HTTP forward proxy that only tunnels (CONNECT), recording each target. */
export async function startForwardProxy(): Promise<ForwardProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server: HttpServer = createHttpServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    tunnels.push(target);
    const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
    const upstream = netConnect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => { sockets.delete(s); client.destroy(); upstream.destroy(); });
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`, tunnels,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

export interface ProbeOptions {
  readonly servername?: string;
  readonly minVersion?: SecureVersion;
  readonly maxVersion?: SecureVersion;
  readonly ciphers?: string;
  readonly cert?: GeneratedCertificate;
}

export type ProbeResult =
  | { readonly ok: true; readonly protocol: string; readonly cipher: string; readonly peer: PeerCertificate; readonly peerFingerprint: string }
  | { readonly ok: false; readonly error: string };

/** A TLS handshake with the given client settings; reports what was negotiated and the server's certificate. */
export async function tlsProbe(port: number, options: ProbeOptions = {}): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: '127.0.0.1', port, rejectUnauthorized: false,
      ...(options.servername !== undefined ? { servername: options.servername } : {}),
      minVersion: options.minVersion, maxVersion: options.maxVersion,
      ...(options.ciphers !== undefined ? { ciphers: options.ciphers } : {}),
      ...(options.cert ? { cert: options.cert.certPem, key: options.cert.keyPem } : {}),
    }, () => {
      const peer = socket.getPeerCertificate();
      resolve({
        ok: true, protocol: socket.getProtocol() ?? '', cipher: socket.getCipher().name, peer,
        peerFingerprint: createHash('sha256').update(peer.raw).digest('hex'),
      });
      socket.end();
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    socket.on('error', (err) => resolve({ ok: false, error: (err as NodeJS.ErrnoException).code ?? err.message }));
  });
}

export type HttpsResult = { readonly status: number; readonly body: string } | { readonly status: 0; readonly error: string };

/** One HTTPS request (no connection reuse, any server certificate accepted) with optional SNI and client certificate. */
export function httpsGet(port: number, path: string, options: { readonly servername?: string; readonly host?: string; readonly cert?: GeneratedCertificate } = {}): Promise<HttpsResult> {
  return new Promise((resolve) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path, method: 'GET', agent: false, rejectUnauthorized: false,
      servername: options.servername, headers: options.host ? { host: options.host } : {},
      ...(options.cert ? { cert: options.cert.certPem, key: options.cert.keyPem } : {}),
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end();
  });
}

/**
 * Whether the server at `port` asks the client for a certificate during the handshake (sends a
 * CertificateRequest), as `openssl s_client` reports it. Node's TLS client has no way to tell.
 */
export function asksForClientCertificate(port: number, servername: string, extraArgs: readonly string[] = []): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', servername, ...extraArgs],
      { timeout: 10_000 }, (_err, stdout, stderr) => {
        const out = `${stdout}${stderr}`;
        if (!/Cipher is|Cipher {4}:/.test(out)) reject(new Error(`no TLS handshake with 127.0.0.1:${port}: ${out.slice(-400)}`));
        else resolve(out.includes('Client Certificate Types'));
      });
    child.stdin?.end();
  });
}

/** A gateway certificate written to files, as `http_server_options.certificates` names them. */
export interface CertificateFiles {
  /** The `http_server_options.certificates` entry. */
  readonly entry: { readonly domain_name: string; readonly cert_file: string; readonly key_file: string };
  /** Removes the files' temp directory. */
  remove(): void;
}

/** Writes `cert` and its key to a private temp directory, for a listener serving `domain`. */
export function writeCertificateFiles(cert: GeneratedCertificate, domain = 'gw.test'): CertificateFiles {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-certs-'));
  writeFileSync(join(dir, 'gw.crt'), cert.certPem);
  writeFileSync(join(dir, 'gw.key'), cert.keyPem, { mode: 0o600 });
  return {
    entry: { domain_name: domain, cert_file: join(dir, 'gw.crt'), key_file: join(dir, 'gw.key') },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
