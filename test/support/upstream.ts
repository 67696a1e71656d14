import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the echo upstream answers (JSON) for every request that is not a download. */
export interface Echo {
  readonly upstream: string;
  readonly method: string;
  /** Request target exactly as received (path and query). */
  readonly url: string;
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  /** Raw header list as received (names in their original case, repeated headers kept). */
  readonly rawHeaders: string[];
  readonly bodyLength: number;
  readonly bodySha256: string;
}

export interface UpstreamOptions {
  /** Name echoed in every answer (tells load-balanced targets apart). */
  readonly name?: string;
  /** Delay before the response headers, for every request (a `delay=<ms>` query parameter also works). */
  readonly delayMs?: number;
}

export interface Upstream {
  readonly name: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Requests received so far. */
  readonly requests: number;
  /** Requests received and not yet answered. */
  readonly inFlight: number;
  close(): Promise<void>;
}

const PATTERN_CHUNK = 64 * 1024;
const PATTERN_BASE = randomBytes(PATTERN_CHUNK);

/**
 * A deterministic byte stream of `total` bytes, produced chunk by chunk (never held in memory whole):
 * chunk i is a fixed random block whose first 4 bytes are i.
 */
export function* patternChunks(total: number): Generator<Buffer> {
  for (let offset = 0, i = 0; offset < total; offset += PATTERN_CHUNK, i++) {
    const chunk = Buffer.from(PATTERN_BASE);
    chunk.writeUInt32BE(i, 0);
    yield offset + PATTERN_CHUNK <= total ? chunk : chunk.subarray(0, total - offset);
  }
}

/** sha256 (hex) of `patternChunks(total)`. */
export function patternSha256(total: number): string {
  const hash = createHash('sha256');
  for (const chunk of patternChunks(total)) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * A node:http upstream for the tests. Every request is counted. See `handle` for the query parameters. `?download=<bytes>` streams that many
 * pattern bytes (with Content-Length, honouring back-pressure); anything else consumes the body (counted
 * and hashed on the fly) and answers 200 with an `Echo` JSON. `?status=<code>` changes the status; `?header=<name>:<value>` adds a response header.
 *
 * @example
 * const up = await startUpstream({ name: 'a' });
 * after(() => up.close());
 */
export async function startUpstream(options: UpstreamOptions = {}): Promise<Upstream> {
  let requests = 0;
  let inFlight = 0;
  const name = options.name ?? 'upstream';
  const server: Server = createServer((req, res) => {
    requests++;
    inFlight++;
    res.on('close', () => { inFlight--; });
    handle(name, options, req, res).catch((err: unknown) => {
      res.destroy(err as Error);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    get requests() { return requests; },
    get inFlight() { return inFlight; },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function handle(name: string, options: UpstreamOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Concatenated, not resolved: a request target starting with `//` must stay a path.
  const url = new URL(`http://upstream${req.url ?? '/'}`);
  const hash = createHash('sha256');
  let bodyLength = 0;
  // `pause_after=<bytes>&pause_ms=<ms>`: stop reading the body once, to test back-pressure upstream of us
  const pauseAfter = Number(url.searchParams.get('pause_after') ?? Infinity);
  let pauseMs = Number(url.searchParams.get('pause_ms') ?? 0);
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bodyLength += chunk.length;
    hash.update(chunk);
    if (pauseMs > 0 && bodyLength >= pauseAfter) {
      await new Promise((r) => setTimeout(r, pauseMs));
      pauseMs = 0;
    }
  }
  const delay = Number(url.searchParams.get('delay') ?? options.delayMs ?? 0);
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  if (res.destroyed) return;
  const status = Number(url.searchParams.get('status') ?? 200);

  const download = url.searchParams.get('download');
  if (download !== null) {
    const total = Number(download);
    res.writeHead(status, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
    for (const chunk of patternChunks(total)) {
      if (res.destroyed) return;
      if (!res.write(chunk)) await drainOrClose(res);
    }
    res.end();
    return;
  }

  const echo: Echo = {
    upstream: name,
    method: req.method ?? '',
    url: req.url ?? '',
    path: url.pathname,
    query: url.search.replace(/^\?/, ''),
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    bodyLength,
    bodySha256: hash.digest('hex'),
  };
  const body = JSON.stringify(echo);
  // `header=<name>:<value>` (repeatable): extra response headers, for tests of response handling.
  const extra: Record<string, string> = {};
  for (const h of url.searchParams.getAll('header')) {
    const colon = h.indexOf(':');
    if (colon > 0) extra[h.slice(0, colon)] = h.slice(colon + 1);
  }
  if (status === 204 || status === 304) {
    // No body and no Content-Length for these (RFC 9110 §8.6).
    res.writeHead(status, { 'x-upstream': name, ...extra });
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-upstream': name, ...extra });
  res.end(body);
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
