import type { ApiDefinition, GatewayConfig } from '@tollgate/apidef';
import { chooseFrontDoor, wantedFrontDoor } from './choose-front-door.js';

/**
 * The messages of a front-door handover between the cluster primary and its workers. uWS workers share the
 * port with SO_REUSEPORT and node:tls workers through the primary's listen socket, so the two cannot listen
 * at once: a node that must move from uWS TLS to node:tls (a mutual TLS API added while it runs) starts the
 * new workers held (everything loaded, not listening), then stops the old ones accepting, then lets the new
 * ones listen. Connections opened in that handover window of a few milliseconds are refused; the ones already
 * open finish their requests on the old workers, which drain and exit.
 */
export const HANDOVER = Object.freeze({
  /** worker → primary: `{ type, apis }`, active APIs with `use_mutual_tls_auth` on a uWS TLS worker in "auto" mode. */
  mutualTlsApis: 'tollgate:mutual-tls-apis',
  /** held worker → primary: loaded, waiting for `listen`. */
  readyToListen: 'tollgate:ready-to-listen',
  /** primary → held worker (a plain string, like `shutdown`). */
  listen: 'tollgate:listen',
  /** draining worker → primary: its listen sockets are closed. */
  stoppedAccepting: 'tollgate:stopped-accepting',
  /** Environment flag of a worker started held. */
  holdEnv: 'TOLLGATE_LISTEN_WHEN_TOLD',
});

export interface MutualTlsApisMessage {
  readonly type: typeof HANDOVER.mutualTlsApis;
  readonly apis: readonly string[];
}

/** Whether an IPC message is `{ type }` of the handover protocol. */
export function isHandoverMessage(msg: unknown, type: string): boolean {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === type;
}

/** Ids of the active APIs that need client certificates from the TLS listener. */
export function mutualTlsApiIds(apis: Iterable<ApiDefinition>): string[] {
  const ids: string[] = [];
  for (const def of apis) if (def.use_mutual_tls_auth === true && def.active !== false) ids.push(def.api_id ?? '');
  return ids;
}

/**
 * Whether a node on this configuration moves to node:tls for mutual TLS: it serves TLS through uWS and
 * `tollgate.tls_front_door` is "auto" (an explicit "uws" keeps uWS, and its mTLS APIs refuse every request).
 */
export function switchesForMutualTls(config: Readonly<GatewayConfig>): boolean {
  return wantedFrontDoor(config) === 'auto' && config.http_server_options.use_ssl && chooseFrontDoor(config).kind === 'uws-tls';
}

/** The configuration with TLS served by node:tls (what a node settles on for mutual TLS). */
export function withNodeTlsFrontDoor(config: Readonly<GatewayConfig>): GatewayConfig {
  return { ...config, tollgate: { ...(config.tollgate ?? {}), tls_front_door: 'node' } };
}

/** The worker environment after a switch to node:tls, or null when this node does not switch. */
export function nodeTlsWorkerEnv(env: Readonly<Record<string, string>>): Record<string, string> | null {
  const json = env.TOLLGATE_RESOLVED_CONFIG;
  if (json === undefined) return null;
  const config = JSON.parse(json) as GatewayConfig;
  if (!switchesForMutualTls(config)) return null;
  return { ...env, TOLLGATE_RESOLVED_CONFIG: JSON.stringify(withNodeTlsFrontDoor(config)) };
}
