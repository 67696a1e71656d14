import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { validateApiDefinition, type ApiDefinition } from "./index.js";

// dist/validate.test.js → repo root is ../../.., shared/ sits beside the repo.
const FIXTURES = new URL("../../../../shared/fixtures/tyk/", import.meta.url);

function base(extra: Record<string, unknown> = {}, proxy: Record<string, unknown> = {}): Record<string, unknown> {
  return { api_id: "a1", proxy: { listen_path: "/a/", target_url: "http://up:80/", ...proxy }, ...extra };
}

function errorOf(raw: unknown): string {
  const r = validateApiDefinition(raw);
  assert.equal(r.ok, false, `expected a validation error for ${JSON.stringify(raw)}`);
  return r.ok ? "" : r.error;
}

describe("validateApiDefinition: Tyk fixtures", () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".json"));
  it("finds the fixtures", () => assert.ok(files.length >= 7, `only ${files.length} fixtures found`));
  for (const file of files) {
    it(`accepts ${file} unchanged`, () => {
      const text = readFileSync(new URL(file, FIXTURES), "utf8");
      const raw: unknown = JSON.parse(text);
      const r = validateApiDefinition(raw);
      assert.ok(r.ok, r.ok ? "" : r.error);
      assert.equal(r.value, raw, "value is the input object itself");
      assert.deepEqual(r.value, JSON.parse(text), "input not mutated");
    });
  }
});

describe("validateApiDefinition: round trip", () => {
  it("keeps unknown fields and does not add defaults", () => {
    const raw = base({ detailed_tracing: true, x_custom: { a: [1, 2] }, CORS: { enable: true, extra: 1 } });
    const before = structuredClone(raw);
    const r = validateApiDefinition(raw);
    assert.ok(r.ok);
    assert.deepEqual(r.value, before);
    assert.equal((r.value as ApiDefinition)["x_custom"] !== undefined, true);
  });

  it("accepts null lists and maps as Tyk exports them", () => {
    const raw = base({ tags: null, allowed_ips: null, auth_configs: null, CORS: { allowed_origins: null } }, {
      target_list: null,
    });
    assert.ok(validateApiDefinition(raw).ok);
  });
});

describe("validateApiDefinition: rejections name the field", () => {
  const cases: Array<[string, unknown, string | RegExp]> = [
    ["non-object", [], "API definition must be a JSON object"],
    ["missing proxy", { api_id: "x" }, "proxy.listen_path is required"],
    ["empty listen path", base({}, { listen_path: "" }), "proxy.listen_path is required"],
    ["listen path with a space", base({}, { listen_path: "/a b/" }), 'proxy.listen_path "/a b/" must not contain spaces'],
    ["listen path bad template", base({}, { listen_path: "/a/{id" }), /^proxy\.listen_path "\/a\/\{id" is not a valid template/],
    ["listen path bad regex", base({}, { listen_path: "/a/{id:(}" }), /^proxy\.listen_path .* is not a valid template/],
    ["bad target url", base({}, { target_url: "htp//x" }),
      'proxy.target_url "htp//x" is not a valid URL (scheme must be http or https)'],
    ["ftp target", base({}, { target_url: "ftp://x/" }), /^proxy\.target_url "ftp:\/\/x\/" is not a valid URL/],
    ["missing target", base({}, { target_url: "" }), "proxy.target_url is required"],
    ["api_id with slash", base({ api_id: "a/b" }), 'api_id must not contain "/" or ".."'],
    ["api_id with dots", base({ api_id: "..x" }), 'api_id must not contain "/" or ".."'],
    ["wrong type", base({ use_keyless: "yes" }), "use_keyless must be boolean"],
    ["wrong nested type", base({}, { target_list: ["a:1", 3] }), "proxy.target_list[1] must be string"],
    ["fractional int", base({ session_lifetime: 1.5 }), "session_lifetime must be integer"],
    ["wrong version type", base({ version_data: { versions: { v1: { global_size_limit: "1" } } } }),
      "version_data.versions.v1.global_size_limit must be integer"],
    ["lb with empty list", base({}, { enable_load_balancing: true, target_list: [] }),
      "all load balancing targets have weight 0, at least one target must have weight > 0"],
    ["lb with bad entry", base({}, { enable_load_balancing: true, target_list: ["ok:80", "bad host:x"] }),
      'proxy.target_list[1] "bad host:x" is not a valid host:port or URL'],
    ["bad domain", base({ domain: "{sub:(}.example.com" }), /^domain "\{sub:\(\}\.example\.com" is not a valid host pattern/],
  ];
  for (const [name, raw, expected] of cases) {
    it(name, () => {
      const error = errorOf(raw);
      if (typeof expected === "string") assert.equal(error, expected);
      else assert.match(error, expected);
    });
  }
});

