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

export interface LimitStoreOptions {
  /** Called when an asynchronous refund failed (it is not retried: refunds may only under-admit). */
  readonly onRefundError?: (err: Error) => void;
  /** Called for every refund sent (metrics). */
  readonly onRefund?: () => void;
}

/**
 * Runs limits-n.lua for one request. On a single Redis (or Sentinel) every check goes into one script
 * call. On Redis Cluster checks are grouped by hash tag, one script per slot, all sent at once (one round
 * trip; ioredis auto-pipelining batches them per node); when one group refuses, the groups that admitted
 * are refunded asynchronously with limits-refund-n.lua (§10.2: may briefly under-admit, never over-admit).
 *
 * @example
 * const limits = new LimitStore(redis);
 * const outcome = await limits.check([rateCheck(limitKeys.apiRate('a'), 50, 10_000)]);
 */
export class LimitStore {
  private readonly redis: RedisClient;
  private readonly isCluster: boolean;

  constructor(redis: RedisClient, private readonly options: LimitStoreOptions = {}) {
    this.redis = defineScripts(redis);
    this.isCluster = redis.isCluster;
  }

  check(checks: readonly LimitCheck[]): Promise<LimitOutcome> {
    if (!this.isCluster || checks.length === 1) return this.run(checks);
    const groups = groupByTag(checks);
    return groups.length === 1 ? this.run(checks) : this.runGroups(checks, groups);
  }

  private async run(checks: readonly LimitCheck[]): Promise<LimitOutcome> {
    const raw = await callVariadic<number[]>(this.redis, 'limits', scriptArgs(checks), checks.length);
    return new LimitOutcome(raw[0] === 1, raw[1]! - 1, raw[2]!, raw, 3);
  }

  private async runGroups(checks: readonly LimitCheck[], groups: number[][]): Promise<LimitOutcome> {
    const parts = groups.map((idx) => idx.map((i) => checks[i]!));
    const settled = await Promise.allSettled(parts.map((part) => this.run(part)));
    const pairs: number[] = new Array<number>(checks.length * 2).fill(-1);
    let failed = -1;
    let error: unknown = null;
    let nowUs = 0;
    for (let g = 0; g < groups.length; g++) {
      const result = settled[g]!;
      if (result.status === 'rejected') {
        error = result.reason;
        continue;
      }
      const outcome = result.value;
      nowUs = outcome.nowUs;
      groups[g]!.forEach((original, j) => {
        pairs[2 * original] = outcome.remaining(j);
        pairs[2 * original + 1] = outcome.waitUs(j);
      });
      if (!outcome.admitted) {
        const original = groups[g]![outcome.failed]!;
        failed = failed < 0 ? original : Math.min(failed, original);
      }
    }
    if (failed >= 0 || error !== null) {
      for (let g = 0; g < groups.length; g++) {
        const result = settled[g]!;
        if (result.status === 'fulfilled' && result.value.admitted) this.refund(parts[g]!, result.value.nowUs);
      }
    }
    if (error !== null) throw error;
    return new LimitOutcome(failed < 0, failed, nowUs, pairs, 0);
  }

  private refund(checks: readonly LimitCheck[], nowUs: number): void {
    this.options.onRefund?.();
    const args = scriptArgs(checks);
    args.push(String(nowUs));
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
