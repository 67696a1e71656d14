import type { ApiDefinition } from '@tollgate/apidef';
import type { HostHealthStore, HostTransition } from '@tollgate/store';
import type { Logger } from 'pino';

/** One distinct check (the same URL and method checked by several APIs runs once per round). */
export interface UptimeCheck {
  readonly url: string;
  /** `host:port` of the URL: what load balancing compares targets against. */
  readonly host: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | null;
  readonly timeoutMs: number;
  readonly apiIds: readonly string[];
}

/** Tyk's default check timeout (api-definition.md §11). */
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * `timeout` of a check: Tyk marshals a Go duration, i.e. nanoseconds; small hand-written values
 * (below 1000) are read as seconds.
 */
export function checkTimeoutMs(timeout: number | undefined): number {
  if (timeout === undefined || timeout <= 0) return DEFAULT_TIMEOUT_MS;
  return timeout < 1000 ? timeout * 1000 : Math.max(1, Math.round(timeout / 1e6));
}

/**
 * The checks of every active API whose `uptime_tests` are not disabled, deduplicated by method and URL.
 *
 * @example
 * const checks = collectChecks(await registry.list());
 */
export function collectChecks(defs: readonly ApiDefinition[]): UptimeCheck[] {
  const byKey = new Map<string, UptimeCheck & { apiIds: string[] }>();
  for (const def of defs) {
    if (def.active === false || def.uptime_tests?.disabled === true) continue;
    for (const c of def.uptime_tests?.check_list ?? []) {
      let url: URL;
      try {
        url = new URL(c.url ?? '');
      } catch {
        continue;
      }
      const method = (c.method || 'GET').toUpperCase();
      const key = `${method} ${url.href}`;
      const existing = byKey.get(key);
      if (existing) {
        existing.apiIds.push(String(def.api_id));
        continue;
      }
      byKey.set(key, {
        url: url.href, host: url.host, method, headers: c.headers ?? {},
        body: c.body ? Buffer.from(c.body, 'base64') : null, timeoutMs: checkTimeoutMs(c.timeout), apiIds: [String(def.api_id)],
      });
    }
  }
  return [...byKey.values()];
}

/** A check passes when the URL answers 200 within its timeout (Tyk: anything else is a failure). */
export async function runCheck(check: UptimeCheck): Promise<boolean> {
  try {
    const res = await fetch(check.url, {
      method: check.method, headers: check.headers, body: check.body ?? undefined, signal: AbortSignal.timeout(check.timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.status === 200;
  } catch {
    return false;
  }
}

export interface UptimeRoundOptions {
  readonly checks: readonly UptimeCheck[];
  readonly health: HostHealthStore;
  /** tyk.conf `uptime_tests.config.failure_trigger_sample_size`. */
  readonly threshold: number;
  /** tyk.conf `uptime_tests.config.checker_pool_size`: checks in flight at once. */
  readonly poolSize: number;
  readonly logger: Logger;
  /** HostDown / HostUp, once per change of a host's state (event handlers hang off this). */
  readonly onTransition: (event: 'HostDown' | 'HostUp', check: UptimeCheck) => void;
  readonly check?: (check: UptimeCheck) => Promise<boolean>;
}

/** Runs every check once, records the results and reports state changes. */
export async function runUptimeRound(options: UptimeRoundOptions): Promise<{ passed: number; failed: number }> {
  const queue = [...options.checks];
  const check = options.check ?? runCheck;
  let passed = 0;
  let failed = 0;
  const lane = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const isUp = await check(next);
      if (isUp) passed++;
      else failed++;
      const transition: HostTransition = await options.health.record(next.host, isUp, options.threshold, Date.now());
      if (transition === 'down') {
        options.logger.warn({ event: 'HostDown', host: next.host, url: next.url, api_ids: next.apiIds }, 'upstream host is down');
        options.onTransition('HostDown', next);
      } else if (transition === 'up') {
        options.logger.info({ event: 'HostUp', host: next.host, url: next.url, api_ids: next.apiIds }, 'upstream host is up again');
        options.onTransition('HostUp', next);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.poolSize, queue.length)) }, lane));
  return { passed, failed };
}
