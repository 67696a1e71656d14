import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { Logger } from 'pino';

/** The primary's own metrics (the workers' are collected over IPC at each scrape). */
export interface PrimaryMetrics {
  readonly workerRestarts: Counter;
}

export interface ClusterMetricsServer {
  readonly metrics: PrimaryMetrics;
  /** Port listened on (0 until listening; stays 0 when the port could not be bound). */
  port(): number;
  close(): Promise<void>;
}

export interface ClusterMetricsOptions {
  /** tyk.conf-style `metrics_port`; 0 = no metrics endpoint. */
  readonly port: number;
  readonly address: string;
  readonly logger: Logger;
}

/**
 * The gateway primary's `/metrics`: every worker's registry summed by prom-client's AggregatorRegistry
 * (gauges that must not be summed declare their own aggregator), followed by the primary's own metrics.
 * A port that cannot be bound is logged and the node keeps serving traffic without metrics.
 *
 * @example
 * const server = startClusterMetrics({ port: 9091, address: '', logger });
 */
export function startClusterMetrics(options: ClusterMetricsOptions): ClusterMetricsServer {
  const aggregator = new AggregatorRegistry();
  const own = new Registry();
  const workerRestarts = new Counter({ name: 'tollgate_gateway_worker_restarts_total', help: 'Workers that died and were replaced', registers: [own] });
  new Gauge({
    name: 'tollgate_gateway_workers', help: 'Live worker processes of this gateway node', registers: [own],
    collect() { this.set(Object.values(cluster.workers ?? {}).filter((w) => w?.isConnected()).length); },
  });
  let server: Server | undefined;
  if (options.port > 0) {
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics') {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found');
        return;
      }
      Promise.all([aggregator.clusterMetrics(), own.metrics()]).then(([workers, mine]) => {
        res.writeHead(200, { 'Content-Type': aggregator.contentType }).end(`${workers}\n${mine}`);
      }, (err: Error) => {
        options.logger.warn({ err: err.message }, 'metrics scrape failed');
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`metrics unavailable: ${err.message}\n`);
      });
    });
    server.on('error', (err) => options.logger.error({ err: err.message, port: options.port }, 'metrics endpoint not available'));
    server.listen(options.port, options.address || undefined, () => {
      options.logger.info({ port: (server!.address() as AddressInfo).port }, 'gateway metrics listening on /metrics');
    });
  }
  return {
    metrics: { workerRestarts },
    port: () => (server?.listening ? (server.address() as AddressInfo).port : 0),
    close: () => new Promise((resolve) => {
      if (!server?.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
