import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileListenPath, listenPathSortLength, normalizeListenPath } from "./index.js";

describe("normalizeListenPath", () => {
  const cases: Array<[string, string]> = [
    ["api", "/api"],
    ["api/", "/api/"],
    ["/", "/"],
    ["", "/"],
    ["//", "/"],
    ["/a//b/", "/a/b/"],
    ["/a/./b", "/a/b"],
    ["/a/../b/", "/b/"],
    ["/../a", "/a"],
    ["/a/b/..", "/a"],
    ["/a/{id}/", "/a/{id}/"],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => assert.equal(normalizeListenPath(input), expected));
  }
});

describe("listenPathSortLength", () => {
  it("is the plain length for untemplated paths", () => assert.equal(listenPathSortLength("/users/list"), 11));
  it("counts a template segment as its slash only", () => {
    assert.equal(listenPathSortLength("/users/{id}"), 7);
    assert.equal(listenPathSortLength("/users/{id}/x"), 9);
    assert.equal(listenPathSortLength("/u/{id:[0-9]{2,3}}/"), 4);
  });
  it("orders templated paths below equally long literal ones", () => {
    assert.ok(listenPathSortLength("/users/list") > listenPathSortLength("/users/{id}"));
  });
});

describe("compileListenPath", () => {
  it("has no regex for literal paths", () => {
    assert.deepEqual(compileListenPath("/api/"), { prefix: "/api/", regex: null });
  });
  it("matches one segment for {name}, as a prefix", () => {
    const { prefix, regex } = compileListenPath("/users/{id}/orders");
    assert.equal(prefix, "/users/");
    assert.ok(regex);
    assert.equal(regex.exec("/users/42/orders/7")?.[0], "/users/42/orders");
    assert.equal(regex.test("/users/4/2/orders"), false);
    assert.equal(regex.test("/x/users/42/orders"), false, "anchored at the start");
  });
  it("uses the given regex for {name:re}, keeping alternation inside", () => {
    const { regex } = compileListenPath("/v/{ver:v1|v2}/x");
    assert.ok(regex);
    assert.ok(regex.test("/v/v1/x"));
    assert.ok(regex.test("/v/v2/x"));
    assert.equal(regex.test("/v/v3/x"), false);
    assert.equal(regex.test("v2/x"), false);
  });
  it("supports quantifier braces inside the regex", () => {
    const { regex } = compileListenPath("/n/{id:[0-9]{3}}");
    assert.ok(regex?.test("/n/123"));
    assert.equal(regex?.test("/n/12"), false);
  });
  it("escapes regex characters of the literal part", () => {
    const { regex } = compileListenPath("/a.b/{id}");
    assert.equal(regex?.test("/axb/1"), false);
    assert.ok(regex?.test("/a.b/1"));
  });
  it("throws on a malformed template", () => {
    assert.throws(() => compileListenPath("/a/{id"), /unbalanced/);
    assert.throws(() => compileListenPath("/a/id}"), /unbalanced/);
    assert.throws(() => compileListenPath("/a/{:x}"), /no name/);
  });
});
