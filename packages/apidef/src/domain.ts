/**
 * Host rules of the `domain` field (spec/api-definition.md §2.2). tollgate compares hosts
 * case-insensitively (RFC 9110; README deliberate difference 11).
 */

import { hasTemplate, parseTemplate, templateSource } from "./template.js";

export interface CompiledDomain {
  /** Lower-cased host rule when it has no template; null otherwise (or for the empty rule). */
  exact: string | null;
  /** Anchored, case-insensitive matcher for templated rules. */
  regex: RegExp | null;
  /** True when the rule names a port (a `:` outside template braces); then the port must match. */
  hasPort: boolean;
}

/**
 * Compiles a host rule. An empty rule yields `{exact: null, regex: null}`, which matches any host.
 * Throws when a template is malformed or its regex is invalid.
 *
 * @example hostMatches(compileDomain("{sub:foo|bar}.example.com"), "FOO.example.com:8080") // true
 */
export function compileDomain(domain: string): CompiledDomain {
  const rule = domain.trim().toLowerCase();
  if (rule === "") return { exact: null, regex: null, hasPort: false };
  if (!hasTemplate(rule)) return { exact: rule, regex: null, hasPort: stripPort(rule) !== rule };
  const parts = parseTemplate(rule);
  const hasPort = parts.some((p) => p.kind === "literal" && p.text.includes(":"));
  return { exact: null, regex: new RegExp(`^${templateSource(parts, "[^.]+")}$`, "i"), hasPort };
}

/** Does the request's Host header satisfy the compiled rule? */
export function hostMatches(compiled: CompiledDomain, hostHeader: string): boolean {
  if (compiled.exact === null && compiled.regex === null) return true;
  let host = hostHeader.trim().toLowerCase();
  if (!compiled.hasPort) host = stripPort(host);
  if (compiled.exact !== null) return host === compiled.exact;
  return compiled.regex !== null && compiled.regex.test(host);
}

/** Removes `:port` from `host:port` and `[v6]:port`; a bare IPv6 literal is left alone. */
function stripPort(host: string): string {
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    return close < 0 ? host : host.slice(0, close + 1);
  }
  const colon = host.indexOf(":");
  if (colon < 0 || host.indexOf(":", colon + 1) >= 0) return host;
  return host.slice(0, colon);
}
