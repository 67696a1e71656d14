import { readFileSync } from 'node:fs';
import type { RedisClient } from './redis-client.js';

/** Lua scripts live in src/scripts as `<name>-<numberOfKeys>.lua` (BullMQ's convention). */
const SCRIPT_DIR = new URL('../src/scripts/', import.meta.url);

export interface TollgateCommands {
  configWrite(
    objectsKey: string, revisionKey: string,
    kind: string, id: string, op: 'put' | 'delete', json: string, channel: string,
  ): Promise<number>;
  sessionWrite(
    sessionKey: string, op: 'put' | 'delete', json: string, ttlSeconds: string, channel: string, storageId: string,
  ): Promise<number>;
}

const SCRIPTS: ReadonlyArray<{ command: keyof TollgateCommands; file: string; keys: number }> = [
  { command: 'configWrite', file: 'config-write-2.lua', keys: 2 },
  { command: 'sessionWrite', file: 'session-write-1.lua', keys: 1 },
];

/** Registers every script once per client (ioredis sends EVALSHA and falls back to EVAL by itself). */
export function defineScripts(client: RedisClient): RedisClient & TollgateCommands {
  for (const s of SCRIPTS) {
    if (typeof (client as unknown as Record<string, unknown>)[s.command] === 'function') continue;
    const lua = readFileSync(new URL(s.file, SCRIPT_DIR), 'utf8');
    client.defineCommand(s.command, { numberOfKeys: s.keys, lua });
  }
  return client as RedisClient & TollgateCommands;
}
