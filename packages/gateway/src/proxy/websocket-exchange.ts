import { Agent, WebSocket as UpstreamSocket, type Dispatcher } from 'undici';
import type { HttpResponse, us_socket_context_t, WebSocket } from 'uWebSockets.js';
import { errors } from '../errors.js';
import type { ResponseWriter } from '../front-door/response-writer.js';
import type { Reply } from '../pipeline/decision.js';
import type { RequestContext } from '../pipeline/request-context.js';
import type { UpstreamTarget } from '../routing/compiled-api.js';
import type { UpstreamPool } from './http1/upstream-pool.js';
import type { ExchangeListener } from './proxy-exchange.js';
import { requestTargetOn } from './upstream-path.js';
import { UpgradeExchange } from './upgrade-exchange.js';
import { replyToSend, writeReply } from './write-reply.js';

/** What uWS's upgrade handler read from the request (the request object is gone once it returns). */
export interface UpgradeRequest {
  readonly key: string;
  readonly protocol: string;
  readonly extensions: string;
  readonly context: us_socket_context_t;
}

/** uWS user data of an upgraded client socket. */
export interface RelayData {
  readonly exchange: WebSocketExchange;
}

/**
 * Bytes one direction may hold for a slow reader before the connection is closed (1008): the relay never
 * buffers without bound. uWS enforces it towards the client (`maxBackpressure`), the exchange towards the upstream.
 */
export const MAX_RELAY_BUFFER = 16 * 1024 * 1024;

