import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { HttpResponse } from 'uWebSockets.js';
import { errors, statusLine } from '../errors.js';
import type { Decision } from '../pipeline/decision.js';
import { RequestContext } from '../pipeline/request-context.js';
import { runPipeline } from '../pipeline/run-pipeline.js';
import { pickTarget } from '../proxy/load-balancer.js';
import { ProxyExchange, writeReply, type ExchangeListener } from '../proxy/proxy-exchange.js';
import { UpgradeTunnel } from '../proxy/upgrade-tunnel.js';
import { WebSocketExchange, type UpgradeRequest } from '../proxy/websocket-exchange.js';
import { REQUEST_HOP_BY_HOP } from '../proxy/response-headers.js';
import { cleanPathOrNull } from '../proxy/upstream-path.js';
import type { RoutingTable } from '../routing/routing-table.js';
import { RawSocketWriter } from './raw-socket-writer.js';
import { collectBody, MAX_BUFFERED_BODY, RequestBodyStream } from './request-body.js';
import type { ResponseWriter } from './response-writer.js';

/** What the front door reads from the worker on every request (swapped wholesale on change). */
export interface FrontDoorState {
  table: RoutingTable;
  isDraining: boolean;
  /** Exchanges started and not yet done; a draining worker exits when it reaches 0. */
  inFlight: number;
}

export interface FrontDoorOptions {
  readonly state: FrontDoorState;
  readonly listener: ExchangeListener;
  readonly userAgent: string;
  readonly skipUrlCleaning: boolean;
  readonly closeConnections: boolean;
  /**
   * Whether a peer's `X-Forwarded-Proto`/`-Host` are passed on rather than replaced: every peer when
   * `security.trusted_proxy_cidrs` is empty (Tyk passes them through), else only those proxies.
   */
  readonly trustsForwardedHeaders: (peer: string) => boolean;
  /** `http_server_options.enable_websockets`: upgrades are relayed (uWS doors: WebSocket messages; node:tls: a byte tunnel). */
  readonly webSockets: boolean;
  /** `http_server_options.max_request_body_size` in bytes; 0 = no limit. */
  readonly maxRequestBodySize: number;
  /** Answers the gateway's own health endpoints (`/hello`, `/ready`). */
  readonly health: ReadonlyMap<string, () => { status: number; body: string }>;
  /** Called when a middleware throws or rejects (a programmer error): the request gets a 500. */
  readonly onPipelineError: (err: unknown, ctx: RequestContext) => void;
}

/** A request as a front door read it: everything the pipeline needs, nothing tied to the server library. */
export interface IncomingRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly host: string;
  /** The declared Content-Length ('' when absent). */
  readonly contentLength: string;
  readonly peer: string;
  /** 'https' on a TLS listener. */
  readonly proto: 'http' | 'https';
  /** The TLS connection when the front door can see it (node:tls); null on plain HTTP and on uWS. */
  readonly tlsSocket: TLSSocket | null;
}

/**
 * Collects request headers for the upstream from a front door's header walk: hop-by-hop headers dropped
 * (and those the client's `Connection` names), `X-Forwarded-*` appended, a User-Agent when none.
 * Index 0/1 of the result is Host (rewritten per target by the exchange unless preserve_host_header).
 */
export class HeaderCollector {
  readonly headers: string[];
  xff = '';
  isChunked = false;
  hasUserAgent = false;
  private connection = '';
  /** The client's `Te` lists `trailers`: the upstream request gets `Te: trailers` (api-definition.md §3). */
  private isTeTrailers = false;
  /** `X-Forwarded-Proto` / `-Host` as a proxy in front set them (first value). */
  private forwardedProto = '';
  private forwardedHost = '';

  constructor(host: string) {
    this.headers = ['host', host];
  }

  /** One header, name lower-case. */
  add(name: string, value: string): void {
    if (REQUEST_HOP_BY_HOP.has(name)) {
      if (name === 'x-forwarded-for') this.xff = this.xff ? `${this.xff}, ${value}` : value;
      else if (name === 'transfer-encoding') this.isChunked = true;
      else if (name === 'connection') this.connection = this.connection ? `${this.connection}, ${value}` : value;
      else if (name === 'te' && !this.isTeTrailers) this.isTeTrailers = hasTrailersToken(value);
      else if (name === 'x-forwarded-proto') this.forwardedProto ||= value.trim();
      else if (name === 'x-forwarded-host') this.forwardedHost ||= value.trim();
      return;
    }
    if (name === 'user-agent') this.hasUserAgent = true;
    this.headers.push(name, value);
  }

