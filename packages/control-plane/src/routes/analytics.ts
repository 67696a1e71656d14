import type { ServerResponse } from 'node:http';
import { sendJson, sendStatus } from '../http-reply.js';

/** Aggregates of one dimension over a range, as `tollgate analytics` stores them (injected by the CLI). */
export interface AnalyticsReader {
  query(dimension: AnalyticsDimension, range: { fromMs: number; toMs: number; orgId: string }): Promise<Record<string, unknown>>;
}

export type AnalyticsDimension = 'tags' | 'apiid' | 'apikeys' | 'codes' | 'errors' | 'endpoints';

/** `/tollgate/analytics/<route>` → the dimension read and the top-level key of the answer. */
export const ANALYTICS_ROUTES: ReadonlyMap<string, AnalyticsDimension> = new Map([
  ['tags', 'tags'], ['apis', 'apiid'], ['keys', 'apikeys'], ['status_codes', 'codes'], ['errors', 'errors'], ['endpoints', 'endpoints'],
]);

const DAY_MS = 86_400_000;

/**
 * `from`/`to`: RFC 3339 (or a plain date, read as UTC midnight) or unix seconds. `to` defaults to now,
 * `from` to 24 hours before `to`. Returns an error message naming the parameter when one is unusable.
 */
export function parseRange(params: URLSearchParams, now: number): { fromMs: number; toMs: number; orgId: string } | string {
  const read = (name: string): number | string | undefined => {
    const raw = params.get(name);
    if (raw === null || raw === '') return undefined;
    if (/^\d{1,12}$/.test(raw)) return Number(raw) * 1000;
    const ms = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(raw) ? Date.parse(raw) : NaN;
    return Number.isNaN(ms) ? `${name} must be an RFC 3339 time (2026-11-23T10:00:00Z), a date (2026-11-23) or unix seconds (got ${JSON.stringify(raw)})` : ms;
  };
  const to = read('to') ?? now;
  if (typeof to === 'string') return to;
  const from = read('from') ?? to - DAY_MS;
  if (typeof from === 'string') return from;
  if (from > to) return `from (${new Date(from).toISOString()}) is after to (${new Date(to).toISOString()})`;
  return { fromMs: from, toMs: to, orgId: params.get('org_id') ?? '' };
}

/** `GET /tollgate/analytics/{tags,apis,keys,status_codes,errors,endpoints}?from=&to=[&org_id=]` */
export async function handleAnalytics(
  reader: AnalyticsReader | undefined, route: string, method: string, params: URLSearchParams, res: ServerResponse,
): Promise<void> {
  const dimension = ANALYTICS_ROUTES.get(route);
  if (dimension === undefined) return sendStatus(res, 404, `Unknown analytics view "${route}"; use one of ${[...ANALYTICS_ROUTES.keys()].join(', ')}`);
  if (method !== 'GET') return sendStatus(res, 405, 'Method Not Allowed');
  if (reader === undefined) return sendStatus(res, 501, 'Not implemented');
  const range = parseRange(params, Date.now());
  if (typeof range === 'string') return sendStatus(res, 400, range);
  try {
    sendJson(res, 200, { [route]: await reader.query(dimension, range) });
  } catch (err) {
    if (err instanceof RangeError) return sendStatus(res, 400, err.message);
    throw err;
  }
}
