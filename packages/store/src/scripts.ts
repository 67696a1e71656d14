import { readFileSync } from 'node:fs';
import type { RedisClient } from './redis-client.js';

/** Lua scripts live in src/scripts as `<name>-<numberOfKeys>.lua` (BullMQ's convention; `n` = variable). */
const SCRIPT_DIR = new URL('../src/scripts/', import.meta.url);

type Arg = string | number | Buffer;

export interface TollgateCommands {
  configWrite(
    objectsKey: string, revisionKey: string,
    kind: string, id: string, op: 'put' | 'delete', json: string, channel: string,
  ): Promise<number>;
  analyticsAppend(streamKey: string, counterKey: string, maxRecords: number, ...triples: Arg[]): Promise<number>;
  analyticsAck(streamKey: string, counterKey: string, group: string, ...pairs: Arg[]): Promise<number>;
  /** Variable key count: the first argument is the number of keys. */
  analyticsAggregate(numberOfKeys: number, ...keysThenArgs: Arg[]): Promise<number>;
  sessionWrite(
    sessionKey: string, op: 'put' | 'delete', json: string, ttlSeconds: string, channel: string, storageId: string,
  ): Promise<number>;
}

const SCRIPTS: ReadonlyArray<{ command: keyof TollgateCommands; file: string; keys: number | undefined }> = [
  { command: 'configWrite', file: 'config-write-2.lua', keys: 2 },
  { command: 'analyticsAppend', file: 'analytics-append-2.lua', keys: 2 },
  { command: 'analyticsAck', file: 'analytics-ack-2.lua', keys: 2 },
  { command: 'analyticsAggregate', file: 'analytics-aggregate-n.lua', keys: undefined },
  { command: 'sessionWrite', file: 'session-write-1.lua', keys: 1 },
];

/** Registers every script once per client (ioredis sends EVALSHA and falls back to EVAL by itself). */
export function defineScripts(client: RedisClient): RedisClient & TollgateCommands {
  for (const s of SCRIPTS) {
    if (typeof (client as unknown as Record<string, unknown>)[s.command] === 'function') continue;
    const lua = readFileSync(new URL(s.file, SCRIPT_DIR), 'utf8');
    client.defineCommand(s.command, s.keys === undefined ? { lua } : { numberOfKeys: s.keys, lua });
  }
  return client as RedisClient & TollgateCommands;
}
