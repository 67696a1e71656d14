import type { ApiDefinition, AuthConfig } from '@tollgate/apidef';
import { queryParam } from '../pipeline/query-string.js';
import type { RequestContext } from '../pipeline/request-context.js';

/** The auth modes that read a credential, by their `auth_configs` name. */
export type AuthMode = 'authToken' | 'basic' | 'hmac' | 'jwt';

/** Where one mode reads its credential, resolved once per API (auth.md §1). */
export interface CredentialLocation {
  /** Lower-case header name; '' when `disable_header`. */
  readonly header: string;
  /** Query parameter name; '' unless `use_param`. */
  readonly param: string;
  /** Cookie name; '' unless `use_cookie`. */
  readonly cookie: string;
  /** Auth-token and JWT values lose a leading `Bearer ` (case-insensitive). */
  readonly stripBearer: boolean;
}

/**
 * The config a mode reads: its `auth_configs` entry; authToken and JWT fall back to the legacy `auth`
 * object, basic and HMAC to an empty config (auth.md §1).
 */
export function authConfigFor(def: ApiDefinition, mode: AuthMode): AuthConfig {
  const configured = def.auth_configs?.[mode];
  if (configured) return configured;
  if (mode === 'authToken' || mode === 'jwt') return def.auth ?? {};
  return {};
}

/**
 * The parameter and cookie names default to the header name while the header is read; with
 * `disable_header` they default to `Authorization` even when `auth_header_name` is set (Tyk's
 * getAuthToken only adopts the header name as the default when it reads the header; auth.md §1 does not
 * say otherwise for that case).
 *
 * @example
 * const where = credentialLocation(def, 'authToken'); readCredential(ctx, where) // "abc123"
 */
export function credentialLocation(def: ApiDefinition, mode: AuthMode): CredentialLocation {
  const config = authConfigFor(def, mode);
  const headerName = nonEmptyString(config.auth_header_name, 'auth_header_name') || 'Authorization';
  const isHeaderRead = config.disable_header !== true;
  const defaultName = isHeaderRead ? headerName : 'Authorization';
  return Object.freeze({
    header: isHeaderRead ? headerName.toLowerCase() : '',
    param: config.use_param === true ? nonEmptyString(config.param_name, 'param_name') || defaultName : '',
    cookie: config.use_cookie === true ? nonEmptyString(config.cookie_name, 'cookie_name') || defaultName : '',
    stripBearer: mode === 'authToken' || mode === 'jwt',
  });
}

/** The credential of a request: cookie beats query parameter beats header; '' when none. */
export function readCredential(ctx: RequestContext, where: CredentialLocation): string {
  let value = where.header === '' ? '' : ctx.header(where.header);
  if (where.param !== '' && ctx.query !== '') {
    const fromQuery = queryParam(ctx.query, where.param);
    if (fromQuery !== '') value = fromQuery;
  }
  if (where.cookie !== '') {
    const fromCookie = cookieValue(ctx.header('cookie'), where.cookie);
    if (fromCookie !== '') value = fromCookie;
  }
  if (where.stripBearer && value.length > 7 && value.charCodeAt(6) === 0x20 && isBearer(value)) return value.slice(7);
  return value;
}

/** `value` starts with `bearer` in any case (compared in place: no lower-cased copy per request). */
function isBearer(value: string): boolean {
  // 0x20 sets the lower-case bit of an ASCII letter
  return (value.charCodeAt(0) | 0x20) === 0x62 && (value.charCodeAt(1) | 0x20) === 0x65 && (value.charCodeAt(2) | 0x20) === 0x61
    && (value.charCodeAt(3) | 0x20) === 0x72 && (value.charCodeAt(4) | 0x20) === 0x65 && (value.charCodeAt(5) | 0x20) === 0x72;
}

/** Value of the cookie named exactly `name` in a Cookie header (surrounding double quotes removed). */
export function cookieValue(header: string, name: string): string {
  if (header === '') return '';
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  }
  return '';
}

/** The Cookie header without the cookies named exactly `name` ('' when nothing is left). */
export function removeCookie(header: string, name: string): string {
  return header.split(';').filter((part) => {
    const eq = part.indexOf('=');
    return part.trim() !== '' && (eq === -1 ? part.trim() : part.slice(0, eq).trim()) !== name;
  }).map((part) => part.trim()).join('; ');
}

function nonEmptyString(value: unknown, field: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new Error(`auth_configs ${field} must be a string`);
  return value;
}
