import { ZERO_GEO, ZERO_NETWORK, type AnalyticsRecord } from '@tollgate/store';
import type { RecordSource } from './record-source.js';

/** Builds the analytics record of one finished exchange (spec analytics.md §2 and §3). */
export type RecordBuilder = (src: RecordSource) => AnalyticsRecord;

export interface RecordBuilderOptions {
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
export function buildTags(src: RecordSource, apiKey: string): string[] {
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

function headerValue(headers: readonly string[], name: string): string {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1] ?? '';
  return '';
}

/** The request path the record shows: listen path removed when `strip_listen_path`, always starting with `/`. */
function recordPath(src: RecordSource): string {
  if (!src.api.stripListenPath) return src.path;
  const rest = src.path.slice(src.matchedLength);
  return rest.charCodeAt(0) === 47 /* / */ ? rest : `/${rest}`;
}

/**
 * A record builder: one object literal per record (one stable shape), time parts cached per second.
 *
 * @example
 * const build = createRecordBuilder();
 * batcher.push(build(exchange));
 */
export function createRecordBuilder(options: RecordBuilderOptions = {}): RecordBuilder {
  const now = options.now ?? Date.now;
  const clock = new SecondClock();
  return (src) => {
    const ms = now();
    const timestamp = clock.timestamp(ms);
    const api = src.api;
    const session = src.session;
    const apiKey = src.sessionKey;
    const total = Math.max(0, Math.round(src.endMs - src.startMs));
    const upstream = Math.min(total, Math.max(0, Math.round(src.upstreamMs)));
    const path = recordPath(src);
    return {
      method: src.method,
      host: src.upstreamHost,
      path,
      raw_path: path,
      original_path: src.path,
      listen_path: api.listenPath,
      content_length: src.contentLength,
      user_agent: headerValue(src.headers, 'user-agent'),
      day: clock.day,
      month: clock.month,
      year: clock.year,
      hour: clock.hour,
      response_code: src.status,
      api_key: apiKey,
      timestamp,
      api_version: src.apiVersion === '' ? 'Non Versioned' : src.apiVersion,
      api_name: api.name,
      api_id: api.apiId,
      org_id: api.orgId,
      oauth_id: session?.oauth_client_id ?? '',
      request_time: total,
      latency: { total, upstream, gateway: total - upstream },
      raw_request: '',
      raw_response: '',
      ip_address: src.peer,
      geo: ZERO_GEO,
      network: ZERO_NETWORK,
      tags: buildTags(src, apiKey),
      alias: session?.alias ?? '',
      track_path: false,
      expireAt: new Date(ms + api.analytics.expireAfterMs).toISOString(),
    };
  };
}
