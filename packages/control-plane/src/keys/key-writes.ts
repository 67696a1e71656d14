/**
 * Creating and changing keys (spec/gateway-api.md §6.2), in the order Tyk's handleAddOrUpdate,
 * doAddOrUpdate and createKeyHandler do it.
 */
import { randomUUID } from 'node:crypto';
import {
  effectiveMinTokenLength, hashBasicAuthPassword, parseSessionBody, type ApiDefinition, type Policy, type SessionState,
} from '@tollgate/apidef';
import { fail, nowSeconds, refuse, type KeyContext, type KeyReply } from './key-context.js';

export const CREATE_FAILED = 'Failed to create key, ensure security settings are correct.';

const modified = (key: string, action: string, keyHash?: string): KeyReply => ({
  status: 200, body: keyHash === undefined ? { key, status: 'ok', action } : { key, status: 'ok', action, key_hash: keyHash },
});

function isBasicAuth(session: SessionState): boolean {
  return typeof session.basic_auth_data?.password === 'string' && session.basic_auth_data.password !== '';
}

/** New keys get `expires` = now + `key_expires_in` of a policy that forces one. */
function applyTrialPeriod(session: SessionState, policies: ReadonlyMap<string, Policy>): void {
  for (const id of session.apply_policies?.length ? session.apply_policies : session.apply_policy_id ? [session.apply_policy_id] : []) {
    const expiresIn = policies.get(id)?.key_expires_in ?? 0;
    if (expiresIn > 0) session.expires = nowSeconds() + expiresIn;
  }
}

interface SaveRequest {
  readonly keyId: string;
  readonly storageId: string;
  readonly session: SessionState;
  readonly isNew: boolean;
  readonly suppressReset: boolean;
  /** createKeyHandler does not refresh last_updated here (it set it already). */
  readonly touch: boolean;
}

/**
 * Tyk's doAddOrUpdate: master-key rule, trial period, quota reset (unless suppressed or every API has
 * `dont_set_quota_on_create`), policies applied per API with its org, then one write with the lifetime.
 * Returns the error text of a policy failure, or 'master' when master keys are not allowed.
 */
async function save(ctx: KeyContext, req: SaveRequest): Promise<{ error?: string; session?: SessionState }> {
  let session = req.session;
  if (req.touch && !req.suppressReset) session.last_updated = String(nowSeconds());
  const rightIds = Object.keys(session.access_rights ?? {});
  if (rightIds.length === 0 && !ctx.config.allow_master_keys) return { error: 'master' };
  const apis = await ctx.apisOf(session);
  const byId = new Map<string, ApiDefinition>(apis.map((a) => [String(a.api_id), a]));
  const policies = await ctx.policies.byId();
  if (req.isNew && apis.length > 0) applyTrialPeriod(session, policies);
  const ids = rightIds.length > 0 ? rightIds : [...byId.keys()];
  if (!req.suppressReset && ids.some((id) => byId.get(id)?.dont_set_quota_on_create !== true)) {
    const scopes = Object.values(session.access_rights ?? {}).map((r) => r.allowance_scope ?? '').filter((s) => s !== '');
    await ctx.sessions.resetCounters(req.storageId, [...scopes, ...rightIds]);
    session.quota_renews = nowSeconds() + (session.quota_renewal_rate ?? 0);
  }
  for (const api of apis) {
    const checked = await ctx.applyPolicies(session, String(api.org_id ?? ''));
    if (!checked.ok) return { error: checked.error };
  }
  const applied = await ctx.applyPolicies(session);
  if (!applied.ok) return { error: applied.error };
  session = applied.session;
  await ctx.save(req.storageId, session, apis);
  return { session };
}

export interface AddOrUpdateRequest {
  readonly method: 'POST' | 'PUT';
  /** Custom key name (POST), or the key ID / hash (PUT); "" on POST generates one. */
  readonly keyName: string;
  readonly body: unknown;
  readonly byHash: boolean;
  readonly suppressReset: boolean;
}

/** `POST /tyk/keys[/{key}]` and `PUT /tyk/keys/{key}`. */
export async function addOrUpdateKey(ctx: KeyContext, req: AddOrUpdateRequest): Promise<KeyReply> {
  if (req.body === undefined) return fail(400, 'Request malformed');
  const parsed = parseSessionBody(req.body);
  if (!parsed.ok) return refuse(400, 'Request malformed', parsed);
  const applied = await ctx.applyPolicies(parsed.session);
  const session = applied.ok ? applied.session : parsed.session;
  const orgId = session.org_id ?? '';
  let keyId: string;
  let storageId: string;
  let original: SessionState = {};
  let isNew = true;
  if (req.method === 'PUT') {
    const found = await ctx.find(req.keyName, orgId, req.byHash);
    if (found === undefined) return fail(404, 'Key is not found');
    ({ keyId, storageId } = found);
    original = found.session;
    isNew = false;
    const certError = await checkCertificateChange(ctx, session, original);
    if (certError !== undefined) return certError;
    session.date_created = original.date_created ?? session.date_created;
    if (req.suppressReset) keepCounterDates(session, original);
  } else {
    const min = effectiveMinTokenLength(ctx.config);
    if (req.keyName !== '' && req.keyName.length < min) {
      return fail(400, `custom key ID length ${req.keyName.length} is less than min_token_length (${min}); the key would be unreachable at auth time. Use an ID of at least min_token_length characters, or lower min_token_length in the gateway configuration.`);
    }
    session.date_created = new Date().toISOString();
    keyId = ctx.newKeyId(orgId, req.keyName);
    storageId = ctx.storageId(keyId);
    isNew = (await ctx.sessions.get(storageId)) === null;
  }
  await settleBasicAuth(ctx, session, original, req.method);
  const saved = await save(ctx, { keyId, storageId, session, isNew, suppressReset: req.suppressReset, touch: true });
  if (saved.error !== undefined) return fail(500, CREATE_FAILED);
  if (req.method === 'PUT') return modified(keyId, 'modified');
  if (!ctx.config.hash_keys) return modified(keyId, 'added');
  return modified(isBasicAuth(session) ? '' : keyId, 'added', storageId);
}

