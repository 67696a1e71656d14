import { connect as netConnect, isIP, type OnReadOpts, type Socket } from 'node:net';
import type { buildConnector } from 'undici';
import { UpstreamConnection, type ConnectionOwner, type UpstreamHandler, type UpstreamRequest } from './upstream-connection.js';
import { upstreamError, UpstreamErrorCode } from './upstream-errors.js';

export interface UpstreamPoolOptions {
  /** Connect (and TLS handshake) bound, ms. */
  readonly connectTimeoutMs: number;
  /** Default wait for a response head after the request is written, ms (0 = none). */
  readonly headersTimeoutMs: number;
  /** Longest pause between two body reads while the client keeps up, ms (0 = none). */
  readonly bodyTimeoutMs: number;
  /** How long an idle connection is kept, ms; an upstream's shorter `Keep-Alive: timeout` wins. */
  readonly keepAliveTimeoutMs: number;
  /**
   * Makes connections for TLS or a forward proxy (undici's connector signature, see upstream-connector.ts);
   * null: plain TCP.
   */
  readonly connector: buildConnector.connector | null;
  /**
   * A forward proxy that takes this (http:) upstream's requests in absolute form: connections go to the
   * proxy (through `connector` when it speaks TLS, else plain TCP), request lines carry the full URL and
   * `authorization` (when not null) goes out as `Proxy-Authorization`. null: connect to the origin.
   */
  readonly forwardProxy?: { readonly url: URL; readonly authorization: string | null } | null;
}

/** The read buffer of every plain upstream socket of this process (see UpstreamConnection.onRead). */
const sharedReadBuffer = Buffer.allocUnsafe(64 * 1024);

/** Every live pool, swept by one timer per process for timeouts and idle connections. */
const livePools = new Set<UpstreamPool>();
let sweeper: NodeJS.Timeout | null = null;
const SWEEP_INTERVAL_MS = 100;

function sweep(): void {
  const now = Date.now();
  for (const pool of livePools) pool.sweep(now);
}

/**
 * Keep-alive HTTP/1.1 connections to one upstream origin, one request at a time per connection, as many
 * connections as requests in flight (an idle one is reused first, the most recently used first). This is
 * the proxy's upstream client: it writes a request as one string (plus the body) and parses the response
 * in place, handing raw header bytes and body views to the exchange, so a request costs no header
 * objects, promises or copies. A request that meets a keep-alive connection the upstream has just closed
 * is sent once more on a new connection when its body can be sent again.
 *
 * @example
 * const pool = new UpstreamPool(new URL('http://127.0.0.1:3000'), { connectTimeoutMs: 30_000, ... });
 * pool.dispatch({ method: 'GET', path: '/', headers: ['host', 'example'], body: null }, handler);
 */
export class UpstreamPool implements ConnectionOwner {
  private readonly idle: UpstreamConnection[] = [];
  private readonly connections = new Set<UpstreamConnection>();
  /** Where connections go: the origin, or the forward proxy that takes absolute-form requests. */
  private readonly hostname: string;
  private readonly port: number;
  private readonly protocol: string;
  readonly requestTargetPrefix: string;
  readonly extraRequestHead: string;
  private isClosing = false;
  private onDrained: (() => void) | null = null;
  now = Date.now();
  readonly defaultHeadersTimeoutMs: number;
  readonly bodyTimeoutMs: number;

  constructor(origin: URL, private readonly options: UpstreamPoolOptions) {
    const proxy = options.forwardProxy ?? null;
    const dial = proxy?.url ?? origin;
    this.protocol = dial.protocol;
    this.hostname = dial.hostname.startsWith('[') ? dial.hostname.slice(1, -1) : dial.hostname;
    this.port = dial.port !== '' ? Number(dial.port) : dial.protocol === 'https:' ? 443 : 80;
    this.requestTargetPrefix = proxy === null ? '' : origin.origin;
    this.extraRequestHead = proxy?.authorization ? `proxy-authorization: ${proxy.authorization}\r\n` : '';
    this.defaultHeadersTimeoutMs = options.headersTimeoutMs;
    this.bodyTimeoutMs = options.bodyTimeoutMs;
    livePools.add(this);
    sweeper ??= setInterval(sweep, SWEEP_INTERVAL_MS).unref();
  }

  /**
   * The connect function of this pool's TLS settings and forward proxy (null: plain TCP to the origin), for
   * clients other than the HTTP/1.1 one that must dial the same way (WebSocket upgrades).
   */
  get connector(): buildConnector.connector | null {
    return this.options.connector;
  }

