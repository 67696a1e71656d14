import { ZERO_GEO, ZERO_NETWORK, type AnalyticsRecord, type RecordTuple } from '@tollgate/store';

/** A plain record for the aggregation and consumer tests. */
export function testRecord(overrides: Partial<AnalyticsRecord> = {}): AnalyticsRecord {
  return {
    method: 'GET', host: 'up:80', path: '/x', raw_path: '/x', original_path: '/a/x', listen_path: '/a/', content_length: -1,
    user_agent: 'ua', day: 23, month: 11, year: 2026, hour: 12, response_code: 200, api_key: '', timestamp: '2026-11-23T12:10:00.000Z',
    api_version: 'Non Versioned', api_name: 'API A', api_id: 'a', org_id: 'o1', oauth_id: '', request_time: 10,
    latency: { total: 10, upstream: 6, gateway: 4 }, raw_request: '', raw_response: '', ip_address: '127.0.0.1', geo: ZERO_GEO,
    network: ZERO_NETWORK, tags: ['org-o1', 'api-a'], alias: '', track_path: false, expireAt: '2126-11-23T12:10:00.000Z', ...overrides,
  };
}

/**
 * The queued form of a record (what a worker encodes): the inverse of `expandRecord`, with the
 * `key-`/`org-`/`api-` tags left for the expansion to add back.
 */
export function toTuple(r: AnalyticsRecord): RecordTuple {
  const derived = new Set([`key-${r.api_key}`, `org-${r.org_id}`, `api-${r.api_id}`]);
  const api = { apiId: r.api_id, apiName: r.api_name, orgId: r.org_id, listenPath: r.listen_path, tags: [], expireAfterMs: Date.parse(r.expireAt) - Date.parse(r.timestamp) };
  return [
    api, r.method, r.host, r.path, r.original_path, r.content_length, r.user_agent, Date.parse(r.timestamp), r.response_code, r.api_key,
    r.oauth_id, r.latency.total, r.latency.upstream, r.ip_address, r.tags.filter((t) => !derived.has(t)), r.alias, r.track_path,
    r.api_version === 'Non Versioned' ? '' : r.api_version, r.raw_path,
  ];
}
