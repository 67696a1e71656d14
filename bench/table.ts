// Turns measurements into the comparison table. Every row is measured in N rounds; a row shows the medians
// of its runs, and a ratio is the median of per-round ratios: round r of the row over round r of its
// baseline, measured moments apart in the same round-robin, so drift of the machine cancels out.
// Baselines: nginx at the same process count for the throughput ratio, the keyless tollgate row for the
// authenticated and limited rows, and the direct (no proxy) run for the latency a proxy adds.

import { errorCount, type WrkResult } from "./wrk.js";

export interface Measurement {
  scenario: string;
  processes: number;
  /**
   * The round-robin this run belongs to (e.g. "x1": direct, nginx x1 and the tollgate x1 rows): per-round
   * ratios only pair runs of the same session.
   */
  session: string;
  /** 1-based round of the session. */
  round: number;
  result: WrkResult;
  /** CPU µs per request: the proxy's process tree, and what analytics adds outside it (consumer + Redis). */
  cpu?: { proxyUs: number; analyticsUs: number };
  /** The gateway workers' CPU µs per request (from /proc), for the keyless, token and limited rows. */
  workerUs?: number;
  /** Redis `INFO commandstats` calls during the run (reset just before it), for the limited rows. */
  redisCalls?: Record<string, number>;
}

/** All runs of one scenario at one process count in one session, in round order. */
export interface Row {
  scenario: string;
  processes: number;
  session: string;
  runs: Measurement[];
}

