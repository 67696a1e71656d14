// Turns measurements into the comparison table. Baselines: nginx at the same process count for the
// throughput ratio, and the direct (no proxy) run for the latency a proxy adds.

import { errorCount, type WrkResult } from "./wrk.js";

export interface Measurement {
  scenario: string;
  processes: number;
  result: WrkResult;
}

const HEADERS = ["scenario", "processes", "rps", "p50 ms", "p99 ms", "rps / nginx", "rps / keyless", "p99 added ms"];

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
