// Runs wrk and reads its result. A Lua `done` hook prints one JSON line with exact numbers
// (microsecond percentiles, error counts), which is sturdier than parsing wrk's human-readable units.
// Only `done` is defined, so wrk never calls into Lua per request and its speed is unaffected.

import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runToEnd } from "./processes.js";

export interface WrkOptions {
  duration: string;
  connections: number;
  threads: number;
  /** Extra request headers, `Name: value` (the authenticated rows send their credential). */
  headers?: readonly string[];
}

export interface WrkResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
}

const MARKER = "WRK_JSON ";

const DONE_HOOK = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '${MARKER}{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
`;

export function writeDoneHook(dir: string): string {
  const file = join(dir, "done.lua");
  writeFileSync(file, DONE_HOOK);
  return file;
}

/** `hook` is the file from writeDoneHook; wrk's output is collected next to it. */
export async function runWrk(bin: string, hook: string, url: string, opts: WrkOptions): Promise<WrkResult> {
  if (!/^https?:\/\/127\.0\.0\.1:/.test(url)) throw new Error(`refusing to load a non-loopback target: ${url}`);
  const args = ["-t", String(opts.threads), "-c", String(opts.connections), "-d", opts.duration, "-s", hook];
  for (const header of opts.headers ?? []) args.push("-H", header);
  args.push(url);
  const log = `${hook}.out`;
  rmSync(log, { force: true });
  const { code, output } = await runToEnd("wrk", bin, args, log);
  if (code !== 0) throw new Error(`wrk exited ${code}:\n${output}`);
  return parseWrk(output);
}

export function parseWrk(output: string): WrkResult {
  const line = output.split("\n").find((l) => l.startsWith(MARKER));
  if (!line) throw new Error(`wrk printed no result:\n${output}`);
  const raw = JSON.parse(line.slice(MARKER.length)) as {
    requests: number;
    duration_us: number;
    p50_us: number;
    p99_us: number;
    errors: WrkResult["errors"];
  };
  return {
    requests: raw.requests,
    rps: raw.requests / (raw.duration_us / 1e6),
    p50Ms: raw.p50_us / 1000,
    p99Ms: raw.p99_us / 1000,
    errors: raw.errors,
  };
}

export function errorCount(r: WrkResult): number {
  const e = r.errors;
  return e.connect + e.read + e.write + e.status + e.timeout;
}
