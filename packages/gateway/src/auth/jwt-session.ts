import { createHash } from 'node:crypto';
import { generateKeyId, sessionLifetime, storageIdForKey, type ApiDefinition, type Policy, type SessionState } from '@tollgate/apidef';
import type { SessionLookup } from '../sessions/session-cache.js';
import { LRUCache } from 'lru-cache';
import { errors, tykError, type GatewayError } from '../errors.js';
import type { Decision } from '../pipeline/decision.js';
import type { PipelineDeps } from '../pipeline/middleware.js';
import type { RequestContext } from '../pipeline/request-context.js';
import { claimAt, identityOf, type Claims } from './jwt-claims.js';
import { createKeyLookup, type FoundKey } from './key-lookup.js';

/** Finds or creates the session of a verified token and makes it the request's (or only checks it). */
export type CentralisedSession = (ctx: RequestContext, claims: Claims, isIdentity: boolean) => Decision | Promise<Decision>;

/** A session as stored (policies listed, not merged) and as this request uses it (merged). */
interface Stored {
  readonly raw: SessionState;
  readonly applied: SessionState;
}

interface KeyRef {
  readonly keyId: string;
  readonly storageId: string;
}

const IDENTITY_CACHE_SIZE = 10_000;
const CLIENT_ID_CLAIMS = ['clientId', 'cid', 'client_id'] as const;

/**
 * Centralised JWT sessions (auth.md §8.3): identity claim → key ID built from (org, MD5 hex of the
 * identity) → the stored session, or a new one made from the base policy (the policy claim; without a
 * `jwt_policy_field_name`, the first policy of the key named by the `jwt_client_base_field` claim; else
 * the first default policy) and saved. An existing session follows a changed base policy or default
 * list, and its `expires` follows a later `exp`; with no base policy at all (none named, no defaults) an
 * existing session is refused unless a scope mapping is configured. Scope mapping is not acted on.
 *
 * @example
 * const resolve = createCentralisedSession(def, deps); await resolve(ctx, claims, true)
 */
