// Loopback helpers: free ports and readiness polling. Everything here targets 127.0.0.1 only.

import { createServer } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { logTail, type Child } from "./processes.js";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Poll until `url` answers 200, failing early (with the child's log) if the child dies first. */
/** The benchmark's own self-signed certificate is accepted when polling an https URL. */
const insecure = new Agent({ connect: { rejectUnauthorized: false } });

export async function waitFor200(url: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (child.hasExited()) throw new Error(`${child.name} exited before ${url} was ready:\n${logTail(child)}`);
    try {
      const res = await undiciFetch(url, { signal: AbortSignal.timeout(1000), dispatcher: insecure });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready after ${timeoutMs / 1000}s (last: ${last}); ${child.name} log:\n${logTail(child)}`);
}
