/**
 * Sessions as the admin API accepts and returns them (spec/gateway-api.md §7). Tyk decodes the body into a
 * typed struct, so a wrong type is a 400 there too; tollgate names the field that is wrong (for the
 * operator's log: the client gets Tyk's exact text). Output lists every field (spec README difference 15)
 * with `[]`/`{}` for empty lists and maps (difference 27).
 */
import type { AccessDefinition, SessionState } from './session.js';
import { fullLimit } from './policy-limits.js';

export type SessionCheck =
  | { readonly ok: true; readonly session: SessionState }
  /** `field`: the path of the first wrong field (`""` for the body itself); `error`: why, for a log line. */
  | { readonly ok: false; readonly field: string; readonly error: string };

/** Fields whose values are credentials: a refusal names their type, never their value (it gets logged). */
const SECRET_FIELDS = new Set(['hmac_string', 'basic_auth_data.password', 'jwt_data.secret']);

type Kind = 'number' | 'int' | 'string' | 'bool' | 'strings' | 'object' | 'numbers';

const ROOT_FIELDS: Readonly<Record<string, Kind>> = {
  last_check: 'int', allowance: 'number', rate: 'number', per: 'number', throttle_interval: 'number',
  throttle_retry_limit: 'int', max_query_depth: 'int', date_created: 'string', expires: 'int', quota_max: 'int',
  quota_renews: 'int', quota_remaining: 'int', quota_renewal_rate: 'int', access_rights: 'object', org_id: 'string',
  oauth_client_id: 'string', oauth_keys: 'object', certificate: 'string', basic_auth_data: 'object', jwt_data: 'object',
  hmac_enabled: 'bool', enable_http_signature_validation: 'bool', hmac_string: 'string', rsa_certificate_id: 'string',
  is_inactive: 'bool', apply_policy_id: 'string', apply_policies: 'strings', data_expires: 'int', monitor: 'object',
  enable_detail_recording: 'bool', enable_detailed_recording: 'bool', meta_data: 'object', tags: 'strings',
  alias: 'string', last_updated: 'string', id_extractor_deadline: 'int', session_lifetime: 'int', smoothing: 'object',
  post_expiry_action: 'string', post_expiry_grace_period: 'int', mtls_static_certificate_bindings: 'strings',
};

const LIMIT_FIELDS: Readonly<Record<string, Kind>> = {
  rate: 'number', per: 'number', throttle_interval: 'number', throttle_retry_limit: 'int', max_query_depth: 'int',
  quota_max: 'int', quota_remaining: 'int', quota_renewal_rate: 'int', quota_renews: 'int', smoothing: 'object',
};

const NOUN: Readonly<Record<Kind, string>> = {
  number: 'a number', int: 'an integer', string: 'a string', bool: 'a boolean', strings: 'a list of strings',
  object: 'an object', numbers: 'a list of numbers',
};

/** Go's zero time, which Tyk emits for a session that never had `date_created` set. */
export const ZERO_DATE = '0001-01-01T00:00:00Z';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function matches(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'int': return Number.isSafeInteger(value);
    case 'string': return typeof value === 'string';
    case 'bool': return typeof value === 'boolean';
    case 'strings': return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'numbers': return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v));
    case 'object': return isObject(value);
  }
}

