import { LimitOutcome, type LimitCheck } from '@tollgate/store';

/** Counters kept in memory at most; past it the oldest are dropped (bounded memory during long outages). */
const MAX_COUNTERS = 10_000;

interface LocalLog {
  readonly kind: 'rate';
  /** Admission times (µs), a ring: `start` is the oldest, `size` entries. */
  times: Float64Array;
  start: number;
  size: number;
}

interface LocalQuota {
  readonly kind: 'quota';
  used: number;
  /** End of the local period (µs); Infinity when the quota never renews. */
  endsUs: number;
}

/**
 * What a worker enforces on its own while Redis does not answer (`rate_limit_failure_mode: local`):
 * every limit divided by the number of workers in the cluster, so the whole cluster stays near the
 * configured limit. Rates use the same sliding log as Redis; a quota allows this worker's share of what
 * was left when Redis was last seen (or of `quota_max` when never seen).
 *
 * @example
 * const local = new LocalLimits(); local.check(checks, 4, nowUs, quotaHints)
 */
export class LocalLimits {
  private readonly counters = new Map<string, LocalLog | LocalQuota>();

  check(checks: readonly LimitCheck[], workers: number, nowUs: number, quotaHints: ReadonlyMap<string, number>): LimitOutcome {
    const n = checks.length;
    const pairs = new Array<number>(2 * n).fill(-1);
    for (let i = 0; i < n; i++) {
      const c = checks[i]!;
      const free = c.kind === 'Q' ? this.quotaFree(c, workers, nowUs, quotaHints) : this.logFree(c, workers, nowUs);
      pairs[2 * i] = Math.max(0, free.remaining);
      pairs[2 * i + 1] = free.wait;
      if (free.remaining <= 0) return new LimitOutcome(false, i, nowUs, pairs, 0, false);
    }
    for (let i = 0; i < n; i++) {
      const c = checks[i]!;
      const counter = this.counters.get(c.key)!;
      if (counter.kind === 'quota') counter.used++;
      else push(counter, nowUs);
      pairs[2 * i] = pairs[2 * i]! - 1;
    }
    return new LimitOutcome(true, -1, nowUs, pairs, 0, false);
  }

  get size(): number {
    return this.counters.size;
  }

  private logFree(c: LimitCheck, workers: number, nowUs: number): { remaining: number; wait: number } {
    const capacity = Math.max(1, Math.floor(c.capacity / workers));
    let log = this.counters.get(c.key);
    if (log === undefined || log.kind !== 'rate' || log.times.length !== capacity) {
      log = { kind: 'rate', times: new Float64Array(capacity), start: 0, size: 0 };
      this.remember(c.key, log);
    }
    while (log.size > 0 && log.times[log.start]! <= nowUs - c.span) {
      log.start = (log.start + 1) % capacity;
      log.size--;
    }
    if (log.size < capacity) return { remaining: capacity - log.size, wait: 0 };
    return { remaining: 0, wait: log.times[log.start]! + c.span - nowUs };
  }

  private quotaFree(c: LimitCheck, workers: number, nowUs: number, hints: ReadonlyMap<string, number>): { remaining: number; wait: number } {
    let quota = this.counters.get(c.key);
    if (quota === undefined || quota.kind !== 'quota' || quota.endsUs <= nowUs) {
      quota = { kind: 'quota', used: 0, endsUs: c.span > 0 ? nowUs + c.span * 1000 : Infinity };
      this.remember(c.key, quota);
    }
    const left = hints.get(c.key) ?? c.capacity;
    const share = Math.floor(left / workers);
    const wait = Number.isFinite(quota.endsUs) ? quota.endsUs - nowUs : -1;
    return { remaining: share - quota.used, wait };
  }

  private remember(key: string, counter: LocalLog | LocalQuota): void {
    this.counters.delete(key);
    if (this.counters.size >= MAX_COUNTERS) this.counters.delete(this.counters.keys().next().value!);
    this.counters.set(key, counter);
  }
}

function push(log: LocalLog, nowUs: number): void {
  const capacity = log.times.length;
  log.times[(log.start + log.size) % capacity] = nowUs;
  log.size++;
}
