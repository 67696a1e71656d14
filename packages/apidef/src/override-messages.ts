/**
 * tyk.conf `override_messages` (spec auth.md §11): per error ID, a replacement status `code` and/or
 * `message`. As in Tyk, a `code` of 0 and an empty `message` keep the default. The gateway applies them
 * once, when it builds its error catalogue.
 */
import { ConfigError } from "./config-error.js";

/** The error IDs Tyk lets tyk.conf override. */
export const OVERRIDE_MESSAGE_IDS: readonly string[] = [
  "auth.auth_field_missing", "auth.key_not_found", "auth.cert_not_found", "auth.cert_expired", "auth.key_is_invalid",
  "auth.cert_required", "auth.cert_mismatch", "oauth.auth_field_missing", "oauth.auth_field_malformed",
  "oauth.key_not_found", "oauth.client_deleted",
];

/** One override; 0 / "" = keep Tyk's default for that part. */
export interface MessageOverride {
  readonly code: number;
  readonly message: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The overrides of a loaded configuration, typed. Throws ConfigError naming the entry when a value is not
 * `{"code": <0 or 100..599>, "message": "<text>"}` (either part may be absent).
 *
 * @example
 * readOverrideMessages({ "auth.key_not_found": { code: 401 } }, "tollgate.json")
 * // Map { "auth.key_not_found" => { code: 401, message: "" } }
 */
export function readOverrideMessages(value: Readonly<Record<string, unknown>>, source: string): Map<string, MessageOverride> {
  const out = new Map<string, MessageOverride>();
  for (const [id, entry] of Object.entries(value)) {
    const key = `override_messages.${id}`;
    if (!isObject(entry)) throw new ConfigError(`${source}: ${key} must be an object {"code", "message"} (got ${JSON.stringify(entry)})`);
    const code = entry.code ?? 0;
    if (!Number.isInteger(code) || (code !== 0 && ((code as number) < 100 || (code as number) > 599))) {
      throw new ConfigError(`${source}: ${key}.code must be 0 or an HTTP status between 100 and 599 (got ${JSON.stringify(entry.code)})`);
    }
    const message = entry.message ?? "";
    if (typeof message !== "string") throw new ConfigError(`${source}: ${key}.message must be a string (got ${JSON.stringify(entry.message)})`);
    out.set(id, { code: code as number, message });
  }
  return out;
}

/** IDs Tyk does not know: stored and ignored by Tyk, worth a warning here. */
export function unknownOverrideIds(value: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(value).filter((id) => !OVERRIDE_MESSAGE_IDS.includes(id));
}
