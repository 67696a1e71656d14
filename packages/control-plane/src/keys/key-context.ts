import {
  applyPolicies, generateKeyId, keyIdCandidates, sessionLifetime, storageIdForKey,
  type ApiDefinition, type GatewayConfig, type SessionState,
} from '@tollgate/apidef';
import type { ConfigStore, SessionStore } from '@tollgate/store';
import type { ApiRegistry } from '../api-registry.js';
import type { PolicyRegistry } from '../policy-registry.js';

/** A handler's answer: status and the JSON body (Tyk's shapes). */
export interface KeyReply {
  readonly status: number;
  readonly body: unknown;
  /**
   * Which field of the body was refused and why: logged at warn by the route, never sent (Tyk clients
   * match the exact `Request malformed` / `Unmarshalling failed`, spec gateway-api.md §6.2).
   */
  readonly refused?: { readonly field: string; readonly reason: string };
}

export const fail = (status: number, message: string): KeyReply => ({ status, body: { status: 'error', message } });

/**
 * Tyk's exact error for a session body that is JSON but wrongly typed, with the reason kept for the log.
 *
 * @example
 * if (!parsed.ok) return refuse(400, 'Request malformed', parsed);
 */
export const refuse = (status: number, message: string, check: { readonly field: string; readonly error: string }): KeyReply =>
  ({ ...fail(status, message), refused: { field: check.field, reason: check.error } });

/** A stored session found from a key name. */
export interface FoundKey {
  /** The key ID (or, when addressed by hash, the hash). */
  readonly keyId: string;
  readonly storageId: string;
  readonly session: SessionState;
}

export type KeyConfig = Pick<GatewayConfig,
  'hash_keys' | 'hash_key_function' | 'hash_key_function_fallback' | 'disable_key_actions_by_username' |
  'enable_hashed_keys_listing' | 'allow_master_keys' | 'min_token_length' | 'basic_auth_hash_key_function' |
  'global_session_lifetime' | 'force_global_session_lifetime' | 'session_lifetime_respects_key_expiration' |
  'enable_fixed_window_rate_limiter' | 'rate_limit_sliding_log_max'>;

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * What every key handler needs: configuration, the stores, and the lookups Tyk's session manager does
 * (SessionDetail: by hash, or by the candidates built from an org and a name).
 */
export class KeyContext {
  constructor(
    readonly config: Readonly<KeyConfig>,
    readonly sessions: SessionStore,
    readonly store: ConfigStore,
    readonly apis: ApiRegistry,
    readonly policies: PolicyRegistry,
  ) {}

  storageId(keyId: string): string {
    return storageIdForKey(keyId, this.config.hash_keys);
  }

  /** A key ID for a new key: generated when `customId` is empty. */
  newKeyId(orgId: string, customId: string): string {
    return generateKeyId({ orgId, customId, hashKeyFunction: this.config.hash_key_function });
  }

  /** Finds a stored key from an admin-API key name (gateway-api.md §6.4 "Lookup"). */
  async find(keyName: string, orgId: string, byHash: boolean): Promise<FoundKey | undefined> {
    if (byHash) {
      const json = await this.sessions.get(keyName);
      return json === null ? undefined : { keyId: keyName, storageId: keyName, session: parseStored(json) };
    }
    const candidates = keyIdCandidates(keyName, {
      orgId, hashKeyFunction: this.config.hash_key_function,
      hashKeyFunctionFallback: this.config.hash_key_function_fallback,
      disableKeyActionsByUsername: this.config.disable_key_actions_by_username,
    });
    const storageIds = candidates.map((k) => this.storageId(k));
    const hit = await this.sessions.getFirst(storageIds);
    if (hit === null) return undefined;
    const keyId = candidates[storageIds.indexOf(hit.storageId)]!;
    return { keyId, storageId: hit.storageId, session: parseStored(hit.json) };
  }

  /** `?username=true` turns the name into a key ID first (unless disable_key_actions_by_username). */
  nameFor(keyName: string, orgId: string, isUserName: boolean): string {
    return isUserName && !this.config.disable_key_actions_by_username ? this.newKeyId(orgId, keyName) : keyName;
  }

  /** The definitions of the APIs a session grants (for a master key: every API). */
  async apisOf(session: SessionState): Promise<ApiDefinition[]> {
    const ids = Object.keys(session.access_rights ?? {});
    if (ids.length === 0) return this.apis.list();
    const defs = await Promise.all(ids.map((id) => this.apis.get(id)));
    return defs.filter((d): d is ApiDefinition => d !== undefined);
  }

  /** Applies the session's policies; `orgId` checks ownership (omit on the admin API, as Tyk). */
  async applyPolicies(session: SessionState, orgId?: string): Promise<ReturnType<typeof applyPolicies>> {
    return applyPolicies(session, await this.policies.byId(), orgId === undefined ? {} : { orgId });
  }

  /** Writes the session with its lifetime as TTL; publishes the change. */
  async save(storageId: string, session: SessionState, apis: readonly ApiDefinition[]): Promise<void> {
    const ttl = sessionLifetime(session, apis, this.config, nowSeconds());
    await this.sessions.put(storageId, JSON.stringify(session), ttl);
  }
}

/** Stored JSON is ours (or imported from Tyk); a non-object is treated as an empty session. */
export function parseStored(json: string): SessionState {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as SessionState) : {};
  } catch {
    return {};
  }
}
