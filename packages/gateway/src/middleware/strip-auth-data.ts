import type { ApiDefinition, AuthConfig } from '@tollgate/apidef';
import { cookieValue, credentialLocation, removeCookie } from '../auth/credential.js';
import { removeQueryParam } from '../pipeline/query-string.js';
import { credentialModes } from '../auth/identity.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';

interface StripTarget {
  readonly header: string;
  readonly param: string;
  readonly cookie: string;
}

/**
 * `strip_auth_data` (auth.md §10, pipeline step 11): for every `auth_configs` entry (or the legacy `auth`
 * when there are none) deletes the credential header, the query parameter when `use_param`, and the
 * cookie whose name equals `cookie_name` (tollgate: exact name, where Tyk removes the first cookie that
 * merely starts with it). Other headers (the HMAC `Date`) stay.
 *
 * tollgate: also, and always, every place an enabled auth step reads its credential from (credential.ts).
 * Tyk's list alone misses the legacy `auth` config the auth token and JWT read when `auth_configs` is
 * non-empty but has no entry of theirs, and the `Authorization` parameter or cookie read under
 * `disable_header`: those credentials would reach the upstream.
 *
 * @example
 * const strip = createStripAuthData(def, deps); // null unless strip_auth_data on a keyed API
 */
export function createStripAuthData(def: ApiDefinition, _deps: PipelineDeps): Middleware | null {
  if (def.strip_auth_data !== true || def.use_keyless === true) return null;
  const configs = def.auth_configs && Object.keys(def.auth_configs).length > 0 ? Object.values(def.auth_configs) : [def.auth ?? {}];
  const targets = dedupe([...configs.map(stripTarget), ...credentialModes(def).map((mode) => credentialLocation(def, mode))]);
  return (ctx) => {
    for (const target of targets) {
      if (target.header !== '') ctx.removeHeader(target.header);
      if (target.param !== '') ctx.query = removeQueryParam(ctx.query, target.param);
      if (target.cookie !== '') {
        const cookies = ctx.header('cookie');
        if (cookies !== '' && cookieValue(cookies, target.cookie) !== '') {
          const left = removeCookie(cookies, target.cookie);
          if (left === '') ctx.removeHeader('cookie');
          else ctx.setHeader('cookie', left);
        }
      }
    }
    return undefined;
  };
}

function stripTarget(config: AuthConfig): StripTarget {
  const headerName = typeof config.auth_header_name === 'string' && config.auth_header_name !== '' ? config.auth_header_name : 'Authorization';
  const param = config.use_param === true ? (typeof config.param_name === 'string' && config.param_name !== '' ? config.param_name : headerName) : '';
  const cookie = typeof config.cookie_name === 'string' && config.cookie_name !== '' ? config.cookie_name : headerName;
  return { header: headerName.toLowerCase(), param, cookie };
}

function dedupe(targets: StripTarget[]): readonly StripTarget[] {
  const seen = new Set<string>();
  return Object.freeze(targets.filter((t) => {
    const id = `${t.header}\n${t.param}\n${t.cookie}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  }));
}
