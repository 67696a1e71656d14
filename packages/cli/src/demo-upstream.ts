import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A tiny upstream for the demo API: echoes the request it received as JSON. */
export function startDemoUpstream(port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const body = JSON.stringify({
      message: 'Hello from the tollgate demo upstream',
      method: req.method,
      path: req.url,
      headers: req.headers,
    }, null, 2);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}
