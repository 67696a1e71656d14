// Makes sure nginx and wrk are on the machine, installing them from Debian if they are not.
// Machines are recreated between sessions, so the benchmark must bring its own tools.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export interface Tools {
  nginx: string;
  wrk: string;
  redis?: string;
}

/** nginx and wrk always; redis-server only when the tollgate scenario will run. */
export function ensureTools(withRedis: boolean): Tools {
  const wanted = ["nginx", "wrk", ...(withRedis ? ["redis-server"] : [])];
  const missing = wanted.filter((bin) => !locate(bin));
  if (missing.length > 0) {
    console.log(`missing: ${missing.join(", ")}; installing from Debian`);
    aptInstall(missing.map((bin) => (bin === "nginx" ? nginxPackage() : bin)));
  }
  const found = Object.fromEntries(wanted.map((bin) => [bin, locate(bin)]));
  const still = wanted.filter((bin) => !found[bin]);
  if (still.length > 0) throw new Error(`still missing after install: ${still.join(", ")}`);
  return { nginx: found.nginx!, wrk: found.wrk!, redis: found["redis-server"] };
}

/** `which`, plus /usr/sbin because nginx lives there and a non-login PATH may lack it. */
function locate(bin: string): string | undefined {
  const res = spawnSync("which", [bin], { encoding: "utf8" });
  const found = res.status === 0 ? res.stdout.trim() : "";
  if (found) return found;
  return existsSync(`/usr/sbin/${bin}`) ? `/usr/sbin/${bin}` : undefined;
}

let aptUpdated = false;

function nginxPackage(): string {
  aptUpdate(); // apt-cache only knows packages after an update
  // nginx-light is smaller but was dropped from newer Debian releases; fall back to plain nginx.
  const res = spawnSync("apt-cache", ["policy", "nginx-light"], { encoding: "utf8" });
  const hasLight = res.status === 0 && /Candidate: (?!\(none\))\S+/.test(res.stdout);
  return hasLight ? "nginx-light" : "nginx";
}

function aptUpdate(): void {
  if (aptUpdated) return;
  run("apt-get", ["update", "-qq"]);
  aptUpdated = true;
}

function aptInstall(packages: string[]): void {
  aptUpdate();
  run("apt-get", ["install", "-y", "-qq", ...packages]);
}

function run(cmd: string, args: string[]): void {
  console.log(`$ ${cmd} ${args.join(" ")}`);
  const res = spawnSync(cmd, args, {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${res.status ?? res.signal})`);
}
