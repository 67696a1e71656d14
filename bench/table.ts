// Turns measurements into the comparison table. Baselines: nginx at the same process count for the
// throughput ratio, and the direct (no proxy) run for the latency a proxy adds.

import { errorCount, type WrkResult } from "./wrk.js";

export interface Measurement {
  scenario: string;
  processes: number;
  result: WrkResult;
  /** CPU µs per request: the proxy's process tree, and what analytics adds outside it (consumer + Redis). */
  cpu?: { proxyUs: number; analyticsUs: number };
}

const HEADERS = ["scenario", "processes", "rps", "p50 ms", "p99 ms", "rps / nginx", "rps / keyless", "p99 added ms"];

/**
 * Analytics on vs off at the same process count (the issue's cost criterion: ≥ 0.95): each on row is
 * paired with the off row measured just before it; with several rounds the median of the pairs is shown.
 */
export function renderAnalyticsCost(rows: Measurement[]): string[] {
  const ratios = new Map<number, number[]>();
  rows.forEach((on, i) => {
    const off = rows[i - 1];
    if (on.scenario !== "tollgate+analytics" || off?.scenario !== "tollgate" || off.processes !== on.processes) return;
    ratios.set(on.processes, [...(ratios.get(on.processes) ?? []), on.result.rps / off.result.rps]);
  });
  const median = (list: number[]): number => {
    const sorted = [...list].sort((a, b) => a - b);
    return sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  };
  const lines = [...ratios].map(([processes, list]) =>
    `analytics on / off, ${processes} worker(s), rps: median ${median(list).toFixed(3)} of ${list.length} pair(s) (${list.map((r) => r.toFixed(2)).join(", ")})`);
  for (const processes of new Set(rows.map((r) => r.processes))) {
    const cpu = (scenario: string) => rows.filter((r) => r.scenario === scenario && r.processes === processes && r.cpu).map((r) => r.cpu!);
    const off = cpu("tollgate");
    const on = cpu("tollgate+analytics");
    if (off.length === 0 || on.length === 0) continue;
    const offUs = median(off.map((c) => c.proxyUs));
    const onUs = median(on.map((c) => c.proxyUs));
    const offExtra = median(off.map((c) => c.analyticsUs));
    const onExtra = median(on.map((c) => c.analyticsUs));
    lines.push(`CPU per request (medians), ${processes} worker(s): gateway off ${offUs.toFixed(1)} µs, on ${onUs.toFixed(1)} µs; ` +
      `consumer + Redis off ${offExtra.toFixed(1)} µs, on ${onExtra.toFixed(1)} µs; off / on = ${(offUs / onUs).toFixed(3)} for the gateway, ` +
      `${((offUs + offExtra) / (onUs + onExtra)).toFixed(3)} with the consumer and Redis on the same machine`);
  }
  return lines;
}

export function renderTable(rows: Measurement[]): string {
  const direct = rows.find((r) => r.scenario === "direct");
  const cells = rows.map((r) => {
    // The baseline of a TLS row is nginx terminating TLS with the same certificate.
    const baseline = r.scenario.endsWith("-tls") ? "nginx-tls" : "nginx";
    const nginx = rows.find((n) => n.scenario === baseline && n.processes === r.processes);
    // Authenticated tollgate rows against the keyless tollgate row at the same worker count.
    const keyless = rows.find((k) => k.scenario === "tollgate" && k.processes === r.processes);
    const isAuthRow = r.scenario.startsWith("tollgate ") && keyless !== undefined;
    return [
      r.scenario,
      String(r.processes),
      r.result.rps.toFixed(0),
      r.result.p50Ms.toFixed(2),
      r.result.p99Ms.toFixed(2),
      nginx && r.scenario !== "direct" ? (r.result.rps / nginx.result.rps).toFixed(2) : "—",
      isAuthRow ? (r.result.rps / keyless!.result.rps).toFixed(2) : "—",
      direct && r !== direct ? (r.result.p99Ms - direct.result.p99Ms).toFixed(2) : "—",
    ];
  });
  return [...markdownRows([HEADERS, ...cells]), ...errorNotes(rows)].join("\n");
}

/** wrk counts non-2xx answers and socket errors separately from rps; a fast row full of 502s is not fast. */
function errorNotes(rows: Measurement[]): string[] {
  return rows
    .filter((r) => errorCount(r.result) > 0)
    .map((r) => `\n**${r.scenario} x${r.processes}: ${errorCount(r.result)} errors** of ${r.result.requests} requests ${JSON.stringify(r.result.errors)}`);
}

function markdownRows(table: string[][]): string[] {
  const widths = HEADERS.map((_, i) => Math.max(...table.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) => `| ${row.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i < 2 ? `-${"-".repeat(w)}-` : `-${"-".repeat(w)}:`)).join("|")}|`;
  const [head, ...body] = table;
  return [line(head!), rule, ...body.map(line)];
}

/**
 * Light-load latency (a few connections, no queueing): what the hop itself adds to p50 and p99 over the
 * direct run. The issue's "p99 added ≤ 1 ms" is read here; at 64 connections a saturated proxy's p99 is
 * mostly queueing (64 / rps), for nginx too.
 */
export function renderLatency(rows: Measurement[], connections: number): string[] {
  if (rows.length === 0) return [];
  const direct = rows.find((r) => r.scenario === "direct");
  const head = ["scenario", "connections", "rps", "p50 ms", "p99 ms", "p50 added ms", "p99 added ms"];
  const cells = rows.map((r) => [
    r.scenario, String(connections), r.result.rps.toFixed(0), r.result.p50Ms.toFixed(3), r.result.p99Ms.toFixed(3),
    direct && r !== direct ? (r.result.p50Ms - direct.result.p50Ms).toFixed(3) : "—",
    direct && r !== direct ? (r.result.p99Ms - direct.result.p99Ms).toFixed(3) : "—",
  ]);
  const widths = head.map((_, i) => Math.max(...[head, ...cells].map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `-${"-".repeat(w)}-` : `-${"-".repeat(w)}:`)).join("|")}|`;
  return [`Latency at light load (${connections} connections, 1 process):`, "", line(head), rule, ...cells.map(line), ...errorNotes(rows)];
}
