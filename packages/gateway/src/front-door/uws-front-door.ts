import uWS from 'uWebSockets.js';
import type { AppOptions, HttpRequest, HttpResponse, TemplatedApp, us_listen_socket, WebSocketBehavior } from 'uWebSockets.js';
import { MAX_RELAY_BUFFER, type RelayData } from '../proxy/websocket-exchange.js';
import { peerAddress } from './peer-address.js';
import { HeaderCollector, serveRequest, serveUpgrade, type FrontDoorOptions, type IncomingRequest } from './serve-request.js';

export type { FrontDoorOptions, FrontDoorState } from './serve-request.js';

/**
 * The uWebSockets.js front door: reads what it needs from the request synchronously (uWS frees the
 * request object when the handler returns), then hands over to the shared `serveRequest`. With `tls`
 * it is an SSLApp (certificates by SNI are added by the TLS listener).
 *
 * @example
 * const app = createUwsFrontDoor(options); app.listen(8080, (socket) => ...);
 */
export function createUwsFrontDoor(options: FrontDoorOptions, tls: AppOptions | null = null): TemplatedApp {
  const app = tls === null ? uWS.App() : uWS.SSLApp(tls);
  registerRoutes(app, options, tls === null ? 'http' : 'https');
  return app;
}

/**
 * Registers the request handler on an app (or an SNI server name's router, which has its own routes), and
 * with `http_server_options.enable_websockets` the WebSocket route before it: uWS hands a GET without
 * `Sec-WebSocket-Key` on to the request handler, so plain requests are unaffected.
 */
export function registerRoutes(app: TemplatedApp, options: FrontDoorOptions, proto: 'http' | 'https', handler = createUwsHandler(options, proto)): void {
  if (options.webSockets) app.ws('/*', webSocketBehavior(options, proto));
  app.any('/*', handler);
}

/** The route handler; an SNI server name added to an SSLApp needs it registered under its domain too. */
export function createUwsHandler(options: FrontDoorOptions, proto: 'http' | 'https'): (res: HttpResponse, req: HttpRequest) => void {
  return (res: HttpResponse, req: HttpRequest) => {
    const collector = new HeaderCollector(req.getHeader('host'));
    serveRequest(options, res, readRequest(res, req, proto, collector, req.getHeader('content-length')), collector);
  };
}

/**
 * What serving needs from a uWS request, read at once (uWS frees the request when the handler returns):
 * every header goes through `collector`, whose Host it already holds.
 */
function readRequest(res: HttpResponse, req: HttpRequest, proto: 'http' | 'https', collector: HeaderCollector, contentLength: string): IncomingRequest {
  req.forEach((name, value) => collector.add(name, value));
  return {
    method: req.getCaseSensitiveMethod(),
    path: req.getUrl(),
    query: req.getQuery() ?? '',
    host: collector.headers[1]!,
    contentLength,
    peer: peerAddress(res),
    proto,
    tlsSocket: null,
  };
}

/**
 * WebSocket upgrades through the pipeline to a relay (proxy/websocket-exchange.ts). Client messages up to
 * `MAX_RELAY_BUFFER`; a client that reads slower than the upstream writes is closed past the same bound;
 * uWS pings an idle client so a quiet connection stays open.
 */
function webSocketBehavior(options: FrontDoorOptions, proto: 'http' | 'https'): WebSocketBehavior<RelayData> {
  return {
    compression: uWS.DISABLED,
    maxPayloadLength: MAX_RELAY_BUFFER,
    maxBackpressure: MAX_RELAY_BUFFER,
    closeOnBackpressureLimit: true as unknown as number,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      const collector = new HeaderCollector(req.getHeader('host'));
      serveUpgrade(options, res, readRequest(res, req, proto, collector, ''), collector, {
        key: req.getHeader('sec-websocket-key'),
        protocol: req.getHeader('sec-websocket-protocol'),
        extensions: req.getHeader('sec-websocket-extensions'),
        context,
      });
    },
    open: (ws) => ws.getUserData().exchange.clientOpen(ws),
    message: (ws, message, isBinary) => ws.getUserData().exchange.fromClient(message, isBinary),
    close: (ws, code, message) => ws.getUserData().exchange.clientClosed(code, message),
  };
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