export function createCentralisedSession(def: ApiDefinition, deps: PipelineDeps): CentralisedSession {
  const orgId = String(def.org_id ?? '');
  const identityField = String(def.jwt_identity_base_field ?? '');
  const policyField = String(def.jwt_policy_field_name ?? '');
  const defaults = (def.jwt_default_policies ?? []).filter((p: unknown): p is string => typeof p === 'string' && p !== '');
  const mapsClientId = def['idp_client_id_mapping_disabled'] !== true;
  const mapsScopes = hasScopeMapping(def);
  const clientField = String(def.jwt_client_base_field ?? '');
  const clientLookup = policyField === '' && clientField !== '' ? createKeyLookup(orgId, deps) : null;
  const { sessions, sessionWriter, policies, logger } = deps;
  const { hash_key_function: hashKeyFunction, hash_keys: hashKeys } = deps.config;
  const refs = new LRUCache<string, KeyRef>({ max: IDENTITY_CACHE_SIZE });
  const refFor = (identity: string): KeyRef => {
    let ref = refs.get(identity);
    if (ref === undefined) {
      const keyId = generateKeyId({ orgId, customId: createHash('md5').update(identity).digest('hex'), hashKeyFunction });
      ref = { keyId, storageId: storageIdForKey(keyId, hashKeys) };
      refs.set(identity, ref);
    }
    return ref;
  };
  const isOwnPolicy = (policy: Policy | undefined): policy is Policy => policy !== undefined && String(policy.org_id ?? '') === orgId;

  const create = (claims: Claims, identity: string, ref: KeyRef, tokenPolicy: string): Stored | GatewayError => {
    const base = tokenPolicy || defaults[0] || '';
    if (base === '') return errors.jwtNoMatchingPolicyFound;
    const policy = policies.get(base);
    if (!isOwnPolicy(policy)) return errors.jwtNoMatchingPolicy;
    const raw = sessionFromPolicy(policy, orgId, deps.now());
    raw.apply_policies = tokenPolicy !== '' ? [base] : [...defaults];
    raiseExpiry(raw, claims);
    raw.meta_data = { TykJWTSessionID: ref.keyId };
    raw.alias = identity;
    if (mapsClientId) mapClientId(raw, claims);
    const applied = policies.apply(raw, orgId);
    if (!applied.ok) return tykError('TOLLGATE_ERR_JWT_CREATE', 500, '', `failed to create key: ${applied.error}`);
    return { raw, applied: applied.session };
  };

  const update = (session: SessionState, claims: Claims, tokenPolicy: string, isApplied: boolean): Stored | GatewayError | null => {
    if (tokenPolicy !== '' && policies.get(tokenPolicy) === undefined) return errors.jwtNoMatchingPolicy;
    const current = policyIds(session);
    if (current.length === 0) return errors.jwtNoMatchingPolicyFound;
    // Step 7: no base policy and no defaults → an existing session is refused (a scope mapping may give policies).
    if (tokenPolicy === '' && defaults.length === 0 && !mapsScopes) return errors.jwtNoMatchingPolicyFound;
    let next: SessionState | null = null;
    const wanted = tokenPolicy !== '' ? (current[0] === tokenPolicy ? null : [tokenPolicy])
      : (defaults.length > 0 && !sameSet(defaults, current) ? defaults : null);
    if (wanted !== null) {
      if (!wanted.every((id) => isOwnPolicy(policies.get(id)))) return errors.jwtNoMatchingPolicy;
      next = { ...session, apply_policies: [...wanted] };
    }
    const exp = claims.exp;
    if (typeof exp === 'number' && exp > (session.expires ?? 0)) next = { ...(next ?? session), expires: exp };
    if (mapsClientId) {
      const clientId = clientIdOf(claims);
      if (clientId !== '' && clientId !== session.oauth_client_id) next = { ...(next ?? session), oauth_client_id: clientId };
    }
    if (next === null) return isApplied ? null : errors.jwtCouldNotApplyPolicy;
    if (wanted === null && isApplied) return { raw: next, applied: next };
    const applied = policies.apply(next, orgId);
    return applied.ok ? { raw: next, applied: applied.session } : errors.jwtCouldNotApplyPolicy;
  };

  const finish = (ctx: RequestContext, ref: KeyRef, session: SessionState, isIdentity: boolean): Decision => {
    if (isIdentity) {
      ctx.session = session;
      ctx.sessionKey = ref.storageId;
      ctx.keyAlias = typeof session.alias === 'string' ? session.alias : '';
    }
    return undefined;
  };

  const saveThen = (ctx: RequestContext, ref: KeyRef, stored: Stored, isIdentity: boolean): Promise<Decision> =>
    sessionWriter.save(ref.storageId, stored.raw, sessionLifetime(stored.raw, [def], deps.config, Math.floor(deps.now() / 1000))).then(() => finish(ctx, ref, stored.applied, isIdentity), (err: unknown) => {
      logger.error({ api_id: def.api_id, err: (err as Error).message }, 'could not store a JWT session');
      return errors.internal;
    });

  /**
   * The base policy the token names (step 3, before the defaults): the policy claim; without a policy
   * field, the first policy of the key named by the `jwt_client_base_field` claim (looked up like any
   * key, so cached like one); '' when there is none.
   */
  const tokenPolicyOf = (claims: Claims): string | Promise<string> => {
    if (policyField !== '') {
      const claimed = claimAt(claims, policyField);
      return typeof claimed === 'string' ? claimed : '';
    }
    if (clientLookup === null) return '';
    const clientId = claims[clientField];
    if (typeof clientId !== 'string' || clientId === '') return '';
    const found = clientLookup(clientId);
    return found instanceof Promise ? found.then(firstPolicyOf) : firstPolicyOf(found);
  };

  const decide = (ctx: RequestContext, claims: Claims, identity: string, ref: KeyRef, lookup: SessionLookup, isIdentity: boolean, tokenPolicy: string): Decision | Promise<Decision> => {
    if (!lookup.found) {
      const created = create(claims, identity, ref, tokenPolicy);
      return isReply(created) ? created : saveThen(ctx, ref, created, isIdentity);
    }
    // A stored session whose policies no longer apply may be repaired by the token's policy claim.
    const changed = update(lookup.session, claims, tokenPolicy, lookup.policyError === null);
    if (changed === null) return finish(ctx, ref, lookup.session, isIdentity);
    return isReply(changed) ? changed : saveThen(ctx, ref, changed, isIdentity);
  };

  const resolve = (ctx: RequestContext, claims: Claims, identity: string, ref: KeyRef, lookup: SessionLookup, isIdentity: boolean): Decision | Promise<Decision> => {
    const tokenPolicy = tokenPolicyOf(claims);
    return typeof tokenPolicy === 'string'
      ? decide(ctx, claims, identity, ref, lookup, isIdentity, tokenPolicy)
      : tokenPolicy.then((policy) => decide(ctx, claims, identity, ref, lookup, isIdentity, policy));
  };

  return (ctx, claims, isIdentity) => {
    const identity = identityOf(claims, identityField);
    if (typeof identity !== 'string') return identity;
    const ref = refFor(identity);
    const ids = [ref.storageId];
    const hit = sessions.peek(ids, orgId);
    if (hit !== undefined) return resolve(ctx, claims, identity, ref, hit, isIdentity);
    return sessions.get(ids, orgId).then((lookup) => resolve(ctx, claims, identity, ref, lookup, isIdentity));
  };
}

