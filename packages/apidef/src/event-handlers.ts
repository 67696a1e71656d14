/**
 * `event_handlers` (spec/api-definition.md §11): which events of an API go to a webhook or the log.
 * Compiled here (pure); delivery is the control plane's BullMQ job.
 */

import type { ApiDefinition } from "./api-definition.js";

/** Tyk's standard event names. */
export const EVENT_NAMES: ReadonlySet<string> = new Set([
  "AuthFailure", "KeyExpired", "QuotaExceeded", "RatelimitExceeded", "VersionFailure", "BreakerTriggered", "BreakerTripped",
  "BreakerReset", "HostDown", "HostUp", "TokenCreated", "TokenUpdated", "TokenDeleted", "CertificateExpiringSoon",
  "CertificateExpired", "OrgQuotaExceeded", "TriggerExceeded", "UpstreamOAuthError",
]);

export const WEBHOOK_HANDLER = "eh_web_hook_handler";
export const LOG_HANDLER = "eh_log_handler";
/** Accepted and stored, not run (later): JavaScript and coprocess handlers. */
const LATER_HANDLERS = new Set(["eh_dynamic_handler", "cp_dynamic_handler"]);

/** One webhook of one event, ready to be queued. */
export interface WebhookSpec {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** `event_timeout`: the same notification is not sent again within this many seconds (Tyk default 10). */
  readonly dedupeSeconds: number;
}

export interface EventRoutes {
  readonly webhooks: ReadonlyMap<string, readonly WebhookSpec[]>;
  /** Events `eh_log_handler` logs. */
  readonly logged: ReadonlySet<string>;
}

function webhookOf(meta: Record<string, unknown>): WebhookSpec {
  const headers: Record<string, string> = {};
  const map = meta.header_map;
  if (map !== null && typeof map === "object") for (const [k, v] of Object.entries(map)) if (typeof v === "string") headers[k] = v;
  const timeout = typeof meta.event_timeout === "number" && meta.event_timeout > 0 ? meta.event_timeout : 10;
  return {
    url: String(meta.target_path ?? ""),
    method: typeof meta.method === "string" && meta.method !== "" ? meta.method.toUpperCase() : "POST",
    headers,
    dedupeSeconds: timeout,
  };
}

/**
 * The API's event routes; null when it has none.
 *
 * @example
 * compileEventHandlers(def)?.webhooks.get('RatelimitExceeded') // [{ url, method: 'POST', ... }]
 */
export function compileEventHandlers(def: ApiDefinition): EventRoutes | null {
  const webhooks = new Map<string, WebhookSpec[]>();
  const logged = new Set<string>();
  for (const [event, handlers] of Object.entries(def.event_handlers?.events ?? {})) {
    for (const h of handlers ?? []) {
      if (h.handler_name === WEBHOOK_HANDLER) {
        const list = webhooks.get(event) ?? [];
        list.push(webhookOf(h.handler_meta ?? {}));
        webhooks.set(event, list);
      } else if (h.handler_name === LOG_HANDLER) {
        logged.add(event);
      }
    }
  }
  return webhooks.size === 0 && logged.size === 0 ? null : { webhooks, logged };
}

/** Admin-API check: known events and handlers; a webhook needs an http(s) `target_path`. */
export function eventHandlersRule(def: ApiDefinition): string | null {
  for (const [event, handlers] of Object.entries(def.event_handlers?.events ?? {})) {
    const field = `event_handlers.events.${event}`;
    if (!EVENT_NAMES.has(event)) return `${field}: unknown event ${JSON.stringify(event)}`;
    for (const [i, h] of (handlers ?? []).entries()) {
      const name = h.handler_name ?? "";
      if (name !== WEBHOOK_HANDLER && name !== LOG_HANDLER && !LATER_HANDLERS.has(name)) {
        return `${field}[${i}].handler_name ${JSON.stringify(name)} is not a known handler`;
      }
      if (name !== WEBHOOK_HANDLER) continue;
      const meta = (h.handler_meta ?? {}) as Record<string, unknown>;
      const target = meta.target_path;
      let isUrl = false;
      try {
        const u = new URL(String(target ?? ""));
        isUrl = (u.protocol === "http:" || u.protocol === "https:") && u.host !== "";
      } catch {
        isUrl = false;
      }
      if (!isUrl) return `${field}[${i}].handler_meta.target_path ${JSON.stringify(target ?? "")} is not a valid http(s) URL`;
      if (meta.method !== undefined && (typeof meta.method !== "string" || !/^[A-Za-z]+$/.test(meta.method))) {
        return `${field}[${i}].handler_meta.method ${JSON.stringify(meta.method)} is not an HTTP method`;
      }
      if (meta.event_timeout !== undefined && (typeof meta.event_timeout !== "number" || meta.event_timeout < 0)) {
        return `${field}[${i}].handler_meta.event_timeout must be a number >= 0`;
      }
    }
  }
  return null;
}
