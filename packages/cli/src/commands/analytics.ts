import { getPriority, setPriority } from 'node:os';
import type { GatewayConfig } from '@tollgate/apidef';
import { queryAggregates, startAnalyticsService, type AnalyticsService, type CounterJson } from '@tollgate/analytics';
import { createRedisClient, waitForReady } from '@tollgate/store';
import type { Logger } from 'pino';

export interface AnalyticsCommandOptions {
  readonly metricsPort: number;
  readonly intervalMs: number;
}

/**
 * Lowers this process's CPU priority to `nice`; 0, or a value it already runs at or below, leaves it as it
 * is. The consumer is batch work: where it shares cores with gateway workers, it should wait for them
 * rather than preempt them, and it needs a small share to keep up (about 1 µs per record). Raising the
 * nice value needs no privilege; a failure (a platform without priorities) is logged and changes nothing
 * else.
 */
export function lowerPriority(nice: number, logger: Logger): void {
  if (nice === 0) return;
  try {
    // Only ever lowered: a process already started at a lower priority (nice 15, say) stays there.
    if (nice <= getPriority()) return;
    setPriority(nice);
    logger.info({ nice: getPriority() }, 'analytics consumer runs at a lower CPU priority');
  } catch (err) {
    logger.warn({ err: (err as Error).message, nice }, 'could not lower the CPU priority; running at the inherited one');
  }
}

/** `tollgate analytics`: the consumer that aggregates records, with its own `/metrics`. */
export async function startAnalytics(config: Readonly<GatewayConfig>, logger: Logger, options: AnalyticsCommandOptions): Promise<AnalyticsService> {
  const probe = createRedisClient(config.storage, { name: 'tollgate:analytics:probe', retry: false });
  probe.on('error', () => undefined);
  try {
    await waitForReady(probe, Math.max(2000, config.storage.timeout * 1000));
  } catch (err) {
    throw new Error(`analytics: ${(err as Error).message} (storage.host ${config.storage.host}, storage.port ${config.storage.port})`);
  } finally {
    probe.disconnect();
  }
  return startAnalyticsService({ config, logger, metricsPort: options.metricsPort, intervalMs: options.intervalMs });
}

export interface TopTagsOptions {
  readonly fromMs: number;
  readonly toMs: number;
  readonly limit: number;
  readonly orgId: string;
}

/** `tollgate analytics top-tags`: the tags with the most hits in the range, as a table on stdout. */
export async function printTopTags(config: Readonly<GatewayConfig>, options: TopTagsOptions): Promise<void> {
  const redis = createRedisClient(config.storage, { name: 'tollgate:analytics:cli', retry: false });
  redis.on('error', () => undefined);
  try {
    await waitForReady(redis, Math.max(2000, config.storage.timeout * 1000));
    const tags = await queryAggregates(redis, 'tags', { fromMs: options.fromMs, toMs: options.toMs, orgId: options.orgId });
    process.stdout.write(renderTopTags(tags, options.limit));
  } finally {
    redis.disconnect();
  }
}

/** A plain-text table, most hits first (ties by name). */
export function renderTopTags(tags: Record<string, CounterJson>, limit: number): string {
  const rows = Object.entries(tags).sort(([a, x], [b, y]) => y.hits - x.hits || (a < b ? -1 : 1)).slice(0, limit);
  if (rows.length === 0) return 'no tags in this range\n';
  const table = [
    ['tag', 'hits', 'success', 'error', 'error %', 'mean ms', 'max ms'],
    ...rows.map(([tag, c]) => [
      tag, String(c.hits), String(c.success), String(c.error),
      (c.hits === 0 ? 0 : (100 * c.error) / c.hits).toFixed(1), c.latency.toFixed(1), String(c.max_latency),
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  return `${[line(table[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...table.slice(1).map(line)].join('\n')}\n`;
}
