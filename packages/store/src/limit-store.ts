import type { RedisClient } from './redis-client.js';
import { callVariadic, defineScripts } from './scripts.js';

/**
 * Kind of a limit counter (scripts/limits-n.lua): L sliding log, G GCRA, F fixed window, Q quota.
 */
export type LimitKind = 'L' | 'G' | 'F' | 'Q';

/** One counter a request must pass. Build with `rateCheck` / `quotaCheck`. */
export interface LimitCheck {
  readonly key: string;
  readonly kind: LimitKind;
  /** Admissions per window (L, G, F) or quota_max (Q). */
  readonly capacity: number;
  /** Window in microseconds (L, G, F) or renewal period in milliseconds (Q, ≤ 0 never renews). */
  readonly span: number;
}

/**
 * A rate counter: `capacity` admissions per `windowMs`. The window is rounded up to whole microseconds
 * (rounding can only make the limit stricter).
 *
 * @example
 * rateCheck(limitKeys.apiRate('api-1'), 50, 10_000) // 50 per 10 s, sliding log
 */
export function rateCheck(key: string, capacity: number, windowMs: number, kind: 'L' | 'G' | 'F' = 'L'): LimitCheck {
  return { key, kind, capacity, span: Math.max(1, Math.ceil(windowMs * 1000)) };
}

/** A quota counter: `max` admissions per `renewalSeconds` (≤ 0: the period never ends). */
export function quotaCheck(key: string, max: number, renewalSeconds: number): LimitCheck {
  return { key, kind: 'Q', capacity: max, span: renewalSeconds > 0 ? Math.ceil(renewalSeconds * 1000) : 0 };
}

/** What the limit script said about one request. */
export class LimitOutcome {
  constructor(
    /** Every check admitted the request and each was consumed. */
    readonly admitted: boolean,
    /** Index of the refusing check in the caller's order; -1 when admitted. */
    readonly failed: number,
    /** Redis time, microseconds. */
    readonly nowUs: number,
    /** remaining/wait pairs per check (see limits-n.lua); -1 when the check was not evaluated. */
    private readonly pairs: readonly number[],
    private readonly offset: number,
    /** Redis decided (false: the worker's local fallback did, nothing was consumed in Redis). */
    readonly isFromRedis = true,
  ) {}

  /** Admissions (rates) or quota units left after this request; -1 when not evaluated. */
  remaining(i: number): number {
    return this.pairs[this.offset + 2 * i]!;
  }

  /** Microseconds until the check admits again (quota: until it renews; -1 none or not evaluated). */
  waitUs(i: number): number {
    return this.pairs[this.offset + 2 * i + 1]!;
  }
}

/**
 * Receives a request's outcome; `err` is set (and `outcome` null) when Redis failed and no fallback decided.
 * `arg` is what the request was enqueued with: one callback can serve many requests without a closure each.
 */
export type LimitCallback<T = undefined> = (outcome: LimitOutcome | null, err: unknown, arg: T) => void;

export interface LimitStoreOptions {
  /** Called when an asynchronous refund failed (it is not retried: refunds may only under-admit). */
  readonly onRefundError?: (err: Error) => void;
  /** Called for every refund sent (metrics). */
  readonly onRefund?: () => void;
  /**
   * Decides each request of a call that Redis did not answer (the failure mode); without it the request's
   * callback gets the error (and `check` rejects).
   */
  readonly onError?: (checks: readonly LimitCheck[], err: unknown) => LimitOutcome | null;
  /** Called once per call Redis answered, with the outcome its admitted requests share (null: none). */
  readonly onAnswer?: (checks: readonly LimitCheck[], admitted: LimitOutcome | null) => void;
}

/** Requests decided by one script call at most: bounds the time one call holds Redis (~2 µs each). */
const MAX_BATCH = 128;

/** Requests waiting for the same checks (the same array) within one turn of the event loop. */
interface Batch {
  readonly checks: readonly LimitCheck[];
  /** Per request: its callback and the argument it gets back. */
  readonly callbacks: Array<LimitCallback<unknown>>;
  readonly args: unknown[];
}

