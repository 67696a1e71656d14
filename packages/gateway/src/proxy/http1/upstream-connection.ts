import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { ResponseParser, UpstreamProtocolError, type ResponseHandler } from './response-parser.js';
import { requestHead, RequestHeadError } from './request-head.js';
import { upstreamError, UpstreamErrorCode } from './upstream-errors.js';

/** What a pool's user implements to receive one upstream response (called at most once each, in order). */
export interface UpstreamHandler {
  /** The request is on its way; `abort` cuts it (the connection is closed, `onError` follows). */
  onConnect(abort: (err?: Error) => void): void;
  /**
   * The response head: the headers to pass on as raw name/value bytes (ResponseHandler.onHead says which
   * are left out) and the body's Content-Length (−1: none, or chunked). `resume` restarts a body paused
   * by `onData`.
   */
  onHeaders(status: number, rawHeaders: Buffer[], contentLength: number, resume: () => void): boolean;
  /**
   * Body bytes; false pauses the upstream until `resume`. The chunk may be a view of a read buffer that
   * is reused once this call returns: copy whatever is kept past it.
   */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  onError(err: Error): void;
}

export interface UpstreamRequest {
  readonly method: string;
  /** Path and query, as they go on the request line. */
  readonly path: string;
  /** Flat name/value list; names lower-case except where a middleware chose otherwise. */
  readonly headers: readonly string[];
  /** null (no body), a whole Buffer (can be sent again on another connection), or a stream. */
  readonly body: Buffer | Readable | null;
  /** Wait for the response head after the request is written, ms; 0 = the pool's default. */
  readonly headersTimeout?: number;
}

/** What a connection needs from its pool. */
export interface ConnectionOwner {
  readonly defaultHeadersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  /** The connection finished a response and can take another request. */
  release(connection: UpstreamConnection): void;
  /** The connection is closed and must be forgotten. */
  forget(connection: UpstreamConnection): void;
  /** The connection closed before any byte of the response to `request`: send it once more on a new one. */
  redispatch(request: UpstreamRequest, handler: UpstreamHandler): void;
  /** Coarse clock (ms), advanced by the pool's timer. */
  readonly now: number;
  /**
   * Put before each request path on the request line: '' (origin form), or the upstream's origin when
   * requests go to a forward proxy in absolute form (`GET http://host:port/path`).
   */
  readonly requestTargetPrefix: string;
  /** Header lines added to every request (CRLF-terminated), e.g. the forward proxy's credentials. */
  readonly extraRequestHead: string;
}

const enum Phase {
  Connecting,
  Idle,
  /** Request written (or being written); waiting for or reading the response. */
  Busy,
  Closed,
}

/**
 * One keep-alive HTTP/1.1 connection to an upstream: writes a request head (and body) straight to the
 * socket and parses the response in place (ResponseParser), one request at a time. Timeouts are checked
 * by the pool's timer against deadlines kept here, so no timer is armed per request.
 */
export class UpstreamConnection implements ResponseHandler {
  private socket: Socket | null = null;
  private phase = Phase.Connecting;
  private readonly parser: ResponseParser;
  private handler: UpstreamHandler | null = null;
  private request: UpstreamRequest | null = null;
  /** Bumped per request, so a stale `abort` cannot cut a later request on the same connection. */
  private generation = 0;
  /** Whether a response completed on this connection before (its close may be the keep-alive race). */
  private hasServed = false;
  private isBodySent = false;
  private isPaused = false;
  private rest: Buffer | null = null;
  private restOffset = 0;
  private pendingWrite: (() => void) | null = null;
  private closeError: Error | null = null;
  private bodyStream: Readable | null = null;
  /** Deadline (pool clock ms) of the current phase: connect, or the response head; 0 = none. */
  deadline = 0;
  private deadlineCode: UpstreamErrorCode = UpstreamErrorCode.ConnectTimeout;
  /** Pool clock (ms) of the last byte read or written while busy, or when the connection went idle. */
  lastActivity = 0;

  private readonly resume = (): void => {
    if (!this.isPaused || this.phase !== Phase.Busy) return;
    this.isPaused = false;
    const rest = this.rest;
    this.rest = null;
    if (rest !== null) this.feed(rest, this.restOffset, rest.length, true);
    else if (this.parser.isInBody) this.feed(EMPTY, 0, 0, true);
    if (!this.isPaused && this.phase === Phase.Busy) this.socket?.resume();
  };

  /** 'data' of a socket that reads into fresh buffers (TLS, tunnels). */
  private readonly onSocketData = (data: Buffer): void => {
    this.onRead(data.length, data);
  };

  /**
   * `length` new bytes at the start of `data`. For a plain socket `data` is the process's one read buffer
   * (net's `onread`), overwritten by the next read of any connection: nothing may keep a view of it.
   */
  readonly onRead = (length: number, data: Uint8Array): boolean => {
    if (this.phase !== Phase.Busy) {
      // Bytes while no request is outstanding: the upstream is broken; never parse them as a response.
      this.destroy();
      return true;
    }
    this.lastActivity = this.owner.now;
    this.feed(data as Buffer, 0, length, !this.readsIntoSharedBuffer);
    return true;
  };

