/**
 * `proxy.service_discovery` (spec/api-definition.md §11): turning a discovery endpoint's JSON answer
 * into upstream targets the way Tyk does. Pure: the caller fetches the body.
 */

import type { ServiceDiscoveryConfig } from "./api-definition.js";

/** Value at a dot path (`node.value`, `nodes.0.host`); undefined when any step is missing. */
export function valueAtPath(doc: unknown, path: string): unknown {
  if (path === "") return doc;
  let cur: unknown = doc;
  for (const step of path.split(".")) {
    if (Array.isArray(cur) && /^\d+$/.test(step)) cur = cur[Number(step)];
    else if (cur !== null && typeof cur === "object") cur = (cur as Record<string, unknown>)[step];
    else return undefined;
  }
  return cur;
}

function scalar(v: unknown): string | null {
  if (typeof v === "string") return v.trim() === "" ? null : v.trim();
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

/** Hosts of one object: `data_path` (one host, or a list with `use_target_list`), plus `port_data_path`. */
function hostsOf(doc: unknown, sd: ServiceDiscoveryConfig): string[] {
  let base = doc;
  if (sd.use_nested_query === true) {
    // Nested: the parent path holds a JSON document as a string (Consul/etcd style); data_path is read inside it.
    const parent = valueAtPath(doc, sd.parent_data_path ?? "");
    if (typeof parent !== "string") return [];
    try {
      base = JSON.parse(parent);
    } catch {
      return [];
    }
  }
  const value = valueAtPath(base, sd.data_path ?? "");
  const values = sd.use_target_list === true && Array.isArray(value) ? value : [value];
  const port = sd.port_data_path ? scalar(valueAtPath(base, sd.port_data_path)) : null;
  const out: string[] = [];
  for (const v of values) {
    const host = scalar(v);
    if (host !== null) out.push(port !== null ? `${host}:${port}` : host);
  }
  return out;
}

/**
 * The targets a discovery answer names, as URLs: a scheme is added when missing (`http://`), and
 * `target_path` is appended. `endpoint_returns_list` reads each element of a top-level array.
 * Returns [] when nothing usable is found (the caller then keeps its last good list).
 *
 * @example
 * discoveredTargets({ node: { value: '10.0.0.5', port: 8080 } }, { data_path: 'node.value', port_data_path: 'node.port' })
 * // ['http://10.0.0.5:8080']
 */
export function discoveredTargets(body: unknown, sd: ServiceDiscoveryConfig): string[] {
  const docs = sd.endpoint_returns_list === true ? (Array.isArray(body) ? body : []) : [body];
  const suffix = sd.target_path ?? "";
  const out: string[] = [];
  for (const doc of docs) {
    for (const host of hostsOf(doc, sd)) out.push(`${/^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `http://${host}`}${suffix}`);
  }
  return out;
}

/** Whether the API takes its upstreams from a discovery service. */
export function usesServiceDiscovery(sd: ServiceDiscoveryConfig | undefined): sd is ServiceDiscoveryConfig {
  return sd?.use_discovery_service === true && (sd.query_endpoint ?? "") !== "";
}
