import type { ApiDefinition } from '@tollgate/apidef';
import type { Logger } from 'pino';
import { compileApi, type CompileOptions, type CompiledApi } from './compiled-api.js';
import { RoutingTable } from './routing-table.js';

interface Entry {
  readonly json: string;
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

  constructor(
    private readonly options: CompileOptions & { readonly strictRoutes?: boolean },
    private readonly logger: Logger,
  ) {}

  put(id: string, json: string): void {
    const previous = this.entries.get(id);
    if (previous?.json === json) return;
    const api = this.compile(id, json);
    if (api) this.entries.set(id, { json, api });
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

  table(): RoutingTable {
    return new RoutingTable([...this.entries.values()].map((e) => e.api), { strictRoutes: this.options.strictRoutes });
  }

  releaseAll(): void {
    for (const entry of this.entries.values()) entry.api.release();
    this.entries.clear();
  }

  private compile(id: string, json: string): CompiledApi | undefined {
    try {
      return compileApi(JSON.parse(json) as ApiDefinition, this.options);
    } catch (err) {
      this.logger.error({ api_id: id, err: (err as Error).message }, 'API definition not loaded');
      return undefined;
    }
  }
}
