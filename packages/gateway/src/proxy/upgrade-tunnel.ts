import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { classifyUpstreamError, errors } from '../errors.js';
import { RawSocketWriter } from '../front-door/raw-socket-writer.js';
import type { Reply } from '../pipeline/decision.js';
import type { RequestContext } from '../pipeline/request-context.js';
import type { UpstreamTarget } from '../routing/compiled-api.js';
import { requestHead } from './http1/request-head.js';
import { MAX_HEAD_BYTES } from './http1/response-parser.js';
import type { ExchangeListener } from './proxy-exchange.js';
import { requestTargetOn } from './upstream-path.js';
import { UpgradeExchange } from './upgrade-exchange.js';
import { replyToSend, writeReply } from './write-reply.js';

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: |\r)/;

/**
 * A protocol upgrade (a WebSocket) through the node:tls front door, relayed byte for byte as Tyk's Go
 * reverse proxy relays it: the request passed the API's pipeline (auth, limits and quota count it once,
 * as on the uWS doors), the upstream is dialled as the target's pool dials (TLS settings, pins, forward
 * proxy), the request goes out with `Connection: Upgrade` and the client's `Upgrade`, and the upstream's
 * answer goes back as it came (the gateway's extra response headers and quota headers added to its head).
 * After a 101 both sockets are piped into each other with Node's backpressure, whatever the protocol
 * speaks; a close or an error on either side ends both. Any other answer is passed back and the
 * connection closed after it. A refused or failed handshake gets Tyk's proxy error, a timeout 504.
 */
export class UpgradeTunnel extends UpgradeExchange {
  /** Tunnels of this worker, cut when it drains (a byte tunnel cannot frame a close of its own). */
  private static readonly live = new Set<UpgradeTunnel>();
  private upstream: Socket | null = null;
  private isTunnelling = false;
  private head: Buffer[] = [];
  private headLength = 0;

  constructor(
    private readonly client: Duplex,
    /** Bytes the client sent after its request head (Node's `upgrade` event hands them over). */
    private readonly early: Buffer,
    ctx: RequestContext,
    /** The client's `Upgrade` value (hop-by-hop, so not among the request's headers). */
    private readonly upgrade: string,
    listener: ExchangeListener,
  ) {
    super(ctx, listener);
    client.on('error', () => this.clientClosed());
    client.on('close', () => this.clientClosed());
  }

  /** Cuts every tunnel of this worker (drain). */
  static closeAll(): void {
    for (const tunnel of [...UpgradeTunnel.live]) tunnel.cut();
  }

  protected connect(target: UpstreamTarget): void {
    const ctx = this.ctx;
    const api = ctx.api;
    if (!api.preserveHostHeader) ctx.headers[1] = target.host;
    const pool = target.pool;
    let head: string;
    try {
      // Connection and Upgrade are hop-by-hop (not among the request's headers): put back, checked as any header.
      head = requestHead(ctx.forwardMethod, pool.requestTargetPrefix + requestTargetOn(ctx, target),
        [...ctx.headers, 'connection', 'Upgrade', 'upgrade', this.upgrade], null, pool.extraRequestHead);
    } catch (err) {
      this.fail(errors.upstreamError, `upgrade request: ${(err as Error).message}`);
      return;
    }
    ctx.upstreamSentMs = Date.now();
    const timeoutMs = ctx.upstreamTimeoutMs > 0 ? ctx.upstreamTimeoutMs : pool.defaultHeadersTimeoutMs;
    this.startTimer(timeoutMs, () => this.fail(errors.upstreamTimeout, 'upgrade handshake with the upstream timed out'));
    this.hasDialled = true;
    pool.connectRaw((err, socket) => {
      if (err !== null || socket === null) {
        this.fail(classifyUpstreamError(err ?? new Error('no socket')), `upgrade connect: ${err?.message ?? 'no socket'}`);
        return;
      }
      if (this.done || this.clientGone) {
        socket.destroy();
        return;
      }
      this.upstream = socket;
      socket.on('data', this.onHeadData);
      socket.on('error', (e: Error & { code?: string }) => this.upstreamClosed(e));
      socket.on('close', () => this.upstreamClosed(null));
      socket.write(head, 'latin1');
      if (this.early.length > 0) socket.write(this.early);
    });
  }

  /** Upstream bytes until the end of its response head. */
  private readonly onHeadData = (chunk: Buffer): void => {
    this.head.push(chunk);
    this.headLength += chunk.length;
    const bytes = this.head.length === 1 ? chunk : Buffer.concat(this.head, this.headLength);
    const end = bytes.indexOf(HEAD_END);
    if (end < 0) {
      if (this.headLength > MAX_HEAD_BYTES) this.fail(errors.upstreamError, 'upgrade response head too large');
      return;
    }
    const match = STATUS_LINE.exec(bytes.toString('latin1', 0, Math.min(end + 2, 64)));
    if (match === null) {
      this.fail(errors.upstreamError, 'upgrade response without a valid status line');
      return;
    }
    const upstream = this.upstream!;
    upstream.off('data', this.onHeadData);
    this.head = [];
    this.clearTimer();
    const ctx = this.ctx;
    const status = Number(match[1]);
    ctx.status = status;
    ctx.upstreamHeadMs = Date.now();
    if (status >= 500) ctx.flag = 'URS';
    let added = '';
    for (const list of [ctx.responseHeaders, ctx.quotaHeaders]) {
      if (list !== null) for (let i = 0; i < list.length; i += 2) added += `${list[i]!}: ${list[i + 1]!}\r\n`;
    }
    const headOut = added === '' ? bytes.subarray(0, end + 2) : Buffer.concat([bytes.subarray(0, end + 2), Buffer.from(added, 'latin1')]);
    const client = this.client;
    client.write(Buffer.concat([headOut, bytes.subarray(end + 2)]));
    this.isTunnelling = true;
    UpgradeTunnel.live.add(this);
    if (status === 101) client.pipe(upstream);
    // Not switched: the rest of the answer goes back, then both close.
    upstream.pipe(client);
    this.finish();
  };

  private upstreamClosed(err: (Error & { code?: string }) | null): void {
    if (this.isTunnelling) {
      this.cut();
      return;
    }
    if (this.done || this.clientGone) return;
    // Closed or failed before its answer's head.
    this.fail(err === null ? errors.upstreamError : classifyUpstreamError(err), `upgrade handshake with the upstream failed: ${err?.message ?? 'closed'}`);
  }

  private clientClosed(): void {
    if (this.isTunnelling) {
      this.cut();
      return;
    }
    if (this.clientGone || this.done) return;
    this.clientGone = true;
    this.ctx.status = 499;
    this.ctx.flag = 'CDC';
    this.clearTimer();
    this.upstream?.destroy();
    this.finish();
  }

  /** Ends both sides of an open tunnel. */
  private cut(): void {
    UpgradeTunnel.live.delete(this);
    this.upstream?.destroy();
    // What is written already still goes out; then the connection closes.
    if (!this.client.destroyed) this.client.end();
    if (!this.client.destroyed) setTimeout(() => this.client.destroy(), 1000).unref();
  }

  private fail(error: Reply, detail: string): void {
    if (this.done || this.clientGone) return;
    this.clearTimer();
    this.ctx.errorDetail = detail;
    this.upstream?.destroy();
    this.respond(error);
  }

  /** Answers the upgrade request with a pipeline reply or a gateway error (overrides applied), then closes. */
  protected respond(reply: Reply): void {
    const sent = replyToSend(this.ctx, reply);
    writeReply(new RawSocketWriter(this.client), sent, true, this.ctx.responseHeaders);
    this.finish();
  }
}
