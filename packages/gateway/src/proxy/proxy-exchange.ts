import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { HttpResponse } from 'uWebSockets.js';
import { classifyUpstreamError, statusLine, type GatewayError } from '../errors.js';
import type { RecordSource } from '../analytics/record-source.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import { markDown, pickTarget } from './load-balancer.js';
import { classifyHeader, HeaderKind } from './response-headers.js';
import { upstreamPath, joinQuery } from './upstream-path.js';

/** What the exchange reports when it is over, exactly once. */
export interface ExchangeListener {
  onExchangeDone(exchange: ProxyExchange): void;
}

/** Writes a gateway error on a uWS response (caller must be inside the handler or a cork). */
export function writeError(res: HttpResponse, error: GatewayError, closeConnection: boolean): void {
  res.writeStatus(error.statusLine).writeHeader('Content-Type', error.contentType).end(error.body, closeConnection);
}

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * One request proxied from a uWS response to an undici pool, implemented as undici's dispatch handler so
 * the response streams back without Node streams, header objects or promises: headers arrive as raw
 * Buffers and go to uWS as they are; a body that arrives whole is written with the head in one corked
 * write; larger bodies stream with backpressure both ways (`tryEnd`/`onWritable` against undici's resume).
 * A target that refuses the connection is marked down and, when the request body can be replayed, the
 * next target is tried. When it is done it is also the RecordSource that metrics and analytics read.
 */
export class ProxyExchange implements Dispatcher.DispatchHandler, RecordSource {
  status = 0;
  error: GatewayError | null = null;
  readonly startMs = Date.now();
  endMs = 0;
  upstreamMs = 0;
  readonly session = null;
  readonly sessionKey = '';
  readonly apiVersion = '';
  private upstreamSentMs = 0;
  private clientGone = false;
  private done = false;
  private headWritten = false;
  private rawHeaders: Buffer[] | null = null;
  private responseLength = -1;
  private abortUpstream: ((err?: Error) => void) | null = null;
  private resumeUpstream: (() => void) | null = null;
  private pending: Buffer | null = null;
  private pendingOffset = 0;
  private attempts = 0;
  private target: UpstreamTarget;

  constructor(
    private readonly res: HttpResponse,
    readonly api: CompiledApi,
    private readonly request: {
      readonly method: string;
      /** Client IP. */
      readonly peer: string;
      /** Declared Content-Length, −1 when unknown (chunked). */
      readonly contentLength: number;
      readonly path: string;
      readonly query: string;
      readonly matchedLength: number;
      /** Flat [name, value, ...]; index 1 holds the Host value, rewritten per target. */
      readonly headers: string[];
      /** null (no body), a whole Buffer (replayable), or a stream (not replayable). */
      body: Buffer | Readable | null;
      readonly isHead: boolean;
    },
    target: UpstreamTarget,
    private readonly listener: ExchangeListener,
    private readonly closeConnection: () => boolean,
  ) {
    this.target = target;
  }

  get method(): string { return this.request.method; }
  get path(): string { return this.request.path; }
  get headers(): readonly string[] { return this.request.headers; }
  get peer(): string { return this.request.peer; }
  get matchedLength(): number { return this.request.matchedLength; }
  get contentLength(): number { return this.request.contentLength; }
  get upstreamHost(): string { return this.target.host; }
  get flag(): string { return this.error?.flag ?? ''; }
  get isGatewayError(): boolean { return this.error !== null; }

  /** Sends the request to the current target. */
  dispatch(): void {
    const { request, api, target } = this;
    this.upstreamSentMs = Date.now();
    if (!api.preserveHostHeader) request.headers[1] = target.host;
    const path = upstreamPath(request.path, request.matchedLength, api.stripListenPath, target.path, api.disableStripSlash);
    const query = joinQuery(target.query, request.query);
    this.attempts++;
    target.pool.dispatch({
      path: query.length === 0 ? path : `${path}?${query}`,
      method: request.method,
      headers: request.headers,
      body: request.body as Buffer | null,
    }, this);
  }

  setBody(body: Buffer | Readable): void {
    this.request.body = body;
  }

  /** Answers with a gateway error before anything was sent upstream. */
  failRequest(error: GatewayError): void {
    if (this.clientGone || this.done) return;
    this.abortUpstream?.(new Error(error.message));
    this.endWithError(error, true);
  }

  /** The client went away (uWS onAborted): never touch `res` again. */
  clientAborted(): void {
    this.clientGone = true;
    this.status = 499;
    this.abortUpstream?.(new Error('client closed request'));
    const body = this.request.body;
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

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx: undici handles 100-continue; nothing to relay
    this.status = statusCode;
    this.upstreamMs = Date.now() - this.upstreamSentMs;
    this.rawHeaders = rawHeaders;
    this.resumeUpstream = resume;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      if (classifyHeader(rawHeaders[i]!) === HeaderKind.ContentLength) this.responseLength = Number(rawHeaders[i + 1]!.toString('latin1'));
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.clientGone || this.done) return true;
    const res = this.res;
    if (!this.headWritten) {
      if (this.responseLength === chunk.length && !this.request.isHead) {
        res.cork(() => {
          this.writeHead();
          res.end(chunk, this.closeConnection());
        });
        this.finish();
        return true;
      }
      res.cork(() => this.writeHead());
    }
    return this.responseLength >= 0 ? this.writeSized(chunk) : this.writeChunked(chunk);
  }

  onComplete(): void {
    if (this.clientGone || this.done) return;
    const res = this.res;
    if (!this.headWritten) {
      res.cork(() => {
        this.writeHead();
        const status = this.status;
        if (this.request.isHead || status === 204 || status === 304) {
          res.endWithoutBody(this.responseLength >= 0 && status !== 204 ? this.responseLength : undefined, this.closeConnection());
        } else {
          res.end(undefined, this.closeConnection());
        }
      });
    } else if (this.responseLength < 0) {
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
    this.endWithError(classifyUpstreamError(err), this.closeConnection());
  }

  /** Records the error and answers with it; once the head is out, closing the connection is all that is left. */
  private endWithError(error: GatewayError, closeConnection: boolean): void {
    this.error = error;
    this.status = error.status;
    if (this.headWritten) this.res.close();
    else this.res.cork(() => writeError(this.res, error, closeConnection));
    this.finish();
  }

  private retryOnNextTarget(err: Error & { code?: string }): boolean {
    if (!CONNECT_FAILURES.has(err.code ?? '') || this.api.targets.length < 2) return false;
    const now = Date.now();
    markDown(this.target, now);
    const body = this.request.body;
    if (body !== null && !Buffer.isBuffer(body)) return false;
    if (this.attempts >= this.api.targets.length) return false;
    const next = pickTarget(this.api, now);
    if (next === null) return false;
    this.target = next;
    this.abortUpstream = null;
    this.dispatch();
    return true;
  }

  private writeHead(): void {
    const res = this.res;
    const raw = this.rawHeaders!;
    this.headWritten = true;
    res.writeStatus(statusLine(this.status));
    for (let i = 0; i < raw.length; i += 2) {
      if (classifyHeader(raw[i]!) === HeaderKind.Forward) res.writeHeader(raw[i]!, raw[i + 1]!);
    }
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
    res.cork(() => { [ok, sent] = res.tryEnd(chunk, this.responseLength); });
    if (sent) {
      this.finish();
      return true;
    }
    if (ok) return true;
    this.pending = chunk;
    this.pendingOffset = offset;
    res.onWritable((writeOffset) => this.retryPending(writeOffset));
    return false;
  }

  private retryPending(writeOffset: number): boolean {
    if (this.clientGone || this.pending === null) return true;
    const [ok, sent] = this.res.tryEnd(this.pending.subarray(writeOffset - this.pendingOffset), this.responseLength);
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
    this.endMs = Date.now();
    this.listener.onExchangeDone(this);
  }
}
