import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CONFIG_KEYS, ConfigError, DEFAULT_TYK_SECRET, configWarnings, defaultConfig, effectiveServerVersions, loadConfig } from "./index.js";
import { TOLLGATE_ENV_INDEX, TYK_ENV_INDEX } from "./config-keys.js";

const dir = mkdtempSync(join(tmpdir(), "apidef-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

function configErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e.message;
  }
  assert.fail("expected a ConfigError");
}

const SECRET = { TOLLGATE_SECRET: "s3cret" };

describe("loadConfig: defaults and file", () => {
  it("returns the defaults when only a secret is given", () => {
    const cfg = loadConfig({ env: SECRET });
    assert.deepEqual({ ...cfg, secret: "" }, defaultConfig());
    assert.equal(cfg.listen_port, 8080);
    assert.equal(cfg.storage.port, 6379);
    assert.equal(cfg.policies.policy_source, "file");
  });

  it("refuses an empty secret", () => {
    assert.equal(configErrorOf(() => loadConfig({})), 'config: secret must be a non-empty string (got "")');
  });

  it("deep-merges the file onto the defaults and keeps unknown keys", () => {
    const file = writeConfig("merge.json", {
      secret: "x", listen_port: 8081, storage: { host: "redis.local" }, custom_thing: { a: 1 },
    });
    const cfg = loadConfig({ file });
    assert.equal(cfg.listen_port, 8081);
    assert.equal(cfg.storage.host, "redis.local");
    assert.equal(cfg.storage.port, 6379, "sibling default kept");
    assert.deepEqual(cfg["custom_thing"], { a: 1 });
  });

  it("names the file and key for a bad value", () => {
    const file = writeConfig("tollgate.json", { secret: "x", listen_port: "abc" });
    assert.equal(configErrorOf(() => loadConfig({ file })),
      `${file}: listen_port must be an integer between 1 and 65535 (got "abc")`);
  });

  it("checks ranges, enums and sections", () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ listen_port: 70000 }, /listen_port must be an integer between 1 and 65535 \(got 70000\)/],
      [{ proxy_default_timeout: 0 }, /proxy_default_timeout must be a number greater than 0 \(got 0\)/],
      [{ workers: -1 }, /workers must be an integer >= 0/],
      [{ rate_limit_failure_mode: "maybe" }, /rate_limit_failure_mode must be one of "local", "closed", "open"/],
      [{ storage: { use_ssl: "yes" } }, /storage\.use_ssl must be a boolean \(got "yes"\)/],
      [{ storage: 5 }, /storage must be an object/],
      [{ storage: { addrs: ["a:1", 2] } }, /storage\.addrs must be a list of strings/],
      [{ hash_key_function: "md5" }, /hash_key_function must be one of/],
    ];
    for (const [content, expected] of bad) {
      const file = writeConfig("bad.json", { secret: "x", ...content });
      assert.match(configErrorOf(() => loadConfig({ file })), expected);
    }
  });

  it("reports a missing file named explicitly", () => {
    const file = join(dir, "nope.json");
    assert.equal(configErrorOf(() => loadConfig({ file })), `${file}: file not found`);
  });

  it("reports malformed JSON with the file and position", () => {
    const file = writeConfig("broken.json", '{\n  "secret": "x",\n  "listen_port": 80,,\n}');
    const msg = configErrorOf(() => loadConfig({ file }));
    assert.ok(msg.startsWith(`${file}: invalid JSON:`), msg);
    assert.match(msg, /line 3, column \d+/);
  });

  it("returns a deep-frozen object", () => {
    const cfg = loadConfig({ env: SECRET });
    assert.ok(Object.isFrozen(cfg));
    assert.ok(Object.isFrozen(cfg.storage));
    assert.ok(Object.isFrozen(cfg.storage.addrs));
    assert.throws(() => {
      (cfg.storage as { port: number }).port = 1;
    }, TypeError);
  });
});

