import { Counter, Gauge, type Registry } from 'prom-client';
import { HotCounter, HotHistogram, register, type CounterChild, type HistogramChild } from './hot-metrics.js';
import { upstreamLatency } from './analytics/record-builder.js';
import type { RequestContext } from './pipeline/request-context.js';

/**
 * Every metric a gateway worker keeps, in one place (style.md §12). The primary serves them summed over
 * its workers (prom-client AggregatorRegistry). Labels are bounded: API ids, status codes, a fixed list of
 * rejection reasons; never paths, never keys.
 *
 * The `tyk_*` names and labels are Tyk Pump's Prometheus pump's (spec analytics.md §8), so existing
 * dashboards keep working; `tollgate_*` are tollgate's own.
 */

/** Tyk Pump's latency buckets, in ms (spec analytics.md §8). */
export const TYK_LATENCY_BUCKETS_MS = [1, 2, 5, 7, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100, 200, 300, 400, 500, 1000, 2000, 5000, 10000, 30000, 60000];
const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export type RejectionReason = 'auth' | 'rate_limit' | 'quota' | 'tls' | 'ip' | 'body' | 'upstream' | 'client' | 'other';

/**
 * Response flag → rejection reason (errors-and-flags.md §2). Errors without a flag (§2.3) are told by
 * their catalogue code (REASON_BY_CODE); the rest (version and endpoint rules, internal errors) are `other`.
 */
const REASON_BY_FLAG: ReadonlyMap<string, RejectionReason> = new Map([
  ...['AMF', 'AKI', 'TKE', 'TKI', 'TCV', 'EAD', 'IHD'].map((f) => [f, 'auth'] as const),
  ['RLT', 'rate_limit'], ['QEX', 'quota'],
  ...['TLE', 'TLI', 'TLM', 'TLN', 'TLH', 'TLP', 'TLA', 'TLC', 'CRQ', 'CMM'].map((f) => [f, 'tls'] as const),
  ...['BTL', 'CLM', 'BIV'].map((f) => [f, 'body'] as const),
  ...['UCF', 'UCT', 'URR', 'EPI', 'CAB', 'NRS', 'NRH', 'DNS', 'URT', 'UPE', 'CBO', 'NHU'].map((f) => [f, 'upstream'] as const),
  ['CDC', 'client'],
]);

/** Catalogue codes of the errors that carry no flag, by the family they belong to. */
const REASON_BY_CODE: ReadonlyMap<string, RejectionReason> = new Map([
  ['TOLLGATE_ERR_IP_DISALLOWED', 'ip'],
  // Key checks and auth modes (auth.md §4-§8): a credential that does not grant access.
  ...['KEY_INACTIVE', 'KEY_EXPIRED', 'API_ACCESS_DISALLOWED', 'RESOURCE_DISALLOWED', 'SESSION_MISSING', 'USER_NOT_AUTHORISED',
    'HMAC_INVALID', 'JWT_IDENTITY', 'JWT_POLICY', 'JWT_CREATE'].map((c) => [`TOLLGATE_ERR_${c}`, 'auth'] as const),
  // The mutual TLS request check (auth.md §9).
  ...['MTLS_NOT_TLS', 'MTLS_REQUIRED', 'MTLS_EXPIRED', 'MTLS_NOT_ALLOWED'].map((c) => [`TOLLGATE_ERR_${c}`, 'tls'] as const),
  ...['CONTENT_LENGTH_INVALID', 'ENTITY_TOO_LARGE', 'BODY_READ'].map((c) => [`TOLLGATE_ERR_${c}`, 'body'] as const),
]);

export function rejectionReason(flag: string, code = ''): RejectionReason {
  return REASON_BY_FLAG.get(flag) ?? REASON_BY_CODE.get(code) ?? 'other';
}

/** Series of one API, resolved once, so that a request costs two Map lookups and a few additions. */
interface ApiChildren {
  readonly latencyTotal: HistogramChild;
  readonly latencyUpstream: HistogramChild;
  readonly latencyGateway: HistogramChild;
  readonly upstreamSeconds: HistogramChild;
  readonly byStatus: Map<number, { status: CounterChild; duration: HistogramChild }>;
}

