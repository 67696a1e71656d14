import { compileDomain, hostMatches, type ApiDefinition, type CompiledDomain, type GatewayConfig } from '@tollgate/apidef';
import type { CertificateRegistry } from './certificate-registry.js';
import { allowedClientCertificates, type AllowedClientCertificate } from './client-certificates.js';

/** What a handshake for one server name asks of the client (tls-and-certificates.md §5). */
export interface ClientCertPolicy {
  readonly mode: 'none' | 'request' | 'require';
  /** Certificates a presented chain may match; their trust PEMs are announced and verified against. */
  readonly allowed: readonly AllowedClientCertificate[];
}

const NONE: ClientCertPolicy = Object.freeze({ mode: 'none', allowed: [] });

/** The policy for a server name, and whether any name asks for a client certificate at all. */
export interface ClientCertPolicies {
  (serverName: string): ClientCertPolicy;
  /** Some API uses mutual TLS: handshakes may need to ask for a certificate. */
  readonly isAnyRequested: boolean;
}

/**
 * Per-server-name client-certificate policy from the loaded APIs: a domain whose APIs all use
 * `use_mutual_tls_auth` requires a certificate; one where mTLS and other APIs mix only requests it. The
 * policy for a name is its domain's; else the strongest of the templated domains (`{sub}.example.com`)
 * matching it, with the allowed certificates of those of that strength; else that of the APIs without a
 * domain; else none (spec §5).
 *
 * @example
 * const policyFor = clientCertPolicies({ apis, config, registry }); policyFor('api.example.com').mode
 */
export function clientCertPolicies(options: {
  readonly apis: readonly ApiDefinition[];
  readonly config: Readonly<GatewayConfig>;
  readonly registry: CertificateRegistry;
}): ClientCertPolicies {
  const { config, registry } = options;
  const domains = new Map<string, { mtls: ApiDefinition[]; plain: number }>();
  const customDomains = Boolean(config.enable_custom_domains);
  for (const def of options.apis) {
    if (def.active === false) continue;
    const domain = customDomains && !def.domain_disabled ? String(def.domain ?? '').trim().toLowerCase() : '';
    const entry = domains.get(domain) ?? { mtls: [], plain: 0 };
    if (def.use_mutual_tls_auth) entry.mtls.push(def);
    else entry.plain++;
    domains.set(domain, entry);
  }
  const policies = new Map<string, ClientCertPolicy>();
  /** Templated domains with an mTLS API: tried in turn for a name no exact domain claims. */
  const templated: { readonly domain: CompiledDomain; readonly policy: ClientCertPolicy }[] = [];
  for (const [domain, entry] of domains) {
    if (entry.mtls.length === 0) continue;
    const allowed = entry.mtls.flatMap((def) => allowedClientCertificates(def, config, registry));
    const policy: ClientCertPolicy = Object.freeze({ mode: entry.plain > 0 ? 'request' : 'require', allowed });
    if (domain.includes('{')) templated.push({ domain: compileDomain(domain), policy });
    else policies.set(domain, policy);
  }
  const exactDomains = new Set([...domains.keys()].filter((d) => !d.includes('{')));
  const policyFor = (serverName: string): ClientCertPolicy => {
    const name = serverName.toLowerCase();
    if (exactDomains.has(name)) return policies.get(name) ?? NONE;
    if (templated.length > 0 && name !== '') {
      const matched = strongestTemplated(templated, name);
      if (matched !== null) return matched;
    }
    return policies.get('') ?? NONE;
  };
  return Object.assign(policyFor, { isAnyRequested: policies.size > 0 || templated.length > 0 });
}

const STRENGTH = { none: 0, request: 1, require: 2 } as const;

/** The strongest policy among the templated domains matching `name`, their allowed lists merged; null when none matches. */
function strongestTemplated(templated: readonly { readonly domain: CompiledDomain; readonly policy: ClientCertPolicy }[], name: string): ClientCertPolicy | null {
  const matching = templated.filter((t) => hostMatches(t.domain, name)).map((t) => t.policy);
  if (matching.length === 0) return null;
  const strongest = Math.max(...matching.map((p) => STRENGTH[p.mode]));
  const chosen = matching.filter((p) => STRENGTH[p.mode] === strongest);
  return chosen.length === 1 ? chosen[0]! : Object.freeze({ mode: chosen[0]!.mode, allowed: chosen.flatMap((p) => p.allowed) });
}
