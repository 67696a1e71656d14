/**
 * Endpoint patterns of white/black/ignored lists, size limits, header transforms, cache lists and every
 * other extended-path entry (spec/api-definition.md §5 "Pattern matching"). Tyk writes them as Go (RE2)
 * regexes with mux-style templates; they compile here to JavaScript RegExps once, at definition load.
 */

export interface PatternOptions {
  /** `ignore_case` of the entry, or `ignore_endpoint_case` of the version, API or gateway. */
  readonly ignoreCase?: boolean;
  /** tyk.conf `http_server_options.enable_path_prefix_matching`: anchor patterns that start with `/`. */
  readonly prefixMatching?: boolean;
  /** tyk.conf `http_server_options.enable_path_suffix_matching`: anchor the end. */
  readonly suffixMatching?: boolean;
}

const MUX_PARAM = /\{[^{}]+\}/g;

/**
 * The regex source Tyk derives from a pattern: `{name}` → `([^/]+)`, `/*\/` → `/[^/]+/`, a remaining
 * `/*` → `/.*`, then the optional anchors; everything else is a regex as written.
 */
export function endpointPatternSource(pattern: string, options: PatternOptions = {}): string {
  let source = pattern;
  // Go's (?i) is not JavaScript syntax: it becomes the `i` flag (see compileEndpointPattern).
  if (source.startsWith("(?i)")) source = source.slice(4);
  if (source.includes("{") && source.includes("}")) source = source.replace(MUX_PARAM, "([^/]+)");
  source = source.split("/*/").join("/[^/]+/").split("/*").join("/.*");
  // RE2 named groups (?P<name>...) are (?<name>...) in JavaScript.
  source = source.split("(?P<").join("(?<");
  if (options.prefixMatching === true && source.startsWith("/")) source = `^${source}`;
  if (options.suffixMatching === true && !source.endsWith("$")) source = `${source}$`;
  return source;
}

/**
 * Compiles an endpoint pattern. Throws an Error whose message says what is wrong with the regex.
 *
 * @example
 * compileEndpointPattern('/users/{id}', { ignoreCase: true }).test('/v1/USERS/7') // true
 */
export function compileEndpointPattern(pattern: string, options: PatternOptions = {}): RegExp {
  const isCaseless = options.ignoreCase === true || pattern.startsWith("(?i)");
  return new RegExp(endpointPatternSource(pattern, options), isCaseless ? "i" : "");
}

/** The reason a pattern does not compile, or null when it does. */
export function endpointPatternError(pattern: string): string | null {
  try {
    compileEndpointPattern(pattern);
    return null;
  } catch (e) {
    // "Invalid regular expression: /<source>/<flags>: <reason>" → "<reason>"
    const message = (e as Error).message;
    return message.slice(message.lastIndexOf(": ") + 2);
  }
}
