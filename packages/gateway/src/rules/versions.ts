import type { ApiDefinition, VersionInfo } from '@tollgate/apidef';
import { errors, type GatewayError } from '../errors.js';
import type { RequestContext } from '../pipeline/request-context.js';

/** The version a non-versioned API always uses, or the 403 every request gets (api-definition.md §5). */
export type UnversionedChoice = { readonly name: string; readonly info: VersionInfo } | { readonly error: GatewayError };

const EMPTY_VERSION: VersionInfo = Object.freeze({});

/** Whether the API picks a version per request (`not_versioned` false and a versions map present). */
export function isVersioned(def: ApiDefinition): boolean {
  return def.version_data?.not_versioned !== true && versionEntries(def).length > 0;
}

export function versionEntries(def: ApiDefinition): [string, VersionInfo][] {
  return Object.entries(def.version_data?.versions ?? {});
}

/**
 * Tyk's choice for `not_versioned: true`: the only version when there is one; else the entry keyed
 * `Default`, `default` or `""` — more than one of those is ambiguous, none is an error. A definition with
 * no versions at all is served without version rules (tollgate: Tyk would refuse every request).
 */
export function chooseUnversioned(def: ApiDefinition): UnversionedChoice {
  const entries = versionEntries(def);
  if (entries.length === 0) return { name: '', info: EMPTY_VERSION };
  if (entries.length === 1) return { name: entries[0]![0], info: entries[0]![1] };
  const defaults = entries.filter(([name]) => name === 'Default' || name === 'default' || name === '');
  if (defaults.length > 1) return { error: errors.ambiguousDefaultVersion };
  if (defaults.length === 0) return { error: errors.noDefaultVersion };
  return { name: defaults[0]![0], info: defaults[0]![1] };
}

/**
 * Compiles one value per version and returns how a request finds its own: a constant for a
 * non-versioned API, a lookup by `ctx.versionName` (set by the version step) otherwise. Null when no
 * version has anything to compile, so the caller's middleware can be left out of the chain.
 *
 * @example
 * const limits = perVersion(def, (info) => info.global_size_limit ? info.global_size_limit : null);
 * const limit = limits?.(ctx);
 */
export function perVersion<T>(def: ApiDefinition, compile: (info: VersionInfo, name: string) => T | null): ((ctx: RequestContext) => T | undefined) | null {
  if (!isVersioned(def)) {
    const choice = chooseUnversioned(def);
    if ('error' in choice) return null;
    const value = compile(choice.info, choice.name);
    return value === null ? null : () => value;
  }
  const byName = new Map<string, T>();
  for (const [name, info] of versionEntries(def)) {
    const value = compile(info, name);
    if (value !== null) byName.set(name, value);
  }
  if (byName.size === 0) return null;
  return (ctx) => byName.get(ctx.versionName);
}
