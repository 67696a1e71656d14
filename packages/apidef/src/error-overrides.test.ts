import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig, readErrorOverrides, validateApiDefinition } from "./index.js";

const api = (error_overrides: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  api_id: "a1", proxy: { listen_path: "/a/", target_url: "http://up:80/" }, error_overrides, ...extra,
});

function apiError(error_overrides: unknown): string {
  const r = validateApiDefinition(api(error_overrides));
  assert.equal(r.ok, false, `expected a validation error for ${JSON.stringify(error_overrides)}`);
  return r.ok ? "" : r.error;
}

describe("readErrorOverrides: shape and compilation", () => {
  it("keys by status and class; rules keep their order; regex compiled; body template parsed", () => {
    const spec = readErrorOverrides({
      "401": [
        { match: { flag: "AMF" }, response: { status_code: 400, body: '{"code":"{{ .StatusCode }}","m":"{{.Message}}"}', headers: { "X-A": "1" } } },
        { match: { message_pattern: "(?i)^key" }, response: { message: "no" } },
      ],
      "5XX": [{ response: { body: "plain {{ not a template" } }],
    }, "error_overrides");
    const rules = spec.byStatus.get(401)!;
    assert.equal(rules.length, 2);
    assert.equal(rules[0]!.flag, "AMF");
    assert.deepEqual(rules[0]!.bodyTemplate, ['{"code":"', { variable: "StatusCode" }, '","m":"', { variable: "Message" }, '"}']);
    assert.equal(rules[0]!.body, null);
    assert.deepEqual(rules[0]!.headers, [["X-A", "1"]]);
    assert.ok(rules[1]!.pattern!.test("Key not authorized"), "(?i) honoured");
    assert.equal(rules[1]!.message, "no");
    const five = spec.byClass.get(5)!;
    assert.equal(five[0]!.body, "plain {{ not a template", "no {{. → written as is");
    assert.equal(five[0]!.bodyTemplate, null);
  });

  it("absent, null and {} are no rules", () => {
    for (const v of [undefined, null, {}]) {
      const spec = readErrorOverrides(v, "error_overrides");
      assert.equal(spec.byStatus.size + spec.byClass.size, 0);
    }
  });
});

describe("validateApiDefinition: error_overrides refused with the field named", () => {
  const cases: Array<[unknown, string]> = [
    [[], 'error_overrides must be an object keyed by status ("401") or class ("4xx", "5xx") (got [])'],
    [{ "abc": [] }, 'error_overrides.abc: "abc" is not a status code (100-599) or a class ("4xx", "5xx")'],
    [{ "600": [] }, 'error_overrides.600: "600" is not a status code (100-599) or a class ("4xx", "5xx")'],
    [{ "3xx": [] }, 'error_overrides.3xx: "3xx" is not a status code (100-599) or a class ("4xx", "5xx")'],
    [{ "401": {} }, "error_overrides.401 must be a list of rules (got {})"],
    [{ "401": [{ match: { flag: "AMF" } }] }, "error_overrides.401[0].response must be an object (got undefined)"],
    [{ "401": [{ response: { status_code: 42 } }] }, "error_overrides.401[0].response.status_code must be an HTTP status between 100 and 599 (got 42)"],
    [{ "401": [{ response: { status_code: 600 } }] }, "error_overrides.401[0].response.status_code must be an HTTP status between 100 and 599 (got 600)"],
    [{ "401": [{ response: { status_code: "400" } }] }, 'error_overrides.401[0].response.status_code must be an HTTP status between 100 and 599 (got "400")'],
    [{ "4xx": [{ response: {}, match: { message_pattern: "([a-z" } }] }, 'error_overrides.4xx[0].match.message_pattern "([a-z" is not a valid regular expression'],
    [{ "401": [{ response: { template: "custom_401" } }] }, "error_overrides.401[0].response.template: named template files (response.template) are not supported; use response.body"],
    [{ "500": [{ match: { body_field: "error.code", body_value: "X" }, response: {} }] }, "error_overrides.500[0].match.body_field: upstream response overriding (match.body_field / match.body_value) is not supported"],
    [{ "500": [{ response: { status: 502 } }] }, "error_overrides.500[0].response.status is not a known field (expected one of status_code, body, message, headers)"],
    [{ "500": [{ response: { body: "{{.InvalidParams}}" } }] }, 'error_overrides.500[0].response.body: template action "{{.InvalidParams}}" is not supported (only {{.Message}} and {{.StatusCode}})'],
    [{ "500": [{ response: { body: "{{.Message}} {{" } }] }, 'error_overrides.500[0].response.body: unclosed template action "{{"'],
    [{ "500": [{ response: { headers: { "Bad Name": "x" } } }] }, 'error_overrides.500[0].response.headers: "Bad Name" is not a valid header name'],
    [{ "500": [{ response: { headers: { "X-A": 1 } } }] }, "error_overrides.500[0].response.headers.X-A must be a string without CR, LF or NUL (got 1)"],
    [{ "500": [{ match: { flag: 5 }, response: {} }] }, "error_overrides.500[0].match.flag must be a string (got 5)"],
  ];
  for (const [value, message] of cases) {
    it(message, () => {
      const error = apiError(value);
      assert.ok(error.startsWith(message), `${error}\n  does not start with\n${message}`);
    });
  }

  it("is checked even when error_overrides_disabled; a valid set passes", () => {
    const r = validateApiDefinition(api({ "401": [{ response: { template: "x" } }] }, { error_overrides_disabled: true }));
    assert.equal(r.ok, false);
    assert.ok(validateApiDefinition(api({ "401": [{ match: { flag: "AMF" }, response: { status_code: 400, body: "{}" } }] })).ok);
  });
});

describe("loadConfig: tyk.conf error_overrides", () => {
  const SECRET = { TOLLGATE_SECRET: "s" };
  it("accepted when valid, defaults to {}", () => {
    assert.deepEqual(loadConfig({ env: SECRET }).error_overrides, {});
    const rules = { "5xx": [{ match: { flag: "UCF" }, response: { status_code: 502 } }] };
    assert.deepEqual(loadConfig({ env: SECRET, overrides: { error_overrides: rules } }).error_overrides, rules);
  });
  it("refused at start with the file and field named", () => {
    const file = join(mkdtempSync(join(tmpdir(), "eo-")), "tollgate.json");
    writeFileSync(file, JSON.stringify({ secret: "x", error_overrides: { "5xx": [{ response: { template: "error_5xx" } }] } }));
    assert.throws(() => loadConfig({ file }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, `${file}: error_overrides.5xx[0].response.template: named template files (response.template) are not supported; use response.body`);
      return true;
    });
    assert.throws(() => loadConfig({ env: SECRET, overrides: { error_overrides: { "401": [{ response: { status_code: 99 } }] } } }),
      /override error_overrides: error_overrides\.401\[0\]\.response\.status_code must be an HTTP status between 100 and 599 \(got 99\)/);
  });
});
