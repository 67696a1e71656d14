import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateApiId, normalizeListenPath, validateApiDefinition, type ApiDefinition } from '@tollgate/apidef';
import type { ConfigStore } from '@tollgate/store';
import type { Logger } from 'pino';
import { discoveryReason } from './discovery-check.js';

export type RegistryResult =
  | { readonly ok: true; readonly id: string; readonly revision: number }
  | { readonly ok: false; readonly status: number; readonly message: string };

const failed = (status: number, message: string): RegistryResult => ({ ok: false, status, message });
const invalid = (reason: string): RegistryResult => failed(400, `Validation of API Definition failed. Reason: ${reason}.`);

/**
 * The API definitions of the cluster: validation, conflict checks and writes through the config store.
 * Definitions are stored exactly as received (unknown fields kept) so that GET returns what was sent.
 *
 * @example
 * const registry = new ApiRegistry(store, { enableCustomDomains: false });
 * const result = await registry.create(body);
 */
export class ApiRegistry {
  constructor(
    private readonly store: ConfigStore,
    private readonly options: { readonly enableCustomDomains: boolean },
  ) {}

  async list(): Promise<ApiDefinition[]> {
    const all = await this.store.list('api');
    return [...all.values()].map((json) => JSON.parse(json) as ApiDefinition);
  }

  async get(id: string): Promise<ApiDefinition | undefined> {
    const json = await this.store.get('api', id);
    return json === null ? undefined : (JSON.parse(json) as ApiDefinition);
  }

  async create(body: Record<string, unknown>): Promise<RegistryResult> {
    if (body.api_id === undefined || body.api_id === '') body.api_id = generateApiId();
    const id = body.api_id;
    if (!isSafeApiId(id)) return failed(400, 'Invalid API ID');
    if ((await this.store.get('api', id)) !== null) {
      return invalid(`api_id "${id}" already exists; use PUT /tyk/apis/${id} to change it`);
    }
    return this.write(id, body, true);
  }

  async update(id: string, body: Record<string, unknown>): Promise<RegistryResult> {
    if ((await this.store.get('api', id)) === null) return failed(404, 'API not found');
    if (body.api_id !== id) {
      return failed(400, 'Request APIID does not match that in Definition! For Update operations these must match.');
    }
    return this.write(id, body, true);
  }

  async remove(id: string): Promise<RegistryResult> {
    const revision = await this.store.delete('api', id);
    return revision === 0 ? failed(404, 'API not found') : { ok: true, id, revision };
  }

  /**
   * Loads every `*.json` in `app_path` (sorted by name). A file that does not parse or validate is logged
   * and skipped; a listen path already taken is renamed as Tyk does (`<path>-<api_id>`), with an error log.
   */
  async loadDirectory(dir: string, logger: Logger): Promise<{ loaded: number; skipped: number }> {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
    } catch (err) {
      logger.warn({ app_path: dir, err: (err as Error).message }, 'app_path not readable; no API definition files loaded');
      return { loaded: 0, skipped: 0 };
    }
    let loaded = 0;
    for (const name of names) {
      const file = join(dir, name);
      const def = await readDefinitionFile(file, logger);
      if (!def) continue;
      const id = def.api_id;
      if (!isSafeApiId(id)) {
        logger.error({ file, api_id: id }, 'API definition file skipped: api_id missing or not a safe path component');
        continue;
      }
      // Validate before the rename: it needs proxy.listen_path, and an invalid file is skipped anyway.
      const checked = validateApiDefinition(def);
      if (!checked.ok) {
        logger.error({ file, reason: `Validation of API Definition failed. Reason: ${checked.error}.` }, 'API definition file skipped');
        continue;
      }
      await this.renameOnConflict(def, id, logger, file);
      const result = await this.write(id, def);
      if (result.ok) loaded++;
      else logger.error({ file, reason: result.message }, 'API definition file skipped');
    }
    return { loaded, skipped: names.length - loaded };
  }

  private async renameOnConflict(def: Record<string, unknown>, id: string, logger: Logger, file: string): Promise<void> {
    const proxy = def.proxy as { listen_path: string };
    const stored = await this.list();
    const isTaken = (): boolean => findRouteConflict(def as ApiDefinition, stored, this.options.enableCustomDomains) !== undefined;
    if (!isTaken()) return;
    const original = proxy.listen_path;
    proxy.listen_path = `${original}-${id}`;
    while (isTaken()) proxy.listen_path += '_';
    logger.error({ file, api_id: id, listen_path: original, renamed_to: proxy.listen_path }, 'listen path already in use; renamed');
  }

  private async write(id: string, body: Record<string, unknown>, isAdminWrite = false): Promise<RegistryResult> {
    const checked = validateApiDefinition(body);
    if (!checked.ok) return invalid(checked.error);
    if (isAdminWrite) {
      const reason = await discoveryReason(checked.value);
      if (reason !== null) return invalid(reason);
    }
    const conflict = findRouteConflict(checked.value, await this.list(), this.options.enableCustomDomains);
    if (conflict) {
      return invalid(`proxy.listen_path "${conflict.listenPath}" on domain "${conflict.domain}" is already used by API "${conflict.apiId}"`);
    }
    const revision = await this.store.put('api', id, JSON.stringify(body));
    return { ok: true, id, revision };
  }
}

/** An `api_id` becomes a path component (admin URLs, `/<api_id>/` routes): no slashes, no dot segments. */
export function isSafeApiId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= 255 && !/[/\\?#\s]/.test(id) && id !== '.' && !id.includes('..');
}

/** Another API served on the same host rule and normalised listen path, if any. */
export function findRouteConflict(def: ApiDefinition, others: readonly ApiDefinition[], enableCustomDomains: boolean):
  { apiId: string; listenPath: string; domain: string } | undefined {
  const key = routeKey(def, enableCustomDomains);
  for (const other of others) {
    if (other.api_id === def.api_id) continue;
    if (routeKey(other, enableCustomDomains) === key) {
      return { apiId: String(other.api_id), listenPath: normalizeListenPath(def.proxy?.listen_path ?? ''), domain: hostRule(def, enableCustomDomains) };
    }
  }
  return undefined;
}

function hostRule(def: ApiDefinition, enableCustomDomains: boolean): string {
  return enableCustomDomains && !def.domain_disabled ? String(def.domain ?? '').toLowerCase() : '';
}

function routeKey(def: ApiDefinition, enableCustomDomains: boolean): string {
  return `${hostRule(def, enableCustomDomains)}\u0000${normalizeListenPath(def.proxy?.listen_path ?? '')}`;
}

async function readDefinitionFile(file: string, logger: Logger): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    logger.error({ file }, 'API definition file skipped: not a JSON object');
  } catch (err) {
    logger.error({ file, err: (err as Error).message }, 'API definition file skipped: unreadable or malformed JSON');
  }
  return undefined;
}
