import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';

/** How long a target that refused a connection is skipped before it is tried again. */
export const TARGET_DOWN_MS = 5000;

/**
 * Round robin over the API's targets, skipping those marked down (a refused connection, or uptime tests
 * with `check_host_against_uptime_tests`); null when every target is down. A single target is returned
 * without a turn of the counter.
 */
export function pickTarget(api: CompiledApi, now: number): UpstreamTarget | null {
  const targets = api.targets;
  const health = api.hostHealth;
  if (targets.length === 1) {
    const only = targets[0]!;
    return health !== null && health.isDown(only.host) ? null : only;
  }
  for (let i = 0; i < targets.length; i++) {
    const target = targets[api.nextTarget++ % targets.length]!;
    if (api.nextTarget >= 0x3fffffff) api.nextTarget = 0;
    if (target.downUntil <= now && (health === null || !health.isDown(target.host))) return target;
  }
  return null;
}

export function markDown(target: UpstreamTarget, now: number): void {
  target.downUntil = now + TARGET_DOWN_MS;
}