/** PUT with `suppress_reset=1`: keep the counters' period (root and per API) and `last_updated`. */
function keepCounterDates(session: SessionState, original: SessionState): void {
  session.quota_renews = original.quota_renews ?? 0;
  session.last_updated = original.last_updated ?? '';
  for (const [apiId, right] of Object.entries(original.access_rights ?? {})) {
    const next = session.access_rights?.[apiId];
    if (next?.limit && right.limit) next.limit.quota_renews = right.limit.quota_renews ?? 0;
  }
}

async function checkCertificateChange(ctx: KeyContext, session: SessionState, original: SessionState): Promise<KeyReply | undefined> {
  const next = session.certificate ?? '';
  if (next === (original.certificate ?? '')) return undefined;
  if (next === '') return fail(400, 'Key cannot be used without a certificate');
  if ((await ctx.store.get('cert', next)) === null) return fail(400, 'Key must be used with an existent certificate');
  return undefined;
}

/** Passwords are hashed when new or changed; an absent password keeps the stored one. */
async function settleBasicAuth(ctx: KeyContext, session: SessionState, original: SessionState, method: 'POST' | 'PUT'): Promise<void> {
  if (isBasicAuth(session)) {
    const changed = method === 'POST' || original.basic_auth_data?.password !== session.basic_auth_data?.password;
    if (changed) {
      const hashed = await hashBasicAuthPassword(session.basic_auth_data!.password!, ctx.config.basic_auth_hash_key_function);
      session.basic_auth_data = { ...session.basic_auth_data, ...hashed };
    }
  } else if (isBasicAuth(original)) {
    session.basic_auth_data = { ...session.basic_auth_data, password: original.basic_auth_data!.password!, hash_type: original.basic_auth_data?.hash_type ?? '' };
  }
}

/** `POST /tyk/keys/create`: generated ID (or one derived from `certificate`), HMAC secret when asked. */
export async function createGeneratedKey(ctx: KeyContext, body: unknown): Promise<KeyReply> {
  if (body === undefined) return fail(500, 'Unmarshalling failed');
  const parsed = parseSessionBody(body);
  if (!parsed.ok) return refuse(500, 'Unmarshalling failed', parsed);
  const session = parsed.session;
  const orgId = session.org_id ?? '';
  let keyId = ctx.newKeyId(orgId, '');
  if (session.hmac_enabled) session.hmac_string = Buffer.from(randomUUID().replace(/-/g, '')).toString('base64');
  if (session.certificate) {
    keyId = ctx.newKeyId(orgId, session.certificate);
    if ((await ctx.find(keyId, orgId, false)) !== undefined) {
      return fail(500, `Failed to create key - Key with given certificate already found:${keyId}`);
    }
  }
  session.last_updated = String(nowSeconds());
  session.date_created = new Date().toISOString();
  const applied = await ctx.applyPolicies(session);
  if (!applied.ok) return fail(500, `Failed to create key - ${applied.error}`);
  const storageId = ctx.storageId(keyId);
  const saved = await save(ctx, { keyId, storageId, session: applied.session, isNew: true, suppressReset: false, touch: false });
  if (saved.error === 'master') return fail(400, 'Failed to create key, keys must have at least one Access Rights record set.');
  if (saved.error !== undefined) return fail(500, `Failed to create key - ${saved.error}`);
  return modified(keyId, 'added', ctx.config.hash_keys ? storageId : undefined);
}

/** `POST /tyk/keys/preview`: the session after its policies, nothing stored. */
export async function previewKey(ctx: KeyContext, body: unknown): Promise<KeyReply> {
  if (body === undefined) return fail(500, 'Unmarshalling failed');
  const parsed = parseSessionBody(body);
  if (!parsed.ok) return refuse(500, 'Unmarshalling failed', parsed);
  parsed.session.last_updated = String(nowSeconds());
  parsed.session.date_created = new Date().toISOString();
  const applied = await ctx.applyPolicies(parsed.session);
  return { status: 200, body: applied.ok ? applied.session : parsed.session };
}

/** `POST /tyk/keys/policy/{keyHash}`: `{"policy": id, "apply_policies": [ids]}` sets the hashed key's policies. */
export async function setKeyPolicies(ctx: KeyContext, keyHash: string, body: unknown): Promise<KeyReply> {
  const instruction = body as { policy?: unknown; apply_policies?: unknown } | undefined;
  const list = instruction?.apply_policies;
  if (typeof instruction !== 'object' || instruction === null || Array.isArray(instruction) ||
    (instruction.policy !== undefined && instruction.policy !== null && typeof instruction.policy !== 'string') ||
    (list !== undefined && list !== null && !(Array.isArray(list) && list.every((p) => typeof p === 'string')))) {
    return fail(400, "Couldn't decode instruction");
  }
  const ids = [...((list as string[] | null | undefined) ?? [])];
  if (typeof instruction.policy === 'string' && instruction.policy !== '') ids.push(instruction.policy);
  const found = await ctx.find(keyHash, '', true);
  if (found === undefined) return fail(404, 'Key not found');
  const session = found.session;
  session.last_updated = String(nowSeconds());
  session.apply_policies = ids;
  session.apply_policy_id = '';
  try {
    await ctx.save(found.storageId, session, await ctx.apisOf(session));
  } catch {
    return fail(500, 'Could not write key data');
  }
  return modified(found.keyId, 'updated');
}
