import { compileEventHandlers, type ApiDefinition, type GatewayConfig } from '@tollgate/apidef';
import { createRedisClient, EVENTS_QUEUE, JOBS_PREFIX, webhookJob, webhookJobOptions, type EventMeta, type WebhookJob } from '@tollgate/store';
import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';

const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * Sends one webhook. A non-2xx answer or a network error throws, so BullMQ retries it with back-off.
 * (Duplicates within `event_timeout` never get here: BullMQ's deduplication drops them when queued.)
 */
export async function deliverWebhook(job: WebhookJob, timeoutMs = DELIVERY_TIMEOUT_MS): Promise<number> {
  const hasBody = job.method !== 'GET' && job.method !== 'HEAD';
  const res = await fetch(job.url, {
    method: job.method, headers: { 'content-type': 'application/json', ...job.headers }, body: hasBody ? job.body : undefined,
    signal: AbortSignal.timeout(timeoutMs), redirect: 'manual',
  });
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status > 299) throw new Error(`webhook ${job.url} answered ${res.status}`);
  return res.status;
}

/**
 * Queues an API's handlers for one event (control-plane events: HostDown, HostUp, certificate expiry):
 * webhooks as BullMQ jobs, `eh_log_handler` as a log line.
 */
export async function queueApiEvent(queue: Queue, def: ApiDefinition, event: string, meta: EventMeta, logger: Logger): Promise<void> {
  const routes = compileEventHandlers(def);
  if (routes === null) return;
  const apiId = String(def.api_id);
  if (routes.logged.has(event)) logger.info({ event, api_id: apiId, ...meta }, 'event');
  for (const spec of routes.webhooks.get(event) ?? []) {
    const job = webhookJob(spec, event, apiId, meta, Date.now());
    await queue.add('webhook', job, webhookJobOptions(job));
  }
}

export interface WebhookDelivery {
  /** Where the control plane's own events are queued. */
  readonly queue: Queue;
  close(): Promise<void>;
}

/**
 * The one consumer of the events queue: gateways and the control plane queue deliveries, the control
 * plane sends them (ten at a time), BullMQ retries failures with back-off.
 *
 * @example
 * const delivery = startWebhookDelivery({ config, redis, logger });
 * await queueApiEvent(delivery.queue, def, 'HostDown', meta, logger);
 */
export function startWebhookDelivery(options: { config: Readonly<GatewayConfig>; logger: Logger }): WebhookDelivery {
  const { config, logger } = options;
  const connections = [createRedisClient(config.storage, { name: 'tollgate:cp:events-queue', isQueue: true }),
    createRedisClient(config.storage, { name: 'tollgate:cp:events-worker', isQueue: true })] as const;
  for (const c of connections) c.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis error (events)'));
  const queue = new Queue(EVENTS_QUEUE, { connection: connections[0], prefix: JOBS_PREFIX });
  const worker = new Worker<WebhookJob>(EVENTS_QUEUE, async (job) => deliverWebhook(job.data), {
    connection: connections[1], prefix: JOBS_PREFIX, concurrency: 10,
  });
  worker.on('failed', (job, err) => logger.warn({ event: job?.data.event, api_id: job?.data.apiId, attempt: job?.attemptsMade, err: err.message }, 'webhook delivery failed'));
  worker.on('error', (err) => logger.warn({ err: err.message }, 'events worker error'));
  queue.on('error', (err) => logger.warn({ err: err.message }, 'events queue error'));
  return {
    queue,
    async close() {
      await worker.close();
      await queue.close();
      for (const c of connections) c.disconnect();
    },
  };
}
