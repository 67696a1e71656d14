import { keyLayout } from './key-layout.js';
import type { RedisClient } from './redis-client.js';

/** A host's state changed with this check result. */
export type HostTransition = 'down' | 'up' | null;

/**
 * Upstream host states from uptime tests (api-definition.md §11), shared by the cluster: the control
 * plane's checker records results, gateway workers read the down set for load balancing
 * (`check_host_against_uptime_tests`). Hosts are `host:port` as in a URL's `host`.
 *
 * @example
 * const health = new HostHealthStore(redis);
 * if (await health.record('10.0.0.5:8080', false, 3, Date.now()) === 'down') logger.warn('HostDown');
 */
export class HostHealthStore {
  constructor(private readonly redis: RedisClient) {}

  /**
   * Records one check result. A host is down once `threshold` consecutive checks failed, and up again
   * at its first passing check. Returns the transition this result caused, if any.
   */
  async record(host: string, isUp: boolean, threshold: number, now: number): Promise<HostTransition> {
    if (isUp) {
      const [[, wasDown]] = (await this.redis.multi().hdel(keyLayout.uptimeDown, host).hdel(keyLayout.uptimeFailures, host).exec()) as [[Error | null, number]];
      return wasDown === 1 ? 'up' : null;
    }
    const failures = await this.redis.hincrby(keyLayout.uptimeFailures, host, 1);
    if (failures < threshold) return null;
    const isNew = await this.redis.hsetnx(keyLayout.uptimeDown, host, String(now));
    return isNew === 1 ? 'down' : null;
  }

  /** Hosts currently down. */
  async downHosts(): Promise<string[]> {
    return this.redis.hkeys(keyLayout.uptimeDown);
  }
}