/** Median of a list (mean of the two middle values for an even length); NaN for an empty list. */
export function median(list: readonly number[]): number {
  if (list.length === 0) return NaN;
  const sorted = [...list].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Groups runs into rows (session, scenario, processes), in the order each row was first measured. */
export function groupRows(measurements: readonly Measurement[]): Row[] {
  const rows = new Map<string, Row>();
  for (const m of measurements) {
    const key = JSON.stringify([m.session, m.scenario, m.processes]);
    let row = rows.get(key);
    if (!row) {
      row = { scenario: m.scenario, processes: m.processes, session: m.session, runs: [] };
      rows.set(key, row);
    }
    row.runs.push(m);
  }
  for (const row of rows.values()) row.runs.sort((a, b) => a.round - b.round);
  return [...rows.values()];
}

/** Median rps, p50 and p99 of a row's runs. */
export function summarise(row: Row): { rps: number; p50Ms: number; p99Ms: number } {
  return {
    rps: median(row.runs.map((m) => m.result.rps)),
    p50Ms: median(row.runs.map((m) => m.result.p50Ms)),
    p99Ms: median(row.runs.map((m) => m.result.p99Ms)),
  };
}

/**
 * Per-round ratios value(row's run r) / value(base's run r), for the rounds both rows have (and where both
 * values are defined), in round order. The rows should come from the same session.
 */
export function perRoundRatios(row: Row, base: Row, value: (m: Measurement) => number | undefined = (m) => m.result.rps): number[] {
  const ratios: number[] = [];
  for (const run of row.runs) {
    const other = base.runs.find((b) => b.round === run.round);
    const num = value(run);
    const den = other ? value(other) : undefined;
    if (num !== undefined && den !== undefined && den !== 0) ratios.push(num / den);
  }
  return ratios;
}

/** The median of the per-round ratios, or undefined when the rows share no round. */
export function medianRatio(row: Row, base: Row, value?: (m: Measurement) => number | undefined): number | undefined {
  const ratios = perRoundRatios(row, base, value);
  return ratios.length > 0 ? median(ratios) : undefined;
}

const HEADERS = ["scenario", "processes", "rps", "p50 ms", "p99 ms", "rps / nginx", "rps / keyless", "p99 added ms"];

const find = (rows: Row[], session: string, scenario: string, processes: number): Row | undefined =>
  rows.find((r) => r.session === session && r.scenario === scenario && r.processes === processes);

export function renderTable(measurements: readonly Measurement[], rounds: number, pairs = rounds): string {
  const rows = groupRows(measurements);
  const direct = rows.find((r) => r.scenario === "direct");
  const directP99 = direct ? summarise(direct).p99Ms : undefined;
  const cells = rows.map((r) => {
    const s = summarise(r);
    // The baseline of a TLS row is nginx terminating TLS with the same certificate, measured in the same rounds.
    const nginx = find(rows, r.session, r.scenario.endsWith("-tls") ? "nginx-tls" : "nginx", r.processes);
    const vsNginx = nginx && r.scenario !== "direct" ? medianRatio(r, nginx) : undefined;
    // Authenticated and limited tollgate rows against the keyless tollgate row of the same gateway.
    const keyless = find(rows, r.session, "tollgate", r.processes);
    const vsKeyless = keyless && r.scenario.startsWith("tollgate ") ? medianRatio(r, keyless) : undefined;
    return [
      r.scenario,
      String(r.processes),
      s.rps.toFixed(0),
      s.p50Ms.toFixed(2),
      s.p99Ms.toFixed(2),
      vsNginx !== undefined ? vsNginx.toFixed(2) : "—",
      vsKeyless !== undefined ? vsKeyless.toFixed(2) : "—",
      directP99 !== undefined && r !== direct ? (s.p99Ms - directP99).toFixed(2) : "—",
    ];
  });
  return [...markdownRows(HEADERS, [HEADERS, ...cells]), "", methodLine(rows, rounds, pairs), ...shortRows(rows, rounds, pairs), ...errorNotes(measurements)].join("\n");
}

/** Analytics rows are measured in `--pairs` off/on pairs, the others in `--rounds` rounds. */
const isAnalyticsRow = (r: Row): boolean => r.session.startsWith("analytics");

function methodLine(rows: Row[], rounds: number, pairs: number): string {
  const analytics = rows.some(isAnalyticsRow);
  return `Each row: median rps, p50 and p99 of ${rounds} run(s), measured round-robin in ${rounds} round(s) with the rows it is compared with ` +
    `(direct, nginx and the tollgate rows of one process count; nginx-tls and tollgate-tls)` +
    `${analytics ? `; the analytics rows: ${pairs} off/on pairs, the two gateways side by side, restarted every two pairs (the one started first alternating), off measured first in odd pairs and on first in even ones` : ""}. ` +
    `rps / nginx and rps / keyless are the median of the ${rounds} per-round ratios (round r of the row over round r of its baseline), ` +
    `which cancels the machine's drift; "—" where the baseline was not in the same rounds. p99 added = the row's median p99 − direct's median p99.`;
}

/** A row with fewer runs than rounds (or pairs) (a run failed): its medians and ratios rest on fewer runs. */
function shortRows(rows: Row[], rounds: number, pairs: number): string[] {
  const expected = (r: Row) => (isAnalyticsRow(r) ? pairs : rounds);
  return rows.filter((r) => r.runs.length < expected(r)).map((r) => `\n**${r.scenario} x${r.processes}: only ${r.runs.length} of ${expected(r)} run(s)**`);
}

/** wrk counts non-2xx answers and socket errors separately from rps; a fast row full of 502s is not fast. */
function errorNotes(measurements: readonly Measurement[]): string[] {
  return measurements
    .filter((m) => errorCount(m.result) > 0)
    .map((m) => `\n**${m.scenario} x${m.processes} (${m.session}, round ${m.round}): ${errorCount(m.result)} errors** of ${m.result.requests} requests ${JSON.stringify(m.result.errors)}`);
}

function markdownRows(head: string[], table: string[][], leftColumns = 2): string[] {
  const widths = head.map((_, i) => Math.max(...table.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) => `| ${row.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i < leftColumns ? `-${"-".repeat(w)}-` : `-${"-".repeat(w)}:`)).join("|")}|`;
  const [first, ...body] = table;
  return [line(first!), rule, ...body.map(line)];
}

/**
 * Analytics on vs off at the same process count (the issue's cost criterion: ≥ 0.95): round r is an
 * adjacent off/on pair; the median of the pairs' rps ratios is shown, and the median CPU per request.
 */
export function renderAnalyticsCost(measurements: readonly Measurement[]): string[] {
  const rows = groupRows(measurements);
  const lines: string[] = [];
  const cpuLines: string[] = [];
  for (const on of rows.filter((r) => r.scenario === "tollgate+analytics")) {
    const off = find(rows, on.session, "tollgate", on.processes);
    if (!off) continue;
    const ratios = perRoundRatios(on, off);
    if (ratios.length > 0) {
      lines.push(`analytics on / off, ${on.processes} worker(s), rps: median ${median(ratios).toFixed(3)} of ${ratios.length} pair(s) ` +
        `(${ratios.map((r) => r.toFixed(2)).join(", ")})`);
    }
    const offCpu = off.runs.flatMap((m) => (m.cpu ? [m.cpu] : []));
    const onCpu = on.runs.flatMap((m) => (m.cpu ? [m.cpu] : []));
    if (offCpu.length === 0 || onCpu.length === 0) continue;
    const offUs = median(offCpu.map((c) => c.proxyUs));
    const onUs = median(onCpu.map((c) => c.proxyUs));
    const offExtra = median(offCpu.map((c) => c.analyticsUs));
    const onExtra = median(onCpu.map((c) => c.analyticsUs));
    cpuLines.push(`CPU per request (medians), ${on.processes} worker(s): gateway off ${offUs.toFixed(1)} µs, on ${onUs.toFixed(1)} µs; ` +
      `consumer + Redis off ${offExtra.toFixed(1)} µs, on ${onExtra.toFixed(1)} µs; off / on = ${(offUs / onUs).toFixed(3)} for the gateway, ` +
      `${((offUs + offExtra) / (onUs + onExtra)).toFixed(3)} with the consumer and Redis on the same machine`);
  }
  return [...lines, ...cpuLines];
}

/** Sums Redis command counters over runs. */
export function sumCalls(list: readonly Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const calls of list) for (const [name, n] of Object.entries(calls)) total[name] = (total[name] ?? 0) + n;
  return total;
}

/**
 * Notes on the tollgate rows of each plain session: the gateway workers' CPU per request (medians of the
 * rounds; CPU ratios are medians of per-round ratios) and the Redis commands sent per limited request
 * (summed over the rounds: all commands ÷ all requests).
 */
export function renderTollgateNotes(measurements: readonly Measurement[]): string[] {
  const rows = groupRows(measurements);
  const notes: string[] = [];
  const cpu = (m: Measurement) => m.workerUs;
  const us = (row: Row) => median(row.runs.flatMap((m) => (m.workerUs !== undefined ? [m.workerUs] : []))).toFixed(1);
  const ratio = (row: Row, base: Row, value?: (m: Measurement) => number | undefined) => medianRatio(row, base, value)?.toFixed(2) ?? "—";
  for (const keyless of rows.filter((r) => r.scenario === "tollgate")) {
    const { session, processes } = keyless;
    const limited = find(rows, session, "tollgate limited", processes);
    const token = find(rows, session, "tollgate token", processes);
    const keyLimited = find(rows, session, "tollgate token limited", processes);
    if (limited && limited.runs.some((m) => m.workerUs !== undefined)) {
      notes.push(`tollgate x${processes}: gateway worker CPU per request (median of ${limited.runs.length} rounds) ${us(keyless)} µs keyless, ` +
        `${us(limited)} µs rate-limited (keyless ÷ limited = ${ratio(keyless, limited, cpu)}, median of per-round ratios; CPU time is steadier than rps on a shared machine)`);
    }
    if (limited && limited.runs.some((m) => m.redisCalls)) {
      const { scripts, total, requests, calls } = redisTotals(limited);
      notes.push(`tollgate limited x${processes}: ${(scripts / requests).toFixed(3)} Redis commands sent per request ` +
        `(EVALSHA/EVAL; summed over ${limited.runs.length} rounds, ${requests} requests). INFO commandstats also counts the commands run inside the script, ` +
        `${((total - scripts) / requests).toFixed(2)} per request: ${JSON.stringify(calls)}`);
    }
    if (keyLimited && token && keyLimited.runs.some((m) => m.redisCalls)) {
      const { scripts, requests } = redisTotals(keyLimited);
      notes.push(`tollgate token limited x${processes} (key rate + quota): ${ratio(keyLimited, token)} × the token row's rps (median of per-round ratios); ` +
        `worker CPU per request (medians) ${us(token)} µs token → ${us(keyLimited)} µs with limits ` +
        `(token ÷ limited ${ratio(token, keyLimited, cpu)}, keyless ÷ limited ${ratio(keyless, keyLimited, cpu)}); ` +
        `${(scripts / requests).toFixed(3)} Redis commands sent per request (EVALSHA/EVAL; summed over ${keyLimited.runs.length} rounds, ${requests} requests)`);
    }
  }
  return notes;
}

function redisTotals(row: Row): { scripts: number; total: number; requests: number; calls: Record<string, number> } {
  const measured = row.runs.filter((m) => m.redisCalls);
  const calls = sumCalls(measured.map((m) => m.redisCalls!));
  const scripts = (calls.evalsha ?? 0) + (calls.eval ?? 0);
  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  const requests = Math.max(1, measured.reduce((n, m) => n + m.result.requests, 0));
  return { scripts, total, requests, calls };
}

/**
 * Light-load latency (a few connections, no queueing): what the hop itself adds to p50 and p99 over the
 * direct run (differences of the medians). The issue's "p99 added ≤ 1 ms" is read here; at 64 connections
 * a saturated proxy's p99 is mostly queueing (64 / rps), for nginx too.
 */
export function renderLatency(measurements: readonly Measurement[], connections: number, rounds: number): string[] {
  if (measurements.length === 0) return [];
  const rows = groupRows(measurements);
  const direct = rows.find((r) => r.scenario === "direct");
  const base = direct ? summarise(direct) : undefined;
  const head = ["scenario", "connections", "rps", "p50 ms", "p99 ms", "p50 added ms", "p99 added ms"];
  const cells = rows.map((r) => {
    const s = summarise(r);
    return [
      r.scenario, String(connections), s.rps.toFixed(0), s.p50Ms.toFixed(3), s.p99Ms.toFixed(3),
      base && r !== direct ? (s.p50Ms - base.p50Ms).toFixed(3) : "—",
      base && r !== direct ? (s.p99Ms - base.p99Ms).toFixed(3) : "—",
    ];
  });
  return [
    `Latency at light load (${connections} connections, 1 process; medians of ${rounds} round(s), interleaved with the x1 rows above):`, "",
    ...markdownRows(head, [head, ...cells], 1), ...shortRows(rows, rounds, rounds), ...errorNotes(measurements),
  ];
}
