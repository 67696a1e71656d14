/**
 * Loads tollgate.json: defaults ← file ← environment ← overrides (CLI flags), then validates every
 * known key and deep-freezes the result. Invalid configuration stops the process at start with a
 * message naming the key (design.md "Conventions"); the object is then passed into factories,
 * never reached for (style.md §10).
 */

import { readFileSync } from "node:fs";
import { ConfigError } from "./config-error.js";
import { envOverrides } from "./config-env.js";
import { CONFIG_KEYS, CONFIG_SECTIONS, describeSpec, type KeySpec } from "./config-keys.js";
import { DEFAULT_TYK_SECRET, defaultConfig, type GatewayConfig } from "./config-types.js";
import { readErrorOverrides } from "./error-overrides.js";
import { readOverrideMessages, unknownOverrideIds } from "./override-messages.js";
import { effectiveServerVersions, isDeprecatedTlsVersion } from "./tls-versions.js";

export interface LoadConfigOptions {
  /** tollgate.json / tyk.conf path; a file named here must exist. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Already-typed values by dotted path, e.g. `{ "storage.port": 6380 }` (CLI flags). */
  overrides?: Record<string, unknown>;
}

type Json = Record<string, unknown>;

function isPlainObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function readJsonFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(code === "ENOENT" ? `${file}: file not found` : `${file}: cannot read (${code ?? e})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file}: invalid JSON: ${(e as Error).message}${lineAndColumn(text, (e as Error).message)}`);
  }
  if (!isPlainObject(parsed)) throw new ConfigError(`${file}: the top level must be a JSON object`);
  return parsed;
}

/** V8 reports a character offset; people look for a line and column. */
function lineAndColumn(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (m === null) return "";
  const before = text.slice(0, Number(m[1]));
  const line = before.split("\n").length;
  return ` (line ${line}, column ${before.length - before.lastIndexOf("\n")})`;
}

/** Plain objects merge key by key; lists and scalars replace. Neither input is changed. */
function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function getPath(obj: Json, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.split(".")) cur = isPlainObject(cur) ? cur[seg] : undefined;
  return cur;
}

function setPath(obj: Json, path: string, value: unknown): void {
  const segs = path.split(".");
  let cur = obj;
  for (const seg of segs.slice(0, -1)) {
    const next = cur[seg];
    if (!isPlainObject(next)) cur[seg] = {};
    cur = cur[seg] as Json;
  }
  cur[segs[segs.length - 1] as string] = value;
}

function fitsType(v: unknown, spec: KeySpec): boolean {
  switch (spec.type) {
    case "int":
      return Number.isInteger(v);
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "bool":
      return typeof v === "boolean";
    case "string":
      return typeof v === "string";
    case "strings":
      return Array.isArray(v) && v.every((x) => typeof x === "string");
    case "object":
      return isPlainObject(v);
    case "array":
      return Array.isArray(v);
  }
}

function fitsRange(v: unknown, spec: KeySpec): boolean {
  if (spec.oneOf !== undefined && !spec.oneOf.includes(v as string)) return false;
  if (spec.nonEmpty === true && v === "") return false;
  if (typeof v !== "number") return true;
  if (spec.above !== undefined && !(v > spec.above)) return false;
  if (spec.min !== undefined && v < spec.min) return false;
  return spec.max === undefined || v <= spec.max;
}

function validate(cfg: Json, sourceOf: (path: string) => string): void {
  for (const section of CONFIG_SECTIONS) {
    if (!isPlainObject(getPath(cfg, section))) throw new ConfigError(`${sourceOf(section)}: ${section} must be an object`);
  }
  for (const [path, spec] of Object.entries(CONFIG_KEYS)) {
    const v = getPath(cfg, path);
    if (fitsType(v, spec) && fitsRange(v, spec)) continue;
    const got = v === undefined ? "nothing" : JSON.stringify(v);
    throw new ConfigError(`${sourceOf(path)}: ${path} must be ${describeSpec(spec)} (got ${got})`);
  }
}

