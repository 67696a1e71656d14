import type { SessionState } from '@tollgate/apidef';
import { KeyChangeFeed, type KeyChange, type RedisClient, type SessionStore } from '@tollgate/store';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { PolicyIndex } from './policy-index.js';

/** The outcome of a lookup. `session` has its policies applied; treat it as read-only (it is shared). */
export type SessionLookup =
  | { readonly found: false }
  | {
    readonly found: true;
    /** The storage ID that matched (the key ID, or its hash with `hash_keys`): RequestContext.sessionKey. */
    readonly storageId: string;
    readonly session: SessionState;
    /** Set when the key's policies could not be applied: the key must be refused. */
    readonly policyError: string | null;
  };

export interface SessionCacheOptions {
  readonly store: SessionStore;
  /** A SUBSCRIBE-only connection (may be the one the ConfigFeed uses). */
  readonly subscriber: RedisClient;
  readonly policies: PolicyIndex;
  readonly logger: Pick<Logger, 'warn' | 'info'>;
  /** How long an entry may be served without an invalidation (spec: at most 10 s). */
  readonly ttlMs?: number;
  /** How long "no such key" is remembered (a write of that key evicts it at once anyway). */
  readonly negativeTtlMs?: number;
  /** Entries kept at most (least recently used go first). */
  readonly max?: number;
  /**
   * The key-change channel also carries `DELETE /tyk/cache/jwks[/{apiID}]`: called with the API ID ("" =
   * every API), and with "" when the subscriber reconnected (a flush may have been missed).
   */
  readonly onJwksFlush?: (apiId: string) => void;
  /**
   * tyk.conf `local_session_cache.disable_cached_session_state`: keep nothing; every `get` reads the
   * candidates from Redis (one round trip) and `peek` never answers. The key-change channel is still
   * followed, for the JWKS flushes it carries.
   */
  readonly disabled?: boolean;
}

/**
 * A slot a caller keeps per candidate list (the key lookup keeps one per presented credential and API):
 * `peek` remembers its answer there and gives it back, without touching the LRU, while nothing can have
 * changed it. Make one with `newPeekMemo`; only the cache reads or writes its fields.
 */
export interface PeekMemo {
  lookup: SessionLookup | undefined;
  stamp: number;
  revision: number;
  orgId: string;
}

export function newPeekMemo(): PeekMemo {
  return { lookup: undefined, stamp: -1, revision: -1, orgId: '' };
}

/**
 * How often a started cache moves its stamp (`peek` memos last until the next move). A memo is only made
 * for entries that live at least two periods longer, so a remembered answer never outlives its entry.
 */
const STAMP_INTERVAL_MS = 250;

interface Applied {
  readonly orgId: string;
  readonly policyRevision: number;
  readonly lookup: SessionLookup;
}

/** One cached storage ID: the stored session (null = no such key) and its last policy application. */
interface Entry {
  readonly stored: SessionState | null;
  applied: Applied | null;
  /** Unix ms when the LRU lets it expire (loaded + its TTL). */
  readonly expiresAt: number;
}

const NOT_FOUND: SessionLookup = Object.freeze({ found: false });

/**
 * Sessions for one worker: an LRU with a short TTL in front of the SessionStore. Every admin write or
 * delete is published on `tollgate:keys:changes` and evicts that storage ID here; when the subscriber
 * reconnects (pub/sub drops what is published meanwhile) the whole cache is cleared. Policies are applied
 * on read through the PolicyIndex and the result is reused until a policy changes, so a policy change
 * reaches every cached key at once. A hit needs no Redis and no promise: try `peek` first. With `disabled`
 * every lookup goes to Redis, so a session written there by anyone is seen by the next request.
 *
 * @example
 * const sessions = new SessionCache({ store: new SessionStore(redis), subscriber, policies, logger });
 * await sessions.start();
 * const ids = keyIdCandidates(token, lookupOptions).map((k) => storageIdForKey(k, config.hash_keys));
 * const hit = sessions.peek(ids, api.org_id) ?? await sessions.get(ids, api.org_id);
 */
export class SessionCache {
  private readonly cache: LRUCache<string, Entry>;
  private readonly feed: KeyChangeFeed;
  private readonly negativeTtlMs: number;
  private readonly ttlMs: number;
  /** Bumped by every eviction and clear: a load that overlapped one is not cached (it may be stale). */
  private changes = 0;
  /**
   * Answers remembered in PeekMemos hold while this stays the same: bumped by every eviction and clear,
   * and every STAMP_INTERVAL_MS while started (entries expire; no memo is made when it is not started).
   */
  private stamp = 0;
  private stamper: NodeJS.Timeout | undefined;

  constructor(private readonly options: SessionCacheOptions) {
    this.negativeTtlMs = options.negativeTtlMs ?? 2000;
    this.ttlMs = options.ttlMs ?? 10_000;
    this.cache = new LRUCache<string, Entry>({ max: options.max ?? 100_000, ttl: this.ttlMs });
    this.feed = new KeyChangeFeed({
      subscriber: options.subscriber,
      onChange: (change) => this.evict(change),
      onJwksFlush: (flush) => options.onJwksFlush?.(flush.apiId),
      onReset: (reason) => {
        this.clear();
        options.onJwksFlush?.('');
        options.logger.info({ reason }, 'session cache cleared');
      },
      logger: options.logger,
    });
  }

