// Command-line flags. Defaults (3 rounds of 5 s runs: 72 measured runs + warm-ups + start-ups) keep a full
// run under ~8 minutes on the project's 2-core VM.

export const SCENARIOS = ["direct", "nginx", "tollgate", "analytics", "nginx-tls", "tollgate-tls"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Options {
  duration: string; // wrk syntax, e.g. "10s"
  connections: number;
  threads: number;
  only: ScenarioName[];
  /**
   * Rounds of every row: each round measures the rows compared with each other once, round-robin (and one
   * analytics off/on pair per worker count); the table shows medians and medians of per-round ratios.
   */
  rounds: number;
  /** Run `tollgate analytics` beside the analytics-on rows (true), or leave the records queued in Redis. */
  consumer: boolean;
  /** Analytics off/on pairs per worker count (the on/off ratio is their median). */
  pairs: number;
}

const USAGE = `usage: node bench/dist/run.js [--rounds 5] [--duration 3s] [--connections 64] [--threads 1] [--only direct,nginx,tollgate,analytics,nginx-tls,tollgate-tls] [--consumer on|off] [--pairs 16]
  --only        "analytics" is the keyless analytics off/on pairs (they run after the tollgate rows)
  --rounds N    measure every row N times, round-robin with the rows it is compared with; the table shows medians
  --duration D  one measured run (wrk syntax: 3s, 1m), after a 2 s warm-up of each proxy before the first round
  --pairs N     analytics off/on pairs per worker count (each pair is two runs; the on/off ratio is the median of the pairs)`;

export function parseArgs(argv: string[]): Options {
  const opts: Options = { duration: "3s", connections: 64, threads: 1, only: [...SCENARIOS], rounds: 5, consumer: true, pairs: 16 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--help" || flag === "-h") throw new UsageError(USAGE);
    const value = argv[++i];
    if (value === undefined) throw new UsageError(`missing value for ${flag}\n${USAGE}`);
    switch (flag) {
      case "--duration":
        // wrk accepts a number with an optional unit; reject anything else before it reaches a shell-less spawn.
        if (!/^\d+[smh]?$/.test(value)) throw new UsageError(`bad --duration ${value}`);
        opts.duration = value;
        break;
      case "--connections":
        opts.connections = positiveInt(flag, value);
        break;
      case "--threads":
        opts.threads = positiveInt(flag, value);
        break;
      case "--only":
        opts.only = parseOnly(value);
        break;
      case "--rounds":
        opts.rounds = positiveInt(flag, value);
        break;
      case "--pairs":
        opts.pairs = positiveInt(flag, value);
        break;
      case "--consumer":
        if (value !== "on" && value !== "off") throw new UsageError(`--consumer must be on or off, got ${value}`);
        opts.consumer = value === "on";
        break;
      default:
        throw new UsageError(`unknown flag ${flag}\n${USAGE}`);
    }
  }
  if (opts.threads > opts.connections) throw new UsageError("--threads must not exceed --connections (wrk needs one connection per thread)");
  return opts;
}

export class UsageError extends Error {}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got ${value}`);
  return n;
}

function parseOnly(value: string): ScenarioName[] {
  const names = value.split(",").map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new UsageError(`--only: unknown scenario "${name}" (known: ${SCENARIOS.join(", ")})`);
    }
  }
  // Keep the canonical order: direct must run first because it is the baseline for "p99 added".
  return SCENARIOS.filter((s) => names.includes(s));
}
