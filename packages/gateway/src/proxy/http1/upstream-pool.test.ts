import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import type { UpstreamHandler, UpstreamRequest } from './upstream-connection.js';
import { UpstreamPool, type UpstreamPoolOptions } from './upstream-pool.js';

interface Outcome {
  status: number;
  headers: string[];
  body: string;
}

const OPTIONS: UpstreamPoolOptions = {
  connectTimeoutMs: 2000, headersTimeoutMs: 2000, bodyTimeoutMs: 2000, keepAliveTimeoutMs: 30_000, connector: null,
};

const servers: Array<{ close(): void }> = [];
after(() => servers.forEach((s) => s.close()));

/** A raw TCP upstream: `respond` gets each request's head (up to the blank line) and its socket. */
async function rawUpstream(respond: (head: string, socket: Socket, index: number) => void): Promise<{ url: URL; connections: () => number; server: Server }> {
  let connections = 0;
  let index = 0;
  const server = createServer((socket) => {
    connections++;
    let buffered = '';
    socket.on('data', (d) => {
      buffered += d.toString('latin1');
      let end: number;
      while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
        const head = buffered.slice(0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) break;
        buffered = buffered.slice(end + 4 + length);
        respond(head, socket, index++);
      }
    });
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push({ close: () => { server.close(); } });
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), connections: () => connections, server };
}

/** Sends one request and collects the response, or rejects with the pool's error. */
function send(pool: UpstreamPool, request: Partial<UpstreamRequest> = {}, options: { pauseFirst?: boolean } = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const outcome: Outcome = { status: 0, headers: [], body: '' };
    let resume: () => void = () => undefined;
    let paused = false;
    const handler: UpstreamHandler = {
      onConnect() {},
      onHeaders(status, raw, _contentLength, resumeFn) {
        outcome.status = status;
        outcome.headers = raw.map((b) => b.toString('latin1'));
        resume = resumeFn;
        return true;
      },
      onData(chunk) {
        outcome.body += chunk.toString('latin1');
        if (options.pauseFirst && !paused) {
          paused = true;
          setTimeout(() => resume(), 50);
          return false;
        }
        return true;
      },
      onComplete() { resolve(outcome); },
      onError(err) { reject(err); },
    };
    pool.dispatch({ method: 'GET', path: '/', headers: ['host', 'upstream'], body: null, ...request }, handler);
  });
}

function pool(target: UpstreamPool, handler: UpstreamHandler): void {
  target.dispatch({ method: 'GET', path: '/', headers: ['host', 'upstream'], body: null }, handler);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), what);
}