/** Headers the upstream handshake sets itself, or that describe the client's handshake only. */
const NOT_FORWARDED = new Set(['host', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol', 'content-length']);

/** One undici Agent per upstream pool that dials through TLS settings or a forward proxy (pins, client certificates, CONNECT). */
const dispatchers = new WeakMap<UpstreamPool, Dispatcher>();

function dispatcherFor(pool: UpstreamPool): Dispatcher | undefined {
  const connect = pool.connector;
  if (connect === null) return undefined;
  let dispatcher = dispatchers.get(pool);
  if (dispatcher === undefined) {
    dispatcher = new Agent({ connect });
    dispatchers.set(pool, dispatcher);
  }
  return dispatcher;
}

/** A close code that may be sent in a close frame (1005, 1006 and 1015 are reserved for reporting). */
function sendableCode(code: number): number {
  return code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;
}

/**
 * One WebSocket connection through the gateway: the upgrade request has passed the API's pipeline; the
 * exchange opens the upstream WebSocket (same target, path, query and headers as an HTTP request would
 * get, TLS settings and pins of the target's pool), and only once the upstream accepted it upgrades the
 * client with the protocol the upstream chose. Messages are then relayed both ways, text as text and
 * binary as binary, and a close on either side closes the other. As in Tyk, limits and analytics count
 * the upgrade (one record, status 101), not the messages. A refused or failed upstream handshake answers
 * the client with Tyk's proxy error (500, or 504 past `proxy_default_timeout`).
 */
export class WebSocketExchange extends UpgradeExchange {
  /** Upgraded connections of this worker, closed with 1001 when it drains. */
  private static readonly live = new Set<WebSocketExchange>();
  private isUpgraded = false;
  private upstream: UpstreamSocket | null = null;
  private client: WebSocket<RelayData> | null = null;
  /** Upstream messages that arrived between the upstream's open and the client's. */
  private early: Array<string | ArrayBuffer> | null = [];
  private timedOut = false;

  constructor(
    private readonly res: HttpResponse,
    ctx: RequestContext,
    listener: ExchangeListener,
    private readonly upgrade: UpgradeRequest,
    private readonly closeConnection: () => boolean,
  ) {
    super(ctx, listener);
  }

  /** Closes every upgraded connection of this worker (code 1001, going away). */
  static closeAll(): void {
    for (const exchange of [...WebSocketExchange.live]) exchange.shutdown();
  }

  /** The client went away before the upgrade. */
  clientAborted(): void {
    this.clientGone = true;
    if (this.isUpgraded) return;
    this.ctx.status = 499;
    this.closeUpstream(1000);
    this.finish();
  }

  /** uWS `open`: the client socket exists; what the upstream sent meanwhile goes first. */
  clientOpen(ws: WebSocket<RelayData>): void {
    this.client = ws;
    WebSocketExchange.live.add(this);
    const early = this.early ?? [];
    this.early = null;
    for (const message of early) this.toClient(message);
    if (this.upstream === null || this.upstream.readyState >= UpstreamSocket.CLOSING) ws.end(1000);
  }

  /** uWS `message`: the ArrayBuffer is valid only during the call, so it is copied. */
  fromClient(message: ArrayBuffer, isBinary: boolean): void {
    const upstream = this.upstream;
    if (upstream === null || upstream.readyState !== UpstreamSocket.OPEN) return;
    upstream.send(isBinary ? new Uint8Array(message.slice(0)) : Buffer.from(message).toString('utf8'));
    if (upstream.bufferedAmount > MAX_RELAY_BUFFER) {
      this.client?.end(1008, 'upstream too slow');
      this.closeUpstream(1000);
    }
  }

  /** uWS `close`: the client socket is gone. */
  clientClosed(code: number, reason: ArrayBuffer): void {
    this.client = null;
    WebSocketExchange.live.delete(this);
    this.closeUpstream(code, Buffer.from(reason).toString('utf8'));
  }

  protected connect(target: UpstreamTarget): void {
    const ctx = this.ctx;
    const api = ctx.api;
    const url = `ws${target.origin.slice(4)}${requestTargetOn(ctx, target)}`;
    const headers: [string, string][] = [];
    const list = ctx.headers;
    for (let i = 2; i < list.length; i += 2) if (!NOT_FORWARDED.has(list[i]!)) headers.push([list[i]!, list[i + 1]!]);
    if (api.preserveHostHeader) headers.push(['host', list[1]!]);
    const protocols = this.upgrade.protocol.split(',').map((p) => p.trim()).filter((p) => p !== '');
    ctx.upstreamSentMs = Date.now();
    let upstream: UpstreamSocket;
    try {
      upstream = new UpstreamSocket(url, { protocols, headers, dispatcher: dispatcherFor(target.pool) });
    } catch (err) {
      ctx.errorDetail = `websocket to ${url}: ${(err as Error).message}`;
      this.respond(errors.upstreamError);
      return;
    }
    upstream.binaryType = 'arraybuffer';
    this.upstream = upstream;
    this.hasDialled = true;
    const timeoutMs = ctx.upstreamTimeoutMs > 0 ? ctx.upstreamTimeoutMs : target.pool.defaultHeadersTimeoutMs;
    this.startTimer(timeoutMs, () => {
      this.timedOut = true;
      upstream.close();
    });
    upstream.addEventListener('open', () => this.upstreamOpen());
    upstream.addEventListener('message', (event) => this.toClient(event.data as string | ArrayBuffer));
    upstream.addEventListener('close', (event) => this.upstreamClosed(event.code, event.reason));
  }

  /**
   * The upstream accepted: the client gets its 101 and becomes a relayed WebSocket.
   *
   * The upgrade is deliberately NOT wrapped in `res.cork`, though uWS asks for writes made outside its
   * own callbacks to be corked. In this uWS build (uWebSockets.js 20.30), `HttpResponse::cork` runs a
   * "Connection: close" check on the response after the callback returns, reading `HttpResponseData::state`
   * of the socket it corked. When `res.upgrade` ran inside that callback and uWS adopted the socket as a
   * WebSocket in place (the shrinking realloc keeps its address), that memory is no longer an
   * `HttpResponseData`: when the stale bytes at that offset read as "connection close, nothing pending",
   * uWS shuts down and closes the fresh WebSocket right after its `open` — the client sees the 101, then
   * 1006, with no error on either side (uWebSockets issue #1928, PR #1929). It depends on heap contents and
   * timing: test/websocket.test.ts's burst of 20 simultaneous handshakes lost one connection in 16 runs of 40.
   * Uncorked, `upgrade` sends the 101 in a few small writes, and its own close check reads the real response
   * state before the socket is adopted (so only a request that really said `Connection: close` is closed).
   */
  private upstreamOpen(): void {
    this.clearTimer();
    const upstream = this.upstream!;
    if (this.clientGone || this.done) {
      upstream.close(1000);
      return;
    }
    const ctx = this.ctx;
    ctx.status = 101;
    ctx.upstreamHeadMs = Date.now();
    this.isUpgraded = true;
    const res = this.res;
    const { key, context } = this.upgrade;
    // Not in res.cork (see above). Headers on a 101 need the status written first (else uWS writes 200
    // and the upgrade fails).
    const extra = ctx.responseHeaders;
    const quota = ctx.quotaHeaders;
    if (extra !== null || quota !== null) res.writeStatus('101 Switching Protocols');
    if (extra !== null) for (let i = 0; i < extra.length; i += 2) res.writeHeader(extra[i]!, extra[i + 1]!);
    if (quota !== null) for (let i = 0; i < quota.length; i += 2) res.writeHeader(quota[i]!, quota[i + 1]!);
    // Extensions (permessage-deflate) are not negotiated: the relay speaks plain frames on both sides.
    res.upgrade<RelayData>({ exchange: this }, key, upstream.protocol, '', context);
    this.finish();
  }

  private toClient(message: string | ArrayBuffer): void {
    if (this.early !== null) {
      this.early.push(message);
      return;
    }
    const client = this.client;
    if (client === null) return;
    // uWS closes the client itself past maxBackpressure (closeOnBackpressureLimit).
    client.send(message, typeof message !== 'string');
  }

  private upstreamClosed(code: number, reason: string): void {
    this.clearTimer();
    if (!this.isUpgraded) {
      // The handshake failed (refused, not 101, TLS, timeout): the client gets Tyk's proxy error.
      if (this.clientGone || this.done) return;
      this.ctx.errorDetail = this.timedOut ? 'websocket handshake with the upstream timed out' : `websocket handshake with the upstream failed (close ${code})`;
      this.respond(this.timedOut ? errors.upstreamTimeout : errors.upstreamError);
      return;
    }
    const client = this.client;
    if (client !== null) {
      this.client = null;
      WebSocketExchange.live.delete(this);
      client.end(sendableCode(code), reason);
    }
    // Closed before the client's open ran: clientOpen ends the client after the early messages.
  }

  private closeUpstream(code: number, reason = ''): void {
    this.clearTimer();
    const upstream = this.upstream;
    if (upstream === null || upstream.readyState >= UpstreamSocket.CLOSING) return;
    try {
      upstream.close(sendableCode(code), Buffer.byteLength(reason) <= 123 ? reason : '');
    } catch {
      upstream.close();
    }
  }

  private shutdown(): void {
    const client = this.client;
    this.client = null;
    WebSocketExchange.live.delete(this);
    client?.end(1001, 'gateway shutting down');
    this.closeUpstream(1000);
  }

  /** Answers the upgrade request with a pipeline reply or a gateway error (overrides applied). */
  protected respond(reply: Reply): void {
    const sent = replyToSend(this.ctx, reply);
    const res = this.res as unknown as ResponseWriter;
    res.cork(() => writeReply(res, sent, this.closeConnection(), this.ctx.responseHeaders));
    this.finish();
  }
}