describe("validateApiDefinition: load balancing", () => {
  it("allows an empty target_url when target_list supplies upstreams", () => {
    const raw = base({}, { target_url: "", enable_load_balancing: true, target_list: ["a:80", "https://b/x"] });
    assert.ok(validateApiDefinition(raw).ok);
  });
  it("still requires target_url when load balancing is off", () => {
    assert.equal(errorOf(base({}, { target_url: "", target_list: ["a:80"] })), "proxy.target_url is required");
  });
});

describe("validateApiDefinition: auth sources", () => {
  const off = { disable_header: true, use_param: false, use_cookie: false };
  it("rejects an enabled mode with every source disabled", () => {
    assert.equal(errorOf(base({ use_standard_auth: true, auth_configs: { authToken: off } })),
      "all auth sources are disabled for authToken, at least one of header/cookie/query must be enabled");
    assert.equal(errorOf(base({ enable_jwt: true, auth_configs: { jwt: off } })),
      "all auth sources are disabled for jwt, at least one of header/cookie/query must be enabled");
  });
  it("treats an API with no auth flag as an auth-token API and falls back to `auth`", () => {
    assert.match(errorOf(base({ auth: off })), /disabled for authToken/);
  });
  it("accepts a disabled header when a query or cookie source is on", () => {
    assert.ok(validateApiDefinition(base({ auth_configs: { authToken: { ...off, use_param: true } } })).ok);
    assert.ok(validateApiDefinition(base({ auth_configs: { authToken: { ...off, use_cookie: true } } })).ok);
  });
  it("ignores configs of modes that are not enabled, and keyless APIs", () => {
    assert.ok(validateApiDefinition(base({ use_standard_auth: true, auth_configs: { jwt: off } })).ok);
    assert.ok(validateApiDefinition(base({ use_keyless: true, auth_configs: { authToken: off } })).ok);
  });
  it("does not take a plugin or external-OAuth API for an auth-token one (the gateway refuses those modes itself)", () => {
    for (const flags of [{ use_go_plugin_auth: true }, { custom_plugin_auth_enabled: true }, { external_oauth: { enabled: true } }, { enable_coprocess_auth: true }]) {
      assert.ok(validateApiDefinition(base({ ...flags, auth: off } as never)).ok, JSON.stringify(flags));
    }
  });
});

describe("validateApiDefinition: IP lists", () => {
  it("rejects a bad entry when the list is enabled", () => {
    assert.equal(errorOf(base({ enable_ip_whitelisting: true, allowed_ips: ["10.0.0.1", "10.0.0"] })),
      'invalid IP/CIDR "10.0.0"');
    assert.equal(errorOf(base({ enable_ip_blacklisting: true, blacklisted_ips: ["::1/129"] })),
      'invalid IP/CIDR "::1/129"');
  });
  it("does not check a list whose flag is off", () => {
    assert.ok(validateApiDefinition(base({ allowed_ips: ["nonsense"] })).ok);
  });
  it("accepts addresses and CIDRs of both families", () => {
    const ips = ["127.0.0.1", "10.0.0.0/8", "::1", "2001:db8::/32", "::ffff:1.2.3.4"];
    assert.ok(validateApiDefinition(base({ enable_ip_whitelisting: true, allowed_ips: ips })).ok);
  });
});

