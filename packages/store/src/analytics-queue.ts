import { analyticsKeys } from './key-layout.js';
import type { RedisClient } from './redis-client.js';
import { defineScripts, type TollgateCommands } from './scripts.js';

/** A batch as the gateway hands it over: a unique id, its record count and the msgpack bytes. */
export interface QueuedBatch {
  readonly id: string;
  readonly records: number;
  readonly bytes: Buffer;
}

/** A batch as the consumer reads it back, with the stream entry id it must acknowledge. */
export interface StreamBatch extends QueuedBatch {
  readonly entryId: string;
}

export interface AnalyticsQueueOptions {
  /** Records the stream may hold before appends are refused (the Redis-side bound). */
  readonly maxQueuedRecords: number;
}

/**
 * The analytics queue in Redis: a stream of record batches read through a consumer group, with a record
 * counter that bounds it. Appending past the bound is refused (never trimmed), so the producer knows
 * which records did not get in and can count them.
 *
 * @example
 * const queue = new AnalyticsQueue(redis, { maxQueuedRecords: 500_000 });
 * const appended = await queue.append([{ id: 'w1:1', records: 2, bytes }]);
 */
export class AnalyticsQueue {
  private readonly redis: RedisClient & TollgateCommands;

  constructor(redis: RedisClient, private readonly options: AnalyticsQueueOptions) {
    this.redis = defineScripts(redis);
  }

  /** Appends batches in order until the bound; resolves with how many were appended. */
  append(batches: readonly QueuedBatch[]): Promise<number> {
    const args: (string | number | Buffer)[] = [];
    for (const b of batches) args.push(b.id, b.records, b.bytes);
    return this.redis.analyticsAppend(analyticsKeys.stream, analyticsKeys.queuedRecords, this.options.maxQueuedRecords, ...args);
  }

  /** Creates the consumer group (from the start of the stream) unless it exists. */
  async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', analyticsKeys.stream, analyticsKeys.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!/BUSYGROUP/.test((err as Error).message)) throw err;
    }
  }

  /**
   * New batches for `consumer` (`fromPending` = its own delivered-but-unacknowledged ones first, as
   * after a crash). Non-blocking: resolves with what is there, possibly nothing.
   */
  async read(consumer: string, count: number, fromPending = false): Promise<StreamBatch[]> {
    const reply = await this.redis.callBuffer(
      'XREADGROUP', 'GROUP', analyticsKeys.group, consumer, 'COUNT', count, 'STREAMS', analyticsKeys.stream, fromPending ? '0' : '>',
    ) as [Buffer, [Buffer, Buffer[] | null][]][] | null;
    return reply === null ? [] : parseEntries(reply[0]?.[1] ?? []);
  }

  /** Takes over batches another consumer was given and has not acknowledged for `minIdleMs` (it died). */
  async claimStale(consumer: string, minIdleMs: number, count: number): Promise<StreamBatch[]> {
    const reply = await this.redis.callBuffer(
      'XAUTOCLAIM', analyticsKeys.stream, analyticsKeys.group, consumer, minIdleMs, '0', 'COUNT', count,
    ) as unknown as [Buffer, [Buffer, Buffer[] | null][]];
    return parseEntries(reply[1] ?? []);
  }

  /** Acknowledges and deletes consumed batches; resolves with how many were acknowledged now. */
  ack(batches: readonly StreamBatch[]): Promise<number> {
    if (batches.length === 0) return Promise.resolve(0);
    const args: (string | number)[] = [];
    for (const b of batches) args.push(b.entryId, b.records);
    return this.redis.analyticsAck(analyticsKeys.stream, analyticsKeys.queuedRecords, analyticsKeys.group, ...args);
  }

  /** Records waiting in the queue (appended, not yet acknowledged). */
  async queuedRecords(): Promise<number> {
    return Number((await this.redis.get(analyticsKeys.queuedRecords)) ?? 0);
  }
}

/**
 * An entry deleted while pending comes back with null fields: it is returned with no bytes, so the
 * consumer acknowledges it (and so clears it from the pending list) without aggregating anything.
 */
function parseEntries(entries: [Buffer, Buffer[] | null][]): StreamBatch[] {
  const out: StreamBatch[] = [];
  for (const [entryId, fields] of entries) {
    if (fields === null) {
      out.push({ entryId: entryId.toString(), id: '', records: 0, bytes: Buffer.alloc(0) });
      continue;
    }
    let id = '';
    let records = 0;
    let bytes: Buffer | null = null;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i]!.toString();
      if (name === 'id') id = fields[i + 1]!.toString();
      else if (name === 'n') records = Number(fields[i + 1]!.toString());
      else if (name === 'b') bytes = fields[i + 1]!;
    }
    out.push({ entryId: entryId.toString(), id, records, bytes: bytes ?? Buffer.alloc(0) });
  }
  return out;
}
