/**
 * Reading, listing and deleting keys (spec/gateway-api.md §6.1, §6.3), as Tyk's handleGetDetail,
 * handleGetAllKeys and handleDeleteKey do.
 */
import { rateAlgorithm, withSessionDefaults, type SessionState } from '@tollgate/apidef';
import { fail, type KeyContext, type KeyReply } from './key-context.js';

/** Listing stops here: there may be millions of keys, and the answer is one JSON document. */
export const MAX_LISTED_KEYS = 100_000;

export interface DetailRequest {
  readonly keyName: string;
  readonly apiId: string;
  readonly orgId: string;
  readonly byHash: boolean;
  /** `?debug=true` (tollgate): the key's live rate and quota counters under `tollgate_debug`. */
  readonly debug?: boolean;
}

/** `GET /tyk/keys/{key}`: the session after its policies, quota remaining and renewal from the counters, no password. */
export async function getKeyDetail(ctx: KeyContext, req: DetailRequest): Promise<KeyReply> {
  if (req.byHash && !ctx.config.hash_keys) return fail(400, 'Key requested by hash but key hashing is not enabled');
  const api = req.apiId === '' ? undefined : await ctx.apis.get(req.apiId);
  const orgId = api === undefined ? req.orgId : String(api.org_id ?? '');
  const found = await ctx.find(req.keyName, orgId, req.byHash);
  if (found === undefined) return fail(404, 'Key not found');
  const applied = await ctx.applyPolicies(found.session, api === undefined ? undefined : orgId);
  // quota_remaining / quota_renews from the counters the gateway uses (same scope rule) and their PTTL.
  const session = await ctx.sessions.withQuotaRemaining(found.storageId, withSessionDefaults(applied.ok ? applied.session : found.session), Date.now());
  if (typeof session.basic_auth_data?.password === 'string' && session.basic_auth_data.password !== '') {
    session.basic_auth_data = { ...session.basic_auth_data, password: '' };
  }
  if (req.debug) {
    // rate-limits-and-quotas.md §10.10: every counter the key's requests use, with the algorithm that keeps it.
    const counters = await ctx.sessions.limitCounters(found.storageId, session, (capacity) => rateAlgorithm(ctx.config, capacity));
    return { status: 200, body: { ...session, tollgate_debug: { counters } } };
  }
  return { status: 200, body: session };
}

export interface ListRequest {
  readonly filter: string;
  readonly apiId: string;
}

/** Tyk also finds JSON key IDs of an org by the base64 of `{"org":"<filter>"`, minus its last 2 characters. */
function base64OrgPrefix(orgId: string): string {
  const encoded = Buffer.from(`{"org":"${orgId}"`, 'utf8').toString('base64').replace(/=+$/, '');
  return encoded.slice(0, -2);
}

/** `GET /tyk/keys`: `{"keys": [...]}` of key IDs, or of hashes with `hash_keys`. */
export async function listKeys(ctx: KeyContext, req: ListRequest, warn: (msg: string) => void): Promise<KeyReply> {
  if (ctx.config.hash_keys && !ctx.config.enable_hashed_keys_listing) {
    return fail(404, 'Hashed key listing is disabled in config (enable_hashed_keys_listing)');
  }
  if (req.apiId !== '' && !ctx.config.hash_keys && req.filter === '') {
    return fail(400, "The 'filter' parameter (Org ID) is required when filtering by 'api_id' in legacy mode");
  }
  // Hashes carry no org, so Tyk ignores `filter` when listing them.
  const prefixes = ctx.config.hash_keys || req.filter === '' ? [''] : [req.filter, base64OrgPrefix(req.filter)];
  const ids = new Set<string>();
  let truncated = false;
  for (const prefix of prefixes) {
    const page = await ctx.sessions.list({ prefix, limit: MAX_LISTED_KEYS - ids.size });
    for (const id of page.ids) ids.add(id);
    truncated ||= page.truncated;
  }
  if (truncated) warn(`key listing stopped at ${MAX_LISTED_KEYS} keys`);
  let keys = [...ids];
  if (req.apiId !== '') keys = await keysForApi(ctx, keys, req.apiId);
  return { status: 200, body: { keys } };
}

/** Keys whose `access_rights` name the API (or master keys, when they are allowed). */
async function keysForApi(ctx: KeyContext, ids: readonly string[], apiId: string): Promise<string[]> {
  const values = await ctx.sessions.getMany(ids);
  const out: string[] = [];
  values.forEach((json, i) => {
    if (json === null) return;
    let session: SessionState;
    try {
      session = JSON.parse(json) as SessionState;
    } catch {
      return;
    }
    const rights = session.access_rights ?? {};
    if (Object.prototype.hasOwnProperty.call(rights, apiId) || (ctx.config.allow_master_keys && Object.keys(rights).length === 0)) {
      out.push(ids[i]!);
    }
  });
  return out;
}

export interface DeleteRequest {
  readonly keyName: string;
  readonly orgId: string;
  readonly apiId: string;
  readonly byHash: boolean;
}

/** `DELETE /tyk/keys/{key}`: removes the session and resets its counters; `api_id=-1` answers `null`. */
export async function deleteKey(ctx: KeyContext, req: DeleteRequest): Promise<KeyReply> {
  const found = await ctx.find(req.keyName, req.orgId, req.byHash);
  if (found === undefined) return fail(404, 'There is no such key found');
  const scopes = Object.entries(found.session.access_rights ?? {}).flatMap(([id, r]) => [id, r?.allowance_scope ?? '']);
  await ctx.sessions.resetCounters(found.storageId, scopes.filter((s) => s !== ''));
  if (!(await ctx.sessions.delete(found.storageId))) return fail(400, 'Failed to remove the key');
  if (req.apiId === '-1') return { status: 200, body: null };
  return { status: 200, body: { key: found.keyId, status: 'ok', action: 'deleted' } };
}
