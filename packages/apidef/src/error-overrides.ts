/**
 * Error overrides (spec errors-and-flags.md §5): tyk.conf `error_overrides` and an API's `error_overrides`,
 * an object keyed by status (`"401"`) or class (`"4xx"`, `"5xx"`) → ordered rules
 * `{match?: {flag, message_pattern}, response: {status_code, body, message, headers}}`.
 *
 * `readErrorOverrides` validates one such object and returns it typed, with its regexes compiled and its
 * body templates parsed, so the gateway compiles nothing when an error is written. What tollgate does not
 * implement is refused by name: `response.template` (named template files) and `match.body_field` /
 * `match.body_value` (overriding upstream responses; L in the spec). Unknown keys are refused too, so a
 * typo (`status` for `status_code`) is not silently ignored.
 */

/** One piece of a body template: literal text or one of the two variables. */
export type BodyPart = string | { readonly variable: "Message" | "StatusCode" };

export interface ErrorOverrideRule {
  /** `match.flag`; when set it alone decides whether the rule matches. */
  readonly flag: string | null;
  /** `match.message_pattern` (Go syntax; a leading `(?i)` is honoured), tested when no flag is set. */
  readonly pattern: RegExp | null;
  readonly statusCode: number | null;
  /** `response.body` written as is (no `{{.`), else null. */
  readonly body: string | null;
  /** `response.body` parsed as a template (it contains `{{.`), else null. */
  readonly bodyTemplate: readonly BodyPart[] | null;
  readonly message: string | null;
  /** `response.headers`, in order. */
  readonly headers: readonly (readonly [string, string])[];
}

/** Rules by exact status and by class (4 → "4xx", 5 → "5xx"). */
export interface ErrorOverrideSpec {
  readonly byStatus: ReadonlyMap<number, readonly ErrorOverrideRule[]>;
  readonly byClass: ReadonlyMap<number, readonly ErrorOverrideRule[]>;
}

const RULE_KEYS = new Set(["match", "response"]);
const MATCH_KEYS = new Set(["flag", "message_pattern"]);
const RESPONSE_KEYS = new Set(["status_code", "body", "message", "headers"]);
/** Parts of the spec tollgate does not build (L): refused by name rather than ignored. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  body_field: "upstream response overriding (match.body_field / match.body_value) is not supported",
  body_value: "upstream response overriding (match.body_field / match.body_value) is not supported",
  template: "named template files (response.template) are not supported; use response.body",
};
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const TEMPLATE_ACTION = /\{\{(.*?)\}\}/gs;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Record<string, unknown>, allowed: ReadonlySet<string>, field: string): void {
  for (const key of Object.keys(obj)) {
    const unsupported = UNSUPPORTED[key];
    if (unsupported !== undefined) throw new Error(`${field}.${key}: ${unsupported}`);
    if (!allowed.has(key)) throw new Error(`${field}.${key} is not a known field (expected one of ${[...allowed].join(", ")})`);
  }
}

function optionalString(obj: Record<string, unknown>, key: string, field: string): string | null {
  const v = obj[key];
  if (v === undefined || v === null || v === "") return null;
  if (typeof v !== "string") throw new Error(`${field}.${key} must be a string (got ${JSON.stringify(v)})`);
  return v;
}

/**
 * Parses a body that contains `{{.`: Go template actions `{{.Message}}` and `{{.StatusCode}}` (spaces
 * inside the braces allowed); any other action is refused. Values are inserted as they are, as Go's
 * text/template does (no JSON escaping).
 *
 * @example
 * parseBodyTemplate('{"msg":"{{.Message}}"}', "f") // ['{"msg":"', { variable: "Message" }, '"}']
 */
export function parseBodyTemplate(body: string, field: string): BodyPart[] {
  const parts: BodyPart[] = [];
  let last = 0;
  for (const m of body.matchAll(TEMPLATE_ACTION)) {
    const action = m[1]!.trim();
    if (action !== ".Message" && action !== ".StatusCode") {
      throw new Error(`${field}: template action ${JSON.stringify(m[0])} is not supported (only {{.Message}} and {{.StatusCode}})`);
    }
    if (m.index > last) parts.push(body.slice(last, m.index));
    parts.push({ variable: action === ".Message" ? "Message" : "StatusCode" });
    last = m.index + m[0].length;
  }
  if (body.indexOf("{{", last) >= 0) throw new Error(`${field}: unclosed template action "{{"`);
  if (last < body.length) parts.push(body.slice(last));
  return parts;
}