  /** Connections open now (idle or busy). */
  get size(): number {
    return this.connections.size;
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    if (this.isClosing) {
      handler.onConnect(() => undefined);
      handler.onError(upstreamError(UpstreamErrorCode.PoolClosed, 'upstream pool is closed'));
      return;
    }
    let connection = this.idle.pop();
    while (connection !== undefined && !connection.isIdle) connection = this.idle.pop();
    (connection ?? this.open()).start(request, handler);
  }

  redispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    if (this.isClosing) {
      handler.onError(upstreamError(UpstreamErrorCode.PoolClosed, 'upstream pool is closed'));
      return;
    }
    this.open().start(request, handler);
  }

  release(connection: UpstreamConnection): void {
    if (this.isClosing) {
      connection.destroy();
      return;
    }
    this.idle.push(connection);
  }

  forget(connection: UpstreamConnection): void {
    this.connections.delete(connection);
    const i = this.idle.lastIndexOf(connection);
    if (i >= 0) this.idle.splice(i, 1);
    if (this.isClosing && this.connections.size === 0) this.drained();
  }

  /** Timer tick: request deadlines, body idle time, idle connections past their keep-alive time. */
  sweep(now: number): void {
    this.now = now;
    for (const connection of this.connections) {
      if (connection.isIdle) {
        const hint = connection.keepAliveHintMs;
        // An upstream that announces its idle timeout closes at that time: stop using it a second earlier.
        const keepFor = hint > 0 ? Math.min(this.options.keepAliveTimeoutMs, hint - 1000) : this.options.keepAliveTimeoutMs;
        if (now - connection.lastActivity >= keepFor) connection.destroy();
      } else {
        connection.checkTimeouts(now);
      }
    }
  }

  /** Stops taking requests; resolves when the requests in flight are done and every connection is closed. */
  close(): Promise<void> {
    this.isClosing = true;
    for (const connection of this.idle.splice(0)) connection.destroy();
    if (this.connections.size === 0) {
      this.drained();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const previous = this.onDrained;
      this.onDrained = () => { previous?.(); resolve(); };
    });
  }

  /** Closes every connection now; requests in flight fail. */
  destroy(): void {
    this.isClosing = true;
    for (const connection of [...this.connections]) connection.destroy();
    this.drained();
  }

  private drained(): void {
    livePools.delete(this);
    if (livePools.size === 0 && sweeper !== null) {
      clearInterval(sweeper);
      sweeper = null;
    }
    const done = this.onDrained;
    this.onDrained = null;
    done?.();
  }

  private open(): UpstreamConnection {
    const isPlain = this.options.connector === null;
    const connection = new UpstreamConnection(this, isPlain);
    this.connections.add(connection);
    connection.connecting(Date.now() + this.options.connectTimeoutMs);
    // Plain sockets read into the process's one buffer (no buffer allocated per read); the connection
    // parses each read before the next one can happen, and copies what it keeps.
    const socket = this.dial((err, s) => connection.attach(err, s), isPlain ? { buffer: sharedReadBuffer, callback: connection.onRead } : undefined);
    // A connection that times out while connecting is destroyed by the connection itself.
    if (socket !== null) connection.onDestroyWhileConnecting(() => socket.destroy());
    return connection;
  }

  /**
   * A socket dialled the way this pool's connections are (TLS settings, pins, client certificate, forward
   * proxy), not pooled: for a byte tunnel after a protocol upgrade (front-door/upgrade-tunnel.ts). Requests
   * on it use `requestTargetPrefix` and `extraRequestHead` as the pool's do.
   */
  connectRaw(callback: (err: Error | null, socket: Socket | null) => void): void {
    this.dial(callback);
  }

  /**
   * Dials where this pool's connections go: through the connector when there is one (TLS, forward proxy),
   * else plain TCP (reading through `onread` when given), whose socket is returned at once so that a connect
   * timeout can destroy it (null for the connector). `callback` gets the connected socket or the error.
   */
  private dial(callback: (err: Error | null, socket: Socket | null) => void, onread?: OnReadOpts): Socket | null {
    const connector = this.options.connector;
    if (connector !== null) {
      connector(this.connectorOptions(), callback);
      return null;
    }
    const socket = netConnect(onread === undefined ? { host: this.hostname, port: this.port } : { host: this.hostname, port: this.port, onread });
    const onConnect = (): void => {
      socket.off('error', onError);
      callback(null, socket);
    };
    const onError = (err: Error): void => {
      socket.off('connect', onConnect);
      socket.destroy();
      callback(err, null);
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    return socket;
  }

  private connectorOptions(): buildConnector.Options {
    return {
      hostname: this.hostname,
      host: this.hostname,
      protocol: this.protocol,
      port: String(this.port),
      servername: isIP(this.hostname) === 0 ? this.hostname : undefined,
    } as buildConnector.Options;
  }
}
