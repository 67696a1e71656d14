// Command-line flags. Defaults keep a full run (5 measured runs + warm-ups + start-ups) under ~3 minutes.

export const SCENARIOS = ["direct", "nginx", "tollgate", "nginx-tls", "tollgate-tls"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Options {
  duration: string; // wrk syntax, e.g. "10s"
  connections: number;
  threads: number;
  only: ScenarioName[];
}

const USAGE = `usage: node bench/dist/run.js [--duration 10s] [--connections 64] [--threads 1] [--only direct,nginx,tollgate,nginx-tls,tollgate-tls]`;

export function parseArgs(argv: string[]): Options {
  const opts: Options = { duration: "10s", connections: 64, threads: 1, only: [...SCENARIOS] };
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
