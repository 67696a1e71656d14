import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileEndpointPattern, endpointPatternError, endpointPatternSource } from "./endpoint-pattern.js";
import { formatRfc1123Utc, parseTykExpiry } from "./tyk-time.js";

describe("endpoint patterns (api-definition.md §5)", () => {
  it("turns mux templates and wildcards into regexes as Tyk does", () => {
    assert.equal(endpointPatternSource("/users/{id}"), "/users/([^/]+)");
    assert.equal(endpointPatternSource("/a/*/b"), "/a/[^/]+/b");
    assert.equal(endpointPatternSource("/files/*"), "/files/.*");
  });
  it("is an unanchored search by default, anchored with prefix/suffix matching", () => {
    assert.ok(compileEndpointPattern("/users").test("/v1/users/9"));
    assert.ok(compileEndpointPattern("/users").test("/admin/users"));
    const anchored = compileEndpointPattern("/users", { prefixMatching: true, suffixMatching: true });
    assert.equal(anchored.test("/admin/users"), false);
    assert.equal(anchored.test("/users/9"), false);
    assert.ok(anchored.test("/users"));
  });
  it("ignore_case and Go's (?i) prefix make it case-insensitive", () => {
    assert.equal(compileEndpointPattern("/Users").test("/users"), false);
    assert.ok(compileEndpointPattern("/Users", { ignoreCase: true }).test("/users"));
    assert.ok(compileEndpointPattern("(?i)/Users").test("/USERS"));
  });
  it("reports a regex that does not compile", () => {
    assert.match(endpointPatternError("/a/(b") ?? "", /Unterminated group/);
    assert.equal(endpointPatternError("/a/(?P<id>\\d+)"), null);
  });
});

describe("Tyk expiry strings", () => {
  it("parses YYYY-MM-DD HH:MM as UTC; empty and -1 never expire; other text is NaN", () => {
    assert.equal(parseTykExpiry("2030-01-02 15:04"), Date.UTC(2030, 0, 2, 15, 4));
    assert.equal(parseTykExpiry(""), Infinity);
    assert.equal(parseTykExpiry("-1"), Infinity);
    assert.ok(Number.isNaN(parseTykExpiry("2030-02-31 10:00")));
    assert.ok(Number.isNaN(parseTykExpiry("tomorrow")));
  });
  it("formats the X-Tyk-Api-Expires value", () => {
    assert.equal(formatRfc1123Utc(Date.UTC(2026, 0, 2, 15, 4, 5)), "Fri, 02 Jan 2026 15:04:05 UTC");
  });
});
