import { compileEndpointPattern, type ApiDefinition, type GatewayConfig, type VersionInfo } from '@tollgate/apidef';
import { decodePath, type RequestContext } from '../pipeline/request-context.js';

/** One compiled extended-path entry: its regex, its method ('' = any) and what it carries. */
export interface EndpointEntry<T> {
  readonly regex: RegExp;
  readonly method: string;
  readonly value: T;
  /**
   * No `^`, `\b`, `\B` or lookbehind: whether it matches a string does not depend on what precedes it, so
   * a match on a suffix of the path is a match on the path too (one test instead of two).
   */
  readonly isContextFree: boolean;
}

const CONTEXT_DEPENDENT = /\^|\\[bB]|\(\?<[=!]/;

/** Whether a compiled pattern can be tested on the full path alone when the sub path is a suffix of it. */
export function isContextFree(regex: RegExp): boolean {
  // Character classes (`[^/]+` from `{id}`) hold no anchors; escaped characters are kept, so `\^` counts.
  return !CONTEXT_DEPENDENT.test(regex.source.replace(CHARACTER_CLASS, ''));
}

const CHARACTER_CLASS = /\[(?:\\.|[^\]\\])*\]/g;

/** How patterns of one version compile: anchoring from tyk.conf, case from the version, API and gateway. */
export interface PatternContext {
  readonly prefixMatching: boolean;
  readonly suffixMatching: boolean;
  readonly ignoreCase: boolean;
}

/**
 * The pattern options for one version (api-definition.md §5): `ignore_endpoint_case` of the version, of
 * the API or of tyk.conf makes every pattern case-insensitive; an entry's own `ignore_case` adds to that.
 */
export function patternContext(def: ApiDefinition, version: VersionInfo, config: Readonly<GatewayConfig>): PatternContext {
  const http = config.http_server_options;
  return {
    prefixMatching: http?.enable_path_prefix_matching === true,
    suffixMatching: http?.enable_path_suffix_matching === true,
    ignoreCase: version.ignore_endpoint_case === true || def.ignore_endpoint_case === true || config.ignore_endpoint_case === true,
  };
}

/**
 * Compiles one endpoint entry. Throws, naming `field`, when the pattern is not a valid regex (the
 * admin API refuses such definitions; this guards files loaded some other way).
 */
export function compileEntry<T>(field: string, path: string, method: string, ignoreCase: boolean, pc: PatternContext, value: T): EndpointEntry<T> {
  try {
    const regex = compileEndpointPattern(path, { ignoreCase: ignoreCase || pc.ignoreCase, prefixMatching: pc.prefixMatching, suffixMatching: pc.suffixMatching });
    return { regex, method, value, isContextFree: isContextFree(regex) };
  } catch (err) {
    throw new Error(`${field} ${JSON.stringify(path)} is not a valid regular expression: ${(err as Error).message}`);
  }
}

/**
 * Whether a pattern matches the request (api-definition.md §5 rule 4): tried against the path without
 * listen path and URL version (when URL versioning strips it), the path without listen path, and the
 * full request path — each percent-decoded, as Tyk matches Go's `r.URL.Path`, so `/%61dmin` meets the
 * rules written for `/admin` (a black list cannot be stepped around by escaping). A path without `%` is
 * matched as it is, with no copy.
 */
export function matchesRequest(regex: RegExp, ctx: RequestContext, isContextFree = false): boolean {
  const versionless = ctx.versionlessPath;
  if (versionless !== '' && regex.test(decodePath(versionless))) return true;
  if (isContextFree && ctx.isSubPathSuffix) return regex.test(ctx.decodedPath);
  return regex.test(ctx.decodedSubPath) || regex.test(ctx.decodedPath);
}

/**
 * The first entry matching the request's path and method. `anyMethod` entries (method '') match every
 * method only for white/black/ignored lists; other kinds need an exact method (§10).
 */
export function findEntry<T>(entries: readonly EndpointEntry<T>[], ctx: RequestContext, emptyMethodMatchesAll: boolean): EndpointEntry<T> | undefined {
  const method = ctx.method;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.method === '' ? !emptyMethodMatchesAll : entry.method !== method) continue;
    if (matchesRequest(entry.regex, ctx, entry.isContextFree)) return entry;
  }
  return undefined;
}

/**
 * Compiles the enabled entries of one extended-path kind that carry a method (size_limits,
 * transform_headers, ...). Entries with `disabled: true` are left out.
 */
export function compileKind<E extends { path?: string; method?: string; disabled?: boolean; ignore_case?: unknown }, T>(
  field: string, list: readonly E[] | null | undefined, pc: PatternContext, map: (entry: E) => T | null,
): EndpointEntry<T>[] {
  const out: EndpointEntry<T>[] = [];
  for (const [i, entry] of (list ?? []).entries()) {
    if (entry.disabled === true || (entry.path ?? '') === '') continue;
    const value = map(entry);
    if (value === null) continue;
    out.push(compileEntry(`${field}[${i}].path`, entry.path!, (entry.method ?? '').toUpperCase(), entry.ignore_case === true, pc, value));
  }
  return out;
}
