/**
 * Listen-path helpers (spec/api-definition.md §2.1): normalisation at load, the length used to
 * order candidate APIs, and the compiled matcher the router uses.
 */

import { hasTemplate, parseTemplate, templateSource } from "./template.js";

/**
 * Adds a leading `/`, path-cleans (`//`, `.`, `..`) and keeps a trailing `/` when the original had one.
 *
 * @example normalizeListenPath("api//v1/../x/") // "/api/x/"
 */
export function normalizeListenPath(p: string): string {
  const cleaned = cleanPath(p.startsWith("/") ? p : `/${p}`);
  if (cleaned !== "/" && p.endsWith("/")) return `${cleaned}/`;
  return cleaned;
}

/** Go's path.Clean for a rooted path: the result never ends in `/` unless it is `/`. */
function cleanPath(rooted: string): string {
  const out: string[] = [];
  for (const seg of rooted.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return `/${out.join("/")}`;
}

/**
 * Length used to order APIs, longest first: each `{...}` segment counts as nothing, only its `/`
 * (spec §2.1 rule 1), so `/users/{id}` (length 7) sorts below `/users/list` (length 11).
 *
 * @example listenPathSortLength("/users/{id}/x") // 9
 */
export function listenPathSortLength(p: string): number {
  if (!hasTemplate(p)) return p.length;
  let n = 0;
  for (const part of parseTemplate(p)) if (part.kind === "literal") n += part.text.length;
  return n;
}

export interface CompiledListenPath {
  /** The literal text before the first template variable (the whole path when untemplated). */
  prefix: string;
  /** Non-null only for templated paths; anchored at the start, matches a prefix of the path. */
  regex: RegExp | null;
}

/**
 * Compiles a listen path for matching. Throws when a template is malformed or its regex is invalid.
 *
 * @example compileListenPath("/u/{id:[0-9]+}/").regex?.exec("/u/42/x")?.[0] // "/u/42/"
 */
export function compileListenPath(p: string): CompiledListenPath {
  if (!hasTemplate(p)) return { prefix: p, regex: null };
  const parts = parseTemplate(p);
  const first = parts[0];
  const prefix = first !== undefined && first.kind === "literal" ? first.text : "";
  return { prefix, regex: new RegExp(`^${templateSource(parts, "[^/]+")}`) };
}
