import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileDomain, generateApiId, hostMatches, isValidIpOrCidr } from "./index.js";

describe("compileDomain / hostMatches", () => {
  it("matches a plain host case-insensitively and ignores the request port", () => {
    const c = compileDomain("API.example.com");
    assert.deepEqual(c, { exact: "api.example.com", regex: null, hasPort: false });
    assert.ok(hostMatches(c, "api.example.com"));
    assert.ok(hostMatches(c, "Api.Example.COM:8443"));
    assert.equal(hostMatches(c, "x.api.example.com"), false);
    assert.equal(hostMatches(c, "api.example.com.evil"), false);
  });
  it("requires the port when the rule names one", () => {
    const c = compileDomain("api.example.com:8443");
    assert.equal(c.hasPort, true);
    assert.ok(hostMatches(c, "api.example.com:8443"));
    assert.equal(hostMatches(c, "api.example.com"), false);
    assert.equal(hostMatches(c, "api.example.com:9000"), false);
  });
  it("matches one label for {name}", () => {
    const c = compileDomain("{tenant}.example.com");
    assert.equal(c.exact, null);
    assert.ok(hostMatches(c, "acme.example.com"));
    assert.ok(hostMatches(c, "ACME.example.com:80"));
    assert.equal(hostMatches(c, "a.b.example.com"), false);
    assert.equal(hostMatches(c, "example.com"), false);
  });
  it("uses {name:regex}, anchored at both ends; the regex's colon is not a port", () => {
    const c = compileDomain("{sub:foo|bar}.example.com");
    assert.equal(c.hasPort, false);
    assert.ok(hostMatches(c, "foo.example.com"));
    assert.ok(hostMatches(c, "bar.example.com:8080"));
    assert.equal(hostMatches(c, "baz.example.com"), false);
    assert.equal(hostMatches(c, "foo.example.com.evil"), false);
    assert.equal(hostMatches(compileDomain("{s:[a-z]+}.example.com"), "abc1.example.com"), false);
  });
  it("an empty rule matches any host", () => {
    assert.ok(hostMatches(compileDomain(""), "anything:1"));
  });
  it("handles IPv6 literal hosts", () => {
    assert.ok(hostMatches(compileDomain("[::1]"), "[::1]:8080"));
    assert.equal(compileDomain("[::1]").hasPort, false);
    const withPort = compileDomain("[::1]:8443");
    assert.equal(withPort.hasPort, true);
    assert.equal(hostMatches(withPort, "[::1]:8080"), false);
  });
  it("throws on a malformed template", () => {
    assert.throws(() => compileDomain("{sub.example.com"));
    assert.throws(() => compileDomain("{sub:(}.example.com"));
  });
});

describe("isValidIpOrCidr", () => {
  it("accepts what Go's net.ParseIP/ParseCIDR accept", () => {
    for (const ok of ["1.2.3.4", "0.0.0.0/0", "10.1.2.3/8", "::", "fe80::1", "2001:db8::/128", "::ffff:10.0.0.1"]) {
      assert.ok(isValidIpOrCidr(ok), ok);
    }
  });
  it("rejects short, octal-free-form, out-of-range and empty forms", () => {
    for (const bad of ["", "1.2.3", "256.1.1.1", "0x7f.0.0.1", "10.0.0.0/33", "10.0.0.0/", "::1/129", "a.b.c.d", "1.2.3.4/x"]) {
      assert.equal(isValidIpOrCidr(bad), false, bad);
    }
  });
});

describe("generateApiId", () => {
  it("is 32 lower-case hex chars of a v4 UUID, and unique", () => {
    const id = generateApiId();
    assert.match(id, /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    assert.notEqual(generateApiId(), id);
  });
});