  /**
   * `trustsForwarded(peer)`: whether `X-Forwarded-Proto`/`-Host` from this peer are kept (a load balancer
   * that terminated TLS says `https`); otherwise, or when absent, the gateway's own values go.
   */
  finish(peer: string, proto: string, host: string, userAgent: string, trustsForwarded: (peer: string) => boolean): string[] {
    const headers = this.headers;
    if (this.connection !== '') dropConnectionListed(headers, this.connection);
    // Only the `trailers` token is kept, whatever else Te lists (and even when Connection names Te), as Go's proxy does.
    if (this.isTeTrailers) headers.push('te', 'trailers');
    let fproto = proto;
    let fhost = host;
    if ((this.forwardedProto !== '' || this.forwardedHost !== '') && trustsForwarded(peer)) {
      fproto = this.forwardedProto || proto;
      fhost = this.forwardedHost || host;
    }
    headers.push('x-forwarded-for', this.xff ? `${this.xff}, ${peer}` : peer, 'x-forwarded-proto', fproto, 'x-forwarded-host', fhost);
    if (!this.hasUserAgent) headers.push('user-agent', userAgent);
    return headers;
  }
}

/**
 * The part of serving every request up to its exchange: health endpoints, the body-size limit, path cleaning
 * and routing, answered here when one of them ends the request; otherwise the request's context.
 */
function routeRequest(options: FrontDoorOptions, res: ResponseWriter, input: IncomingRequest, collector: HeaderCollector): RequestContext | null {
  const { state, health } = options;
  const closeConnection = options.closeConnections || state.isDraining;
  const maxBody = options.maxRequestBodySize;
  const { path, query, host } = input;
  const healthCheck = health.get(path);
  if (healthCheck !== undefined) {
    const { status, body } = healthCheck();
    res.writeStatus(statusLine(status)).writeHeader('Content-Type', 'application/json').end(body, closeConnection);
    return null;
  }
  // Step 0 of the pipeline (api-definition.md §12) in Tyk's order: 413, then the 301 of path cleaning, then 404.
  const declaredSize = input.contentLength === '' ? -1 : Number(input.contentLength);
  if (maxBody > 0 && declaredSize > maxBody) {
    writeReply(res, errors.entityTooLarge, true);
    return null;
  }
  if (!options.skipUrlCleaning) {
    const cleaned = cleanPathOrNull(path);
    if (cleaned !== null) {
      res.writeStatus(statusLine(301)).writeHeader('Location', query ? `${cleaned}?${query}` : cleaned).end(undefined, closeConnection);
      return null;
    }
  }
  const match = state.table.match(host, path);
  if (match === null) {
    writeReply(res, errors.notFound, closeConnection);
    return null;
  }
  const api = match.api;
  const now = Date.now();
  // null when every target is down: answered 503 NHU by the exchange, after the pipeline (auth first).
  const target = pickTarget(api, now);
  const headers = collector.finish(input.peer, input.proto, host, options.userAgent, options.trustsForwardedHeaders);
  const ctx = new RequestContext(api, input.method, path, query, match.matchedLength, headers, input.peer, target, now);
  ctx.forwardedFor = collector.xff;
  ctx.isTls = input.proto === 'https';
  ctx.hasClientUserAgent = collector.hasUserAgent;
  ctx.tlsSocket = input.tlsSocket;
  return ctx;
}

/** What the pipeline's decision goes to: the proxy exchange, or the WebSocket one for an upgrade. */
interface DecisionTarget {
  decide(decision: Decision): void;
}

/**
 * Runs the API's middleware chain and hands the decision over (a thrown or rejected middleware is a 500);
 * an API without middleware goes straight on.
 */
function runDecision(options: FrontDoorOptions, ctx: RequestContext, exchange: DecisionTarget): void {
  if (ctx.api.pipeline.length === 0) {
    exchange.decide(undefined);
    return;
  }
  let decision: Decision | Promise<Decision>;
  try {
    decision = runPipeline(ctx, ctx.api.pipeline);
  } catch (err) {
    options.onPipelineError(err, ctx);
    decision = errors.internal;
  }
  if (decision instanceof Promise) {
    decision.then((d) => exchange.decide(d), (err: unknown) => {
      options.onPipelineError(err, ctx);
      exchange.decide(errors.internal);
    });
  } else {
    exchange.decide(decision);
  }
}

