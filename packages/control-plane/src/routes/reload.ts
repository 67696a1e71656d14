import type { ServerResponse } from 'node:http';
import type { ConfigStore } from '@tollgate/store';
import { sendStatus } from '../http-reply.js';

/** A worker that has not reported for this long is considered gone. */
const LIVE_WORKER_MS = 5000;
const BLOCK_TIMEOUT_MS = 10_000;

/**
 * `/tyk/reload` and `/tyk/reload/group`. Changes are live without a reload; with `block=true` the call
 * returns once every live worker has applied the current revision (or after a bounded wait).
 */
export async function handleReload(store: ConfigStore, res: ServerResponse, block: boolean): Promise<void> {
  if (block) await waitForWorkers(store, await store.revision());
  sendStatus(res, 200, '');
}

async function waitForWorkers(store: ConfigStore, revision: number): Promise<void> {
  const deadline = Date.now() + BLOCK_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const workers = await store.liveWorkers(LIVE_WORKER_MS);
    if ([...workers.values()].every((applied) => applied >= revision)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
