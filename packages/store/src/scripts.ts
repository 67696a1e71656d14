import { readFileSync } from 'node:fs';
import type { RedisClient } from './redis-client.js';

/**
 * Lua scripts live in src/scripts as `<name>-<numberOfKeys>.lua` (BullMQ's convention). A `-n` script
 * takes 1..MAX_VARIADIC_KEYS keys: it is registered once per key count (`limits1`, `limits2`, ...), all
 * with the same SHA, because ioredis routes and auto-pipelines a script by its first key only when the
 * key count is fixed at definition.
 */
const SCRIPT_DIR = new URL('../src/scripts/', import.meta.url);

/** Most keys a `-n` script is registered for. */
export const MAX_VARIADIC_KEYS = 6;

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

/** The `-n` scripts: name → file. */
export type VariadicScript = 'limits' | 'limitsRefund';

/** keys: a fixed count; 'n': registered once per count (limits); undefined: the caller passes the count. */
const SCRIPTS: ReadonlyArray<{ command: string; file: string; keys: number | 'n' | undefined }> = [
  { command: 'configWrite', file: 'config-write-2.lua', keys: 2 },
  { command: 'analyticsAppend', file: 'analytics-append-2.lua', keys: 2 },
  { command: 'analyticsAck', file: 'analytics-ack-2.lua', keys: 2 },
  { command: 'analyticsAggregate', file: 'analytics-aggregate-n.lua', keys: undefined },
  { command: 'sessionWrite', file: 'session-write-1.lua', keys: 1 },
  // limits-n.lua / limits-refund-n.lua: see their headers (rate limits and quotas).
  { command: 'limits', file: 'limits-n.lua', keys: 'n' },
  { command: 'limitsRefund', file: 'limits-refund-n.lua', keys: 'n' },
];

/** Registers every script once per client (ioredis sends EVALSHA and falls back to EVAL by itself). */
export function defineScripts(client: RedisClient): RedisClient & TollgateCommands {
  const methods = client as unknown as Record<string, unknown>;
  for (const s of SCRIPTS) {
    if (typeof methods[s.keys === 'n' ? `${s.command}1` : s.command] === 'function') continue;
    const lua = readFileSync(new URL(s.file, SCRIPT_DIR), 'utf8');
    if (s.keys !== 'n') {
      client.defineCommand(s.command, s.keys === undefined ? { lua } : { numberOfKeys: s.keys, lua });
      continue;
    }
    for (let n = 1; n <= MAX_VARIADIC_KEYS; n++) client.defineCommand(`${s.command}${n}`, { numberOfKeys: n, lua });
  }
  return client as RedisClient & TollgateCommands;
}

/**
 * Calls a `-n` script with `keys.length` keys (1..MAX_VARIADIC_KEYS) on a client passed through
 * `defineScripts`.
 *
 * @example
 * const raw = await callVariadic<number[]>(redis, 'limits', keys, argv);
 */
export function callVariadic<T>(client: RedisClient, script: VariadicScript, args: ReadonlyArray<string | number>, keyCount: number): Promise<T> {
  if (keyCount < 1 || keyCount > MAX_VARIADIC_KEYS) throw new RangeError(`${script}: ${keyCount} keys (1..${MAX_VARIADIC_KEYS})`);
  return (client as unknown as Record<string, (...a: ReadonlyArray<string | number>) => Promise<T>>)[`${script}${keyCount}`]!(...args);
}
