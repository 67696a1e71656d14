import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkPolicy, type PoliciesConfig, type Policy } from '@tollgate/apidef';
import type { ConfigStore } from '@tollgate/store';
import type { Logger } from 'pino';

export type PolicyResult =
  | { readonly ok: true; readonly id: string }
  /** `message` is Tyk's exact text; `field` and `detail` (a wrong field and why) are for the log only. */
  | { readonly ok: false; readonly status: number; readonly message: string; readonly field?: string; readonly detail?: string };

const failed = (status: number, message: string): PolicyResult => ({ ok: false, status, message });

export const SERVICE_SOURCE_MESSAGE = 'Due to enabled service policy source, please use the Dashboard API';

/**
 * The cluster's policies (spec/gateway-api.md §8): stored with the ConfigStore as kind `policy`, so every
 * write bumps the configuration revision and reaches every worker through the config feed, like an API.
 * Policies are stored as received (unknown fields kept) with `id` set.
 *
 * @example
 * const policies = new PolicyRegistry(store, config.policies);
 * await policies.loadFromConfig(logger);
 */
export class PolicyRegistry {
  constructor(private readonly store: ConfigStore, private readonly config: Readonly<PoliciesConfig>) {}

  async list(): Promise<Policy[]> {
    return [...(await this.store.list('policy')).values()].map((json) => JSON.parse(json) as Policy);
  }

  /** Every policy by ID, for applying them to sessions. */
  async byId(): Promise<Map<string, Policy>> {
    const out = new Map<string, Policy>();
    for (const [id, json] of await this.store.list('policy')) out.set(id, JSON.parse(json) as Policy);
    return out;
  }

  async get(id: string): Promise<Policy | undefined> {
    const json = await this.store.get('policy', id);
    return json === null ? undefined : (JSON.parse(json) as Policy);
  }

  /** POST: creates or overwrites (Tyk writes `<id>.json` either way). */
  async create(body: Record<string, unknown> | undefined): Promise<PolicyResult> {
    if (this.config.policy_source === 'service') return failed(500, SERVICE_SOURCE_MESSAGE);
    if (body === undefined) return failed(400, 'Request malformed');
    return this.write(body);
  }

  /** PUT: the body's ID must be the one in the path. */
  async update(id: string, body: Record<string, unknown> | undefined): Promise<PolicyResult> {
    if (this.config.policy_source === 'service') return failed(500, SERVICE_SOURCE_MESSAGE);
    if (body === undefined) return failed(400, 'Request malformed');
    const bodyId = typeof body.id === 'string' && body.id !== '' ? body.id : body._id;
    if (bodyId !== id) return failed(400, 'Request ID does not match that in policy! For Update operations these must match.');
    return this.write(body);
  }

  async remove(id: string): Promise<PolicyResult> {
    const revision = await this.store.delete('policy', id);
    return revision === 0 ? failed(500, 'Delete failed') : { ok: true, id };
  }

  private async write(body: Record<string, unknown>): Promise<PolicyResult> {
    const checked = checkPolicy(body);
    if (!checked.ok) return { ok: false, status: 400, message: checked.error, field: checked.field, detail: checked.detail };
    await this.store.put('policy', checked.id, JSON.stringify(checked.policy));
    return { ok: true, id: checked.id };
  }

  /**
   * Loads tyk.conf `policies` at start (source `file`, the default): every `*.json` in `policy_path`, one
   * policy each, or else the `policy_record_name` file holding a map of ID → policy. A policy that does not
   * parse or validate is logged and skipped. `service` and `rpc` sources are "later": nothing is loaded.
   */
  async loadFromConfig(logger: Logger): Promise<{ loaded: number; skipped: number }> {
    const source = this.config.policy_source || 'file';
    if (source !== 'file') {
      logger.warn({ policy_source: source }, 'policies.policy_source is not supported yet; no policy files loaded');
      return { loaded: 0, skipped: 0 };
    }
    const found = this.config.policy_path ? await readPolicyDir(this.config.policy_path, logger)
      : this.config.policy_record_name ? await readPolicyRecord(this.config.policy_record_name, logger) : [];
    let loaded = 0;
    for (const { origin, value } of found) {
      const result = await this.write(value);
      if (result.ok) loaded++;
      else logger.error({ file: origin, field: result.field, reason: result.detail ?? result.message }, 'policy skipped');
    }
    return { loaded, skipped: found.length - loaded };
  }
}

interface FoundPolicy {
  readonly origin: string;
  readonly value: Record<string, unknown>;
}

async function readJson(file: string, logger: Logger): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    logger.error({ file, err: (err as Error).message }, 'policy file skipped: unreadable or malformed JSON');
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readPolicyDir(dir: string, logger: Logger): Promise<FoundPolicy[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    logger.warn({ policy_path: dir, err: (err as Error).message }, 'policies.policy_path not readable; no policy files loaded');
    return [];
  }
  const found: FoundPolicy[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const value = await readJson(file, logger);
    if (isObject(value)) found.push({ origin: file, value });
    else if (value !== undefined) logger.error({ file }, 'policy file skipped: not a JSON object');
  }
  return found;
}

/** `policy_record_name`: one file with `{ "<id>": { ...policy } }`; an entry without `id` takes its key. */
async function readPolicyRecord(file: string, logger: Logger): Promise<FoundPolicy[]> {
  const value = await readJson(file, logger);
  if (value === undefined) return [];
  if (!isObject(value)) {
    logger.error({ file }, 'policies.policy_record_name skipped: not a JSON object of policies');
    return [];
  }
  const found: FoundPolicy[] = [];
  for (const [id, policy] of Object.entries(value)) {
    if (!isObject(policy)) {
      logger.error({ file, policy: id }, 'policy skipped: not a JSON object');
      continue;
    }
    found.push({ origin: `${file}#${id}`, value: { ...policy, id: typeof policy.id === 'string' && policy.id !== '' ? policy.id : id } });
  }
  return found;
}