const ok = (socket: Socket, body = 'ok', extra = ''): void => {
  socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`);
};

describe('UpstreamPool', () => {
  it('reuses one keep-alive connection for requests that follow each other', async () => {
    const up = await rawUpstream((_head, socket) => ok(socket));
    const pool = new UpstreamPool(up.url, OPTIONS);
    for (let i = 0; i < 5; i++) assert.equal((await send(pool)).body, 'ok');
    assert.equal(up.connections(), 1);
    assert.equal(pool.size, 1);
    await pool.close();
    assert.equal(pool.size, 0);
  });

  it('opens a connection per concurrent request and keeps them for later', async () => {
    const up = await rawUpstream((_head, socket) => setTimeout(() => ok(socket), 20));
    const pool = new UpstreamPool(up.url, OPTIONS);
    const results = await Promise.all(Array.from({ length: 4 }, () => send(pool)));
    assert.deepEqual(results.map((r) => r.body), ['ok', 'ok', 'ok', 'ok']);
    assert.equal(up.connections(), 4);
    await Promise.all(Array.from({ length: 4 }, () => send(pool)));
    assert.equal(up.connections(), 4, 'the idle connections were reused');
    await pool.close();
  });

  it('writes the request line, headers and framing the gateway chose', async () => {
    const heads: string[] = [];
    const up = await rawUpstream((head, socket) => {
      heads.push(head);
      ok(socket);
    });
    const pool = new UpstreamPool(up.url, OPTIONS);
    await send(pool, { method: 'POST', path: '/a/b?x=1', headers: ['host', 'h.example', 'x-one', '1', 'content-length', '99', 'expect', '100-continue'], body: Buffer.from('abc') });
    await send(pool, { method: 'PUT', path: '/empty' });
    assert.equal(heads[0], 'POST /a/b?x=1 HTTP/1.1\r\nhost: h.example\r\nx-one: 1\r\ncontent-length: 3');
    assert.equal(heads[1], 'PUT /empty HTTP/1.1\r\nhost: upstream\r\ncontent-length: 0');
    await pool.close();
  });

  it('streams a request body chunked when it has no declared length, with its declared length otherwise', async () => {
    const received: Array<{ te: string | undefined; cl: string | undefined; body: string }> = [];
    const server = createHttpServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d: Buffer) => { body += d.toString(); });
      req.on('end', () => {
        received.push({ te: req.headers['transfer-encoding'], cl: req.headers['content-length'], body });
        res.end('done');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    const pool = new UpstreamPool(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), OPTIONS);
    await send(pool, { method: 'POST', body: Readable.from([Buffer.from('one,'), Buffer.from('two')]) });
    await send(pool, { method: 'POST', headers: ['host', 'x', 'content-length', '7'], body: Readable.from([Buffer.from('one,'), Buffer.from('two')]) });
    assert.deepEqual(received, [
      { te: 'chunked', cl: undefined, body: 'one,two' },
      { te: undefined, cl: '7', body: 'one,two' },
    ]);
    await pool.close();
  });

  it('sends a request again on a new connection when the upstream closed the idle one it went out on', async () => {
    const up = await rawUpstream((_head, socket, index) => {
      if (index === 1) socket.destroy(); // the keep-alive race: closed as the second request arrives
      else ok(socket);
    });
    const pool = new UpstreamPool(up.url, OPTIONS);
    assert.equal((await send(pool)).body, 'ok');
    assert.equal((await send(pool)).body, 'ok');
    assert.equal(up.connections(), 2);
    await pool.close();
  });

  it('does not send a streamed body again: the request fails with the closed connection', async () => {
    const up = await rawUpstream((_head, socket, index) => {
      if (index === 1) socket.destroy();
      else ok(socket);
    });
    const pool = new UpstreamPool(up.url, OPTIONS);
    await send(pool);
    await assert.rejects(send(pool, { method: 'POST', body: Readable.from([Buffer.from('x')]) }), { code: 'TOLLGATE_UPSTREAM_CLOSED' });
    await pool.close();
  });

  it('fails with a head timeout when the upstream does not answer in time (the request’s own bound first)', async () => {
    const up = await rawUpstream(() => undefined);
    const pool = new UpstreamPool(up.url, OPTIONS);
    await assert.rejects(send(pool, { headersTimeout: 300 }), { code: 'TOLLGATE_UPSTREAM_HEADERS_TIMEOUT' });
    await until(() => pool.size === 0, 'the connection of a timed-out request is closed');
    await pool.close();
  });

  it('reports a refused connection with its system code', async () => {
    const up = await rawUpstream(() => undefined);
    up.server.close();
    await once(up.server, 'close');
    const pool = new UpstreamPool(up.url, OPTIONS);
    await assert.rejects(send(pool), { code: 'ECONNREFUSED' });
    await pool.close();
  });

  it('fails a response cut short, and a malformed one, without reusing the connection', async () => {
    const up = await rawUpstream((_head, socket, index) => {
      if (index === 0) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n');
    });
    const pool = new UpstreamPool(up.url, OPTIONS);
    await assert.rejects(send(pool), { code: 'TOLLGATE_UPSTREAM_CLOSED' });
    await assert.rejects(send(pool), { code: 'TOLLGATE_UPSTREAM_PROTOCOL' });
    assert.equal(up.connections(), 2);
    await pool.close();
  });

  it('refuses a header value that would split the request, writing nothing', async () => {
    const heads: string[] = [];
    const up = await rawUpstream((head, socket) => { heads.push(head); ok(socket); });
    const pool = new UpstreamPool(up.url, OPTIONS);
    await assert.rejects(send(pool, { headers: ['host', 'x', 'x-evil', 'a\r\nx-injected: 1'] }), { code: 'TOLLGATE_UPSTREAM_INVALID_REQUEST' });
    await assert.rejects(send(pool, { path: '/a b' }), { code: 'TOLLGATE_UPSTREAM_INVALID_REQUEST' });
    assert.equal((await send(pool)).body, 'ok');
    assert.equal(heads.length, 1);
    await pool.close();
  });

  it('closes an idle connection before the upstream’s announced Keep-Alive timeout', async () => {
    const up = await rawUpstream((_head, socket) => ok(socket, 'ok', 'Keep-Alive: timeout=1\r\n'));
    const pool = new UpstreamPool(up.url, OPTIONS);
    await send(pool);
    assert.equal(pool.size, 1);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(pool.size, 0);
    await send(pool);
    assert.equal(up.connections(), 2);
    await pool.close();
  });

  it('pauses and resumes a body without losing or repeating bytes', async () => {
    const body = 'x'.repeat(200_000);
    const up = await rawUpstream((_head, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      for (let i = 0; i < body.length; i += 50_000) socket.write(`${(50_000).toString(16)}\r\n${body.slice(i, i + 50_000)}\r\n`);
      socket.write('0\r\n\r\n');
    });
    const pool = new UpstreamPool(up.url, OPTIONS);
    const r = await send(pool, {}, { pauseFirst: true });
    assert.equal(r.body.length, body.length);
    assert.equal((await send(pool)).body.length, body.length, 'the connection is reused after a paused response');
    assert.equal(up.connections(), 1);
    await pool.close();
  });

  it('a paused response keeps its headers and unread bytes while other connections read', async () => {
    // Plain connections read into one buffer per process: A's head and its second chunk, read together
    // with its first, must survive B's response being read into that buffer while A is paused.
    const a = await rawUpstream((_head, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nX-Mark: aaaa\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n');
    });
    const b = await rawUpstream((_head, socket) => ok(socket, 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz', 'X-Mark: bbbb\r\n'));
    const poolA = new UpstreamPool(a.url, OPTIONS);
    const poolB = new UpstreamPool(b.url, OPTIONS);
    let resumeA: () => void = () => undefined;
    let firstChunk: (() => void) | null = null;
    const pausedOnce = new Promise<void>((r) => { firstChunk = r; });
    const outcome = new Promise<{ headers: string[]; body: string }>((resolve, reject) => {
      let raw: Buffer[] = [];
      let body = '';
      pool(poolA, {
        onConnect() {},
        onHeaders(_status, headers, _contentLength, resume) { raw = headers; resumeA = resume; return true; },
        onData(chunk) {
          body += chunk.toString('latin1');
          if (firstChunk === null) return true;
          firstChunk();
          firstChunk = null;
          return false;
        },
        onComplete() { resolve({ headers: raw.map((h) => h.toString('latin1')), body }); },
        onError: reject,
      });
    });
    await pausedOnce;
    assert.equal((await send(poolB)).body.length, 54);
    resumeA();
    const r = await outcome;
    assert.deepEqual(r.headers, ['X-Mark', 'aaaa']);
    assert.equal(r.body, 'abcdef');
    await poolA.close();
    await poolB.close();
  });

  it('aborting a request closes its connection and reports the abort once', async () => {
    const up = await rawUpstream(() => undefined);
    const pool = new UpstreamPool(up.url, OPTIONS);
    const errors: Error[] = [];
    await new Promise<void>((resolve) => {
      pool.dispatch({ method: 'GET', path: '/', headers: ['host', 'x'], body: null }, {
        onConnect(abort) { setTimeout(() => { abort(new Error('client closed request')); setTimeout(resolve, 50); }, 50); },
        onHeaders() { return true; },
        onData() { return true; },
        onComplete() { assert.fail('no response was sent'); },
        onError(err) { errors.push(err); },
      });
    });
    assert.deepEqual(errors.map((e) => e.message), ['client closed request']);
    await until(() => pool.size === 0, 'the aborted connection is closed');
    await pool.close();
  });

  it('close() lets a request in flight finish, then refuses new ones', async () => {
    const up = await rawUpstream((_head, socket) => setTimeout(() => ok(socket), 100));
    const pool = new UpstreamPool(up.url, OPTIONS);
    const inFlight = send(pool);
    await new Promise((r) => setTimeout(r, 20));
    const closed = pool.close();
    await assert.rejects(send(pool), { code: 'TOLLGATE_UPSTREAM_POOL_CLOSED' });
    assert.equal((await inFlight).body, 'ok');
    await closed;
    assert.equal(pool.size, 0);
  });
});
