// Private nginx instances (never the system service): one generated config per instance, in its own
// directory, run in the foreground as our child so it dies with the benchmark.

import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, waitFor200 } from "./net.js";
import { startChild, type Child } from "./processes.js";

export interface Nginx {
  port: number;
  child: Child;
}

// Connections are reused for the whole run; the default keepalive_requests (1000) would make wrk and
// the proxy reconnect periodically and measure connection set-up instead of proxying.
const KEEPALIVE_REQUESTS = 1_000_000;

/** The fast upstream: a single worker answering a tiny fixed body, no disk, no logging. */
export function upstreamServer(port: number): string {
  return `
    server {
      listen 127.0.0.1:${port};
      keepalive_requests ${KEEPALIVE_REQUESTS};
      location / { default_type text/plain; return 200 "ok"; }
    }`;
}

/** The reference reverse proxy: same path layout as the gateway (/bench/ stripped), upstream keep-alive on; with `tls`, it terminates TLS (1.2-1.3) with that certificate. */
export function proxyServer(port: number, upstreamPort: number, keepalive: number, tls?: { cert: string; key: string }): string {
  const listen = tls ? `listen 127.0.0.1:${port} ssl;
      ssl_certificate ${tls.cert};
      ssl_certificate_key ${tls.key};
      ssl_protocols TLSv1.2 TLSv1.3;
      ssl_session_cache shared:SSL:10m;` : `listen 127.0.0.1:${port};`;
  return `
    upstream backend {
      server 127.0.0.1:${upstreamPort};
      keepalive ${keepalive};
      keepalive_requests ${KEEPALIVE_REQUESTS};
    }
    server {
      ${listen}
      keepalive_requests ${KEEPALIVE_REQUESTS};
      location /bench/ {
        proxy_pass http://backend/;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
      }
    }`;
}

export async function startNginx(
  bin: string,
  dir: string,
  name: string,
  workers: number,
  server: (port: number) => string,
  readyPath: string,
): Promise<Nginx> {
  mkdirSync(dir, { recursive: true });
  // Workers run as an unprivileged user when we are root; let them traverse the prefix.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  writeFileSync(conf, config(bin, dir, workers, server(port)));
  // -e: the compiled-in error log (/var/log/nginx) is opened before the config is read.
  const args = ["-p", dir, "-c", conf, "-e", join(dir, "error.log"), "-g", "daemon off;"];
  const child = startChild(name, bin, args, join(dir, "stdout.log"));
  const scheme = server(port).includes(" ssl;") ? "https" : "http";
  await waitFor200(`${scheme}://127.0.0.1:${port}${readyPath}`, child, 10_000);
  return { port, child };
}

function config(bin: string, dir: string, workers: number, server: string): string {
  return `
worker_processes ${workers};
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "error.log")} warn;
events { worker_connections 4096; }
http {
  access_log off;
${tempPaths(bin, dir)}
${server}
}
`;
}

/**
 * Debian compiles temp paths under /var/lib/nginx, which nginx creates at start-up even if unused.
 * Point them into our dir, but only for modules this build has: an unknown directive is fatal.
 */
function tempPaths(bin: string, dir: string): string {
  const built = spawnSync(bin, ["-V"], { encoding: "utf8" }).stderr ?? "";
  const modules = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"];
  return modules
    .filter((m) => m === "client_body" || !built.includes(`--without-http_${m}_module`))
    .map((m) => `  ${m}_temp_path ${join(dir, `${m}_temp`)};`)
    .join("\n");
}