describe("validateApiDefinition: timeouts", () => {
  it("rejects a negative hard timeout, naming its path", () => {
    const v = { Default: { extended_paths: { hard_timeouts: [{ path: "/x", method: "GET", timeout: -1 }] } } };
    assert.equal(errorOf(base({ version_data: { versions: v } })),
      "version_data.versions.Default.extended_paths.hard_timeouts[0].timeout must not be negative (got -1)");
  });
  it("rejects other negative timeouts", () => {
    assert.equal(errorOf(base({ cache_options: { cache_timeout: -5 } })),
      "cache_options.cache_timeout must not be negative (got -5)");
    assert.equal(errorOf(base({ uptime_tests: { check_list: [{ url: "http://x", timeout: -2 }] } })),
      "uptime_tests.check_list[0].timeout must not be negative (got -2)");
  });
  it("accepts hmac_allowed_clock_skew -1 (it disables the check, not a timeout)", () => {
    assert.ok(validateApiDefinition(base({ hmac_allowed_clock_skew: -1 })).ok);
  });
});

describe("validateApiDefinition: traffic rules", () => {
  const versions = (v: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    base({ version_data: { not_versioned: false, default_version: "v1", versions: { v1: v } }, ...extra });
  it("rejects a bad regex in white/black/ignored lists, naming the entry", () => {
    assert.equal(errorOf(versions({ use_extended_paths: true, extended_paths: { white_list: [{ path: "/a/(b", method: "GET" }] } })),
      'version_data.versions.v1.extended_paths.white_list[0].path "/a/(b" is not a valid regular expression: Unterminated group');
    assert.match(errorOf(versions({ paths: { black_list: ["/ok", "[x"] } })), /^version_data\.versions\.v1\.paths\.black_list\[1\] "\[x" is not a valid regular expression/);
    assert.match(errorOf(versions({ extended_paths: { size_limits: [{ path: "(", method: "POST", size_limit: 1 }] } })), /size_limits\[0\]\.path/);
  });
  it("rejects a bad version expiry, API expiration, override target and location", () => {
    assert.equal(errorOf(versions({ expires: "next year" })),
      'version_data.versions.v1.expires "next year" is not a date in the layout "YYYY-MM-DD HH:MM" (or "" / "-1" for never)');
    assert.match(errorOf(base({ expiration: "2026-13-01 00:00", version_data: { not_versioned: true, versions: { Default: {} } } })), /^expiration /);
    assert.equal(errorOf(versions({ override_target: "not a url" })), 'version_data.versions.v1.override_target "not a url" is not a valid http(s) URL');
    assert.match(errorOf(versions({}, { definition: { location: "cookie", key: "v" } })), /^definition\.location "cookie" must be one of/);
    assert.equal(errorOf(versions({}, { definition: { location: "header", key: "" } })), 'definition.key is required when definition.location is "header"');
    assert.match(errorOf(versions({}, { definition: { location: "url", url_versioning_pattern: "v(" } })), /^definition\.url_versioning_pattern/);
  });
  it("rejects bad header names and negative size limits", () => {
    assert.equal(errorOf(versions({ global_headers: { "bad header": "x" } })), 'version_data.versions.v1.global_headers key "bad header" is not a valid header name');
    assert.match(errorOf(versions({ global_headers: { "x-a": "1\r\nx-b: 2" } })), /must not contain CR, LF or NUL/);
    assert.equal(errorOf(versions({ global_size_limit: -1 })), "version_data.versions.v1.global_size_limit must not be negative (got -1)");
  });
  it("rejects bad CORS and cache options", () => {
    assert.equal(errorOf(base({ CORS: { enable: true, allowed_origins: ["http://*.*.com"] } })),
      'CORS.allowed_origins[0] "http://*.*.com" may contain only one "*" wildcard');
    assert.equal(errorOf(base({ CORS: { allowed_methods: ["GET", "PO ST"] } })), 'CORS.allowed_methods[1] "PO ST" is not an HTTP method');
    assert.equal(errorOf(base({ cache_options: { cache_response_codes: [200, 99] } })), "cache_options.cache_response_codes[1] 99 is not an HTTP status code");
  });
  it("accepts a complete, valid set of rules", () => {
    const r = validateApiDefinition(versions({
      expires: "2099-01-01 00:00", override_target: "http://other:8080/base", global_headers: { "x-a": "$tyk_meta.tier" },
      use_extended_paths: true, extended_paths: { ignored: [{ path: "/health", method: "GET" }], white_list: [{ path: "/users/{id}", method: "" }] },
    }, { definition: { location: "url", strip_versioning_data: true }, CORS: { enable: true, allowed_origins: ["http://*.foo.com"] } }));
    assert.ok(r.ok, r.ok ? "" : r.error);
  });
});