/** One script call's answer, in the caller's check order: pairs = admitted pairs then refused pairs. */
interface CallResult {
  readonly admitted: number;
  /** Index of the refusing check for request `admitted + 1`; -1 when every request was admitted. */
  readonly failed: number;
  readonly nowUs: number;
  readonly pairs: readonly number[];
}

/**
 * Runs limits-n.lua. Requests that carry the same checks array (the middleware keeps one per API and per
 * cached session) and arrive in the same turn of the event loop share one script call that decides them
 * one after the other, as separate calls would: at most one Redis command per request, usually far fewer
 * under load. On a single Redis (or Sentinel) all checks of a request are one script call. On Redis
 * Cluster checks are grouped by hash tag, one call per slot, all sent at once (one round trip; ioredis
 * auto-pipelining batches them per node); what one group admitted beyond what every group admitted is
 * refunded asynchronously with limits-refund-n.lua (§10.2: may briefly under-admit, never over-admit).
 *
 * @example
 * const limits = new LimitStore(redis);
 * const outcome = await limits.check([rateCheck(limitKeys.apiRate('a'), 50, 10_000)]);
 */
export class LimitStore {
  private readonly redis: RedisClient;
  private readonly isCluster: boolean;
  private pending: Map<readonly LimitCheck[], Batch> | null = null;
  /** Batches that reached MAX_BATCH this turn (a new one took their place in `pending`). */
  private full: Batch[] = [];
  private readonly flush = (): void => this.flushPending();

  constructor(redis: RedisClient, private readonly options: LimitStoreOptions = {}) {
    this.redis = defineScripts(redis);
    this.isCluster = redis.isCluster;
  }

  /** Decides one request. Pass the same array for requests with the same counters so they can share a call. */
  check(checks: readonly LimitCheck[]): Promise<LimitOutcome | null> {
    return new Promise((resolve, reject) => this.enqueue(checks, (outcome, err) => (err === undefined ? resolve(outcome) : reject(err)), undefined));
  }

  /**
   * `check` without a promise: `callback(outcome, err, arg)` runs once the request is decided. Pass a
   * callback made once (per API, per cached session) and the request as `arg`: nothing is allocated per
   * request beyond two array slots.
   */
  enqueue<T>(checks: readonly LimitCheck[], callback: LimitCallback<T>, arg: T): void {
    if (this.pending === null) {
      this.pending = new Map();
      setImmediate(this.flush);
    }
    let batch = this.pending.get(checks);
    if (batch === undefined || batch.callbacks.length === MAX_BATCH) {
      if (batch !== undefined) this.full.push(batch);
      batch = { checks, callbacks: [], args: [] };
      this.pending.set(checks, batch);
    }
    batch.callbacks.push(callback as LimitCallback<unknown>);
    batch.args.push(arg);
  }

  private flushPending(): void {
    const batches = [...this.full, ...this.pending!.values()];
    this.pending = null;
    this.full = [];
    for (const batch of batches) {
      this.decide(batch.checks, batch.callbacks.length).then((result) => this.settle(batch, result), (err: unknown) => this.fail(batch, err));
    }
  }

  /** The first `admitted` requests of the batch share the admitted outcome, the rest the refused one. */
  private settle(batch: Batch, result: CallResult): void {
    const n = batch.checks.length;
    const { callbacks, args } = batch;
    const admitted = result.admitted > 0 ? new LimitOutcome(true, -1, result.nowUs, result.pairs, 0) : null;
    const refused = result.admitted < callbacks.length ? new LimitOutcome(false, result.failed, result.nowUs, result.pairs, 2 * n) : null;
    this.options.onAnswer?.(batch.checks, admitted);
    for (let i = 0; i < callbacks.length; i++) callbacks[i]!(i < result.admitted ? admitted : refused, undefined, args[i]);
  }

  private fail(batch: Batch, err: unknown): void {
    const fallback = this.options.onError;
    const { callbacks, args } = batch;
    for (let i = 0; i < callbacks.length; i++) {
      if (fallback === undefined) callbacks[i]!(null, err, args[i]);
      else callbacks[i]!(fallback(batch.checks, err), undefined, args[i]);
    }
  }

