import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { request, type Dispatcher } from 'undici';
import type { Echo } from './upstream.js';

export interface GatewayResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The upstream's echo, when the body is one. */
  readonly echo: Echo | undefined;
}

export interface GatewayRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly dispatcher?: Dispatcher;
}

/** Sends one request through the gateway with undici and reads the whole answer. */
export async function gatewayRequest(baseUrl: string, path: string, init: GatewayRequest = {}): Promise<GatewayResponse> {
  const res = await request(`${baseUrl}${path}`, {
    method: (init.method ?? 'GET') as 'GET',
    headers: init.headers,
    body: init.body,
    dispatcher: init.dispatcher,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, echo: parseEcho(text) };
}

/**
 * The same with node:http, which (unlike undici) lets a test send any header, hop-by-hop ones included.
 */
export function rawRequest(port: number, path: string, method: string, headers: OutgoingHttpHeaders): Promise<GatewayResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent: false, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, echo: parseEcho(text) });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('raw request timed out')));
    req.on('error', reject);
    req.end();
  });
}

function parseEcho(text: string): Echo | undefined {
  try {
    const value = JSON.parse(text) as Echo;
    return typeof value === 'object' && value !== null && 'upstream' in value ? value : undefined;
  } catch {
    return undefined;
  }
}
