// The rate-limited bench row: the same upstream behind a keyless API with a `global_rate_limit` high
// enough never to refuse during the run (10 000 per 0.1 s: the largest sliding log, 10 000 entries), so
// every request runs the limit script and is admitted; Redis's own command counters (INFO commandstats)
// give the Redis commands per request.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ORG, TOKEN_API } from "./auth-apis.js";

export const LIMITED_PATH = "/bench-limited/";
const LIMITED_API = "bench-limited";

/** Writes the limited API definition into app_path. */
export function writeLimitedApi(dir: string, upstreamPort: number): void {
  writeFileSync(join(dir, "apps", `${LIMITED_API}.json`), JSON.stringify({
    api_id: LIMITED_API, name: LIMITED_API, org_id: "bench", active: true, use_keyless: true,
    global_rate_limit: { rate: 10_000, per: 0.1 },
    proxy: { listen_path: LIMITED_PATH, target_url: `http://127.0.0.1:${upstreamPort}/`, strip_listen_path: true },
    version_data: { not_versioned: true, versions: { Default: { name: "Default" } } },
  }, null, 2));
}

/**
 * A second key on the auth-token API with a rate limit and a quota that never bind during the run
 * (10 000 per 0.1 s, 10⁹ per hour): the key rate and the quota are checked and counted on every request,
 * in one script call. Returns the wrk header.
 */
export async function createLimitedKey(controlUrl: string, secret: string): Promise<string> {
  const res = await fetch(`${controlUrl}/tyk/keys/bench-limited-key-0001`, {
    method: "POST",
    headers: { "x-tyk-authorization": secret, "content-type": "application/json" },
    body: JSON.stringify({
      org_id: ORG, rate: 10_000, per: 0.1, quota_max: 1_000_000_000, quota_remaining: 1_000_000_000, quota_renewal_rate: 3600, expires: 0,
      access_rights: { [TOKEN_API]: { api_id: TOKEN_API, api_name: TOKEN_API, versions: ["Default"] } },
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`creating the rate-limited bench key: admin API answered ${res.status}: ${text}`);
  return `Authorization: ${(JSON.parse(text) as { key: string }).key}`;
}

/** CPU time (user + system) of a gateway primary's workers, from /proc, between `start` and `perRequestUs`. */
export class WorkerCpu {
  private startMs = 0;
  private pids: number[] = [];

  constructor(private readonly primaryPid: number) {}

  async start(): Promise<void> {
    this.pids = execFileSync("pgrep", ["-P", String(this.primaryPid)]).toString().trim().split("\n").map(Number);
    this.startMs = this.totalMs();
  }

  /** Microseconds of worker CPU per request since `start`. */
  async perRequestUs(requests: number): Promise<number> {
    return ((this.totalMs() - this.startMs) * 1000) / Math.max(1, requests);
  }

  private totalMs(): number {
    let ticks = 0;
    for (const pid of this.pids) {
      // Fields after the command name: utime is the 12th, stime the 13th (clock ticks of 10 ms).
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks * 10;
  }
}
