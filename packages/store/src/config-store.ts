import { CONFIG_KINDS, keyLayout, type ConfigKind } from './key-layout.js';
import { defineScripts, type TollgateCommands } from './scripts.js';
import type { RedisClient } from './redis-client.js';

/** Every object of every kind at one revision, as the JSON text that was stored. */
export interface ConfigSnapshot {
  readonly revision: number;
  readonly objects: ReadonlyMap<ConfigKind, ReadonlyMap<string, string>>;
}

/**
 * Reads and writes configuration objects (API definitions, keys, policies, certificates) in Redis.
 * The control plane is the only writer; every write bumps the revision and publishes a change message
 * in one Lua script, so readers can tell when they missed one.
 *
 * @example
 * const store = new ConfigStore(redis);
 * const revision = await store.put('api', def.api_id, JSON.stringify(def));
 */
export class ConfigStore {
  private readonly redis: RedisClient & TollgateCommands;

  constructor(redis: RedisClient) {
    this.redis = defineScripts(redis);
  }

  /** Stores the object; returns the new revision. */
  put(kind: ConfigKind, id: string, json: string): Promise<number> {
    return this.redis.configWrite(
      keyLayout.objects(kind), keyLayout.revision, kind, id, 'put', json, keyLayout.changeChannel,
    );
  }

  /** Deletes the object; returns the new revision, or 0 if it did not exist. */
  delete(kind: ConfigKind, id: string): Promise<number> {
    return this.redis.configWrite(
      keyLayout.objects(kind), keyLayout.revision, kind, id, 'delete', '', keyLayout.changeChannel,
    );
  }

  async get(kind: ConfigKind, id: string): Promise<string | null> {
    return this.redis.hget(keyLayout.objects(kind), id);
  }

  async list(kind: ConfigKind): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(keyLayout.objects(kind))));
  }

  async revision(): Promise<number> {
    return Number((await this.redis.get(keyLayout.revision)) ?? 0);
  }

  /**
   * One consistent view: the revision and every object read in one MULTI, so no change can fall between
   * them (all keys share a hash tag, so this also works on Redis Cluster).
   */
  async snapshot(kinds: readonly ConfigKind[] = CONFIG_KINDS): Promise<ConfigSnapshot> {
    const tx = this.redis.multi().get(keyLayout.revision);
    for (const kind of kinds) tx.hgetall(keyLayout.objects(kind));
    const replies = await tx.exec();
    if (!replies) throw new Error('configuration snapshot aborted');
    const objects = new Map<ConfigKind, Map<string, string>>();
    replies.forEach(([err, value], i) => {
      if (err) throw err;
      if (i === 0) return;
      objects.set(kinds[i - 1]!, new Map(Object.entries(value as Record<string, string>)));
    });
    return { revision: Number(replies[0]![1] ?? 0), objects };
  }

  /** Workers report the revision they have applied; `/tyk/reload?block=true` waits on these. */
  reportApplied(workerId: string, revision: number): Promise<number> {
    return this.redis.hset(keyLayout.workers, workerId, `${revision}:${Date.now()}`);
  }

  forgetWorker(workerId: string): Promise<number> {
    return this.redis.hdel(keyLayout.workers, workerId);
  }

  /** Revisions applied by workers that reported within `maxAgeMs`. */
  async liveWorkers(maxAgeMs: number): Promise<Map<string, number>> {
    const all = await this.redis.hgetall(keyLayout.workers);
    const now = Date.now();
    const live = new Map<string, number>();
    for (const [id, value] of Object.entries(all)) {
      const [rev, at] = value.split(':').map(Number);
      if (rev !== undefined && at !== undefined && now - at <= maxAgeMs) live.set(id, rev);
    }
    return live;
  }
}
