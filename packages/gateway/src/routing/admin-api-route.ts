import type { ApiDefinition } from '@tollgate/apidef';

/** The api_id of the built-in route that carries `/tyk/` to the control plane; never stored in Redis. */
export const ADMIN_ROUTE_ID = 'tollgate-admin-api';

/**
 * The built-in route of a gateway whose `control_api_port` is 0 (Tyk serves the Gateway API on the gateway
 * port then, gateway-api.md §1): `/tyk/...` goes, path and headers unchanged, to the admin API the control
 * plane registered in Redis, which checks `x-tyk-authorization` as on its own port. A keyless, untracked
 * Classic definition, so it takes the ordinary proxy path (streaming, timeouts, X-Forwarded-For); bound to
 * `control_api_hostname` when that is set.
 *
 * @example
 * adminApiDefinition('http://10.0.0.5:41234', '') // listen_path '/tyk/', target_url 'http://10.0.0.5:41234'
 */
export function adminApiDefinition(url: string, controlApiHostname: string): ApiDefinition {
  return {
    api_id: ADMIN_ROUTE_ID,
    name: 'Tyk Gateway API (control plane)',
    org_id: '',
    active: true,
    use_keyless: true,
    do_not_track: true,
    domain: controlApiHostname,
    proxy: { listen_path: '/tyk/', target_url: url, strip_listen_path: false, preserve_host_header: true },
    version_data: { not_versioned: true, versions: { Default: { name: 'Default' } } },
  } as ApiDefinition;
}

/** The URL in a registered `admin-api` endpoint (`{"url": "http://host:port"}`); null when absent or malformed. */
export function registeredAdminUrl(json: string | null | undefined): string | null {
  if (json === null || json === undefined) return null;
  try {
    const { url } = JSON.parse(json) as { url?: unknown };
    if (typeof url !== 'string') return null;
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}
