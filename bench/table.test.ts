import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  groupRows, median, medianRatio, perRoundRatios, renderAnalyticsCost, renderLatency, renderTable, renderTollgateNotes, sumCalls, summarise,
  type Measurement,
} from "./table.js";
import type { WrkResult } from "./wrk.js";

const NO_ERRORS = { connect: 0, read: 0, write: 0, status: 0, timeout: 0 };

function result(rps: number, p50Ms = 1, p99Ms = 2, errors: Partial<WrkResult["errors"]> = {}): WrkResult {
  return { requests: rps * 5, rps, p50Ms, p99Ms, errors: { ...NO_ERRORS, ...errors } };
}

function run(scenario: string, processes: number, session: string, round: number, rps: number, extra: Partial<Measurement> = {}): Measurement {
  return { scenario, processes, session, round, result: result(rps), ...extra };
}

/** The data rows of a markdown table, as cells, keyed "scenario xN" (first match wins). */
function cells(table: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of table.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| scenario"))) {
    const c = line.split("|").slice(1, -1).map((s) => s.trim());
    const key = `${c[0]} x${c[1]}`;
    if (!map.has(key)) map.set(key, c);
  }
  return map;
}

describe("median", () => {
  it("takes the middle value of an odd list and the mean of the two middle values of an even one", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([7]), 7);
  });

  it("is NaN for an empty list and leaves its input unsorted", () => {
    assert.ok(Number.isNaN(median([])));
    const list = [3, 1, 2];
    median(list);
    assert.deepEqual(list, [3, 1, 2]);
  });
});

describe("groupRows", () => {
  it("groups by session, scenario and processes in first-measured order, runs in round order", () => {
    const rows = groupRows([
      run("nginx", 1, "x1", 2, 20), run("tollgate", 1, "x1", 1, 10), run("nginx", 1, "x1", 1, 21),
      run("tollgate", 1, "analytics x1", 1, 11), run("tollgate", 2, "x2", 1, 12),
    ]);
    assert.deepEqual(rows.map((r) => [r.session, r.scenario, r.processes, r.runs.map((m) => m.round)]), [
      ["x1", "nginx", 1, [1, 2]],
      ["x1", "tollgate", 1, [1]],
      ["analytics x1", "tollgate", 1, [1]],
      ["x2", "tollgate", 2, [1]],
    ]);
  });
});

describe("summarise", () => {
  it("takes the median of rps, p50 and p99 separately", () => {
    const [row] = groupRows([
      { ...run("nginx", 1, "x1", 1, 0), result: result(100, 1, 9) },
      { ...run("nginx", 1, "x1", 2, 0), result: result(300, 3, 7) },
      { ...run("nginx", 1, "x1", 3, 0), result: result(200, 2, 8) },
    ]);
    assert.deepEqual(summarise(row!), { rps: 200, p50Ms: 2, p99Ms: 8 });
  });
});

describe("per-round ratios", () => {
  // The machine slows down over the run: nginx and tollgate both lose half their rps from round 1 to 3.
  const rows = groupRows([
    run("nginx", 1, "x1", 1, 40_000), run("tollgate", 1, "x1", 1, 20_000),
    run("nginx", 1, "x1", 2, 30_000), run("tollgate", 1, "x1", 2, 15_000),
    run("nginx", 1, "x1", 3, 20_000), run("tollgate", 1, "x1", 3, 10_000),
  ]);
  const [nginx, tollgate] = rows as [typeof rows[0], typeof rows[0]];

  it("divides round r by round r", () => {
    assert.deepEqual(perRoundRatios(tollgate, nginx), [0.5, 0.5, 0.5]);
    assert.equal(medianRatio(tollgate, nginx), 0.5);
  });

  it("skips rounds the baseline lacks, and is undefined with no common round", () => {
    const [partial] = groupRows([run("nginx", 1, "x1", 2, 30_000)]);
    assert.deepEqual(perRoundRatios(tollgate, partial!), [0.5]);
    const [other] = groupRows([run("nginx", 1, "x1", 9, 30_000)]);
    assert.equal(medianRatio(tollgate, other!), undefined);
  });

  it("takes another value when asked (CPU per request), skipping runs without it", () => {
    const [a, b] = groupRows([
      run("tollgate", 1, "x1", 1, 1, { workerUs: 60 }), run("tollgate limited", 1, "x1", 1, 1, { workerUs: 50 }),
      run("tollgate", 1, "x1", 2, 1), run("tollgate limited", 1, "x1", 2, 1, { workerUs: 40 }),
    ]);
    assert.deepEqual(perRoundRatios(a!, b!, (m) => m.workerUs), [1.2]);
  });
});

