/**
 * Error overrides (spec errors-and-flags.md §5) for the errors the gateway writes itself: tyk.conf
 * `error_overrides` (set once per worker) and an API's `error_overrides` (compiled with the API; ignored
 * when `error_overrides_disabled`). apidef's readErrorOverrides validates the rules, compiles their regexes
 * and parses their body templates when the definition or config loads.
 *
 * Selection: the API's rules, then the gateway's; within each, the exact status key, then the class key;
 * within a list the first matching rule wins. A rule matches when it has no `match` criteria, else when its
 * `flag` equals the error's flag, else (no flag) when its `message_pattern` matches the message.
 *
 * Only Tyk's error documents are overridden (`isErrorDocument`: errors of the middleware chain and of the
 * proxy step). The plain-text answers of errors-and-flags.md §1 (no route 404, 413 above
 * max_request_body_size, 503 `all hosts are down`) are not written by Tyk's error handler, so no rule
 * applies to them. Upstream responses (URS) pass through unchanged (`body_field` matching is not built).
 *
 * Cost: nothing on a successful request. An error looks its outcome up in a per-API WeakMap keyed by the
 * catalogue entry (flag, message and status are fixed per entry, so the outcome is too); the rules run
 * once per entry and API, the first time it is written.
 */
import { isEmptyErrorOverrides, readErrorOverrides, type ApiDefinition, type ErrorOverrideRule, type ErrorOverrideSpec } from '@tollgate/apidef';
import { statusLine, tykError, type GatewayError } from '../errors.js';

let gatewayRules: ErrorOverrideSpec | null = null;

/**
 * tyk.conf `error_overrides` (validated at load). Call once at worker start, before any API is compiled:
 * each API's ErrorOverrides takes the gateway's rules when it is built.
 *
 * @example
 * setGatewayErrorOverrides(config.error_overrides);
 */
export function setGatewayErrorOverrides(value: unknown): void {
  const spec = readErrorOverrides(value, 'error_overrides');
  gatewayRules = isEmptyErrorOverrides(spec) ? null : spec;
}

/** The rules in force for one API: its own (first) and the gateway's. */
export class ErrorOverrides {
  private readonly outcomes = new WeakMap<GatewayError, GatewayError>();

  constructor(private readonly levels: readonly ErrorOverrideSpec[]) {}

  /**
   * The error as the client gets it: the first matching rule's response, or `error` itself. The flag (and
   * `code`) stay the original's, for logs, analytics and metrics.
   */
  apply(error: GatewayError): GatewayError {
    if (!error.isErrorDocument) return error;
    let out = this.outcomes.get(error);
    if (out === undefined) {
      out = this.resolve(error);
      this.outcomes.set(error, out);
    }
    return out;
  }

  private resolve(error: GatewayError): GatewayError {
    const cls = Math.floor(error.status / 100);
    for (const level of this.levels) {
      for (const list of [level.byStatus.get(error.status), level.byClass.get(cls)]) {
        if (list === undefined) continue;
        for (const rule of list) if (matches(rule, error)) return render(rule, error);
      }
    }
    return error;
  }
}

/**
 * The overrides of a definition with the gateway's; null when neither has a rule (the request path then
 * skips the lookup). Throws naming the field when the API's rules are invalid.
 *
 * @example
 * const overrides = errorOverridesFor(def); // compileApi
 */
export function errorOverridesFor(def: ApiDefinition): ErrorOverrides | null {
  const levels: ErrorOverrideSpec[] = [];
  if (def.error_overrides_disabled !== true) {
    const own = readErrorOverrides(def.error_overrides, 'error_overrides');
    if (!isEmptyErrorOverrides(own)) levels.push(own);
  }
  if (gatewayRules !== null) levels.push(gatewayRules);
  return levels.length === 0 ? null : new ErrorOverrides(levels);
}

function matches(rule: ErrorOverrideRule, error: GatewayError): boolean {
  if (rule.flag !== null) return rule.flag === error.flag;
  if (rule.pattern !== null) return rule.pattern.test(error.message);
  return true;
}

/**
 * The overridden reply: `status_code` replaces the status; `body` is written as is or rendered
 * (`.Message` is the rule's `message` when given, else the error's; `.StatusCode` the status sent);
 * `message` alone keeps Tyk's document with the new message; `headers` are added (a `Content-Type`
 * replaces the content type, a header the error carries itself, such as `WWW-Authenticate`, is replaced).
 */
function render(rule: ErrorOverrideRule, error: GatewayError): GatewayError {
  const status = rule.statusCode ?? error.status;
  const message = rule.message ?? error.message;
  let body = error.body;
  if (rule.bodyTemplate !== null) {
    body = Buffer.from(rule.bodyTemplate.map((part) => typeof part === 'string' ? part : part.variable === 'Message' ? message : String(status)).join(''));
  } else if (rule.body !== null) {
    body = Buffer.from(rule.body);
  } else if (rule.message !== null) {
    body = tykError(error.code, status, error.flag, message).body;
  }
  let contentType = error.contentType;
  const own = (error as { headers?: readonly string[] }).headers ?? [];
  const headers: string[] = [];
  for (let i = 0; i < own.length; i += 2) {
    const name = own[i]!.toLowerCase();
    if (!rule.headers.some(([n]) => n.toLowerCase() === name)) headers.push(own[i]!, own[i + 1]!);
  }
  for (const [name, value] of rule.headers) {
    if (name.toLowerCase() === 'content-type') contentType = value;
    else headers.push(name, value);
  }
  return Object.freeze({ ...error, status, statusLine: statusLine(status), message, body, contentType, headers: Object.freeze(headers) });
}
