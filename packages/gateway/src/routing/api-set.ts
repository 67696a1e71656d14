import type { ApiDefinition } from '@tollgate/apidef';
import type { Logger } from 'pino';
import { adminApiDefinition } from './admin-api-route.js';
import { compileApi, type CompileOptions, type CompiledApi } from './compiled-api.js';
import { RoutingTable } from './routing-table.js';

interface Entry {
  readonly json: string;
  readonly def: ApiDefinition;
  readonly api: CompiledApi;
}

/**
 * The worker's compiled APIs, kept in step with the configuration feed. An unchanged definition keeps
 * its compiled form across snapshots; a definition that cannot be compiled is logged and left out
 * (the API is skipped, the others keep serving). Each change yields a new RoutingTable.
 *
 * @example
 * const set = new ApiSet(compileOptions, logger);
 * set.put('api-1', json); const table = set.table();
 */
export class ApiSet {
  private readonly entries = new Map<string, Entry>();
  /** The built-in `/tyk/` route to the control plane (gateways with `control_api_port` 0); it shadows stored APIs. */
  private admin: Entry | null = null;

  constructor(
    private readonly options: CompileOptions & { readonly strictRoutes?: boolean },
    private readonly logger: Logger,
  ) {}

  put(id: string, json: string): void {
    const previous = this.entries.get(id);
    if (previous?.json === json) return;
    const compiled = this.compile(id, json);
    if (compiled) this.entries.set(id, { json, ...compiled });
    else this.entries.delete(id);
    previous?.api.release();
  }

  delete(id: string): void {
    const previous = this.entries.get(id);
    this.entries.delete(id);
    previous?.api.release();
  }

  replaceAll(definitions: ReadonlyMap<string, string>): void {
    for (const id of [...this.entries.keys()]) if (!definitions.has(id)) this.delete(id);
    for (const [id, json] of definitions) this.put(id, json);
  }

  /**
   * Routes `/tyk/` (on `controlApiHostname` when set) to the admin API at `url`, or removes the route (null).
   * The route's host rule is `control_api_hostname` whatever `enable_custom_domains` says.
   */
  setAdminApi(url: string | null, controlApiHostname: string): void {
    const previous = this.admin;
    if (url === null) {
      this.admin = null;
    } else {
      const def = adminApiDefinition(url, controlApiHostname);
      const json = JSON.stringify(def);
      if (previous?.json === json) return;
      try {
        this.admin = { json, def, api: compileApi(def, { ...this.options, enableCustomDomains: true }) };
      } catch (err) {
        this.logger.error({ url, err: (err as Error).message }, 'admin API route not built');
        this.admin = null;
      }
    }
    previous?.api.release();
  }

  /** Recompiles every API (their certificates, pins or upstream client certificates may have changed). */
  recompileAll(): void {
    for (const [id, entry] of [...this.entries]) {
      const compiled = this.compile(id, entry.json);
      if (compiled) this.entries.set(id, { json: entry.json, ...compiled });
      else this.entries.delete(id);
      entry.api.release();
    }
  }

  /** The stored definitions currently loaded (parsed), for TLS listener policies. */
  definitions(): ApiDefinition[] {
    return this.all().map((e) => e.def);
  }

  /** The admin route shadows every stored API whose listen path starts with `/tyk/`. */
  table(): RoutingTable {
    return new RoutingTable([...this.entries.values()].map((e) => e.api), { strictRoutes: this.options.strictRoutes, shadowing: this.admin?.api });
  }

  releaseAll(): void {
    for (const entry of this.all()) entry.api.release();
    this.entries.clear();
    this.admin = null;
  }

  private all(): Entry[] {
    const stored = [...this.entries.values()];
    return this.admin === null ? stored : [this.admin, ...stored];
  }

  private compile(id: string, json: string): { def: ApiDefinition; api: CompiledApi } | undefined {
    try {
      const def = JSON.parse(json) as ApiDefinition;
      return { def, api: compileApi(def, this.options) };
    } catch (err) {
      this.logger.error({ api_id: id, err: (err as Error).message }, 'API definition not loaded');
      return undefined;
    }
  }
}
