import type { EventRoutes } from '@tollgate/apidef';
import { EVENTS_QUEUE, JOBS_PREFIX, webhookJob, webhookJobOptions, type EventMeta } from '@tollgate/store';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { ClientIpResolver } from '../pipeline/client-ip.js';
import type { RequestContext } from '../pipeline/request-context.js';

const AUTH_FLAGS = new Set(['AMF', 'AKI', 'TKI', 'TKE', 'TCV', 'CRQ', 'CMM', 'IHD', 'EAD']);
const VERSION_CODES = new Set([
  'TOLLGATE_ERR_VERSION_NOT_FOUND', 'TOLLGATE_ERR_VERSION_DOES_NOT_EXIST', 'TOLLGATE_ERR_VERSION_EXPIRED', 'TOLLGATE_ERR_API_EXPIRED',
  'TOLLGATE_ERR_NO_DEFAULT_VERSION', 'TOLLGATE_ERR_AMBIGUOUS_DEFAULT_VERSION',
]);
/** Local de-duplication bound: past this many remembered notifications the memory is cleared. */
const MAX_REMEMBERED = 10_000;

/**
 * The Tyk event a finished request raises, if any: RatelimitExceeded (RLT 429), QuotaExceeded (QEX),
 * KeyExpired, VersionFailure, AuthFailure (auth flags, or a 401).
 */
export function eventOf(ctx: RequestContext): string | null {
  const error = ctx.error;
  // A gateway error raises its event by its own status, not the one an error override sent (§5).
  const status = error !== null ? error.status : ctx.status;
  if (status < 400) return null;
  const flag = ctx.flag;
  if (flag === 'RLT' && status === 429) return 'RatelimitExceeded';
  if (flag === 'QEX') return 'QuotaExceeded';
  if (error !== null && VERSION_CODES.has(error.code)) return 'VersionFailure';
  if (error !== null && error.message === 'Key has expired, please renew') return 'KeyExpired';
  if (AUTH_FLAGS.has(flag) || (error !== null && status === 401)) return 'AuthFailure';
  return null;
}

/**
 * Raises the events of finished requests for APIs with `event_handlers`: webhooks are queued on the
 * BullMQ events queue (the control plane delivers them, with retries), `eh_log_handler` events are
 * logged. Nothing happens on the request path: this runs when the exchange is over. The same
 * notification is offered to the queue once per `event_timeout` by this worker, so a flood of 429s is
 * not a flood of Redis calls; BullMQ's deduplication then keeps one job across the cluster.
 *
 * @example
 * const events = new GatewayEvents(() => new Queue(...), clientIp, logger); events.onExchangeDone(ctx);
 */
export class GatewayEvents {
  private queue: Queue | null = null;
  private readonly sent = new Map<string, number>();

  constructor(
    private readonly openQueue: () => Queue,
    private readonly clientIp: ClientIpResolver,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  onExchangeDone(ctx: RequestContext): void {
    const routes = ctx.api.events;
    if (routes === null) return;
    const event = eventOf(ctx);
    if (event === null) return;
    const meta: EventMeta = { message: ctx.error?.message ?? '', path: ctx.path, origin: this.clientIp(ctx), key: ctx.sessionKey };
    this.raise(ctx.api.apiId, routes, event, meta);
  }

  raise(apiId: string, routes: EventRoutes, event: string, meta: EventMeta): void {
    if (routes.logged.has(event)) this.logger.info({ event, api_id: apiId, ...meta }, 'event');
    const specs = routes.webhooks.get(event);
    if (specs === undefined) return;
    const now = this.now();
    for (const spec of specs) {
      const job = webhookJob(spec, event, apiId, meta, now);
      if ((this.sent.get(job.dedupeKey) ?? 0) > now) continue;
      if (this.sent.size >= MAX_REMEMBERED) this.sent.clear();
      this.sent.set(job.dedupeKey, now + spec.dedupeSeconds * 1000);
      this.queue ??= this.openQueue();
      this.queue.add('webhook', job, webhookJobOptions(job))
        .catch((err: Error) => this.logger.warn({ event, api_id: apiId, err: err.message }, 'event not queued'));
    }
  }

  async close(): Promise<void> {
    await this.queue?.close();
  }
}

export { EVENTS_QUEUE, JOBS_PREFIX };
