import { pack } from 'msgpackr';
import { unpackObject } from './change-message.js';
import type { RateAlgorithm, SessionState } from '@tollgate/apidef';
import { keyLayout } from './key-layout.js';
import { withQuotaRemaining } from './quota-counters.js';
import { readLimitCounters, type LimitCountersView } from './limit-counters.js';
import { defineScripts, type TollgateCommands } from './scripts.js';
import type { RedisClient } from './redis-client.js';
import { globEscape, scanKeys } from './scan-keys.js';

/** Published on `keyLayout.keyChangeChannel` after every session write or delete. */
export interface KeyChange {
  readonly op: 'put' | 'delete';
  /** The storage ID: the key ID, or its hash with `hash_keys`. */
  readonly id: string;
}

/** Decodes a key-change message; null (never throws) for anything malformed. */
export function decodeKeyChange(payload: Buffer): KeyChange | null {
  const value = unpackObject(payload);
  if (value === null) return null;
  const { op, id } = value;
  if ((op !== 'put' && op !== 'delete') || typeof id !== 'string' || id === '') return null;
  return { op, id };
}

/**
 * Also published on `keyLayout.keyChangeChannel`, by `DELETE /tyk/cache/jwks[/{apiID}]`: every worker
 * empties the JWKS cache of that API (`apiId` "" = of every API). msgpack `{op: "jwks", api_id}`.
 */
export interface JwksFlush {
  readonly apiId: string;
}

/** Decodes a JWKS flush message; null (never throws) for anything else. */
export function decodeJwksFlush(payload: Buffer): JwksFlush | null {
  const value = unpackObject(payload);
  if (value === null || value.op !== 'jwks' || typeof value.api_id !== 'string') return null;
  return { apiId: value.api_id };
}

export interface SessionListOptions {
  /** Only storage IDs starting with this (Tyk's `filter`, normally an org ID). */
  readonly prefix?: string;
  /** Stop after this many IDs (there may be millions of keys). */
  readonly limit: number;
}

export interface SessionList {
  readonly ids: string[];
  /** True when `limit` was reached before the scan finished. */
  readonly truncated: boolean;
}

const SCAN_COUNT = 1000;
const MGET_CHUNK = 500;


/**
 * Sessions (Tyk's session object as JSON) in Tyk's layout: `apikey-<storage ID>`, TTL = session lifetime.
 * Every write and delete publishes `{op, id}` (msgpack) on `tollgate:keys:changes` in the same Lua script,
 * so caches on every worker can drop the entry. Everything here speaks storage IDs; build them with
 * `storageIdForKey` / `keyIdCandidates` from `@tollgate/apidef`. Keys are never logged here.
 *
 * @example
 * const sessions = new SessionStore(redis);
 * await sessions.put(storageIdForKey(keyId, config.hash_keys), JSON.stringify(session), lifetime);
 * const found = await sessions.getFirst(candidates.map((k) => storageIdForKey(k, config.hash_keys)));
 */
export class SessionStore {
  private readonly redis: RedisClient & TollgateCommands;

  constructor(redis: RedisClient) {
    this.redis = defineScripts(redis);
  }

  /** The session JSON, or null. */
  get(storageId: string): Promise<string | null> {
    return this.redis.get(keyLayout.session(storageId));
  }

  /**
   * The first of several candidates that exists, in order. The GETs are sent together (one round trip on
   * a single Redis; per node on a Cluster, where the keys may live in different slots).
   */
  async getFirst(storageIds: readonly string[]): Promise<{ storageId: string; json: string } | null> {
    const values = await Promise.all(storageIds.map((id) => this.redis.get(keyLayout.session(id))));
    for (let i = 0; i < values.length; i++) {
      const json = values[i];
      if (json !== null && json !== undefined) return { storageId: storageIds[i]!, json };
    }
    return null;
  }

  /** Several sessions, in order (null where missing), fetched in bounded chunks. */
  async getMany(storageIds: readonly string[]): Promise<Array<string | null>> {
    const out: Array<string | null> = [];
    for (let i = 0; i < storageIds.length; i += MGET_CHUNK) {
      const chunk = storageIds.slice(i, i + MGET_CHUNK);
      out.push(...(await Promise.all(chunk.map((id) => this.redis.get(keyLayout.session(id))))));
    }
    return out;
  }

  /** Stores the session with a TTL in seconds (0 = none) and publishes the change. */
  async put(storageId: string, json: string, ttlSeconds: number): Promise<void> {
    const ttl = Number.isFinite(ttlSeconds) && ttlSeconds > 0 ? Math.ceil(ttlSeconds) : 0;
    await this.redis.sessionWrite(keyLayout.session(storageId), 'put', json, String(ttl), keyLayout.keyChangeChannel, storageId);
  }

  /** Deletes the session and publishes the change; false when there was none. */
  async delete(storageId: string): Promise<boolean> {
    const n = await this.redis.sessionWrite(keyLayout.session(storageId), 'delete', '', '0', keyLayout.keyChangeChannel, storageId);
    return n === 1;
  }

  /**
   * Asks every worker of every gateway to empty the JWKS cache of `apiId` ("" = of every API), on the
   * channel their session caches follow. Fire and forget, like any pub/sub: a worker whose subscriber is
   * reconnecting misses it and empties all its JWKS caches when it is back.
   */
  async flushJwks(apiId: string): Promise<void> {
    await this.redis.publish(keyLayout.keyChangeChannel, pack({ op: 'jwks', api_id: apiId }));
  }

  /** Remaining TTL in seconds: -1 without expiry, -2 when the session does not exist. */
  ttl(storageId: string): Promise<number> {
    return this.redis.ttl(keyLayout.session(storageId));
  }

  /**
   * Storage IDs of stored sessions (SCAN, never KEYS), at most `limit`, on every master of a Cluster.
   */
  async list(options: SessionListOptions): Promise<SessionList> {
    const match = `${keyLayout.sessionPrefix}${globEscape(options.prefix ?? '')}*`;
    const ids: string[] = [];
    for await (const { keys } of scanKeys(this.redis, match, SCAN_COUNT)) {
      for (const key of keys) {
        if (ids.length >= options.limit) return { ids, truncated: true };
        ids.push(key.slice(keyLayout.sessionPrefix.length));
      }
    }
    return { ids, truncated: false };
  }

  /**
   * The session with `quota_remaining` and `quota_renews` (root and per API) derived from its quota
   * counters and their PTTL, as `GET /tyk/keys/{id}` shows it (`withQuotaRemaining`); returns a copy.
   */
  withQuotaRemaining(storageId: string, session: SessionState, nowMs: number): Promise<SessionState> {
    return withQuotaRemaining(this.redis, storageId, session, nowMs);
  }

  /** The rate and quota counters of a key as they stand (`?debug=true`); read-only. */
  limitCounters(storageId: string, session: SessionState, algorithmOf: (capacity: number) => RateAlgorithm): Promise<LimitCountersView[]> {
    return readLimitCounters(this.redis, storageId, session, algorithmOf);
  }

  /** Deletes the key's quota and rate counters for each scope ("" = the key's own): Tyk's quota reset. */
  async resetCounters(storageId: string, scopes: Iterable<string>): Promise<void> {
    const keys = new Set<string>();
    for (const scope of new Set(['', ...scopes])) {
      keys.add(keyLayout.quotaCounter(scope, storageId));
      keys.add(keyLayout.rateCounter(scope, storageId));
    }
    // One DEL per key: on a Cluster the scopes live in different slots.
    await Promise.all([...keys].map((key) => this.redis.del(key)));
  }
}
