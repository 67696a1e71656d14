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
}

interface Applied {
  readonly orgId: string;
  readonly policyRevision: number;
  readonly lookup: SessionLookup;
}

/** One cached storage ID: the stored session (null = no such key) and its last policy application. */
interface Entry {
  readonly stored: SessionState | null;
  applied: Applied | null;
}

const NOT_FOUND: SessionLookup = Object.freeze({ found: false });

/**
 * Sessions for one worker: an LRU with a short TTL in front of the SessionStore. Every admin write or
 * delete is published on `tollgate:keys:changes` and evicts that storage ID here; when the subscriber
 * reconnects (pub/sub drops what is published meanwhile) the whole cache is cleared. Policies are applied
 * on read through the PolicyIndex and the result is reused until a policy changes, so a policy change
 * reaches every cached key at once. A hit needs no Redis and no promise: try `peek` first.
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
  /** Bumped by every eviction and clear: a load that overlapped one is not cached (it may be stale). */
  private changes = 0;

  constructor(private readonly options: SessionCacheOptions) {
    this.negativeTtlMs = options.negativeTtlMs ?? 2000;
    this.cache = new LRUCache<string, Entry>({ max: options.max ?? 100_000, ttl: options.ttlMs ?? 10_000 });
    this.feed = new KeyChangeFeed({
      subscriber: options.subscriber,
      onChange: (change) => this.evict(change),
      onReset: (reason) => {
        this.clear();
        options.logger.info({ reason }, 'session cache cleared');
      },
      logger: options.logger,
    });
  }

  /** Subscribes to key changes; resolves once invalidations flow. */
  start(): Promise<void> {
    return this.feed.start();
  }

  stop(): Promise<void> {
    return this.feed.stop();
  }

  get size(): number {
    return this.cache.size;
  }

  /** Drops everything (also done on subscriber reconnect). */
  clear(): void {
    this.changes++;
    this.cache.clear();
  }

  /**
   * Answers from memory when it can: the first candidate (in order) that is a cached key, provided every
   * earlier candidate is cached as absent. Undefined means "call `get`".
   */
  peek(storageIds: readonly string[], orgId: string): SessionLookup | undefined {
    for (const id of storageIds) {
      const entry = this.cache.get(id);
      if (entry === undefined) return undefined;
      if (entry.stored !== null) return this.applied(id, entry, orgId);
    }
    return NOT_FOUND;
  }

  /** Like `peek`, loading what is not cached in one round trip. Rejects only when Redis fails. */
  async get(storageIds: readonly string[], orgId: string): Promise<SessionLookup> {
    const cached = this.peek(storageIds, orgId);
    if (cached !== undefined) return cached;
    const missing = this.uncachedPrefix(storageIds);
    const seen = this.changes;
    const values = await this.options.store.getMany(missing);
    const loaded = new Map<string, Entry>();
    missing.forEach((id, i) => loaded.set(id, { stored: this.parse(values[i] ?? null), applied: null }));
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
