import type { ApiDefinition, GatewayConfig, VersionInfo } from '@tollgate/apidef';
import { errors } from '../errors.js';
import type { Decision } from '../pipeline/decision.js';
import type { RequestContext } from '../pipeline/request-context.js';
import { compileEntry, compileKind, findEntry, patternContext, type EndpointEntry } from './endpoint-list.js';

/** What a white/black/ignored entry does when it is the first to match. */
export const enum PathRuleKind {
  Ignored = 0,
  Black = 1,
  White = 2,
  /** A `mock_response` entry: scanned first, it lets the request on to the mock step (§5). */
  Mock = 3,
  /**
   * An `extended_paths.internal` entry (§10): reachable only through Tyk's internal `tyk://` looping,
   * which tollgate does not implement, so every request that reaches it from outside gets the 403.
   */
  Internal = 4,
}

/** The white/black/ignored (and internal) rules of one version, in Tyk's scan order (mock, ignored, black, white, internal). */
export interface PathRules {
  readonly entries: readonly EndpointEntry<PathRuleKind>[];
  /** At least one white-list entry: unmatched requests are forbidden. */
  readonly isWhiteListMode: boolean;
}

const KINDS: readonly [('ignored' | 'black_list' | 'white_list'), PathRuleKind][] = [
  ['ignored', PathRuleKind.Ignored], ['black_list', PathRuleKind.Black], ['white_list', PathRuleKind.White],
];

/**
 * Compiles a version's white/black/ignored rules: `extended_paths` when `use_extended_paths` is true,
 * else the legacy method-agnostic `paths` lists (api-definition.md §5). Null when there are none.
 *
 * @example
 * const rules = compilePathRules(def, 'v1', def.version_data.versions.v1, config);
 */
export function compilePathRules(def: ApiDefinition, name: string, info: VersionInfo, config: Readonly<GatewayConfig>): PathRules | null {
  const pc = patternContext(def, info, config);
  const base = `version_data.versions.${name}`;
  const entries: EndpointEntry<PathRuleKind>[] = [];
  let isWhiteListMode = false;
  if (info.use_extended_paths === true) {
    entries.push(...compileKind(`${base}.extended_paths.mock_response`, info.extended_paths?.mock_response, pc,
      // Like the mock step itself, an entry without a method matches nothing.
      (e) => ((e.method ?? '') === '' ? null : PathRuleKind.Mock)));
  }
  const mocks = entries.length;
  for (const [key, kind] of KINDS) {
    if (info.use_extended_paths === true) {
      const compiled = compileKind(`${base}.extended_paths.${key}`, info.extended_paths?.[key], pc, () => kind);
      entries.push(...compiled);
      if (kind === PathRuleKind.White && compiled.length > 0) isWhiteListMode = true;
    } else {
      const list = info.paths?.[key] ?? [];
      for (const [i, pattern] of list.entries()) entries.push(compileEntry(`${base}.paths.${key}[${i}]`, pattern, '', false, pc, kind));
      if (kind === PathRuleKind.White && list.length > 0) isWhiteListMode = true;
    }
  }
  if (info.use_extended_paths === true) {
    // After the three lists, like Tyk's other extended entries; as for them, an entry without a method matches nothing.
    entries.push(...compileKind(`${base}.extended_paths.internal`, info.extended_paths?.internal, pc,
      (e) => ((e.method ?? '') === '' ? null : PathRuleKind.Internal)));
  }
  // Mocks alone need no rule step: they only matter before a white, black or ignored list or an internal entry.
  return entries.length === mocks ? null : { entries, isWhiteListMode };
}

/**
 * The first matching entry decides: ignored passes and marks the request (auth is skipped), black list
 * and internal entries answer 403, white list passes; with a white list, an unmatched request gets the 403 too.
 */
export function decidePath(rules: PathRules, ctx: RequestContext): Decision {
  const entry = findEntry(rules.entries, ctx, true);
  if (entry === undefined) return rules.isWhiteListMode ? errors.endpointForbidden : undefined;
  switch (entry.value) {
    case PathRuleKind.Ignored:
      ctx.isIgnored = true;
      return undefined;
    case PathRuleKind.Black:
    case PathRuleKind.Internal:
      return errors.endpointForbidden;
    // White list and mock entries let the request go on.
    default:
      return undefined;
  }
}

/** Whether any version of the API has an `ignored` rule (legacy or extended, enabled). */
export function hasIgnoredRules(def: ApiDefinition): boolean {
  for (const info of Object.values(def.version_data?.versions ?? {})) {
    if (info.use_extended_paths === true) {
      if ((info.extended_paths?.ignored ?? []).some((e) => e.disabled !== true && (e.path ?? '') !== '')) return true;
    } else if ((info.paths?.ignored ?? []).length > 0) {
      return true;
    }
  }
  return false;
}
