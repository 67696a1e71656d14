import { compileIpMatcher, type ApiDefinition } from '@tollgate/apidef';
import { errors } from '../errors.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';

/**
 * IP allow and block lists (api-definition.md §7, pipeline step 4). Tyk enforces a non-empty list when
 * `ip_access_control_disabled` is false even if its `enable_*` flag is off; tollgate copies that rule.
 * Either list refuses with 403 `access from this IP has been disallowed`.
 *
 * @example
 * const check = createIpAccessList(def, deps); // null when neither list is active
 */
export function createIpAccessList(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  const isAllowed = activeList(def.allowed_ips, def.enable_ip_whitelisting, def);
  const isBlocked = activeList(def.blacklisted_ips, def.enable_ip_blacklisting, def);
  if (isAllowed === null && isBlocked === null) return null;
  const clientIp = deps.clientIp;
  return (ctx) => {
    const ip = clientIp(ctx);
    if (isAllowed !== null && !isAllowed(ip)) return errors.ipDisallowed;
    if (isBlocked !== null && isBlocked(ip)) return errors.ipDisallowed;
    return undefined;
  };
}

function activeList(list: readonly string[] | null | undefined, isEnabled: boolean | undefined, def: ApiDefinition): ((ip: string) => boolean) | null {
  if (!list || list.length === 0) return null;
  if (def.ip_access_control_disabled === true && isEnabled !== true) return null;
  return compileIpMatcher(list);
}
