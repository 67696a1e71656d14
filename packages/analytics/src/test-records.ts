import { ZERO_GEO, ZERO_NETWORK, type AnalyticsRecord } from '@tollgate/store';

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
