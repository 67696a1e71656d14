/**
 * Tokeniser for gorilla/mux-style templates (`{name}` / `{name:regex}`), shared by listen paths
 * and domains (spec/api-definition.md §2.1, §2.2). Braces are counted so a regex may itself hold
 * `{m,n}` quantifiers, as mux allows.
 */

export type TemplatePart =
  | { kind: "literal"; text: string }
  | { kind: "var"; name: string; pattern: string | null; raw: string };

/** Splits `s` into literal text and `{...}` variables; throws on unbalanced braces. */
export function parseTemplate(s: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literalStart = 0;
  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    if (ch === "}") throw new Error(`unbalanced "}" at position ${i}`);
    if (ch !== "{") {
      i++;
      continue;
    }
    const end = findClosingBrace(s, i);
    if (i > literalStart) parts.push({ kind: "literal", text: s.slice(literalStart, i) });
    parts.push(toVar(s.slice(i, end + 1)));
    i = end + 1;
    literalStart = i;
  }
  if (literalStart < s.length) parts.push({ kind: "literal", text: s.slice(literalStart) });
  return parts;
}

function findClosingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "{") depth++;
    else if (s[i] === "}" && --depth === 0) return i;
  }
  throw new Error(`unbalanced "{" at position ${open}`);
}

function toVar(raw: string): TemplatePart {
  const inner = raw.slice(1, -1);
  const colon = inner.indexOf(":");
  const name = colon < 0 ? inner : inner.slice(0, colon);
  const pattern = colon < 0 ? null : inner.slice(colon + 1);
  if (name.trim() === "") throw new Error(`template variable ${raw} has no name`);
  if (pattern === "") throw new Error(`template variable ${raw} has an empty pattern`);
  return { kind: "var", name, pattern, raw };
}

/** A stray `}` counts too, so that it reaches parseTemplate and is reported (mux refuses it). */
export function hasTemplate(s: string): boolean {
  return s.includes("{") || s.includes("}");
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * Regex source for a parsed template. `fallback` is the class a bare `{name}` matches.
 * Each custom pattern is wrapped in a non-capturing group so an alternation (`foo|bar`) stays
 * inside its variable, as mux does.
 */
export function templateSource(parts: TemplatePart[], fallback: string): string {
  let src = "";
  for (const part of parts) {
    if (part.kind === "literal") src += escapeRegExp(part.text);
    else src += part.pattern === null ? fallback : `(?:${part.pattern})`;
  }
  return src;
}