function readRule(raw: unknown, field: string): ErrorOverrideRule {
  if (!isObject(raw)) throw new Error(`${field} must be an object {"match", "response"} (got ${JSON.stringify(raw)})`);
  checkKeys(raw, RULE_KEYS, field);
  let flag: string | null = null;
  let pattern: RegExp | null = null;
  const match = raw.match;
  if (match !== undefined && match !== null) {
    if (!isObject(match)) throw new Error(`${field}.match must be an object (got ${JSON.stringify(match)})`);
    checkKeys(match, MATCH_KEYS, `${field}.match`);
    flag = optionalString(match, "flag", `${field}.match`);
    const source = optionalString(match, "message_pattern", `${field}.match`);
    if (source !== null) {
      try {
        // Written for Go's regexp, as in tyk.conf: a leading `(?i)` (which JavaScript does not parse) is the `i` flag.
        pattern = source.startsWith("(?i)") ? new RegExp(source.slice(4), "i") : new RegExp(source);
      } catch (err) {
        throw new Error(`${field}.match.message_pattern ${JSON.stringify(source)} is not a valid regular expression: ${(err as Error).message}`);
      }
    }
  }
  const response = raw.response;
  if (!isObject(response)) throw new Error(`${field}.response must be an object (got ${JSON.stringify(response)})`);
  checkKeys(response, RESPONSE_KEYS, `${field}.response`);
  let statusCode: number | null = null;
  const code = response.status_code;
  if (code !== undefined && code !== null && code !== 0) {
    if (!Number.isInteger(code) || (code as number) < 100 || (code as number) > 599) {
      throw new Error(`${field}.response.status_code must be an HTTP status between 100 and 599 (got ${JSON.stringify(code)})`);
    }
    statusCode = code as number;
  }
  const text = optionalString(response, "body", `${field}.response`);
  const isTemplate = text !== null && text.includes("{{.");
  const headers: (readonly [string, string])[] = [];
  const rawHeaders = response.headers;
  if (rawHeaders !== undefined && rawHeaders !== null) {
    if (!isObject(rawHeaders)) throw new Error(`${field}.response.headers must be an object of header → value (got ${JSON.stringify(rawHeaders)})`);
    for (const [name, value] of Object.entries(rawHeaders)) {
      if (!HEADER_NAME.test(name)) throw new Error(`${field}.response.headers: ${JSON.stringify(name)} is not a valid header name`);
      if (typeof value !== "string" || /[\r\n\0]/.test(value)) {
        throw new Error(`${field}.response.headers.${name} must be a string without CR, LF or NUL (got ${JSON.stringify(value)})`);
      }
      headers.push([name, value]);
    }
  }
  return {
    flag, pattern, statusCode,
    body: isTemplate ? null : text,
    bodyTemplate: isTemplate ? parseBodyTemplate(text, `${field}.response.body`) : null,
    message: optionalString(response, "message", `${field}.response`),
    headers,
  };
}

/**
 * Validates an `error_overrides` object; throws an Error naming the field (`field` is its prefix, e.g.
 * `error_overrides`). Absent / null = no rules.
 *
 * @example
 * readErrorOverrides({ "401": [{ response: { status_code: 400 } }] }, "error_overrides").byStatus.get(401)
 */
export function readErrorOverrides(value: unknown, field: string): ErrorOverrideSpec {
  const byStatus = new Map<number, ErrorOverrideRule[]>();
  const byClass = new Map<number, ErrorOverrideRule[]>();
  if (value === undefined || value === null) return { byStatus, byClass };
  if (!isObject(value)) throw new Error(`${field} must be an object keyed by status ("401") or class ("4xx", "5xx") (got ${JSON.stringify(value)})`);
  for (const [key, list] of Object.entries(value)) {
    const at = `${field}.${key}`;
    const classMatch = /^([45])xx$/i.exec(key);
    const status = /^[1-5]\d\d$/.test(key) ? Number(key) : NaN;
    if (classMatch === null && Number.isNaN(status)) {
      throw new Error(`${at}: "${key}" is not a status code (100-599) or a class ("4xx", "5xx")`);
    }
    if (!Array.isArray(list)) throw new Error(`${at} must be a list of rules (got ${JSON.stringify(list)})`);
    const rules = list.map((rule, i) => readRule(rule, `${at}[${i}]`));
    if (classMatch !== null) {
      const cls = Number(classMatch[1]);
      if (byClass.has(cls)) throw new Error(`${at}: class ${cls}xx is given twice`);
      byClass.set(cls, rules);
    } else {
      byStatus.set(status, rules);
    }
  }
  return { byStatus, byClass };
}

/** True when the spec holds no rule at all. */
export function isEmptyErrorOverrides(spec: ErrorOverrideSpec): boolean {
  return spec.byStatus.size === 0 && spec.byClass.size === 0;
}