/**
 * Everything after a front door has read a request: health endpoints, path cleaning, body-size limit,
 * routing, the pipeline and the proxy exchange. Both front doors (uWS, node:tls) call it, so they serve
 * the same pipeline.
 */
export function serveRequest(options: FrontDoorOptions, res: ResponseWriter, input: IncomingRequest, collector: HeaderCollector): void {
  const ctx = routeRequest(options, res, input, collector);
  if (ctx === null) return;
  const { state, listener } = options;
  const closeConnection = (): boolean => options.closeConnections || state.isDraining;
  const maxBody = options.maxRequestBodySize;
  const size = input.contentLength === '' ? (collector.isChunked ? -1 : 0) : Number(input.contentLength);
  const exchange = new ProxyExchange(res, ctx, listener, closeConnection);
  res.onAborted(() => exchange.clientAborted());
  state.inFlight++;

  // uWS delivers body chunks only to a handler attached now, so reading starts before the pipeline runs.
  if (size === 0) {
    exchange.bodyReady(true);
  } else if (size > 0 && size <= MAX_BUFFERED_BODY) {
    collectBody(res, size, (body) => {
      ctx.body = body;
      exchange.bodyReady(true);
    }, () => exchange.failRequest(errors.requestBodyRead));
  } else {
    // A chunked body has no declared size: its bytes are counted as they stream.
    const stream = new RequestBodyStream(res, maxBody);
    res.onData((chunk, isLast) => {
      if (!stream.feed(chunk, isLast)) exchange.failRequest(errors.entityTooLarge);
    });
    ctx.body = stream;
    exchange.bodyReady(false);
  }
  // options_passthrough: Tyk runs no middleware at all for OPTIONS (api-definition.md §6).
  if (ctx.api.isOptionsPassthrough && input.method === 'OPTIONS') exchange.decide(undefined);
  else runDecision(options, ctx, exchange);
}

/**
 * A WebSocket upgrade request (uWS front doors, `http_server_options.enable_websockets`): routed and run
 * through the API's pipeline like any request (auth, limits and quota count the upgrade, once per
 * connection, as in Tyk); when it passes, the exchange opens the upstream WebSocket and then upgrades the client.
 */
export function serveUpgrade(options: FrontDoorOptions, res: HttpResponse, input: IncomingRequest, collector: HeaderCollector, upgrade: UpgradeRequest): void {
  const ctx = routeRequest(options, res as unknown as ResponseWriter, input, collector);
  if (ctx === null) return;
  const { state } = options;
  const exchange = new WebSocketExchange(res, ctx, options.listener, upgrade, () => options.closeConnections || state.isDraining);
  res.onAborted(() => exchange.clientAborted());
  state.inFlight++;
  runDecision(options, ctx, exchange);
}

/**
 * A protocol upgrade on the node:tls front door (`http_server_options.enable_websockets`): routed and run
 * through the API's pipeline like any request; when it passes, the tunnel dials the upstream and relays
 * bytes both ways once it switched protocols. Replies and errors are written to the raw socket.
 */
export function serveTunnel(options: FrontDoorOptions, client: Duplex, early: Buffer, input: IncomingRequest, collector: HeaderCollector, upgrade: string): void {
  const ctx = routeRequest(options, new RawSocketWriter(client), input, collector);
  if (ctx === null) return;
  options.state.inFlight++;
  const tunnel = new UpgradeTunnel(client, early, ctx, upgrade, options.listener);
  runDecision(options, ctx, tunnel);
}

/** Whether a `Te` value lists the token `trailers` (ASCII case-insensitive, `trailers;q=…` does not count). */
function hasTrailersToken(value: string): boolean {
  for (const token of value.split(',')) if (token.trim().toLowerCase() === 'trailers') return true;
  return false;
}

/**
 * Removes the headers a client's `Connection` header names (they are hop-by-hop too, RFC 9110 §7.6.1);
 * `headers` is a flat name/value list with lower-case names. Index 0/1 (Host) is never touched.
 */
function dropConnectionListed(headers: string[], connection: string): void {
  const listed = new Set(connection.toLowerCase().split(',').map((t) => t.trim())
    .filter((t) => t !== '' && t !== 'close' && t !== 'keep-alive' && t !== 'host'));
  if (listed.size === 0) return;
  let out = 2;
  for (let i = 2; i < headers.length; i += 2) {
    if (listed.has(headers[i]!)) continue;
    headers[out++] = headers[i]!;
    headers[out++] = headers[i + 1]!;
  }
  headers.length = out;
}
