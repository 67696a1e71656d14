import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';

/** How long a target that refused a connection is skipped before it is tried again. */
export const TARGET_DOWN_MS = 5000;

/**
 * Round robin over the API's targets, skipping those marked down; null when every target is down.
 * A single-target API always returns its target (nothing to fail over to).
 */
export function pickTarget(api: CompiledApi, now: number): UpstreamTarget | null {
  const targets = api.targets;
  if (targets.length === 1) return targets[0]!;
  for (let i = 0; i < targets.length; i++) {
    const target = targets[api.nextTarget++ % targets.length]!;
    if (api.nextTarget >= 0x3fffffff) api.nextTarget = 0;
    if (target.downUntil <= now) return target;
  }
  return null;
}

export function markDown(target: UpstreamTarget, now: number): void {
  target.downUntil = now + TARGET_DOWN_MS;
}