  private decide(checks: readonly LimitCheck[], count: number): Promise<CallResult> {
    if (!this.isCluster || checks.length === 1) return this.call(checks, count);
    const groups = groupByTag(checks);
    return groups.length === 1 ? this.call(checks, count) : this.callGroups(checks, groups, count);
  }

  private async call(checks: readonly LimitCheck[], count: number): Promise<CallResult> {
    const args = scriptArgs(checks);
    args.push(count);
    const raw = await callVariadic<number[]>(this.redis, 'limits', args, checks.length);
    return { admitted: raw[0]!, failed: raw[1]! - 1, nowUs: raw[2]!, pairs: raw.slice(3) };
  }

  private async callGroups(checks: readonly LimitCheck[], groups: number[][], count: number): Promise<CallResult> {
    const n = checks.length;
    const parts = groups.map((idx) => idx.map((i) => checks[i]!));
    const settled = await Promise.allSettled(parts.map((part) => this.call(part, count)));
    const failedGroup = settled.find((r) => r.status === 'rejected');
    const results = settled.map((r) => (r.status === 'fulfilled' ? r.value : null));
    const admitted = failedGroup ? 0 : Math.min(...results.map((r) => r!.admitted));
    results.forEach((r, g) => {
      if (r !== null && r.admitted > admitted) this.refund(parts[g]!, r.nowUs, r.admitted - admitted);
    });
    if (failedGroup) throw (failedGroup as PromiseRejectedResult).reason;
    const pairs = new Array<number>(4 * n).fill(-1);
    let failed = -1;
    let nowUs = 0;
    results.forEach((r, g) => {
      const group = groups[g]!;
      const m = group.length;
      nowUs = r!.nowUs;
      group.forEach((original, j) => {
        pairs[2 * original] = r!.pairs[2 * j]!;
        pairs[2 * original + 1] = r!.pairs[2 * j + 1]!;
        // a group that admitted more than the batch did not refuse: its state after admitting stands in
        const refusedAt = r!.admitted === admitted ? 2 * m : 0;
        pairs[2 * n + 2 * original] = r!.pairs[refusedAt + 2 * j]!;
        pairs[2 * n + 2 * original + 1] = r!.pairs[refusedAt + 2 * j + 1]!;
      });
      if (r!.admitted === admitted && r!.failed >= 0) {
        const original = group[r!.failed]!;
        failed = failed < 0 ? original : Math.min(failed, original);
      }
    });
    return { admitted, failed, nowUs, pairs };
  }

  /**
   * Gives back, asynchronously and at most once (one script call, errors reported to `onRefundError`), what
   * `count` admissions of one call consumed on `checks` (all in one slot): the Cluster cross-slot refund,
   * and the quota unit of a request refused after the limit step (rate-limits-and-quotas.md §10.6).
   * `nowUs` is the `nowUs` of that call's outcome.
   */
  refund(checks: readonly LimitCheck[], nowUs: number, count: number): void {
    this.options.onRefund?.();
    const args = scriptArgs(checks);
    args.push(String(nowUs), count);
    callVariadic<number>(this.redis, 'limitsRefund', args, checks.length).catch((err: Error) => this.options.onRefundError?.(err));
  }
}

function scriptArgs(checks: readonly LimitCheck[]): Array<string | number> {
  const n = checks.length;
  const args: Array<string | number> = new Array<string | number>(4 * n);
  for (let i = 0; i < n; i++) {
    const c = checks[i]!;
    args[i] = c.key;
    args[n + 3 * i] = c.kind;
    args[n + 1 + 3 * i] = c.capacity;
    args[n + 2 + 3 * i] = c.span;
  }
  return args;
}

/** Indexes of checks grouped by Redis Cluster hash tag (the text between the first `{` and `}`). */
function groupByTag(checks: readonly LimitCheck[]): number[][] {
  const byTag = new Map<string, number[]>();
  checks.forEach((c, i) => {
    const tag = hashTag(c.key);
    const group = byTag.get(tag);
    if (group === undefined) byTag.set(tag, [i]);
    else group.push(i);
  });
  return [...byTag.values()];
}

function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}