function describe(value: unknown, field = ''): string {
  if (SECRET_FIELDS.has(field) || field.startsWith('oauth_keys.')) return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Null is accepted everywhere (Go decodes it as the zero value). */
function checkFields(obj: Record<string, unknown>, fields: Readonly<Record<string, Kind>>, path: string): string | undefined {
  for (const [name, kind] of Object.entries(fields)) {
    const value = obj[name];
    if (value === undefined || value === null || matches(value, kind)) continue;
    return `${path}${name} must be ${NOUN[kind]} (got ${describe(value, `${path}${name}`)})`;
  }
  return undefined;
}

function checkAccessDefinition(right: unknown, path: string): string | undefined {
  if (!isObject(right)) return `${path} must be an object (got ${describe(right)})`;
  const plain = checkFields(right, { api_id: 'string', api_name: 'string', versions: 'strings', limit: 'object',
    allowance_scope: 'string' }, `${path}.`);
  if (plain !== undefined) return plain;
  for (const list of ['allowed_urls', 'endpoints'] as const) {
    const value = right[list];
    if (value !== undefined && value !== null && !Array.isArray(value)) return `${path}.${list} must be a list (got ${describe(value)})`;
  }
  for (const [i, spec] of ((right.allowed_urls as unknown[] | null) ?? []).entries()) {
    if (!isObject(spec)) return `${path}.allowed_urls[${i}] must be an object (got ${describe(spec)})`;
    const bad = checkFields(spec, { url: 'string', methods: 'strings' }, `${path}.allowed_urls[${i}].`);
    if (bad !== undefined) return bad;
  }
  return isObject(right.limit) ? checkFields(right.limit, LIMIT_FIELDS, `${path}.limit.`) : undefined;
}

function checkNested(body: Record<string, unknown>): string | undefined {
  for (const [apiId, right] of Object.entries((body.access_rights as Record<string, unknown> | null) ?? {})) {
    const bad = checkAccessDefinition(right, `access_rights.${apiId}`);
    if (bad !== undefined) return bad;
  }
  const nested: ReadonlyArray<[string, Readonly<Record<string, Kind>>]> = [
    ['basic_auth_data', { password: 'string', hash_type: 'string' }], ['jwt_data', { secret: 'string' }],
    ['monitor', { trigger_limits: 'numbers' }],
  ];
  for (const [name, fields] of nested) {
    const bad = isObject(body[name]) ? checkFields(body[name], fields, `${name}.`) : undefined;
    if (bad !== undefined) return bad;
  }
  for (const [k, v] of Object.entries((body.oauth_keys as Record<string, unknown> | null) ?? {})) {
    if (typeof v !== 'string') return `oauth_keys.${k} must be a string (got ${describe(v, `oauth_keys.${k}`)})`;
  }
  if (typeof body.date_created === 'string' && body.date_created !== '' && Number.isNaN(Date.parse(body.date_created))) {
    return `date_created must be an RFC 3339 date-time (got ${describe(body.date_created)})`;
  }
  return undefined;
}

/**
 * Checks a session sent to the admin API: a JSON object whose known fields have Tyk's types. A refusal
 * names the first field that is wrong and why (values of credential fields left out); unknown fields are
 * kept. Returns the session with every field (see `withSessionDefaults`).
 *
 * @example
 * const checked = parseSessionBody(JSON.parse(body));
 * if (!checked.ok) {
 *   logger.warn({ field: checked.field, reason: checked.error }, 'key body refused');
 *   return reply(400, 'Request malformed');
 * }
 */
export function parseSessionBody(body: unknown): SessionCheck {
  if (!isObject(body)) return { ok: false, field: '', error: 'the body must be a JSON object (a session)' };
  const bad = checkFields(body, ROOT_FIELDS, '') ?? checkNested(body);
  if (bad !== undefined) return { ok: false, field: bad.slice(0, bad.indexOf(' must be ')), error: bad };
  return { ok: true, session: withSessionDefaults(body as SessionState) };
}

function accessDefinitionDefaults(apiId: string, right: AccessDefinition): AccessDefinition {
  return {
    ...right,
    api_name: right.api_name ?? '',
    api_id: right.api_id ?? apiId,
    versions: right.versions ?? [],
    allowed_urls: (right.allowed_urls ?? []).map((u) => ({ ...u, methods: u.methods ?? [] })),
    limit: fullLimit(right.limit),
    allowance_scope: right.allowance_scope ?? '',
  };
}

/**
 * A copy of the session with every field Tyk's session object has, in Tyk's order, zero values where
 * absent, `[]`/`{}` instead of null; unknown fields follow.
 */
export function withSessionDefaults(s: SessionState): SessionState {
  const rights: Record<string, AccessDefinition> = {};
  for (const [apiId, right] of Object.entries(s.access_rights ?? {})) rights[apiId] = accessDefinitionDefaults(apiId, right ?? {});
  const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const bool = (v: unknown): boolean => v === true;
  return {
    last_check: n(s.last_check), allowance: n(s.allowance), rate: n(s.rate), per: n(s.per),
    throttle_interval: n(s.throttle_interval), throttle_retry_limit: n(s.throttle_retry_limit),
    max_query_depth: n(s.max_query_depth), date_created: str(s.date_created) || ZERO_DATE, expires: n(s.expires),
    quota_max: n(s.quota_max), quota_renews: n(s.quota_renews), quota_remaining: n(s.quota_remaining),
    quota_renewal_rate: n(s.quota_renewal_rate), access_rights: rights, org_id: str(s.org_id),
    oauth_client_id: str(s.oauth_client_id), oauth_keys: s.oauth_keys ?? {}, certificate: str(s.certificate),
    basic_auth_data: { ...s.basic_auth_data, password: str(s.basic_auth_data?.password), hash_type: str(s.basic_auth_data?.hash_type) },
    jwt_data: { ...s.jwt_data, secret: str(s.jwt_data?.secret) },
    hmac_enabled: bool(s.hmac_enabled), enable_http_signature_validation: bool(s.enable_http_signature_validation),
    hmac_string: str(s.hmac_string), rsa_certificate_id: str(s.rsa_certificate_id), is_inactive: bool(s.is_inactive),
    apply_policy_id: str(s.apply_policy_id), apply_policies: s.apply_policies ?? [], data_expires: n(s.data_expires),
    monitor: { ...s.monitor, trigger_limits: s.monitor?.trigger_limits ?? [] },
    enable_detail_recording: bool(s.enable_detail_recording), enable_detailed_recording: bool(s.enable_detailed_recording),
    meta_data: s.meta_data ?? {}, tags: s.tags ?? [], alias: str(s.alias), last_updated: str(s.last_updated),
    id_extractor_deadline: n(s.id_extractor_deadline), session_lifetime: n(s.session_lifetime), smoothing: s.smoothing ?? null,
    post_expiry_action: str(s.post_expiry_action), post_expiry_grace_period: n(s.post_expiry_grace_period),
    mtls_static_certificate_bindings: s.mtls_static_certificate_bindings ?? [],
    ...extraFields(s),
  };
}

function extraFields(s: SessionState): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (!(k in ROOT_FIELDS) && k !== 'key_id') extra[k] = v;
  return extra;
}
