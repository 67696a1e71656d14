import type { ApiDefinition, HeaderTransform, VersionInfo } from '@tollgate/apidef';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import type { RequestContext } from '../pipeline/request-context.js';
import { compileKind, findEntry, patternContext, type EndpointEntry } from '../rules/endpoint-list.js';
import { perVersion } from '../rules/versions.js';

/** Header edits: names removed, then `[name, value, ...]` set (values may hold `$tyk_meta.<field>`). */
interface HeaderEdit {
  readonly remove: readonly string[];
  readonly set: readonly string[];
  readonly hasMeta: boolean;
}

interface VersionHeaders {
  readonly global: HeaderEdit | null;
  readonly endpoints: readonly EndpointEntry<HeaderEdit>[];
  /** `global_response_headers`, added to the client response. */
  readonly response: readonly string[];
  /** `global_response_headers_remove`: upstream response headers not relayed. */
  readonly responseRemove: readonly string[] | null;
  /** Extended `transform_response_headers`. */
  readonly responseEndpoints: readonly EndpointEntry<HeaderEdit>[];
}

const META = /\$tyk_meta\.([A-Za-z0-9_.-]+)/g;

function compileEdit(remove: readonly string[] | null | undefined, set: Record<string, string> | null | undefined): HeaderEdit | null {
  const removeList = (remove ?? []).map((n) => n.toLowerCase());
  const setList: string[] = [];
  let hasMeta = false;
  for (const [name, value] of Object.entries(set ?? {})) {
    const lower = name.toLowerCase();
    // Host is the target's (or the client's with preserve_host_header), never a header edit.
    if (lower === 'host') continue;
    setList.push(lower, value);
    if (value.includes('$tyk_meta.')) hasMeta = true;
  }
  return removeList.length === 0 && setList.length === 0 ? null : { remove: removeList, set: setList, hasMeta };
}

function applyEdit(edit: HeaderEdit, ctx: RequestContext): void {
  for (const name of edit.remove) ctx.removeHeader(name);
  const set = edit.set;
  for (let i = 0; i < set.length; i += 2) {
    const value = edit.hasMeta ? withMeta(set[i + 1]!, ctx) : set[i + 1]!;
    ctx.setHeader(set[i]!, value);
  }
}

/** `$tyk_meta.<field>` → the session's `meta_data` field ('' without a session or field). */
function withMeta(value: string, ctx: RequestContext): string {
  if (!value.includes('$tyk_meta.')) return value;
  const meta = ctx.session?.meta_data ?? null;
  return value.replace(META, (_, field: string) => {
    const v = meta?.[field];
    if (v === undefined || v === null) return '';
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}

function compileVersion(def: ApiDefinition, name: string, info: VersionInfo, deps: PipelineDeps): VersionHeaders | null {
  const global = info.global_headers_disabled === true ? null : compileEdit(info.global_headers_remove, info.global_headers);
  const pc = patternContext(def, info, deps.config);
  const endpoints = info.use_extended_paths === true
    ? compileKind<HeaderTransform, HeaderEdit>(`version_data.versions.${name}.extended_paths.transform_headers`, info.extended_paths?.transform_headers, pc,
      (e) => compileEdit(e.delete_headers, e.add_headers))
    : [];
  const response: string[] = [];
  let responseRemove: string[] | null = null;
  if (info.global_response_headers_disabled !== true) {
    for (const [n, v] of Object.entries(info.global_response_headers ?? {})) response.push(n.toLowerCase(), v);
    const remove = (info.global_response_headers_remove ?? []).map((n) => n.toLowerCase());
    if (remove.length > 0) responseRemove = remove;
  }
  const responseEndpoints = info.use_extended_paths === true
    ? compileKind<HeaderTransform, HeaderEdit>(`version_data.versions.${name}.extended_paths.transform_response_headers`, info.extended_paths?.transform_response_headers, pc,
      (e) => compileEdit(e.delete_headers, e.add_headers))
    : [];
  const isEmpty = global === null && endpoints.length === 0 && response.length === 0 && responseRemove === null && responseEndpoints.length === 0;
  return isEmpty ? null : { global, endpoints, response, responseRemove, responseEndpoints };
}

/** Response-side edits: headers added to the client response, upstream headers dropped. */
function applyResponseEdits(v: VersionHeaders, ctx: RequestContext): void {
  const response = v.response;
  for (let i = 0; i < response.length; i += 2) ctx.addResponseHeader(response[i]!, response[i + 1]!);
  let drop = v.responseRemove;
  if (v.responseEndpoints.length > 0) {
    const entry = findEntry(v.responseEndpoints, ctx, false);
    if (entry !== undefined) {
      const set = entry.value.set;
      for (let i = 0; i < set.length; i += 2) ctx.addResponseHeader(set[i]!, set[i + 1]!);
      if (entry.value.remove.length > 0) drop = drop === null ? entry.value.remove : [...drop, ...entry.value.remove];
    }
  }
  if (drop !== null) ctx.dropResponseHeaders = drop;
}

/**
 * `global_headers_remove`, `global_headers` and extended `transform_headers` of the request's version
 * (pipeline step 17), in Tyk's order: global removals, global sets, then the first matching endpoint
 * entry's deletions and additions. On the response: `global_response_headers` and the matching
 * `transform_response_headers` entry's additions replace the upstream's copies, and
 * `global_response_headers_remove` plus that entry's `delete_headers` are not relayed.
 * Listing `X-Forwarded-For` in a removal list keeps the gateway from sending it.
 *
 * @example
 * const headers = createHeaderTransforms(def, deps); // null when no version edits headers
 */
export function createHeaderTransforms(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  const lookup = perVersion<VersionHeaders>(def, (info, name) => compileVersion(def, name, info, deps));
  if (lookup === null) return null;
  return (ctx) => {
    const v = lookup(ctx);
    if (v === undefined) return undefined;
    if (v.global !== null) applyEdit(v.global, ctx);
    if (v.endpoints.length > 0) {
      const entry = findEntry(v.endpoints, ctx, false);
      if (entry !== undefined) applyEdit(entry.value, ctx);
    }
    applyResponseEdits(v, ctx);
    return undefined;
  };
}
