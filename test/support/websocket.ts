import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Agent, WebSocket } from 'undici';
import uWS from 'uWebSockets.js';
import type { us_listen_socket } from 'uWebSockets.js';
import { freePort } from './processes.js';

export interface Handshake {
  readonly url: string;
  readonly query: string;
  readonly headers: Record<string, string>;
}

export interface WsUpstream {
  readonly url: string;
  readonly handshakes: Handshake[];
  readonly closes: Array<{ code: number; reason: string }>;
  close(): void;
}

/**
 * A WebSocket upstream on real sockets (uWS): greets, echoes text as `echo:<text>` and binary reversed,
 * closes with 4001 on `bye`, picks the first offered subprotocol, and answers plain HTTP with JSON.
 */
export async function startWsUpstream(): Promise<WsUpstream> {
  const handshakes: Handshake[] = [];
  const closes: Array<{ code: number; reason: string }> = [];
  const app = uWS.App();
  app.ws('/*', {
    maxPayloadLength: 1024 * 1024,
    upgrade: (res, req, context) => {
      const headers: Record<string, string> = {};
      req.forEach((k, v) => { headers[k] = v; });
      handshakes.push({ url: req.getUrl(), query: req.getQuery() ?? '', headers });
      const offered = (headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
      res.upgrade({}, headers['sec-websocket-key']!, offered[0] ?? '', headers['sec-websocket-extensions'] ?? '', context);
    },
    open: (ws) => { ws.send('hello from upstream'); },
    message: (ws, message, isBinary) => {
      if (isBinary) {
        ws.send(new Uint8Array(message.slice(0)).reverse(), true);
        return;
      }
      const text = Buffer.from(message).toString();
      if (text === 'bye') ws.end(4001, 'upstream says bye');
      else ws.send(`echo:${text}`);
    },
    close: (_ws, code, reason) => { closes.push({ code, reason: Buffer.from(reason).toString() }); },
  });
  app.any('/*', (res, req) => {
    const url = req.getUrl();
    res.writeHeader('content-type', 'application/json').end(JSON.stringify({ plain: true, url }));
  });
  const port = await freePort();
  const socket = await new Promise<us_listen_socket>((resolve, reject) => app.listen('127.0.0.1', port, (s) => (s ? resolve(s) : reject(new Error('listen')))));
  return { url: `http://127.0.0.1:${port}`, handshakes, closes, close: () => uWS.us_listen_socket_close(socket) };
}

export interface WsClient {
  readonly ws: WebSocket;
  readonly received: Array<string | Buffer>;
  next(): Promise<string | Buffer>;
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** Accepts the gateway's self-signed certificates (wss:// in tests). */
const insecure = new Agent({ connect: { rejectUnauthorized: false } });

/** Opens a client WebSocket (ws:// or wss://) and collects what it receives. */
export async function connect(url: string, protocols: string[] = [], headers: Record<string, string> = {}): Promise<WsClient> {
  const ws = new WebSocket(url, { protocols, headers, ...(url.startsWith('wss:') ? { dispatcher: insecure } : {}) });
  ws.binaryType = 'arraybuffer';
  const received: Array<string | Buffer> = [];
  let waiter: (() => void) | null = null;
  let closeInfo = '';
  ws.addEventListener('message', (e) => {
    received.push(typeof e.data === 'string' ? e.data : Buffer.from(e.data as ArrayBuffer));
    waiter?.();
  });
  let lastError = '';
  ws.addEventListener('error', (e) => { lastError = String((e as unknown as { message?: string; error?: Error }).error?.message ?? (e as unknown as { message?: string }).message ?? 'error'); });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener('close', (e) => {
    closeInfo = `code ${e.code} reason ${JSON.stringify(e.reason)}${lastError === '' ? '' : `, error: ${lastError}`}`;
    waiter?.();
    resolve({ code: e.code, reason: e.reason });
  }));
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve());
    ws.addEventListener('error', () => reject(new Error(`websocket to ${url} failed`)));
  });
  let read = 0;
  const next = async (): Promise<string | Buffer> => {
    while (received.length <= read) {
      if (closeInfo !== '') throw new Error(`the connection closed (${closeInfo}) while a message was awaited (${read} received)`);
      await new Promise<void>((r) => { waiter = r; });
    }
    return received[read++]!;
  };
  return { ws, received, next, closed };
}

/** A raw upgrade request (HTTPS with `tls`), for the statuses a WebSocket client does not show. */
export function rawUpgrade(port: number, path: string, headers: Record<string, string> = {}, tls = false): Promise<{ status: number; body: string; headers: IncomingMessage['headers'] }> {
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)({
      host: '127.0.0.1', port, path, agent: false, rejectUnauthorized: false,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    });
    req.on('upgrade', (res: IncomingMessage, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '', headers: res.headers });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}
