import type { RateLimitFailureMode } from '@tollgate/apidef';
import { keyLayout, LimitOutcome, LimitStore, type LimitCallback, type LimitCheck, type RedisClient } from '@tollgate/store';
import type { Logger } from 'pino';
import type { RateLimitMetrics } from './limit-metrics.js';
import { LocalLimits } from './local-limits.js';

/** A worker counts as live in the cluster when it reported its revision this recently (config feed). */
const LIVE_WORKER_MS = 5000;
/** How often the number of live workers (the local mode's divisor) is refreshed while Redis answers. */
const WORKER_COUNT_INTERVAL_MS = 1000;
/** Quota hints kept at most (last remaining per quota counter, for the local mode). */
const MAX_QUOTA_HINTS = 10_000;

export interface LimiterOptions {
  /** A client for limits only: short command timeout, no offline queue, auto-pipelining. */
  readonly redis: RedisClient;
  readonly mode: RateLimitFailureMode;
  readonly logger: Logger;
  /** Milliseconds between two log lines about degraded decisions. */
  readonly logIntervalMs: number;
  /** Counters in the worker's metrics registry (limit-metrics.ts). */
  readonly metrics: RateLimitMetrics;
  /** Unix ms; injected for tests. */
  readonly now?: () => number;
}

/**
 * A worker's door to the limit counters. `check` resolves with what Redis decided, or, when Redis fails
 * or does not answer within the client's command timeout, with what `rate_limit_failure_mode` decides:
 * `local` enforces this worker's share in memory, `open` admits, `closed` resolves null (the caller
 * refuses, as Tyk does). It never rejects. Degraded decisions are counted on every request and logged
 * at most once per interval; the next request after Redis answers again is exact again (the ioredis
 * client reconnects by itself).
 *
 * @example
 * const limiter = new Limiter({ redis, mode: 'local', logger, logIntervalMs: 10_000, metrics });
 * const outcome = await limiter.check([rateCheck(limitKeys.apiRate('a'), 50, 10_000)]);
 */
export class Limiter {
  readonly mode: RateLimitFailureMode;
  readonly metrics: RateLimitMetrics;
  private readonly store: LimitStore;
  private readonly local = new LocalLimits();
  private readonly quotaHints = new Map<string, number>();
  private readonly now: () => number;
  private workers = 1;
  private timer: NodeJS.Timeout | undefined;
  private lastLogMs = -Infinity;
  private degradedSinceLog = 0;
  private isDegraded = false;

  /** The limits client, for reads outside a check (`<listen_path>tyk/rate-limits/`). */
  get redis(): RedisClient {
    return this.options.redis;
  }

  constructor(private readonly options: LimiterOptions) {
    this.mode = options.mode;
    this.metrics = options.metrics;
    this.now = options.now ?? Date.now;
    this.store = new LimitStore(options.redis, {
      onRefund: () => options.metrics.refund(),
      onRefundError: (err) => options.logger.warn({ err: err.message }, 'rate limit refund failed (the request stays counted)'),
      onAnswer: (checks, admitted) => this.exact(checks, admitted),
      onError: (checks, err) => this.degraded(checks, err as Error),
    });
  }

  /** Starts refreshing the cluster's live worker count (the divisor of the local mode). */
  start(): void {
    const refresh = (): void => {
      this.options.redis.hgetall(keyLayout.workers).then((all) => {
        const now = Date.now();
        let live = 0;
        for (const value of Object.values(all)) if (now - Number(value.split(':')[1]) <= LIVE_WORKER_MS) live++;
        this.workers = Math.max(1, live);
      }, () => undefined);
    };
    refresh();
    this.timer = setInterval(refresh, WORKER_COUNT_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Live workers in the cluster as last seen (at least 1). */
  get workerCount(): number {
    return this.workers;
  }

  check(checks: readonly LimitCheck[]): Promise<LimitOutcome | null> {
    return this.store.check(checks);
  }

  /**
   * `check` without a promise (the middleware's path): `callback` gets the outcome (never an error) and
   * `arg`, so one callback made per cached session serves every request without a closure each.
   */
  enqueue<T>(checks: readonly LimitCheck[], callback: LimitCallback<T>, arg: T): void {
    this.store.enqueue(checks, callback, arg);
  }

  /**
   * Gives back one admission on `checks` (one slot, e.g. a key's quota check) that Redis consumed at
   * `nowUs` (the outcome's): one asynchronous script call, counted as a refund; an error is logged and not
   * retried (the request stays counted).
   */
  refund(checks: readonly LimitCheck[], nowUs: number): void {
    this.store.refund(checks, nowUs, 1);
  }

  /** Once per answered call: recovery is logged, and the local mode learns what quota is left. */
  private exact(checks: readonly LimitCheck[], outcome: LimitOutcome | null): void {
    if (this.isDegraded) {
      this.isDegraded = false;
      this.options.logger.warn({ mode: this.mode, degraded: this.degradedSinceLog }, 'rate limits exact again: Redis answers');
      this.degradedSinceLog = 0;
    }
    if (this.mode === 'local' && outcome !== null) {
      for (let i = 0; i < checks.length; i++) {
        const c = checks[i]!;
        if (c.kind === 'Q' && outcome.remaining(i) >= 0) this.hint(c.key, outcome.remaining(i));
      }
    }
  }

  private degraded(checks: readonly LimitCheck[], err: Error): LimitOutcome | null {
    this.metrics.redisError();
    this.isDegraded = true;
    this.degradedSinceLog++;
    const now = this.now();
    if (now - this.lastLogMs >= this.options.logIntervalMs) {
      this.lastLogMs = now;
      this.options.logger.warn({ mode: this.mode, degraded: this.degradedSinceLog, workers: this.workers, err: err.message },
        `Redis did not answer a rate limit check: rate_limit_failure_mode ${this.mode} decides`);
      this.degradedSinceLog = 0;
    }
    if (this.mode === 'open') {
      this.metrics.degraded('open', 'admitted');
      return new LimitOutcome(true, -1, now * 1000, new Array<number>(2 * checks.length).fill(-1), 0, false);
    }
    if (this.mode === 'closed') {
      this.metrics.degraded('closed', 'limited');
      return null;
    }
    const outcome = this.local.check(checks, this.workers, now * 1000, this.quotaHints);
    this.metrics.degraded('local', outcome.admitted ? 'admitted' : 'limited');
    return outcome;
  }

  private hint(key: string, remaining: number): void {
    const hints = this.quotaHints;
    if (hints.size >= MAX_QUOTA_HINTS && !hints.has(key)) hints.delete(hints.keys().next().value!);
    hints.set(key, remaining);
  }
}
