import { discoveredTargets, usesServiceDiscovery, type ApiDefinition } from '@tollgate/apidef';

const CHECK_TIMEOUT_MS = 5000;

/**
 * When a definition saved through the admin API uses `proxy.service_discovery`, its endpoint is asked
 * once: an endpoint that cannot be reached, does not answer 200 JSON, or names no target at the
 * configured paths is refused with a reason naming the field (issue 7). Files loaded from `app_path`
 * are not checked (the discovery service may start after the control plane).
 *
 * @example
 * const reason = await discoveryReason(def); // null when fine
 */
export async function discoveryReason(def: ApiDefinition, timeoutMs = CHECK_TIMEOUT_MS): Promise<string | null> {
  const sd = def.proxy?.service_discovery;
  if (!usesServiceDiscovery(sd)) return null;
  const field = `proxy.service_discovery.query_endpoint ${JSON.stringify(sd.query_endpoint)}`;
  let body: unknown;
  try {
    const res = await fetch(sd.query_endpoint!, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    if (res.status !== 200) {
      await res.arrayBuffer().catch(() => undefined);
      return `${field} answered ${res.status}, expected 200`;
    }
    body = await res.json();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'SyntaxError') return `${field} did not answer JSON`;
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : e.cause?.code ?? e.cause?.message ?? e.message;
    return `${field} is unreachable (${why})`;
  }
  if (discoveredTargets(body, sd).length === 0) {
    return `${field} answered, but no target was found at proxy.service_discovery.data_path ${JSON.stringify(sd.data_path ?? '')}`;
  }
  return null;
}