describe("renderTable", () => {
  it("shows medians and the median of per-round ratios, not the ratio of medians", () => {
    // Medians 40k (nginx) and 20k (tollgate): the ratio of the medians would be 0.50; the per-round ratios
    // are 20/50 = 0.4, 15/40 = 0.375 and 25/30 = 0.833, median 0.40.
    const table = renderTable([
      run("direct", 1, "x1", 1, 80_000, { result: result(80_000, 0.5, 2) }),
      run("nginx", 1, "x1", 1, 50_000), run("tollgate", 1, "x1", 1, 20_000), run("tollgate jwt", 1, "x1", 1, 16_000),
      run("nginx", 1, "x1", 2, 40_000), run("tollgate", 1, "x1", 2, 15_000), run("tollgate jwt", 1, "x1", 2, 15_000),
      run("nginx", 1, "x1", 3, 30_000), run("tollgate", 1, "x1", 3, 25_000), run("tollgate jwt", 1, "x1", 3, 10_000),
    ], 3);
    const c = cells(table);
    assert.deepEqual(c.get("nginx x1")?.slice(2), ["40000", "1.00", "2.00", "1.00", "—", "0.00"]);
    assert.equal(c.get("tollgate x1")?.[2], "20000");
    assert.equal(c.get("tollgate x1")?.[5], "0.40");
    // jwt / keyless per round: 0.8, 1.0, 0.4 → 0.80.
    assert.equal(c.get("tollgate jwt x1")?.[6], "0.80");
    assert.equal(c.get("direct x1")?.[5], "—");
    assert.match(table, /median of the 3 per-round ratios/);
  });

  it("compares a TLS row with nginx-tls of its session, and leaves out baselines of other sessions", () => {
    const table = renderTable([
      run("nginx", 1, "x1", 1, 40_000),
      run("tollgate", 1, "analytics x1", 1, 20_000), run("tollgate+analytics", 1, "analytics x1", 1, 19_000),
      run("nginx-tls", 1, "tls x1", 1, 20_000), run("tollgate-tls", 1, "tls x1", 1, 18_000),
    ], 1);
    const c = cells(table);
    assert.equal(c.get("tollgate x1")?.[5], "—");
    assert.equal(c.get("tollgate+analytics x1")?.[6], "—");
    assert.equal(c.get("tollgate-tls x1")?.[5], "0.90");
  });

  it("notes every run that had errors, and rows with fewer runs than rounds", () => {
    const table = renderTable([
      run("nginx", 1, "x1", 1, 40_000),
      run("tollgate", 1, "x1", 1, 90_000, { result: result(90_000, 1, 2, { status: 12 }) }),
      run("nginx", 1, "x1", 2, 40_000),
    ], 2);
    assert.match(table, /\*\*tollgate x1 \(x1, round 1\): 12 errors\*\* of 450000 requests/);
    assert.match(table, /\*\*tollgate x1: only 1 of 2 run\(s\)\*\*/);
    assert.doesNotMatch(table, /nginx x1: only/);
  });
});

describe("renderAnalyticsCost", () => {
  it("pairs off and on runs by round within their session", () => {
    const cpu = (proxyUs: number) => ({ cpu: { proxyUs, analyticsUs: 1 } });
    const lines = renderAnalyticsCost([
      run("tollgate", 1, "x1", 1, 99_999), // the keyless row of the main session is not an "off" run
      run("tollgate", 1, "analytics x1", 1, 10_000, cpu(60)), run("tollgate+analytics", 1, "analytics x1", 1, 9_000, cpu(66)),
      run("tollgate", 1, "analytics x1", 2, 20_000, cpu(62)), run("tollgate+analytics", 1, "analytics x1", 2, 21_000, cpu(64)),
      run("tollgate", 1, "analytics x1", 3, 15_000, cpu(61)), run("tollgate+analytics", 1, "analytics x1", 3, 15_000, cpu(65)),
    ]);
    assert.equal(lines[0], "analytics on / off, 1 worker(s), rps: median 1.000 of 3 pair(s) (0.90, 1.05, 1.00)");
    assert.match(lines[1]!, /gateway off 61\.0 µs, on 65\.0 µs/);
  });
});

describe("renderTollgateNotes", () => {
  it("takes CPU medians and sums Redis commands over the rounds", () => {
    const calls = (evalsha: number) => ({ redisCalls: { evalsha, time: evalsha * 2 } });
    const notes = renderTollgateNotes([
      run("tollgate", 1, "x1", 1, 1000, { workerUs: 60 }), run("tollgate limited", 1, "x1", 1, 1000, { workerUs: 50, ...calls(100) }),
      run("tollgate", 1, "x1", 2, 1000, { workerUs: 70 }), run("tollgate limited", 1, "x1", 2, 1000, { workerUs: 70, ...calls(300) }),
    ]);
    assert.match(notes[0]!, /^tollgate x1: .* 65\.0 µs keyless, 60\.0 µs rate-limited \(keyless ÷ limited = 1\.10/);
    // (100 + 300) scripts over 2 × 5000 requests.
    assert.match(notes[1]!, /^tollgate limited x1: 0\.040 Redis commands sent per request .*summed over 2 rounds, 10000 requests/);
    assert.match(notes[1]!, /0\.08 per request: \{"evalsha":400,"time":800\}/);
  });

  it("sumCalls adds counters by name", () => {
    assert.deepEqual(sumCalls([{ a: 1, b: 2 }, { b: 3, c: 4 }]), { a: 1, b: 5, c: 4 });
  });
});

describe("renderLatency", () => {
  it("shows the medians and what each hop adds over direct's medians", () => {
    const lines = renderLatency([
      { ...run("direct", 1, "x1", 1, 0), result: result(70_000, 0.04, 0.2) },
      { ...run("direct", 1, "x1", 2, 0), result: result(70_000, 0.06, 0.4) },
      { ...run("nginx", 1, "x1", 1, 0), result: result(25_000, 0.15, 0.8) },
      { ...run("nginx", 1, "x1", 2, 0), result: result(25_000, 0.13, 0.6) },
    ], 4, 2);
    const nginx = lines.find((l) => l.startsWith("| nginx"))!.split("|").map((s) => s.trim());
    assert.equal(nginx[4], "0.140");
    assert.equal(nginx[5], "0.700");
    assert.equal(nginx[6], "0.090");
    assert.equal(nginx[7], "0.400");
  });
});
