import { unpack } from 'msgpackr';
import { CONFIG_KINDS, type ConfigKind } from './key-layout.js';

/** What the control plane publishes after each change; the object itself is read from Redis. */
export interface ChangeMessage {
  readonly revision: number;
  readonly kind: ConfigKind;
  readonly id: string;
  readonly op: 'put' | 'delete';
}

/** A msgpack message decoded to an object (map); null (never throws) for anything else or bad bytes. */
export function unpackObject(payload: Buffer): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = unpack(payload);
  } catch {
    return null;
  }
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
}

/** Decodes a message from the change channel; returns null (never throws) for anything malformed. */
export function decodeChangeMessage(payload: Buffer): ChangeMessage | null {
  const m = unpackObject(payload);
  if (m === null) return null;
  const { revision, kind, id, op } = m;
  if (typeof revision !== 'number' || !Number.isInteger(revision) || revision < 1) return null;
  if (typeof kind !== 'string' || !(CONFIG_KINDS as readonly string[]).includes(kind)) return null;
  if (typeof id !== 'string' || (op !== 'put' && op !== 'delete')) return null;
  return { revision, kind: kind as ConfigKind, id, op };
}
