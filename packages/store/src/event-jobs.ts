import { createHash } from 'node:crypto';
import type { WebhookSpec } from '@tollgate/apidef';

/** BullMQ queue keys share one hash tag so its scripts run on Redis Cluster too. */
export const JOBS_PREFIX = '{tollgate:jobs}';
/** The queue webhook deliveries go through (produced by gateways and the control plane, run by the control plane). */
export const EVENTS_QUEUE = 'events';

/** What Tyk's default webhook template carries (`{{.Meta.Message}}` etc.). */
export interface EventMeta {
  readonly message: string;
  readonly path: string;
  readonly origin: string;
  readonly key: string;
}

/** One webhook delivery as queued: everything needed to send it, so the consumer reads no definition. */
export interface WebhookJob {
  readonly event: string;
  readonly apiId: string;
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Same notification (url, event, meta) within `dedupeSeconds` is queued once (Tyk's `event_timeout`). */
  readonly dedupeKey: string;
  readonly dedupeSeconds: number;
}

/**
 * Builds the delivery of one event to one webhook. The body is Tyk's default webhook document
 * (`event`, `message`, `path`, `origin`, `key`) plus `api_id` and `timestamp`.
 *
 * @example
 * const job = webhookJob(spec, 'RatelimitExceeded', 'api1', { message: 'Rate Limit Exceeded', path: '/x', origin: '10.0.0.1', key: '' }, Date.now());
 */
export function webhookJob(spec: WebhookSpec, event: string, apiId: string, meta: EventMeta, now: number): WebhookJob {
  const doc = { event, message: meta.message, path: meta.path, origin: meta.origin, key: meta.key, api_id: apiId };
  const dedupeKey = createHash('sha256').update(`${spec.method} ${spec.url}\n`).update(JSON.stringify(doc)).digest('hex');
  return {
    event, apiId, url: spec.url, method: spec.method, headers: spec.headers,
    body: JSON.stringify({ ...doc, timestamp: new Date(now).toISOString() }),
    dedupeKey, dedupeSeconds: spec.dedupeSeconds,
  };
}

/**
 * BullMQ options of a webhook job: five attempts with exponential back-off from 1 s, and BullMQ's
 * deduplication (throttle mode): while a job with the same notification was added less than
 * `event_timeout` ago, adding it again does nothing, whichever gateway or control plane adds it.
 */
export function webhookJobOptions(job: WebhookJob): {
  attempts: number; backoff: { type: 'exponential'; delay: number }; removeOnComplete: number; removeOnFail: number;
  deduplication: { id: string; ttl: number };
} {
  return {
    attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 100, removeOnFail: 500,
    deduplication: { id: job.dedupeKey, ttl: Math.max(1, job.dedupeSeconds) * 1000 },
  };
}