function deepFreeze<T>(v: T): Readonly<T> {
  if (typeof v === "object" && v !== null) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

/**
 * Loads and validates the gateway configuration. Throws ConfigError naming the key on bad input.
 *
 * @example
 * const config = loadConfig({ file: "tollgate.json", env: process.env, overrides: { listen_port: 8081 } });
 */
export function loadConfig(opts: LoadConfigOptions = {}): Readonly<GatewayConfig> {
  const origin = new Map<string, string>();
  const fileLabel = opts.file ?? "config";
  let cfg: Json = defaultConfig();
  if (opts.file !== undefined) cfg = deepMerge(cfg, readJsonFile(opts.file));
  for (const o of envOverrides(opts.env ?? {})) {
    setPath(cfg, o.path, o.value);
    origin.set(o.path, o.envName);
  }
  for (const [path, value] of Object.entries(opts.overrides ?? {})) {
    setPath(cfg, path, value);
    origin.set(path, `override ${path}`);
  }
  validate(cfg, (path) => origin.get(path) ?? fileLabel);
  validateTlsVersions(cfg as unknown as GatewayConfig, (path) => origin.get(path) ?? fileLabel);
  validatePatterns(cfg as unknown as GatewayConfig, (path) => origin.get(path) ?? fileLabel);
  readOverrideMessages((cfg as unknown as GatewayConfig).override_messages, origin.get("override_messages") ?? fileLabel);
  try {
    readErrorOverrides((cfg as unknown as GatewayConfig).error_overrides, "error_overrides");
  } catch (err) {
    throw new ConfigError(`${origin.get("error_overrides") ?? fileLabel}: ${(err as Error).message}`);
  }
  return deepFreeze(cfg as GatewayConfig);
}

const TLS_VERSION_CODES = [0, 769, 770, 771, 772];

/** Regexes in the configuration must compile: a pattern that cannot is named at start, not at the first request. */
function validatePatterns(cfg: GatewayConfig, sourceOf: (path: string) => string): void {
  const key = "analytics_config.normalise_urls.custom_patterns";
  for (const [i, pattern] of cfg.analytics_config.normalise_urls.custom_patterns.entries()) {
    try {
      compileConfigPattern(pattern, "g");
    } catch (err) {
      throw new ConfigError(`${sourceOf(key)}: ${key}[${i}] ${JSON.stringify(pattern)} is not a valid regular expression: ${(err as Error).message}`);
    }
  }
}

/**
 * A regex from the configuration (written for Go's regexp, as in tyk.conf): a leading `(?i)`, which
 * JavaScript does not parse, becomes the `i` flag.
 *
 * @example
 * compileConfigPattern("(?i)/users/[a-z]+", "g") // /\/users\/[a-z]+/gi
 */
export function compileConfigPattern(pattern: string, flags = ""): RegExp {
  return pattern.startsWith("(?i)") ? new RegExp(pattern.slice(4), `${flags}i`) : new RegExp(pattern, flags);
}

/**
 * TLS version keys take 0 or a protocol code, and a minimum above the maximum cannot serve anyone (spec §1).
 * Only explicit values are compared: with `min_version` unset the listener's minimum follows a low
 * `max_version` down (effectiveServerVersions), so the effective range is never empty.
 */
function validateTlsVersions(cfg: GatewayConfig, sourceOf: (path: string) => string): void {
  const pairs: Array<[string, number, string, number]> = [
    ["http_server_options.min_version", cfg.http_server_options.min_version, "http_server_options.max_version", cfg.http_server_options.max_version],
    ["proxy_ssl_min_version", cfg.proxy_ssl_min_version, "proxy_ssl_max_version", cfg.proxy_ssl_max_version],
  ];
  for (const [minKey, min, maxKey, max] of pairs) {
    for (const [key, v] of [[minKey, min], [maxKey, max]] as const) {
      if (!TLS_VERSION_CODES.includes(v)) throw new ConfigError(`${sourceOf(key)}: ${key} must be 0, 769, 770, 771 or 772 (got ${v})`);
    }
    if (min !== 0 && max !== 0 && min > max) {
      throw new ConfigError(`${sourceOf(minKey)}: ${minKey} (${min}) is above ${maxKey} (${max})`);
    }
  }
}

/** Things worth a log line at start that are not errors. */
export function configWarnings(cfg: Readonly<GatewayConfig>): string[] {
  const warnings: string[] = [];
  if (cfg.secret === DEFAULT_TYK_SECRET) {
    warnings.push("secret is Tyk's publicly known example value; set your own secret");
  }
  const { min_version: min, max_version: max } = cfg.http_server_options;
  // RFC 8996: TLS 1.0/1.1 are deprecated; honoured only because they were asked for (README difference 1).
  if (isDeprecatedTlsVersion(min)) warnings.push(`http_server_options.min_version ${min} enables deprecated TLS`);
  else if (min === 0 && isDeprecatedTlsVersion(effectiveServerVersions(min, max)[0])) {
    warnings.push(`http_server_options.max_version ${max} without min_version enables deprecated TLS: the minimum drops from TLS 1.2 to ${max}`);
  }
  if (cfg.http_server_options.server_name) warnings.push("http_server_options.server_name has no effect (as in Tyk); ignored");
  for (const id of unknownOverrideIds(cfg.override_messages)) warnings.push(`override_messages.${id} is not an error ID Tyk defines; ignored`);
  if (cfg.http_server_options.ssl_insecure_skip_verify) {
    warnings.push("http_server_options.ssl_insecure_skip_verify has no effect on inbound TLS; use proxy_ssl_insecure_skip_verify for upstreams");
  }
  return warnings;
}
