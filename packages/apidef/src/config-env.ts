/**
 * Environment overrides: `TOLLGATE_<PATH>` (e.g. TOLLGATE_STORAGE_HOST) and Tyk's envconfig spelling
 * `TYK_GW_<SECTION>_<KEY>` with underscores removed inside names (e.g. TYK_GW_HTTPSERVEROPTIONS_USESSL).
 * TOLLGATE_ wins when both name the same key. Values are strings and are coerced to the key's type.
 */

import { ConfigError } from "./config-error.js";
import { CONFIG_KEYS, TOLLGATE_ENV_INDEX, TYK_ENV_INDEX, describeSpec, type KeySpec } from "./config-keys.js";

export interface EnvOverride {
  path: string;
  envName: string;
  value: unknown;
}

const TRUE = new Set(["true", "1"]);
const FALSE = new Set(["false", "0"]);

/** Coerces one env string; returns undefined when it does not fit the key's type. */
function coerce(raw: string, spec: KeySpec): { value: unknown } | undefined {
  const s = raw.trim();
  switch (spec.type) {
    case "int":
      return /^[+-]?\d+$/.test(s) ? { value: Number(s) } : undefined;
    case "number":
      return s !== "" && Number.isFinite(Number(s)) ? { value: Number(s) } : undefined;
    case "bool":
      if (TRUE.has(s.toLowerCase())) return { value: true };
      return FALSE.has(s.toLowerCase()) ? { value: false } : undefined;
    case "string":
      return { value: raw };
    case "strings":
      // A JSON array is accepted too, for entries that contain commas.
      if (s.startsWith("[")) return parseJson(s, Array.isArray);
      return { value: s === "" ? [] : s.split(",").map((x) => x.trim()).filter((x) => x !== "") };
    case "object":
      return parseJson(s, (v) => typeof v === "object" && v !== null && !Array.isArray(v));
    case "array":
      return parseJson(s, Array.isArray);
  }
}

function parseJson(s: string, accept: (v: unknown) => boolean): { value: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(s);
    return accept(value) ? { value } : undefined;
  } catch {
    return undefined;
  }
}

function collect(env: NodeJS.ProcessEnv, prefix: string, index: ReadonlyMap<string, string>): Map<string, EnvOverride> {
  const found = new Map<string, EnvOverride>();
  for (const [envName, raw] of Object.entries(env)) {
    if (raw === undefined || !envName.startsWith(prefix)) continue;
    const path = index.get(envName.slice(prefix.length).toUpperCase());
    if (path === undefined) continue;
    const spec = CONFIG_KEYS[path] as KeySpec;
    const coerced = coerce(raw, spec);
    if (coerced === undefined) {
      throw new ConfigError(`${envName}: ${path} must be ${describeSpec(spec)} (got ${JSON.stringify(raw)})`);
    }
    found.set(path, { path, envName, value: coerced.value });
  }
  return found;
}

/** Every known key set through the environment, TOLLGATE_ winning over TYK_GW_. */
export function envOverrides(env: NodeJS.ProcessEnv): EnvOverride[] {
  const tyk = collect(env, "TYK_GW_", TYK_ENV_INDEX);
  const tollgate = collect(env, "TOLLGATE_", TOLLGATE_ENV_INDEX);
  for (const [path, o] of tollgate) tyk.set(path, o);
  return [...tyk.values()];
}
