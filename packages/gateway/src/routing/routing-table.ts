import { hostMatches } from '@tollgate/apidef';
import type { CompiledApi } from './compiled-api.js';

interface Route {
  readonly api: CompiledApi;
  readonly prefix: string;
  readonly regex: RegExp | null;
  readonly sortLength: number;
  readonly hasHost: boolean;
  /** `enable_strict_routes`: an untemplated listen path without a trailing `/` matches only itself or `<path>/...`. */
  readonly isStrict: boolean;
}

/** The API that serves a request and how much of the path its listen path matched. */
export interface RouteMatch {
  api: CompiledApi;
  matchedLength: number;
}

/**
 * Immutable routing table: APIs ordered as Tyk's mux orders them (domain-bound first, then longest listen
 * path; spec api-definition.md §2.1). Every routed API is also reachable under `/<api_id>/`; inactive and
 * `internal` APIs are not routed at all. A change builds a new table and the worker swaps one reference,
 * so requests in flight keep the table they started with.
 *
 * @example
 * const table = new RoutingTable(apis);
 * table.match('api.example.com', '/orders/1');
 */
export class RoutingTable {
  private readonly routes: readonly Route[];
  private readonly apiCount: number;

  /**
   * `shadowing`: an API matched before all others on its listen path, whatever their host or length — the
   * admin API on a shared port, which "shadows any API listen path that starts with" `/tyk/` (spec §2.1 rule 6).
   * It gets no `/<api_id>/` route.
   */
  constructor(apis: Iterable<CompiledApi>, options: { readonly strictRoutes?: boolean; readonly shadowing?: CompiledApi } = {}) {
    const strict = Boolean(options.strictRoutes);
    const routes: Route[] = [];
    let count = 0;
    for (const api of apis) {
      // Inactive (tollgate) and internal APIs are loaded but bound to no route, by-id route included.
      if (!api.isActive || api.isInternal) continue;
      count++;
      const hasHost = api.host !== null;
      const isStrict = strict && api.listenRegex === null && !api.listenPrefix.endsWith('/');
      routes.push({ api, prefix: api.listenPrefix, regex: api.listenRegex, sortLength: api.sortLength, hasHost, isStrict });
      const byId = `/${api.apiId}/`;
      routes.push({ api, prefix: byId, regex: null, sortLength: byId.length, hasHost, isStrict: false });
    }
    routes.sort((a, b) => (a.hasHost === b.hasHost ? b.sortLength - a.sortLength : a.hasHost ? -1 : 1));
    const first = options.shadowing;
    if (first !== undefined) {
      routes.unshift({ api: first, prefix: first.listenPrefix, regex: first.listenRegex, sortLength: first.sortLength, hasHost: first.host !== null, isStrict: false });
    }
    this.apiCount = count + (first === undefined ? 0 : 1);
    this.routes = Object.freeze(routes);
  }

  /** Routed APIs (the shadowing one included). */
  get size(): number {
    return this.apiCount;
  }

  match(host: string, path: string): RouteMatch | null {
    const routes = this.routes;
    for (let i = 0; i < routes.length; i++) {
      const route = routes[i]!;
      if (route.hasHost && !hostMatches(route.api.host!, host)) continue;
      if (route.regex === null) {
        if (!path.startsWith(route.prefix)) continue;
        // Strict miss (`/apple` for `/app`): Tyk's route answers 404 itself rather than falling through.
        if (route.isStrict && path.length > route.prefix.length && path.charCodeAt(route.prefix.length) !== 47) return null;
        return { api: route.api, matchedLength: route.prefix.length };
      } else if (path.startsWith(route.prefix)) {
        const m = route.regex.exec(path);
        if (m) return { api: route.api, matchedLength: m[0].length };
      }
    }
    return null;
  }
}