/** Values read when metrics are scraped (set by the worker once the parts exist). */
export interface MetricSources {
  configRevision: () => number;
  isRedisUp: () => boolean;
  bufferedRecords: () => number;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  readonly sources: MetricSources;
  /** Counts one finished exchange (every request that reached an API, tracked or not). */
  observeExchange(ctx: RequestContext): void;
  /**
   * Counts a TLS connection refused before any request (failed handshake, or no allowed client certificate
   * where one is required) as a `tls` rejection with an empty API id: no API was reached.
   */
  rejectedHandshake(): void;
  readonly analyticsDropped: Counter;
  readonly analyticsQueued: Counter;
  readonly analyticsSendFailures: Counter;
}

/**
 * Declares the worker metrics in `registry`.
 *
 * @example
 * const metrics = createGatewayMetrics(new Registry());
 * metrics.observeExchange(exchange);
 */
export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  const sources: MetricSources = { configRevision: () => 0, isRedisUp: () => false, bufferedRecords: () => 0 };
  const tykStatus = register(registry, new HotCounter('tyk_http_status', 'Requests per status code and API id (Tyk Pump name)', ['code', 'api']));
  const tykLatency = register(registry, new HotHistogram(
    'tyk_latency', 'Latency in ms by type (total, upstream, gateway) and API id (Tyk Pump name)', ['type', 'api'], TYK_LATENCY_BUCKETS_MS,
  ));
  const duration = register(registry, new HotHistogram(
    'tollgate_request_duration_seconds', 'Request duration from arrival to response written, by API id and status code', ['api', 'code'], SECONDS_BUCKETS,
  ));
  const upstream = register(registry, new HotHistogram(
    'tollgate_upstream_duration_seconds', 'Time from sending upstream to its response headers, by API id', ['api'], SECONDS_BUCKETS,
  ));
  const rejections = new Counter({
    name: 'tollgate_rejections_total', help: 'Requests the gateway answered with an error of its own, by API id and reason (from the response flag)',
    labelNames: ['api', 'reason'], registers,
  });
  new Gauge({
    name: 'tollgate_config_revision', help: 'Configuration revision applied (lowest over the workers)', registers, aggregator: 'min',
    collect() { this.set(sources.configRevision()); },
  });
  new Gauge({
    name: 'tollgate_redis_up', help: '1 when every worker reaches Redis (last health check), else 0', registers, aggregator: 'min',
    collect() { this.set(sources.isRedisUp() ? 1 : 0); },
  });
  const analyticsDropped = new Counter({ name: 'tollgate_analytics_dropped_total', help: 'Analytics records dropped (buffer full while Redis was slow or down)', registers });
  const analyticsQueued = new Counter({ name: 'tollgate_analytics_queued_total', help: 'Analytics records handed to Redis', registers });
  new Gauge({
    name: 'tollgate_analytics_buffered_records', help: 'Analytics records held in worker memory', registers,
    collect() { this.set(sources.bufferedRecords()); },
  });
  const analyticsSendFailures = new Counter({ name: 'tollgate_analytics_send_failures_total', help: 'Failed hand-overs of analytics batches to Redis (retried)', registers });

  const perApi = new Map<string, ApiChildren>();
  const childrenOf = (api: string): ApiChildren => {
    let c = perApi.get(api);
    if (c === undefined) {
      c = {
        latencyTotal: tykLatency.child('total', api), latencyUpstream: tykLatency.child('upstream', api),
        latencyGateway: tykLatency.child('gateway', api), upstreamSeconds: upstream.child(api), byStatus: new Map(),
      };
      perApi.set(api, c);
    }
    return c;
  };

  const observeExchange = (src: RequestContext): void => {
    const api = src.api.apiId;
    const c = childrenOf(api);
    let s = c.byStatus.get(src.status);
    if (s === undefined) {
      const code = String(src.status);
      s = { status: tykStatus.child(code, api), duration: duration.child(api, code) };
      c.byStatus.set(src.status, s);
    }
    const totalMs = Math.max(0, src.endMs - src.startMs);
    const upstreamMs = Math.min(totalMs, upstreamLatency(src));
    s.status.inc();
    s.duration.observe(totalMs / 1000);
    c.latencyTotal.observe(totalMs);
    c.latencyUpstream.observe(upstreamMs);
    c.latencyGateway.observe(totalMs - upstreamMs);
    if (src.upstreamHeadMs > 0) c.upstreamSeconds.observe(upstreamMs / 1000);
    if (src.error !== null) rejections.labels(api, rejectionReason(src.flag, src.error.code)).inc();
  };

  const handshakeRejections = rejections.labels('', 'tls');
  const rejectedHandshake = (): void => { handshakeRejections.inc(); };
  return { registry, sources, observeExchange, rejectedHandshake, analyticsDropped, analyticsQueued, analyticsSendFailures };
}
