// Child-process bookkeeping. Every child gets its own process group (detached) so that stopping it
// also stops whatever it forked (nginx workers, node:cluster workers), and nothing outlives the run.

import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync, readFileSync } from "node:fs";

export interface Child {
  name: string;
  proc: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  hasExited: () => boolean;
}

const running = new Set<Child>();

export function startChild(name: string, cmd: string, args: string[], logFile: string, cwd?: string): Child {
  // Output goes to a file rather than a pipe: a pipe nobody drains would stall a chatty child mid-benchmark.
  const fd = openSync(logFile, "a");
  const proc = spawn(cmd, args, { cwd, detached: true, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    proc.once("exit", (code) => {
      done = true;
      resolve(code);
    });
    proc.once("error", () => {
      done = true;
      resolve(null);
    });
  });
  const child: Child = { name, proc, logFile, exited, hasExited: () => done };
  running.add(child);
  return child;
}

/** A short-lived child (wrk): tracked while it runs so Ctrl-C stops it too; returns its exit code and output. */
export async function runToEnd(name: string, cmd: string, args: string[], logFile: string): Promise<{ code: number | null; output: string }> {
  const child = startChild(name, cmd, args, logFile);
  const code = await child.exited;
  running.delete(child);
  return { code, output: readFileSync(logFile, "utf8") };
}

export async function stopChild(child: Child, graceMs = 3000): Promise<void> {
  running.delete(child);
  signalGroup(child, "SIGTERM");
  const timer = new Promise<void>((r) => setTimeout(r, graceMs).unref());
  await Promise.race([child.exited, timer]);
  // Always sweep the group: a leader that exited may have left forked workers behind.
  signalGroup(child, "SIGKILL");
}

export async function stopAll(): Promise<void> {
  // Reverse start order: gateways before the redis they depend on, proxies before their upstream.
  const all = [...running].reverse();
  for (const child of all) await stopChild(child);
}

export function logTail(child: Child, lines = 20): string {
  try {
    return readFileSync(child.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Stop children on Ctrl-C / kill, and as a last resort synchronously when node exits for any reason. */
export function installCleanupHandlers(): void {
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping child processes`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  process.once("exit", () => {
    for (const child of running) signalGroup(child, "SIGKILL");
  });
}

function signalGroup(child: Child, signal: NodeJS.Signals): void {
  if (child.proc.pid === undefined) return;
  try {
    process.kill(-child.proc.pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what we want.
  }
}
