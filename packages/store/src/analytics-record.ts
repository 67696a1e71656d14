import { Packr } from 'msgpackr';

/**
 * One analytics record, field for field and name for name as Tyk's (spec analytics.md §2), so a
 * Tyk-Pump-compatible exporter can be written against it. It is the contract between the gateway
 * (producer) and `tollgate analytics` (consumer), which is why it lives in the package both depend on.
 */
export interface AnalyticsRecord {
  method: string;
  /** Upstream host from `target_url` (or the load-balanced target), not the client's Host header. */
  host: string;
  path: string;
  raw_path: string;
  original_path: string;
  listen_path: string;
  /** Request Content-Length, −1 when unknown. */
  content_length: number;
  user_agent: string;
  day: number;
  month: number;
  year: number;
  hour: number;
  response_code: number;
  /** Storage id of the key (its hash when `hash_keys`), `""` for keyless. */
  api_key: string;
  /** RFC 3339. */
  timestamp: string;
  api_version: string;
  api_name: string;
  api_id: string;
  org_id: string;
  oauth_id: string;
  /** Milliseconds; equals `latency.total`. */
  request_time: number;
  latency: RecordLatency;
  raw_request: string;
  raw_response: string;
  ip_address: string;
  geo: RecordGeo;
  network: RecordNetwork;
  tags: string[];
  alias: string;
  track_path: boolean;
  /** RFC 3339. */
  expireAt: string;
}

export interface RecordLatency {
  total: number;
  upstream: number;
  gateway: number;
}

export interface RecordGeo {
  country: { iso_code: string };
  city: { geoname_id: number; names: Record<string, string> };
  location: { latitude: number; longitude: number; time_zone: string };
}

export interface RecordNetwork {
  open_connections: number;
  closed_connections: number;
  bytes_in: number;
  bytes_out: number;
}

/** Zero values (no GeoIP lookup; request records carry no network statistics). Shared, never mutated. */
export const ZERO_GEO: RecordGeo = Object.freeze({
  country: Object.freeze({ iso_code: '' }),
  city: Object.freeze({ geoname_id: 0, names: Object.freeze({}) as Record<string, string> }),
  location: Object.freeze({ latitude: 0, longitude: 0, time_zone: '' }),
}) as RecordGeo;

export const ZERO_NETWORK: RecordNetwork = Object.freeze({ open_connections: 0, closed_connections: 0, bytes_in: 0, bytes_out: 0 });

// `useRecords`: a batch repeats one object shape, so msgpackr writes the field names once per batch.
const packr = new Packr({ useRecords: true, moreTypes: false });

/** Encodes a batch of records for the queue (one stream entry). */
export function encodeRecordBatch(records: readonly AnalyticsRecord[]): Buffer {
  return packr.pack(records);
}

const STRING_FIELDS = ['method', 'path', 'api_id', 'org_id', 'api_key', 'timestamp', 'api_version'] as const;

/**
 * Decodes a batch written by `encodeRecordBatch`. Throws with a message saying what is wrong when the
 * bytes are not a batch of records (the consumer counts and skips such entries).
 */
export function decodeRecordBatch(bytes: Buffer): AnalyticsRecord[] {
  const value: unknown = packr.unpack(bytes);
  if (!Array.isArray(value)) throw new Error('analytics batch: not a list of records');
  for (let i = 0; i < value.length; i++) {
    const r = value[i] as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null) throw new Error(`analytics batch: entry ${i} is not a record`);
    for (const field of STRING_FIELDS) {
      if (typeof r[field] !== 'string') throw new Error(`analytics batch: entry ${i}: ${field} must be a string`);
    }
    if (!Number.isInteger(r.response_code)) throw new Error(`analytics batch: entry ${i}: response_code must be an integer`);
    if (!Array.isArray(r.tags)) throw new Error(`analytics batch: entry ${i}: tags must be a list`);
    const latency = r.latency as Record<string, unknown> | null;
    if (typeof latency !== 'object' || latency === null || typeof latency.total !== 'number' || typeof latency.upstream !== 'number') {
      throw new Error(`analytics batch: entry ${i}: latency must be {total, upstream, gateway}`);
    }
  }
  return value as AnalyticsRecord[];
}
