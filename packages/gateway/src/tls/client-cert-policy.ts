import type { ApiDefinition, GatewayConfig } from '@tollgate/apidef';
import type { CertificateRegistry } from './certificate-registry.js';
import { allowedClientCertificates, type AllowedClientCertificate } from './client-certificates.js';

/** What a handshake for one server name asks of the client (tls-and-certificates.md §5). */
export interface ClientCertPolicy {
  readonly mode: 'none' | 'request' | 'require';
  /** Certificates a presented chain may match; their trust PEMs are announced and verified against. */
  readonly allowed: readonly AllowedClientCertificate[];
}

const NONE: ClientCertPolicy = Object.freeze({ mode: 'none', allowed: [] });

/**
 * Per-server-name client-certificate policy from the loaded APIs: a domain whose APIs all use
 * `use_mutual_tls_auth` requires a certificate; one where mTLS and other APIs mix only requests it; the
 * policy for a name is its domain's, else that of the APIs without a domain. Templated domains are not
 * considered at the handshake (the request-level check still runs for them).
 *
 * @example
 * const policyFor = clientCertPolicies({ apis, config, registry }); policyFor('api.example.com').mode
 */
export function clientCertPolicies(options: {
  readonly apis: readonly ApiDefinition[];
  readonly config: Readonly<GatewayConfig>;
  readonly registry: CertificateRegistry;
}): (serverName: string) => ClientCertPolicy {
  const { config, registry } = options;
  const domains = new Map<string, { mtls: ApiDefinition[]; plain: number }>();
  const customDomains = Boolean(config.enable_custom_domains);
  for (const def of options.apis) {
    if (def.active === false) continue;
    const domain = customDomains && !def.domain_disabled ? String(def.domain ?? '').toLowerCase() : '';
    if (domain.includes('{')) continue;
    const entry = domains.get(domain) ?? { mtls: [], plain: 0 };
    if (def.use_mutual_tls_auth) entry.mtls.push(def);
    else entry.plain++;
    domains.set(domain, entry);
  }
  const policies = new Map<string, ClientCertPolicy>();
  for (const [domain, entry] of domains) {
    if (entry.mtls.length === 0) continue;
    const allowed = entry.mtls.flatMap((def) => allowedClientCertificates(def, config, registry));
    policies.set(domain, Object.freeze({ mode: entry.plain > 0 ? 'request' : 'require', allowed }));
  }
  return (serverName: string) => {
    const name = serverName.toLowerCase();
    if (domains.has(name)) return policies.get(name) ?? NONE;
    return policies.get('') ?? NONE;
  };
}
