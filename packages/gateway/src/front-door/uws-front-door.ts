import uWS from 'uWebSockets.js';
import type { AppOptions, HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { peerAddress } from './peer-address.js';
import { HeaderCollector, serveRequest, type FrontDoorOptions } from './serve-request.js';

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
  app.any('/*', createUwsHandler(options, tls === null ? 'http' : 'https'));
  return app;
}

/** The route handler; an SNI server name added to an SSLApp needs it registered under its domain too. */
export function createUwsHandler(options: FrontDoorOptions, proto: 'http' | 'https'): (res: HttpResponse, req: HttpRequest) => void {
  return (res: HttpResponse, req: HttpRequest) => {
    const host = req.getHeader('host');
    const collector = new HeaderCollector(host);
    req.forEach((name, value) => collector.add(name, value));
    serveRequest(options, res, {
      method: req.getCaseSensitiveMethod(),
      path: req.getUrl(),
      query: req.getQuery() ?? '',
      host,
      contentLength: req.getHeader('content-length'),
      peer: peerAddress(res),
      proto,
      tlsSocket: null,
    }, collector);
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
