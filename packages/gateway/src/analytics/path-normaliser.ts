import { compileConfigPattern, type NormaliseUrlsConfig } from '@tollgate/apidef';

/** Rewrites a record's `path`; built once from the configuration. */
export type PathNormaliser = (path: string) => string;

// Tyk's patterns (gateway/analytics.go): the same expressions, the same replacements, the same order.
const UUID = /[0-9a-fA-F]{8}(-)?[0-9a-fA-F]{4}(-)?[0-9a-fA-F]{4}(-)?[0-9a-fA-F]{4}(-)?[0-9a-fA-F]{12}/g;
const ULID = /[0-7][0-9A-HJKMNP-TV-Z]{25}/gi;
const NUMBER = /\/(\d+)/g;

/**
 * tyk.conf `analytics_config.normalise_urls` (spec analytics.md §2): with `enabled`, UUIDs → `{uuid}`, ULIDs
 * → `{ulid}`, `/<digits>` → `/{id}`, then each custom pattern's matches → `{var}`, in that order, so that
 * `/users/42/orders/7` aggregates as one endpoint `/users/{id}/orders/{id}`. Null when nothing would
 * change a path (records then cost nothing more). The patterns were checked when the configuration loaded.
 *
 * @example
 * compilePathNormaliser({ enabled: true, normalise_numbers: true, ... })!('/users/42') // '/users/{id}'
 */
export function compilePathNormaliser(config: Readonly<NormaliseUrlsConfig>): PathNormaliser | null {
  if (!config.enabled) return null;
  const steps: [RegExp, string][] = [];
  if (config.normalise_uuids) steps.push([UUID, '{uuid}']);
  if (config.normalise_ulids) steps.push([ULID, '{ulid}']);
  if (config.normalise_numbers) steps.push([NUMBER, '/{id}']);
  for (const pattern of config.custom_patterns) steps.push([compileConfigPattern(pattern, 'g'), '{var}']);
  if (steps.length === 0) return null;
  return (path) => {
    let out = path;
    // String.replace with a global regex resets lastIndex itself: the shared regexes hold no state between calls.
    for (const [regex, replacement] of steps) out = out.replace(regex, replacement);
    return out;
  };
}
