/**
 * Validation of a Tyk Classic API definition: an ajv schema for the types of known fields, then
 * the semantic checks of spec/api-definition.md §1 (load-time rejections and admin-API checks).
 * The input is never changed: on success `value` is the very object passed in, so what is stored
 * is what the client sent (round trip).
 */

import { Ajv, type ErrorObject } from "ajv";
import type { ApiDefinition } from "./api-definition.js";
import { apiDefinitionSchema } from "./api-schema.js";
import { semanticRules } from "./validate-rules.js";

export type ValidationResult = { ok: true; value: ApiDefinition } | { ok: false; error: string };

// strict mode catches typos in the schema itself; union types are how nullable lists are spelt.
const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
const checkTypes = ajv.compile(apiDefinitionSchema);

/**
 * Validates `raw` (parsed JSON). `error` is the first problem, naming the field.
 *
 * @example
 * const r = validateApiDefinition(JSON.parse(body));
 * if (!r.ok) reply(400, `Validation of API Definition failed. Reason: ${r.error}.`);
 */
export function validateApiDefinition(raw: unknown): ValidationResult {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, error: "API definition must be a JSON object" };
  }
  if (!checkTypes(raw)) return { ok: false, error: formatAjvError(checkTypes.errors?.[0]) };
  const def = raw as ApiDefinition;
  for (const rule of semanticRules) {
    const error = rule(def);
    if (error !== null) return { ok: false, error };
  }
  return { ok: true, value: def };
}

/** `/proxy/target_list/0` → `proxy.target_list[0]`, so the message names the field as written. */
function formatAjvError(err: ErrorObject | undefined): string {
  if (err === undefined) return "API definition is invalid";
  const field = err.instancePath
    .split("/")
    .slice(1)
    .map((seg) => seg.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc === "" ? seg : `${acc}.${seg}`), "");
  return `${field === "" ? "API definition" : field} ${err.message ?? "is invalid"}`;
}
