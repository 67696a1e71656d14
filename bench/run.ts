// Entry point: `node bench/dist/run.js [--rounds 3] [--duration 5s] [--connections 64] [--threads 1] [--only ...]`.
// Installs nginx/wrk if needed, runs every scenario in interleaved rounds, prints the table (medians) and
// writes bench/results/latest.md.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, UsageError, type Options } from "./args.js";
import { ensureTools, type Tools } from "./install.js";
import { installCleanupHandlers, stopAll } from "./processes.js";
import { LIGHT_CONNECTIONS, runScenarios, type Outcome } from "./scenarios.js";
import { renderAnalyticsCost, renderLatency, renderTable, renderTollgateNotes } from "./table.js";

// This file runs as bench/dist/run.js, so the repo root is two levels up.
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

async function main(): Promise<number> {
  const startedAt = Date.now();
  const opts = parseArgs(process.argv.slice(2));
  installCleanupHandlers();
  const tools = ensureTools(opts.only.some((s) => s === "tollgate" || s === "analytics" || s === "tollgate-tls"));
  const workDir = mkdtempSync(join(tmpdir(), "tollgate-bench-"));
  // On exit rather than in finally, so that Ctrl-C (which exits from the signal handler) cleans up too.
  process.once("exit", () => rmSync(workDir, { recursive: true, force: true }));
  try {
    const outcome = await runScenarios({ opts, tools, workDir, repoRoot: REPO_ROOT });
    const report = renderReport(opts, tools, outcome);
    console.log(`\n${report}`);
    const file = writeReport(report);
    const seconds = Math.round((Date.now() - startedAt) / 1000);
    console.log(`\nwritten to ${file} (the run took ${Math.floor(seconds / 60)} min ${seconds % 60} s)`);
    return outcome.failures.length > 0 ? 1 : 0;
  } finally {
    await stopAll();
  }
}

function renderReport(opts: Options, tools: Tools, outcome: Outcome): string {
  const header = [
    `# Tollgate benchmark — ${new Date().toISOString()}`,
    "",
    `wrk: ${opts.threads} thread(s), ${opts.connections} connections, ${opts.duration} per run, ${opts.rounds} round(s), keep-alive, 2-byte body; ` +
      `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? "unknown CPU"}); ${nginxVersion(tools)}.`,
    "",
  ];
  const failures = outcome.failures.map((f) => `\n**failed** — ${f.split("\n")[0]}`);
  const cost = renderAnalyticsCost(outcome.rows);
  const notes = renderTollgateNotes(outcome.rows).map((n) => `\n${n}`);
  const latency = renderLatency(outcome.latency, LIGHT_CONNECTIONS, opts.rounds);
  return [...header, renderTable(outcome.rows, opts.rounds, opts.pairs), ...(cost.length > 0 ? ["", ...cost] : []), ...(latency.length > 0 ? ["", ...latency] : []), ...notes, ...failures].join("\n") + "\n";
}

function writeReport(report: string): string {
  const dir = join(REPO_ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "latest.md");
  writeFileSync(file, report);
  return file;
}

function nginxVersion(tools: Tools): string {
  // nginx prints its version on stderr, e.g. "nginx version: nginx/1.22.1".
  return spawnSync(tools.nginx, ["-v"], { encoding: "utf8" }).stderr.trim().replace("nginx version: ", "");
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof UsageError ? err.message : err);
    void stopAll().finally(() => process.exit(err instanceof UsageError ? 2 : 1));
  },
);
