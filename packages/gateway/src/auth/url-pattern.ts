/**
 * Endpoint patterns as Tyk converts them (api-definition.md §5): `{name}` → `([^/]+)`, a `/*` segment
 * between slashes → `/[^/]+/`, a remaining `/*` → `/.*`, everything else a regex as written. Anchors come from tyk.conf
 * `enable_path_prefix_matching` (`^`) and `enable_path_suffix_matching` (`$`). An invalid pattern never
 * matches (Tyk skips it with a log line).
 *
 * @example
 * compileUrlPattern('/users/{id}', { prefix: false, suffix: false })!.test('/api/users/9') // true
 */
export function compileUrlPattern(pattern: string, anchors: { prefix: boolean; suffix: boolean }): RegExp | null {
  let source = pattern
    .replace(/\{[^}/]*\}/g, '([^/]+)')
    .replace(/\/\*\//g, '/[^/]+/')
    .replace(/\/\*/g, '/.*');
  if (anchors.prefix && source.startsWith('/')) source = `^${source}`;
  if (anchors.suffix && !source.endsWith('$')) source = `${source}$`;
  try {
    return new RegExp(source);
  } catch {
    return null;
  }
}