  /** Subscribes to key changes; resolves once invalidations (and JWKS flushes) flow. */
  start(): Promise<void> {
    if (this.stamper === undefined) {
      this.stamper = setInterval(() => this.stamp++, STAMP_INTERVAL_MS);
      this.stamper.unref();
    }
    return this.feed.start();
  }

  stop(): Promise<void> {
    clearInterval(this.stamper);
    this.stamper = undefined;
    this.stamp++;
    return this.feed.stop();
  }

  get size(): number {
    return this.cache.size;
  }

  /** Drops everything (also done on subscriber reconnect). */
  clear(): void {
    this.changes++;
    this.stamp++;
    this.cache.clear();
  }

  /**
   * Answers from memory when it can: the first candidate (in order) that is a cached key, provided every
   * earlier candidate is cached as absent. Undefined means "call `get`".
   *
   * With a `memo` (kept by the caller for these `storageIds`), the answer is remembered and given back
   * from the memo while no key changed, the cache was not cleared, policies did not change and the
   * entries it came from cannot have expired: a hit then costs a few comparisons, not LRU lookups.
   */
  peek(storageIds: readonly string[], orgId: string, memo?: PeekMemo): SessionLookup | undefined {
    if (this.options.disabled === true) return undefined;
    if (memo !== undefined && memo.stamp === this.stamp && memo.orgId === orgId && memo.revision === this.options.policies.revision) {
      return memo.lookup;
    }
    let expiresAt = Infinity;
    for (const id of storageIds) {
      const entry = this.cache.get(id);
      if (entry === undefined) return undefined;
      if (entry.expiresAt < expiresAt) expiresAt = entry.expiresAt;
      if (entry.stored !== null) return this.remember(memo, this.applied(id, entry, orgId), orgId, expiresAt);
    }
    return this.remember(memo, NOT_FOUND, orgId, expiresAt);
  }

  /** Keeps `lookup` in the memo when the entries it came from outlive the memo (two stamp periods). */
  private remember(memo: PeekMemo | undefined, lookup: SessionLookup, orgId: string, expiresAt: number): SessionLookup {
    if (memo !== undefined && this.stamper !== undefined && expiresAt - Date.now() > 2 * STAMP_INTERVAL_MS) {
      memo.lookup = lookup;
      memo.stamp = this.stamp;
      memo.revision = this.options.policies.revision;
      memo.orgId = orgId;
    }
    return lookup;
  }

  /** Like `peek`, loading what is not cached in one round trip. Rejects only when Redis fails. */
  async get(storageIds: readonly string[], orgId: string): Promise<SessionLookup> {
    if (this.options.disabled === true) return this.load(storageIds, orgId);
    const cached = this.peek(storageIds, orgId);
    if (cached !== undefined) return cached;
    const missing = this.uncachedPrefix(storageIds);
    const seen = this.changes;
    const values = await this.options.store.getMany(missing);
    const loaded = new Map<string, Entry>();
    const loadedAt = Date.now();
    missing.forEach((id, i) => {
      const stored = this.parse(values[i] ?? null);
      loaded.set(id, { stored, applied: null, expiresAt: loadedAt + (stored === null ? this.negativeTtlMs : this.ttlMs) });
    });
    // Cache only if nothing changed meanwhile: an eviction during the load may concern what was read.
    if (seen === this.changes) {
      for (const [id, entry] of loaded) this.cache.set(id, entry, entry.stored === null ? { ttl: this.negativeTtlMs } : undefined);
    }
    for (const id of storageIds) {
      const entry = loaded.get(id) ?? this.cache.get(id);
      if (entry?.stored) return this.applied(id, entry, orgId);
    }
    return NOT_FOUND;
  }

  /** Uncached lookup: every candidate in one round trip, the first that exists wins; nothing is kept. */
  private async load(storageIds: readonly string[], orgId: string): Promise<SessionLookup> {
    const values = await this.options.store.getMany(storageIds);
    for (const [i, id] of storageIds.entries()) {
      const stored = this.parse(values[i] ?? null);
      if (stored !== null) return this.applied(id, { stored, applied: null, expiresAt: 0 }, orgId);
    }
    return NOT_FOUND;
  }

  /** The candidates up to the first cached key, minus those cached (present or absent). */
  private uncachedPrefix(storageIds: readonly string[]): string[] {
    const out: string[] = [];
    for (const id of storageIds) {
      const entry = this.cache.get(id);
      if (entry?.stored) break;
      if (entry === undefined) out.push(id);
    }
    return out;
  }

  private applied(storageId: string, entry: Entry, orgId: string): SessionLookup {
    const revision = this.options.policies.revision;
    const last = entry.applied;
    if (last !== null && last.orgId === orgId && last.policyRevision === revision) return last.lookup;
    const result = this.options.policies.apply(entry.stored!, orgId);
    const lookup: SessionLookup = result.ok
      ? { found: true, storageId, session: result.session, policyError: null }
      : { found: true, storageId, session: entry.stored!, policyError: result.error };
    entry.applied = { orgId, policyRevision: revision, lookup };
    return lookup;
  }

  private evict(change: KeyChange): void {
    this.changes++;
    this.stamp++;
    this.cache.delete(change.id);
  }

  /** A stored value that is not a JSON object counts as no key (logged without the key). */
  private parse(json: string | null): SessionState | null {
    if (json === null) return null;
    try {
      const value: unknown = JSON.parse(json);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as SessionState;
    } catch {
      // fall through
    }
    this.options.logger.warn({}, 'a stored session is not a JSON object; treated as an unknown key');
    return null;
  }
}
