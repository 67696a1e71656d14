import type { ResponseWriter } from '../front-door/response-writer.js';
import { classifyUpstreamError, errors, statusLine, type GatewayError } from '../errors.js';
import type { Decision, Reply } from '../pipeline/decision.js';
import type { RequestContext } from '../pipeline/request-context.js';
import type { UpstreamHandler } from './http1/upstream-connection.js';
import { UpstreamErrorCode } from './http1/upstream-errors.js';
import { markDown, pickTarget } from './load-balancer.js';
import { isNamed, isSetByGateway, upstreamHeadersDropped } from './response-headers.js';
import { requestTargetOn } from './upstream-path.js';
import { endWithoutBody, replyToSend, writeReply } from './write-reply.js';

/** What the exchange reports when it is over, exactly once. */
export interface ExchangeListener {
  /** The request part is over (a WebSocket exchange reports at the upgrade); `ctx` holds what happened. */
  onExchangeDone(exchange: { readonly ctx: RequestContext }): void;
}

export { endWithoutBody, writeReply } from './write-reply.js';

const CONNECT_FAILURES = new Set<string>(['ECONNREFUSED', UpstreamErrorCode.ConnectTimeout, 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * One request proxied from a uWS response to an upstream pool (http1/upstream-pool.ts), implemented as the
 * pool's handler so the response streams back without Node streams, header objects or promises: headers arrive as raw
 * Buffers and go to uWS as they are; a body that arrives whole is written with the head in one corked
 * write; larger bodies stream with backpressure both ways (`tryEnd`/`onWritable` against the upstream connection's resume).
 * A target that refuses the connection is marked down and, when the request body can be replayed, the
 * next target is tried.
 */
export class ProxyExchange implements UpstreamHandler {
  private clientGone = false;
  /** Two gates before the request goes upstream: the pipeline's decision and a dispatchable body. */
  private gates = 2;
  private isBodyComplete = false;
  private done = false;
  private headWritten = false;
  private rawHeaders: Buffer[] | null = null;
  private contentLength = -1;
  private abortUpstream: ((err?: Error) => void) | null = null;
  private resumeUpstream: (() => void) | null = null;
  private pending: Buffer | null = null;
  private pendingOffset = 0;
  private attempts = 0;

  constructor(
    private readonly res: ResponseWriter,
    readonly ctx: RequestContext,
    private readonly listener: ExchangeListener,
    private readonly closeConnection: () => boolean,
  ) {}

  /**
   * The body can be dispatched: it is complete (`isComplete`), or it is a stream that feeds itself while
   * the request is in flight.
   */
  bodyReady(isComplete: boolean): void {
    if (this.clientGone || this.done) return;
    this.isBodyComplete = isComplete;
    if (--this.gates === 0) this.dispatch();
  }

  /** The pipeline's decision: go upstream, or answer with a reply. */
  decide(decision: Decision): void {
    if (this.clientGone || this.done) {
      // Decided after the client left (or the body failed): a quota unit consumed meanwhile goes back.
      this.ctx.refundQuota();
      return;
    }
    if (decision === undefined) {
      if (--this.gates === 0) this.dispatch();
      return;
    }
    this.respond(decision);
  }

  /** Answers with a gateway error before anything was sent upstream. */
  failRequest(error: GatewayError): void {
    if (this.clientGone || this.done) return;
    this.abortUpstream?.(new Error(error.message));
    this.endWithError(error, true);
  }

  /** Sends the request to the current target. */
  private dispatch(): void {
    const ctx = this.ctx;
    const { api, target } = ctx;
    if (target === null) {
      // Every target was down when the request arrived (load balancing, uptime tests, no discovered host).
      this.endWithError(errors.allHostsDown, this.closeConnection());
      return;
    }
    if (!api.preserveHostHeader) ctx.headers[1] = target.host;
    this.attempts++;
    ctx.upstreamSentMs = Date.now();
    target.pool.dispatch({
      path: requestTargetOn(ctx, target),
      method: ctx.forwardMethod,
      headers: ctx.headers,
      body: ctx.body as Buffer | null,
      // hard_timeouts: the pool's head timeout for this request, reported as HeadersTimeout → 504 (URT).
      headersTimeout: ctx.upstreamTimeoutMs,
    }, this);
  }

  /**
   * Answers with a pipeline reply. A body the client is still sending is not read: the connection closes
   * after the reply, so its unread bytes cannot be taken for the next request.
   */
  private respond(reply: Reply): void {
    const ctx = this.ctx;
    const sent = replyToSend(ctx, reply);
    const body = ctx.body;
    const isBodyUnread = !this.isBodyComplete;
    if (body !== null && !Buffer.isBuffer(body)) body.destroy();
    this.res.cork(() => writeReply(this.res, sent, isBodyUnread || this.closeConnection(), ctx.responseHeaders));
    this.finish();
  }

  /** The client went away (uWS onAborted): never touch `res` again. Recorded as 499 with flag CDC. */
  clientAborted(): void {
    this.clientGone = true;
    if (!this.done) {
      const ctx = this.ctx;
      ctx.status = 499;
      ctx.flag = errors.clientClosed.flag;
      ctx.error = errors.clientClosed;
    }
    this.abortUpstream?.(new Error('client closed request'));
    const body = this.ctx.body;
    if (body !== null && !Buffer.isBuffer(body)) {
      (body as unknown as { clientGone(): void; destroy(): void }).clientGone();
      (body as unknown as { destroy(): void }).destroy();
    }
    this.finish();
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.clientGone) abort(new Error('client closed request'));
    else this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], contentLength: number, resume: () => void): boolean {
    this.ctx.status = statusCode;
    // URS (errors-and-flags.md §2.2): the upstream answered 5xx; the response itself is passed through.
    if (statusCode >= 500) this.ctx.flag = 'URS';
    this.ctx.upstreamHeadMs = Date.now();
    this.rawHeaders = rawHeaders;
    this.contentLength = contentLength;
    this.resumeUpstream = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    const capture = this.ctx.cacheCapture;
    if (capture !== null && !capture.push(chunk)) this.ctx.cacheCapture = null;
    if (this.clientGone || this.done) return true;
    const res = this.res;
    if (!this.headWritten) {
      if (this.contentLength === chunk.length && !this.ctx.isHead) {
        res.cork(() => {
          this.writeHead();
          res.end(chunk, this.closeConnection());
        });
        this.finish();
        return true;
      }
      res.cork(() => this.writeHead());
    }
    return this.contentLength >= 0 ? this.writeSized(chunk) : this.writeChunked(chunk);
  }

  onComplete(): void {
    const capture = this.ctx.cacheCapture;
    if (capture !== null) {
      // The upstream response is complete (whether or not the client is still there): it may be cached.
      this.ctx.cacheCapture = null;
      capture.complete(this.ctx.status, this.rawHeaders ?? []);
    }
    if (this.clientGone || this.done) return;
    const res = this.res;
    if (!this.headWritten) {
      res.cork(() => {
        this.writeHead();
        const status = this.ctx.status;
        if (this.ctx.isHead || status === 204 || status === 304) {
          endWithoutBody(res, status !== 204 ? this.contentLength : -1, this.closeConnection());
        } else {
          res.end(undefined, this.closeConnection());
        }
      });
    } else if (this.contentLength < 0) {
      res.cork(() => res.end(undefined, this.closeConnection()));
    } else {
      // The upstream sent fewer bytes than it announced: the client must not take this as complete.
      res.close();
    }
    this.finish();
  }

  onError(err: Error & { code?: string }): void {
    if (this.clientGone || this.done) return;
    if (this.headWritten) {
      this.res.close();
      this.finish();
      return;
    }
    if (this.retryOnNextTarget(err)) return;
    this.ctx.errorDetail = err.message;
    this.endWithError(classifyUpstreamError(err), this.closeConnection());
  }

  /** Records the error and answers with it; once the head is out, closing the connection is all that is left. */
  private endWithError(error: GatewayError, closeConnection: boolean): void {
    const ctx = this.ctx;
    if (this.headWritten) {
      ctx.error = error;
      ctx.flag = error.flag;
      ctx.status = error.status;
      this.res.close();
    } else {
      const sent = replyToSend(ctx, error);
      this.res.cork(() => writeReply(this.res, sent, closeConnection, ctx.responseHeaders));
    }
    this.finish();
  }

  private retryOnNextTarget(err: Error & { code?: string }): boolean {
    const ctx = this.ctx;
    if (!CONNECT_FAILURES.has(err.code ?? '') || ctx.api.targets.length < 2) return false;
    const now = Date.now();
    if (ctx.target !== null) markDown(ctx.target, now);
    const body = ctx.body;
    if (body !== null && !Buffer.isBuffer(body)) return false;
    if (this.attempts >= ctx.api.targets.length) return false;
    const next = pickTarget(ctx.api, now);
    if (next === null) return false;
    ctx.target = next;
    this.abortUpstream = null;
    this.dispatch();
    return true;
  }

  private writeHead(): void {
    const res = this.res;
    const raw = this.rawHeaders!;
    this.headWritten = true;
    res.writeStatus(statusLine(this.ctx.status));
    const extra = this.ctx.responseHeaders;
    const quota = this.ctx.quotaHeaders;
    const drop = this.ctx.dropResponseHeaders;
    const dropped = upstreamHeadersDropped();
    // `raw` holds only the headers to pass on (the upstream client left out hop-by-hop and framing ones).
    for (let i = 0; i < raw.length; i += 2) {
      // A header the gateway sets (CORS, global_response_headers, X-RateLimit-*) replaces the upstream's copy.
      if (extra !== null && isSetByGateway(raw[i]!, extra)) continue;
      if (quota !== null && isSetByGateway(raw[i]!, quota)) continue;
      if (drop !== null && isNamed(raw[i]!, drop)) continue;
      if (dropped !== null && isNamed(raw[i]!, dropped)) continue;
      res.writeHeader(raw[i]!, raw[i + 1]!);
    }
    if (extra !== null) for (let i = 0; i < extra.length; i += 2) res.writeHeader(extra[i]!, extra[i + 1]!);
    // The key's quota headers go on responses that reached the upstream (§8); gateway errors never get them.
    if (quota !== null) for (let i = 0; i < quota.length; i += 2) res.writeHeader(quota[i]!, quota[i + 1]!);
  }

  private writeChunked(chunk: Buffer): boolean {
    let ok = true;
    this.res.cork(() => { ok = this.res.write(chunk); });
    if (ok) return true;
    this.res.onWritable(() => {
      this.resumeUpstream?.();
      return true;
    });
    return false;
  }

  private writeSized(chunk: Buffer): boolean {
    const res = this.res;
    const offset = res.getWriteOffset();
    let ok = false;
    let sent = false;
    res.cork(() => { [ok, sent] = res.tryEnd(chunk, this.contentLength); });
    if (sent) {
      this.finish();
      return true;
    }
    if (ok) return true;
    // Kept until the client can take more: a copy, as the chunk may be a view of a reused read buffer.
    this.pending = Buffer.from(chunk);
    this.pendingOffset = offset;
    res.onWritable((writeOffset) => this.retryPending(writeOffset));
    return false;
  }

  private retryPending(writeOffset: number): boolean {
    if (this.clientGone || this.pending === null) return true;
    const [ok, sent] = this.res.tryEnd(this.pending.subarray(writeOffset - this.pendingOffset), this.contentLength);
    if (sent) {
      this.pending = null;
      this.finish();
    } else if (ok) {
      this.pending = null;
      this.resumeUpstream?.();
    }
    return ok;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    // Refused (an error reply, 503 NHU, a failed body, a middleware that threw) or abandoned before the
    // request went upstream: the quota unit the limit step consumed goes back (§10.6). Success costs one compare.
    if (this.attempts === 0 && (this.ctx.error !== null || this.clientGone)) this.ctx.refundQuota();
    this.ctx.endMs = Date.now();
    this.listener.onExchangeDone(this);
  }
}
