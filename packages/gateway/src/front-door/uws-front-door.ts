import uWS from 'uWebSockets.js';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { errors, statusLine } from '../errors.js';
import type { Decision } from '../pipeline/decision.js';
import { RequestContext } from '../pipeline/request-context.js';
import { runPipeline } from '../pipeline/run-pipeline.js';
import { pickTarget } from '../proxy/load-balancer.js';
import { ProxyExchange, writeReply, type ExchangeListener } from '../proxy/proxy-exchange.js';
import { REQUEST_HOP_BY_HOP } from '../proxy/response-headers.js';
import { cleanPathOrNull } from '../proxy/upstream-path.js';
import type { RoutingTable } from '../routing/routing-table.js';
import { peerAddress } from './peer-address.js';
import { collectBody, MAX_BUFFERED_BODY, RequestBodyStream } from './request-body.js';

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
  readonly isTls: boolean;
  readonly skipUrlCleaning: boolean;
  readonly closeConnections: boolean;
  /** `http_server_options.max_request_body_size` in bytes; 0 = no limit. */
  readonly maxRequestBodySize: number;
  /** Answers the gateway's own health endpoints (`/hello`, `/ready`). */
  readonly health: ReadonlyMap<string, () => { status: number; body: string }>;
  /** Called when a middleware throws or rejects (a programmer error): the request gets a 500. */
  readonly onPipelineError: (err: unknown, ctx: RequestContext) => void;
}

/**
 * The uWebSockets.js front door: reads what it needs from the request synchronously (uWS frees the
 * request object when the handler returns), routes, and hands the request to a ProxyExchange.
 *
 * @example
 * const app = createUwsFrontDoor(options); app.listen(8080, (socket) => ...);
 */
export function createUwsFrontDoor(options: FrontDoorOptions): TemplatedApp {
  const app = uWS.App();
  const { state, listener, health } = options;
  const proto = options.isTls ? 'https' : 'http';
  const closeConnection = (): boolean => options.closeConnections || state.isDraining;
  const maxBody = options.maxRequestBodySize;

  app.any('/*', (res: HttpResponse, req: HttpRequest) => {
    const path = req.getUrl();
    const query = req.getQuery() ?? '';
    const healthCheck = health.get(path);
    if (healthCheck !== undefined) {
      const { status, body } = healthCheck();
      res.writeStatus(statusLine(status)).writeHeader('Content-Type', 'application/json').end(body, closeConnection());
      return;
    }
    if (!options.skipUrlCleaning) {
      const cleaned = cleanPathOrNull(path);
      if (cleaned !== null) {
        res.writeStatus(statusLine(301)).writeHeader('Location', query ? `${cleaned}?${query}` : cleaned).end(undefined, closeConnection());
        return;
      }
    }
    const declaredLength = req.getHeader('content-length');
    const declaredSize = declaredLength === '' ? -1 : Number(declaredLength);
    if (maxBody > 0 && declaredSize > maxBody) {
      // Enforced before routing (api-definition.md §5, step 0 of the pipeline).
      writeReply(res, errors.entityTooLarge, true);
      return;
    }
    const host = req.getHeader('host');
    const match = state.table.match(host, path);
    if (match === null) {
      writeReply(res, errors.notFound, closeConnection());
      return;
    }
    const api = match.api;
    const target = pickTarget(api, Date.now());
    if (target === null) {
      writeReply(res, errors.allHostsDown, closeConnection());
      return;
    }
    const method = req.getCaseSensitiveMethod();
    // Index 0/1 is Host (rewritten per target by the exchange unless preserve_host_header).
    const headers: string[] = ['host', host];
    let xff = '';
    let hasUserAgent = false;
    let isChunked = false;
    let connection = '';
    req.forEach((name, value) => {
      if (REQUEST_HOP_BY_HOP.has(name)) {
        if (name === 'x-forwarded-for') xff = xff ? `${xff}, ${value}` : value;
        else if (name === 'transfer-encoding') isChunked = true;
        else if (name === 'connection') connection = connection ? `${connection}, ${value}` : value;
        return;
      }
      if (name === 'user-agent') hasUserAgent = true;
      headers.push(name, value);
    });
    if (connection !== '') dropConnectionListed(headers, connection);
    const peer = peerAddress(res);
    headers.push('x-forwarded-for', xff ? `${xff}, ${peer}` : peer, 'x-forwarded-proto', proto, 'x-forwarded-host', host);
    if (!hasUserAgent) headers.push('user-agent', options.userAgent);

    const size = declaredLength === '' ? (isChunked ? -1 : 0) : declaredSize;
    const ctx = new RequestContext(api, method, path, query, match.matchedLength, headers, peer, target, Date.now());
    ctx.forwardedFor = xff;
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
    if (api.pipeline.length === 0 || (api.isOptionsPassthrough && method === 'OPTIONS')) {
      exchange.decide(undefined);
      return;
    }
    let decision: Decision | Promise<Decision>;
    try {
      decision = runPipeline(ctx, api.pipeline);
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
  });
  return app;
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

/** Listens on `port` (all interfaces, or `address`); resolves with the listen socket. */
export function listen(app: TemplatedApp, address: string, port: number): Promise<us_listen_socket> {
  return new Promise((resolve, reject) => {
    const onListen = (socket: us_listen_socket | false): void => {
      if (socket) resolve(socket);
      else reject(new Error(`cannot listen on ${address || '*'}:${port} (port in use or not permitted)`));
    };
    if (address) app.listen(address, port, onListen);
    else app.listen(port, onListen);
  });
}

export function closeListenSocket(socket: us_listen_socket): void {
  uWS.us_listen_socket_close(socket);
}