describe("loadConfig: environment", () => {
  it("applies TOLLGATE_ overrides to top-level and nested keys with coercion", () => {
    const cfg = loadConfig({
      env: {
        ...SECRET,
        TOLLGATE_LISTEN_PORT: "9000",
        TOLLGATE_STORAGE_HOST: "10.0.0.5",
        TOLLGATE_STORAGE_ADDRS: "a:1, b:2",
        TOLLGATE_HTTP_SERVER_OPTIONS_USE_SSL: "true",
        TOLLGATE_PROXY_DEFAULT_TIMEOUT: "2.5",
        TOLLGATE_SECURITY_PINNED_PUBLIC_KEYS: '{"api.x":"pin1"}',
        TOLLGATE_HIDE_GENERATOR_HEADER: "0",
      },
    });
    assert.equal(cfg.listen_port, 9000);
    assert.equal(cfg.storage.host, "10.0.0.5");
    assert.deepEqual(cfg.storage.addrs, ["a:1", "b:2"]);
    assert.equal(cfg.http_server_options.use_ssl, true);
    assert.equal(cfg.proxy_default_timeout, 2.5);
    assert.deepEqual(cfg.security.pinned_public_keys, { "api.x": "pin1" });
    assert.equal(cfg.hide_generator_header, false);
  });

  it("accepts Tyk's envconfig spelling", () => {
    const cfg = loadConfig({
      env: { TYK_GW_SECRET: "t", TYK_GW_LISTENPORT: "8181", TYK_GW_STORAGE_HOST: "r1", TYK_GW_HTTPSERVEROPTIONS_USESSL: "1" },
    });
    assert.equal(cfg.secret, "t");
    assert.equal(cfg.listen_port, 8181);
    assert.equal(cfg.storage.host, "r1");
    assert.equal(cfg.http_server_options.use_ssl, true);
    assert.equal(cfg.local_session_cache.disable_cached_session_state, false, 'sessions are cached by default');
    const uncached = loadConfig({ env: { TYK_GW_SECRET: "t", TYK_GW_LOCALSESSIONCACHE_DISABLECACHEDSESSIONSTATE: "true" } });
    assert.equal(uncached.local_session_cache.disable_cached_session_state, true);
  });

  it("lets TOLLGATE_ win over TYK_GW_ and env win over the file", () => {
    const file = writeConfig("env.json", { secret: "f", listen_port: 1000 });
    const cfg = loadConfig({ file, env: { TYK_GW_LISTENPORT: "2000", TOLLGATE_LISTEN_PORT: "3000" } });
    assert.equal(cfg.listen_port, 3000);
    assert.equal(loadConfig({ file, env: { TYK_GW_LISTENPORT: "2000" } }).listen_port, 2000);
  });

  it("names the env var and key for a value that does not coerce", () => {
    assert.equal(configErrorOf(() => loadConfig({ env: { ...SECRET, TOLLGATE_LISTEN_PORT: "abc" } })),
      'TOLLGATE_LISTEN_PORT: listen_port must be an integer between 1 and 65535 (got "abc")');
    assert.equal(configErrorOf(() => loadConfig({ env: { ...SECRET, TYK_GW_STORAGE_USESSL: "yes" } })),
      'TYK_GW_STORAGE_USESSL: storage.use_ssl must be a boolean (got "yes")');
    assert.match(configErrorOf(() => loadConfig({ env: { ...SECRET, TOLLGATE_SECURITY_CERTIFICATES: "{" } })),
      /^TOLLGATE_SECURITY_CERTIFICATES: security\.certificates must be an object/);
  });

  it("names the env var when a coerced value is out of range", () => {
    assert.equal(configErrorOf(() => loadConfig({ env: { ...SECRET, TOLLGATE_STORAGE_PORT: "0" } })),
      "TOLLGATE_STORAGE_PORT: storage.port must be an integer between 1 and 65535 (got 0)");
  });

  it("ignores unrelated variables", () => {
    assert.equal(loadConfig({ env: { ...SECRET, TOLLGATE_NOT_A_KEY: "x", PATH: "/bin" } }).listen_port, 8080);
  });

  it("has one env name per key in each spelling", () => {
    const n = Object.keys(CONFIG_KEYS).length;
    assert.equal(TOLLGATE_ENV_INDEX.size, n);
    assert.equal(TYK_ENV_INDEX.size, n);
  });
});

describe("loadConfig: overrides", () => {
  it("applies dotted paths last", () => {
    const cfg = loadConfig({ env: { ...SECRET, TOLLGATE_STORAGE_PORT: "7000" }, overrides: { "storage.port": 7001, workers: 2 } });
    assert.equal(cfg.storage.port, 7001);
    assert.equal(cfg.workers, 2);
  });
  it("validates override values too", () => {
    assert.equal(configErrorOf(() => loadConfig({ env: SECRET, overrides: { "storage.port": "x" } })),
      'override storage.port: storage.port must be an integer between 1 and 65535 (got "x")');
  });
});

