/**
 * Policies as the admin API and policy files accept them (spec/gateway-api.md §8.1–8.2).
 */
import type { Policy } from './policy.js';

export type PolicyCheck =
  | { readonly ok: true; readonly id: string; readonly policy: Policy }
  /** `error`: Tyk's exact text for the client; `field` and `detail` (the wrong field and why) are for the log. */
  | { readonly ok: false; readonly error: string; readonly field?: string; readonly detail?: string };

/** Tyk's answer to a policy body it cannot decode into its typed struct (spec gateway-api.md §8.2). */
export const POLICY_MALFORMED = 'Request malformed';

const malformed = (field?: string, why?: string): PolicyCheck => (field === undefined
  ? { ok: false, error: POLICY_MALFORMED } : { ok: false, error: POLICY_MALFORMED, field, detail: `${field} ${why}` });

export const INVALID_POLICY_ID = 'Invalid Policy ID: Allowed characters: a-z, A-Z, 0-9, ., _, -, ~';
export const POLICY_WITHOUT_ID = 'Unable to create policy without id.';

const POLICY_ID = /^[A-Za-z0-9._~-]+$/;

export function isValidPolicyId(id: string): boolean {
  return POLICY_ID.test(id) && id !== '.' && id !== '..';
}

const TYPES: Readonly<Record<string, 'number' | 'string' | 'bool' | 'object' | 'strings'>> = {
  id: 'string', _id: 'string', name: 'string', org_id: 'string', rate: 'number', per: 'number', quota_max: 'number',
  quota_renewal_rate: 'number', throttle_interval: 'number', throttle_retry_limit: 'number', max_query_depth: 'number',
  access_rights: 'object', partitions: 'object', is_inactive: 'bool', tags: 'strings', meta_data: 'object',
  key_expires_in: 'number', hmac_enabled: 'bool', enable_http_signature_validation: 'bool', active: 'bool',
  post_expiry_action: 'string', post_expiry_grace_period: 'number', last_updated: 'string',
};

/** Why a known field's value has the wrong type (`must be …`), or undefined when it is fine. */
function typeError(name: string, value: unknown): string | undefined {
  const kind = TYPES[name];
  if (kind === undefined || value === null || value === undefined) return undefined;
  const ok = kind === 'number' ? typeof value === 'number' && Number.isFinite(value)
    : kind === 'string' ? typeof value === 'string'
      : kind === 'bool' ? typeof value === 'boolean'
        : kind === 'strings' ? Array.isArray(value) && value.every((v) => typeof v === 'string')
          : typeof value === 'object' && !Array.isArray(value);
  return ok ? undefined : `must be ${{ number: 'a number', string: 'a string', bool: 'a boolean', object: 'an object', strings: 'a list of strings' }[kind]}`;
}

/**
 * Checks a policy object: known fields have Tyk's types, the ID (`id`, else `_id`) is present and uses
 * only `a-zA-Z0-9._-~`. The returned policy carries `id` set to that ID; unknown fields are kept. A wrong
 * type answers Tyk's exact `Request malformed`, with the field named in `detail` for the log.
 *
 * @example
 * const checked = checkPolicy(body);
 * if (!checked.ok) {
 *   if (checked.detail) logger.warn({ field: checked.field, reason: checked.detail }, 'policy refused');
 *   return reply(400, checked.error);
 * }
 */
export function checkPolicy(body: unknown): PolicyCheck {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return malformed();
  const p = body as Record<string, unknown>;
  for (const [name, value] of Object.entries(p)) {
    const bad = typeError(name, value);
    if (bad !== undefined) return malformed(name, bad);
  }
  const partitions = p.partitions as Record<string, unknown> | undefined;
  for (const [name, value] of Object.entries(partitions ?? {})) {
    if (value !== null && typeof value !== 'boolean') return malformed(`partitions.${name}`, 'must be a boolean');
  }
  for (const [apiId, right] of Object.entries((p.access_rights as Record<string, unknown> | undefined) ?? {})) {
    if (typeof right !== 'object' || right === null || Array.isArray(right)) return malformed(`access_rights.${apiId}`, 'must be an object');
  }
  const id = typeof p.id === 'string' && p.id !== '' ? p.id : typeof p._id === 'string' ? p._id : '';
  if (id === '') return { ok: false, error: POLICY_WITHOUT_ID };
  if (!isValidPolicyId(id)) return { ok: false, error: INVALID_POLICY_ID };
  return { ok: true, id, policy: { ...(p as Policy), id } };
}