  private readonly onSocketError = (err: Error): void => {
    this.closeError ??= err;
  };

  private readonly onSocketClose = (): void => this.onClosed();

  /** `readsIntoSharedBuffer`: the socket will read into one reused buffer and call `onRead` (no 'data'). */
  constructor(private readonly owner: ConnectionOwner, private readonly readsIntoSharedBuffer = false) {
    this.parser = new ResponseParser(readsIntoSharedBuffer);
  }

  /** Upstream's `Keep-Alive: timeout=` hint on the last response, ms (0 = none). */
  get keepAliveHintMs(): number {
    return this.parser.keepAliveHintMs;
  }

  get isIdle(): boolean {
    return this.phase === Phase.Idle;
  }

  get isBusy(): boolean {
    return this.phase === Phase.Busy || this.phase === Phase.Connecting;
  }

  private cancelConnect: (() => void) | null = null;

  /** How to give up the connection attempt when the connection is destroyed before it is made. */
  onDestroyWhileConnecting(cancel: () => void): void {
    this.cancelConnect = cancel;
  }

  /** Takes a connected socket (plain, TLS or tunnelled), or the error of the attempt. */
  attach(err: Error | null, socket: Socket | null): void {
    this.cancelConnect = null;
    if (this.phase === Phase.Closed) {
      socket?.destroy();
      return;
    }
    if (err !== null || socket === null) {
      this.closeError = err ?? upstreamError(UpstreamErrorCode.Closed, 'upstream connection failed');
      this.onClosed();
      return;
    }
    this.socket = socket;
    socket.setNoDelay(true);
    if (!this.readsIntoSharedBuffer) socket.on('data', this.onSocketData);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onSocketClose);
    if (socket.destroyed) {
      this.onClosed();
      return;
    }
    this.deadline = 0;
    this.phase = Phase.Busy;
    const write = this.pendingWrite;
    this.pendingWrite = null;
    write?.();
  }

  /** Deadline for connecting (set by the pool when it starts the attempt). */
  connecting(deadline: number): void {
    this.deadline = deadline;
    this.deadlineCode = UpstreamErrorCode.ConnectTimeout;
  }

  /** Sends a request; on a connection still connecting, it is written once connected. */
  start(request: UpstreamRequest, handler: UpstreamHandler): void {
    this.handler = handler;
    this.request = request;
    this.isBodySent = false;
    this.isPaused = false;
    this.rest = null;
    this.lastActivity = this.owner.now;
    const generation = ++this.generation;
    this.parser.reset(this, request.method === 'HEAD');
    handler.onConnect((err?: Error) => {
      if (generation === this.generation && this.handler !== null) this.fail(err ?? upstreamError(UpstreamErrorCode.Aborted, 'request aborted'));
    });
    if (this.handler === null) return; // aborted in onConnect
    if (this.phase === Phase.Connecting) {
      this.pendingWrite = () => this.write();
      return;
    }
    this.phase = Phase.Busy;
    this.write();
  }

  private write(): void {
    const request = this.request!;
    const socket = this.socket!;
    const body = request.body;
    let head: string;
    try {
      const prefix = this.owner.requestTargetPrefix;
      head = requestHead(request.method, prefix === '' ? request.path : prefix + request.path, request.headers, body, this.owner.extraRequestHead);
    } catch (err) {
      // Nothing was written: the connection is still clean.
      if (err instanceof RequestHeadError) {
        const handler = this.handler!;
        this.endRequest();
        this.phase = Phase.Idle;
        this.owner.release(this);
        handler.onError(err);
        return;
      }
      throw err;
    }
    if (body === null) {
      socket.write(head, 'latin1');
      this.requestWritten();
    } else if (Buffer.isBuffer(body)) {
      socket.cork();
      socket.write(head, 'latin1');
      socket.write(body);
      socket.uncork();
      this.requestWritten();
    } else {
      socket.write(head, 'latin1');
      this.streamBody(body, head.endsWith('transfer-encoding: chunked\r\n\r\n'));
    }
  }

  /** The whole request is out: the wait for the response head starts. */
  private requestWritten(): void {
    this.isBodySent = true;
    if (this.parser.status === 0) {
      const timeout = this.request!.headersTimeout || this.owner.defaultHeadersTimeoutMs;
      this.deadline = timeout > 0 ? Date.now() + timeout : 0;
      this.deadlineCode = UpstreamErrorCode.HeadersTimeout;
    }
  }

  private streamBody(body: Readable, isChunked: boolean): void {
    const socket = this.socket!;
    this.bodyStream = body;
    const onData = (chunk: Buffer): void => {
      if (this.bodyStream !== body) return;
      this.lastActivity = this.owner.now;
      let ok: boolean;
      if (isChunked) {
        socket.cork();
        socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
        socket.write(chunk);
        ok = socket.write('\r\n', 'latin1');
        socket.uncork();
      } else {
        ok = socket.write(chunk);
      }
      if (!ok) {
        body.pause();
        socket.once('drain', () => { if (this.bodyStream === body) body.resume(); });
      }
    };
    const onEnd = (): void => {
      if (this.bodyStream !== body) return;
      this.detachBody();
      if (isChunked) socket.write('0\r\n\r\n', 'latin1');
      this.requestWritten();
    };
    // A body that fails (client gone, too large) is answered by the exchange, which aborts this request.
    const onError = (): void => { this.detachBody(); };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
    this.detachBody = () => {
      this.bodyStream = null;
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
    };
  }

  private detachBody: () => void = () => undefined;

  /** `isOwned`: `data` stays as it is after this call (not the shared read buffer). */
  private feed(data: Buffer, offset: number, end: number, isOwned: boolean): void {
    let pos: number;
    try {
      pos = this.parser.execute(data, offset, end);
    } catch (err) {
      this.fail(err instanceof UpstreamProtocolError ? err : upstreamError(UpstreamErrorCode.Protocol, String(err)));
      return;
    }
    if (this.isPaused && pos < end) {
      // Kept until `resume`: a copy when the bytes are in the shared read buffer.
      this.rest = isOwned ? data : Buffer.from(data.subarray(pos, end));
      this.restOffset = isOwned ? pos : 0;
    } else if (this.phase === Phase.Idle && pos < end) {
      // More bytes than the response: the next response would start mid-stream.
      this.destroy();
    }
  }

  // ResponseHandler (called by the parser)

  onHead(status: number, rawHeaders: Buffer[], contentLength: number): void {
    this.deadline = 0;
    this.handler!.onHeaders(status, rawHeaders, contentLength, this.resume);
  }

  onBody(chunk: Buffer): boolean {
    const handler = this.handler;
    if (handler === null) return true;
    if (handler.onData(chunk)) return true;
    if (this.handler === null) return true;
    this.isPaused = true;
    this.socket?.pause();
    return false;
  }

  onEnd(): void {
    const handler = this.handler!;
    const isReusable = this.parser.keepAlive && this.isBodySent;
    this.endRequest();
    this.hasServed = true;
    if (isReusable) {
      this.phase = Phase.Idle;
      this.lastActivity = this.owner.now;
      this.owner.release(this);
    } else {
      this.destroy();
    }
    handler.onComplete();
  }

  /** The pool's timer: fails the request when its deadline or the body's idle time has passed. */
  checkTimeouts(now: number): void {
    if (this.handler === null) return;
    if (this.deadline > 0 && now >= this.deadline) {
      const code = this.deadlineCode;
      this.fail(upstreamError(code, code === UpstreamErrorCode.ConnectTimeout ? 'connect timeout' : 'timeout waiting for the response head'));
    } else if (this.parser.isInBody && !this.isPaused && this.owner.bodyTimeoutMs > 0 && now - this.lastActivity > this.owner.bodyTimeoutMs) {
      this.fail(upstreamError(UpstreamErrorCode.BodyTimeout, 'timeout reading the response body'));
    }
  }

  /** Closes the connection; a request in flight gets `onError`. */
  destroy(): void {
    if (this.phase === Phase.Closed) return;
    if (this.socket !== null) {
      this.socket.destroy();
      return;
    }
    const cancel = this.cancelConnect;
    this.cancelConnect = null;
    cancel?.();
    this.onClosed();
  }

  private fail(err: Error): void {
    const handler = this.handler;
    this.endRequest();
    this.destroy();
    handler?.onError(err);
  }

  private endRequest(): void {
    this.handler = null;
    this.request = null;
    this.deadline = 0;
    this.rest = null;
    this.pendingWrite = null;
    if (this.bodyStream !== null) this.detachBody();
    if (this.isPaused) {
      this.isPaused = false;
      this.socket?.resume();
    }
  }

  private onClosed(): void {
    if (this.phase === Phase.Closed) return;
    const wasConnecting = this.phase === Phase.Connecting;
    this.phase = Phase.Closed;
    this.owner.forget(this);
    const handler = this.handler;
    if (handler === null) return;
    if (this.parser.isInBody && this.parser.closed()) return; // a body that runs until close is complete
    const request = this.request!;
    const body = request.body;
    const canRetry = !wasConnecting && this.hasServed && !this.parser.hasBytes && (body === null || Buffer.isBuffer(body));
    this.endRequest();
    if (canRetry) {
      // The upstream closed an idle keep-alive connection just as the request went out: nothing of it
      // was answered, so it is sent again, once, on a new connection.
      this.owner.redispatch(request, handler);
      return;
    }
    handler.onError(this.closeError ?? upstreamError(UpstreamErrorCode.Closed, this.parser.status === 0 ? 'upstream closed the connection before responding' : 'upstream closed the connection mid-response'));
  }
}

const EMPTY = Buffer.alloc(0);

export { RequestHeadError };