describe("config: defaults table and warnings", () => {
  it("every known key has a default of the right kind (except the required secret)", () => {
    const d = defaultConfig() as Record<string, unknown>;
    for (const path of Object.keys(CONFIG_KEYS)) {
      const value = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], d);
      assert.notEqual(value, undefined, `no default for ${path}`);
    }
  });
  it("defaultConfig returns a fresh copy", () => {
    const a = defaultConfig();
    a.storage.addrs.push("x");
    assert.deepEqual(defaultConfig().storage.addrs, []);
  });
  it("warns about Tyk's well-known secret and old TLS", () => {
    assert.deepEqual(configWarnings(loadConfig({ env: SECRET })), []);
    const cfg = loadConfig({ overrides: { secret: DEFAULT_TYK_SECRET, "http_server_options.min_version": 769 } });
    const warnings = configWarnings(cfg);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? "", /publicly known/);
  });
  it("override_messages: {code, message} per error ID, named when malformed; unknown IDs warned about", () => {
    const ok = { "auth.key_not_found": { code: 401, message: "Unknown key" }, "auth.auth_field_missing": { message: "Key?" } };
    assert.deepEqual(configWarnings(loadConfig({ env: SECRET, overrides: { override_messages: ok } })), []);
    const bad: Array<[unknown, string]> = [
      ["x", 'override_messages.auth.key_not_found must be an object {"code", "message"} (got "x")'],
      [{ code: 99 }, "override_messages.auth.key_not_found.code must be 0 or an HTTP status between 100 and 599 (got 99)"],
      [{ code: "401" }, 'override_messages.auth.key_not_found.code must be 0 or an HTTP status between 100 and 599 (got "401")'],
      [{ message: 5 }, "override_messages.auth.key_not_found.message must be a string (got 5)"],
    ];
    for (const [value, message] of bad) {
      const file = writeConfig("overrides.json", { secret: "x", override_messages: { "auth.key_not_found": value } });
      assert.equal(configErrorOf(() => loadConfig({ file })), `${file}: ${message}`);
    }
    const typo = loadConfig({ env: SECRET, overrides: { override_messages: { "auth.key_not_fund": { code: 401 } } } });
    assert.deepEqual(configWarnings(typo), ["override_messages.auth.key_not_fund is not an error ID Tyk defines; ignored"]);
  });

  it("warns when max_version 769/770 alone pulls the minimum down to deprecated TLS", () => {
    const warnings = configWarnings(loadConfig({ env: SECRET, overrides: { "http_server_options.max_version": 770 } }));
    assert.deepEqual(warnings, ["http_server_options.max_version 770 without min_version enables deprecated TLS: the minimum drops from TLS 1.2 to 770"]);
    assert.deepEqual(configWarnings(loadConfig({ env: SECRET, overrides: { "http_server_options.max_version": 771 } })), []);
    assert.deepEqual(effectiveServerVersions(0, 770), [770, 770]);
    assert.deepEqual(effectiveServerVersions(0, 0), [771, 772]);
    assert.deepEqual(effectiveServerVersions(772, 0), [772, 772]);
    assert.deepEqual(effectiveServerVersions(769, 771), [769, 771]);
  });
  it("refuses TLS versions that are not protocol codes and a minimum above the maximum", () => {
    assert.throws(() => loadConfig({ env: SECRET, overrides: { "http_server_options.min_version": 700 } }),
      /http_server_options.min_version must be 0, 769, 770, 771 or 772 \(got 700\)/);
    assert.throws(() => loadConfig({ env: SECRET, overrides: { "http_server_options.min_version": 772, "http_server_options.max_version": 771 } }),
      /http_server_options.min_version \(772\) is above http_server_options.max_version \(771\)/);
    assert.throws(() => loadConfig({ env: SECRET, overrides: { proxy_ssl_min_version: 772, proxy_ssl_max_version: 771 } }), /proxy_ssl_min_version/);
  });
  it("refuses a normalise_urls custom pattern that is not a regex, naming it; takes Go's leading (?i)", () => {
    const file = writeConfig("normalise.json", { secret: "s", analytics_config: { normalise_urls: { enabled: true, custom_patterns: ["ok-[0-9]+", "bad("] } } });
    assert.match(configErrorOf(() => loadConfig({ file })), /normalise\.json: analytics_config\.normalise_urls\.custom_patterns\[1\] "bad\(" is not a valid regular expression/);
    const cfg = loadConfig({ env: SECRET, overrides: { "analytics_config.normalise_urls.custom_patterns": ["(?i)user-[a-z]+"] } });
    assert.deepEqual(cfg.analytics_config.normalise_urls.custom_patterns, ["(?i)user-[a-z]+"]);
    assert.equal(cfg.analytics_config.normalise_urls.enabled, false);
  });

  it("takes ssl_certificates from the environment as a comma list", () => {
    const cfg = loadConfig({ env: { ...SECRET, TYK_GW_HTTPSERVEROPTIONS_SSLCERTIFICATES: "id1,id2" } });
    assert.deepEqual(cfg.http_server_options.ssl_certificates, ["id1", "id2"]);
  });
});
