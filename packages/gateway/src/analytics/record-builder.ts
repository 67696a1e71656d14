import { ZERO_GEO, ZERO_NETWORK, type AnalyticsRecord } from '@tollgate/store';
import type { ClientIpResolver } from '../pipeline/client-ip.js';
import type { RequestContext } from '../pipeline/request-context.js';

/** Builds the analytics record of one finished exchange (spec analytics.md §2 and §3). */
export type RecordBuilder = (ctx: RequestContext) => AnalyticsRecord;

export interface RecordBuilderOptions {
  /** The client IP as IP lists resolve it (spec §2 `ip_address`). */
  readonly clientIp: ClientIpResolver;
  /** Clock in unix ms (injected by tests). */
  readonly now?: () => number;
}

/**
 * Time parts change once a second at most: they are computed when the second changes, not per record.
 * `day`/`month`/`year`/`hour` are gateway local time; `timestamp` is RFC 3339 in UTC with milliseconds.
 */
class SecondClock {
  private second = -1;
  private prefix = '';
  day = 0;
  month = 0;
  year = 0;
  hour = 0;

  timestamp(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      const d = new Date(second * 1000);
      this.second = second;
      this.prefix = d.toISOString().slice(0, 20); // "2026-11-23T11:56:07."
      this.day = d.getDate();
      this.month = d.getMonth() + 1;
      this.year = d.getFullYear();
      this.hour = d.getHours();
    }
    const milli = ms - second * 1000;
    return `${this.prefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
  }
}

/**
 * Tags in the spec's order (analytics.md §3): `pol-<policy>`, `dev-<developer id>`, the session's tags,
 * `<lower-cased header>-<value>` per `tag_headers` value, the API's tags, then `key-<api_key>`,
 * `org-<org_id>` and `api-<api_id>`. Duplicates are kept, as Tyk keeps them.
 */
export function buildTags(src: RequestContext, apiKey: string): string[] {
  const tags: string[] = [];
  const session = src.session;
  if (session !== null) {
    for (const policy of session.apply_policies ?? []) tags.push(`pol-${policy}`);
    const developer = session.meta_data?.tyk_developer_id;
    if (typeof developer === 'string') tags.push(`dev-${developer}`);
    for (const tag of session.tags ?? []) tags.push(tag);
  }
  const { tagHeaders, tags: apiTags } = src.api.analytics;
  if (tagHeaders.length > 0) {
    const headers = src.headers;
    for (const name of tagHeaders) {
      for (let i = 0; i < headers.length; i += 2) {
        if (headers[i] === name) tags.push(`${name}-${headers[i + 1]}`);
      }
    }
  }
  for (const tag of apiTags) tags.push(tag);
  if (apiKey !== '') tags.push(`key-${apiKey}`);
  if (src.api.orgId !== '') tags.push(`org-${src.api.orgId}`);
  tags.push(`api-${src.api.apiId}`);
  return tags;
}

/** Request Content-Length, −1 when absent or not a number (chunked). */
function contentLength(ctx: RequestContext): number {
  const raw = ctx.header('content-length');
  if (raw === '') return ctx.method === 'GET' || ctx.method === 'HEAD' ? 0 : -1;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : -1;
}

/** Ms from sending upstream to its response head; 0 when no upstream answered (gateway errors). */
export function upstreamLatency(ctx: RequestContext): number {
  return ctx.upstreamHeadMs > 0 && ctx.upstreamSentMs > 0 ? Math.max(0, ctx.upstreamHeadMs - ctx.upstreamSentMs) : 0;
}

/** The request path the record shows: listen path removed when `strip_listen_path`, always starting with `/`. */
function recordPath(src: RequestContext): string {
  if (!src.api.stripListenPath) return src.path;
  const rest = src.path.slice(src.matchedLength);
  return rest.charCodeAt(0) === 47 /* / */ ? rest : `/${rest}`;
}

/**
 * A record builder: one object literal per record (one stable shape), time parts cached per second.
 *
 * @example
 * const build = createRecordBuilder({ clientIp: deps.clientIp });
 * batcher.push(build(ctx));
 */
export function createRecordBuilder(options: RecordBuilderOptions): RecordBuilder {
  const now = options.now ?? Date.now;
  const clock = new SecondClock();
  return (src: RequestContext) => {
    const ms = now();
    const timestamp = clock.timestamp(ms);
    const api = src.api;
    const session = src.session;
    const apiKey = src.sessionKey;
    const total = Math.max(0, Math.round((src.endMs || ms) - src.startMs));
    const upstream = Math.min(total, Math.round(upstreamLatency(src)));
    const path = recordPath(src);
    return {
      method: src.method,
      host: src.target.host,
      path,
      raw_path: path,
      original_path: src.path,
      listen_path: api.listenPath,
      content_length: contentLength(src),
      user_agent: src.header('user-agent'),
      day: clock.day,
      month: clock.month,
      year: clock.year,
      hour: clock.hour,
      response_code: src.status,
      api_key: apiKey,
      timestamp,
      // Versioning middleware has not landed: every request is "Non Versioned" until it records one.
      api_version: 'Non Versioned',
      api_name: api.name,
      api_id: api.apiId,
      org_id: api.orgId,
      oauth_id: session?.oauth_client_id ?? '',
      request_time: total,
      latency: { total, upstream, gateway: total - upstream },
      raw_request: '',
      raw_response: '',
      ip_address: options.clientIp(src),
      geo: ZERO_GEO,
      network: ZERO_NETWORK,
      tags: buildTags(src, apiKey),
      alias: session?.alias || src.keyAlias,
      track_path: false,
      expireAt: new Date(ms + api.analytics.expireAfterMs).toISOString(),
    };
  };
}