/** A new session from a base policy: its limits, rights, tags, inactive flag and `key_expires_in`. */
export function sessionFromPolicy(policy: Policy, orgId: string, nowMs: number): SessionState {
  const nowSeconds = Math.floor(nowMs / 1000);
  const expiresIn = typeof policy.key_expires_in === 'number' && policy.key_expires_in > 0 ? policy.key_expires_in : 0;
  return {
    rate: policy.rate ?? 0, per: policy.per ?? 0, allowance: policy.rate ?? 0,
    throttle_interval: policy.throttle_interval ?? 0, throttle_retry_limit: policy.throttle_retry_limit ?? 0,
    quota_max: policy.quota_max ?? -1, quota_remaining: policy.quota_max ?? -1, quota_renewal_rate: policy.quota_renewal_rate ?? 0,
    access_rights: structuredClone(policy.access_rights ?? {}),
    tags: [...(policy.tags ?? [])],
    is_inactive: policy.is_inactive === true,
    expires: expiresIn > 0 ? nowSeconds + expiresIn : 0,
    org_id: orgId,
    date_created: new Date(nowMs).toISOString(),
    last_updated: String(nowSeconds),
    meta_data: {},
  };
}

function raiseExpiry(session: SessionState, claims: Claims): void {
  const exp = claims.exp;
  if (typeof exp === 'number' && exp > (session.expires ?? 0)) session.expires = exp;
}

function mapClientId(session: SessionState, claims: Claims): void {
  const clientId = clientIdOf(claims);
  if (clientId !== '') session.oauth_client_id = clientId;
}

function clientIdOf(claims: Claims): string {
  for (const name of CLIENT_ID_CLAIMS) {
    const value = claims[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return '';
}

/** A scope → policy mapping is configured: `scopes.jwt.scope_to_policy` or `jwt_scope_to_policy_mapping`. */
function hasScopeMapping(def: ApiDefinition): boolean {
  const scopes = def.scopes?.['jwt'] as { scope_to_policy?: unknown } | undefined;
  const isNonEmpty = (map: unknown): boolean => map !== null && typeof map === 'object' && Object.keys(map).length > 0;
  return isNonEmpty(scopes?.scope_to_policy) || isNonEmpty(def.jwt_scope_to_policy_mapping);
}

function firstPolicyOf(client: FoundKey | null): string {
  return client === null ? '' : policyIds(client.session)[0] ?? '';
}

function policyIds(session: SessionState): readonly string[] {
  if (Array.isArray(session.apply_policies) && session.apply_policies.length > 0) return session.apply_policies;
  return typeof session.apply_policy_id === 'string' && session.apply_policy_id !== '' ? [session.apply_policy_id] : [];
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

function isReply(value: Stored | GatewayError): value is GatewayError {
  return !('raw' in value);
}
