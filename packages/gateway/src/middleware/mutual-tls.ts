import type { ApiDefinition } from '@tollgate/apidef';
import { errors, tykError } from '../errors.js';
import { chooseFrontDoor } from '../front-door/choose-front-door.js';
import { switchesForMutualTls } from '../front-door/front-door-handover.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import { allowedClientCertificates, matchClientCertificate, presentedChain } from '../tls/client-certificates.js';

/**
 * Mutual TLS request check (auth.md §9, pipeline step 5), all 403 without a flag: not TLS →
 * `TLS not enabled`; no client certificate → `Client TLS certificate is required`; no allowed entry matches
 * → `Certificate with SHA256 <leaf hash> not allowed`; the matched entry expired → `Certificate has expired`.
 * The allow list is resolved when the API compiles (APIs recompile when certificates change).
 *
 * @example
 * const check = createMutualTls(def, deps); // null unless use_mutual_tls_auth
 */
export function createMutualTls(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  if (!def.use_mutual_tls_auth) return null;
  if (deps.config.http_server_options.use_ssl && chooseFrontDoor(deps.config).kind === 'uws-tls') {
    // uWS cannot ask for or read client certificates. A node that finds such an API at start settles on
    // node:tls (front-door-at-start.ts); one that learns of it later is moved over by its primary.
    deps.logger.warn({ api_id: def.api_id }, switchesForMutualTls(deps.config)
      ? 'use_mutual_tls_auth needs the node:tls front door: the node is moving to it; until it has, this API answers 403 "Client TLS certificate is required"'
      : 'use_mutual_tls_auth needs the node:tls front door, but tollgate.tls_front_door is "uws": this API answers 403 "Client TLS certificate is required"');
  }
  const registry = deps.certificates;
  const allowed = registry === undefined ? [] : allowedClientCertificates(def, deps.config, registry);
  const now = deps.now;
  return (ctx) => {
    if (!ctx.isTls) return errors.mtlsNotTls;
    const presented = ctx.tlsSocket ? presentedChain(ctx.tlsSocket) : null;
    if (presented === null) return errors.mtlsCertificateRequired;
    const { chain, fingerprint } = presented;
    const match = matchClientCertificate(chain, fingerprint, allowed);
    if (match === null) return tykError('TOLLGATE_ERR_MTLS_NOT_ALLOWED', 403, '', `Certificate with SHA256 ${fingerprint} not allowed`);
    if (new Date(match.first.validTo).getTime() < now()) return errors.mtlsCertificateExpired;
    return undefined;
  };
}
