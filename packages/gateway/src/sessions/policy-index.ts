import { applyPolicies, type ApplyPoliciesResult, type Policy, type SessionState } from '@tollgate/apidef';
import type { ChangeMessage, ConfigSnapshot } from '@tollgate/store';
import type { Logger } from 'pino';

/**
 * A worker's copy of every policy, fed by the configuration feed (policies are configuration objects of
 * kind `policy`): the worker's ConfigFeed handlers pass each snapshot and change on. Policies are applied
 * to a session when it is read, so a policy change reaches every key that uses it on the next request;
 * `revision` moves with every change so caches of applied sessions know when to recompute.
 *
 * @example
 * const policies = new PolicyIndex(logger);
 * // in the ConfigFeed handlers:
 * onSnapshot: (s) => { apis.replaceAll(...); policies.onSnapshot(s); },
 * onChange: (c, json) => { if (c.kind === 'policy') policies.onChange(c, json); },
 */
export class PolicyIndex {
  private policies = new Map<string, Policy>();
  private version = 0;

  constructor(private readonly logger?: Pick<Logger, 'warn'>) {}

  /** Bumped by every snapshot and every policy change. */
  get revision(): number {
    return this.version;
  }

  get size(): number {
    return this.policies.size;
  }

  get(id: string): Policy | undefined {
    return this.policies.get(id);
  }

  /** Replaces every policy with the snapshot's. */
  onSnapshot(snapshot: ConfigSnapshot): void {
    const next = new Map<string, Policy>();
    for (const [id, json] of snapshot.objects.get('policy') ?? new Map<string, string>()) {
      const policy = this.parse(id, json);
      if (policy !== undefined) next.set(id, policy);
    }
    this.policies = next;
    this.version++;
  }

  /** Applies one change of kind `policy` (others are ignored); `json` is null when it was deleted. */
  onChange(change: ChangeMessage, json: string | null): void {
    if (change.kind !== 'policy') return;
    const policy = json === null ? undefined : this.parse(change.id, json);
    if (policy === undefined) this.policies.delete(change.id);
    else this.policies.set(change.id, policy);
    this.version++;
  }

  /**
   * The session with its policies applied (spec/gateway-api.md §8.3), checking that each policy belongs to
   * the API's org. A failure means the key is refused (403 `Access to this API has been disallowed`).
   */
  apply(session: SessionState, orgId: string): ApplyPoliciesResult {
    return applyPolicies(session, this.policies, { orgId });
  }

  private parse(id: string, json: string): Policy | undefined {
    try {
      const value: unknown = JSON.parse(json);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { ...(value as Policy), id: (value as Policy).id || id };
    } catch {
      // fall through
    }
    this.logger?.warn({ policy: id }, 'ignored a stored policy that is not a JSON object');
    return undefined;
  }
}
