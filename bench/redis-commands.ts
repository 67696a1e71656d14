// Inline commands to the benchmark's private Redis: its command counters (the rate-limited rows) and the
// analytics queue's record counter (the analytics pairs wait for it to drain).

import { connect } from "node:net";
import { analyticsKeys } from "@tollgate/store";

/** Sends one inline command to Redis and returns its reply as text (bounded: 5 s). */
function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    const timer = setTimeout(() => socket.destroy(new Error(`redis ${command}: no reply within 5 s`)), 5000);
    socket.on("connect", () => socket.write(`${command}\r\n`));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      const header = /^\$(\d+)\r\n/.exec(reply);
      const isDone = header ? reply.length >= header[0].length + Number(header[1]) + 2 : reply.endsWith("\r\n");
      if (isDone) socket.end();
    });
    socket.on("close", () => { clearTimeout(timer); resolve(reply); });
    socket.on("error", (err) => { clearTimeout(timer); reject(err); });
  });
}

/** Records waiting in the analytics queue (its counter; 0 when absent). */
export async function queuedRecords(port: number): Promise<number> {
  const reply = await redisCommand(port, `GET ${analyticsKeys.queuedRecords}`);
  const value = /^\$\d+\r\n(-?\d+)\r\n/.exec(reply);
  return value ? Number(value[1]) : 0;
}

export async function resetRedisStats(port: number): Promise<void> {
  await redisCommand(port, "CONFIG RESETSTAT");
}

/** Calls per command since the last reset (`cmdstat_<name>:calls=N`), e.g. { evalsha: 812345, get: 40 }. */
export async function redisCommandCalls(port: number): Promise<Record<string, number>> {
  const text = await redisCommand(port, "INFO commandstats");
  const calls: Record<string, number> = {};
  for (const m of text.matchAll(/cmdstat_([a-z|_-]+):calls=(\d+)/g)) calls[m[1]!] = Number(m[2]);
  return calls;
}
