// CPU per record of `tollgate analytics` (the consumer process, as `npm run up` and the bench start it) and of
// Redis, in isolation: a private redis-server, the consumer, and this process appending keyless-request
// records at a fixed rate the way a gateway worker does (batches of --batch records, 8 per call). After a
// short warm-up, the idle consumer's CPU (its drain jobs fire whether records come or not) is measured over
// the same time and subtracted, so what is printed is the cost that grows with the records.
//
//   node bench/dist/analytics-consumer.js [--rate 10000] [--seconds 10] [--batch 2000] [--repo .]
//
// --repo measures another checkout (built): its CLI consumes, its store encodes the batches (its wire format).

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { QueuedBatch, RecordApiInfo, RecordTuple } from "@tollgate/store";
import { freePort } from "./net.js";

const args = new Map<string, string>();
for (let i = 2; i + 1 < process.argv.length; i += 2) args.set(process.argv[i]!, process.argv[i + 1]!);
const RATE = Number(args.get("--rate") ?? 10_000);
const SECONDS = Number(args.get("--seconds") ?? 10);
const BATCH = Number(args.get("--batch") ?? 2000);
const REPO = resolve(args.get("--repo") ?? join(fileURLToPath(import.meta.url), "../../.."));

const { AnalyticsQueue, createRedisClient, encodeRecordBatch, waitForReady } =
  (await import(pathToFileURL(join(REPO, "packages/store/dist/index.js")).href)) as typeof import("@tollgate/store");

const API: RecordApiInfo = { apiId: "bench", apiName: "bench", orgId: "bench", listenPath: "/bench/", tags: [], expireAfterMs: 3_155_760_000_000 };

/** A keyless request's record, as a worker queues it (every 4th from another client). */
function record(n: number): RecordTuple {
  return [API, "GET", "127.0.0.1:8000", "/", "/bench/", 0, "wrk", Date.now(), 200, "", "", 2, 1, n % 4 === 0 ? "10.0.0.7" : "127.0.0.1", [], "", false, "", "/"];
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const port = await freePort();
  const redisServer = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((ready) => redisServer.stdout!.on("data", (c: Buffer) => { if (c.toString().includes("Ready to accept")) ready(); }));
  redisServer.stdout!.resume();
  const dir = mkdtempSync(join(tmpdir(), "tollgate-analytics-consumer-"));
  const config = join(dir, "tollgate.json");
  writeFileSync(config, JSON.stringify({ secret: "bench", enable_analytics: true, storage: { host: "127.0.0.1", port } }));
  const consumer = spawn(process.execPath, [join(REPO, "packages/cli/dist/main.js"), "analytics", "--config", config, "--metrics-port", "0"], { stdio: "ignore" });
  const redis = createRedisClient({ host: "127.0.0.1", port }, { name: "bench:producer" });
  try {
    await waitForReady(redis, 5000);
    const queue = new AnalyticsQueue(redis, { maxQueuedRecords: Number.MAX_SAFE_INTEGER });
    await sleep(3000); // the consumer is up and its drain job scheduled
    let sequence = 0;
    const run = async (rate: number, seconds = SECONDS) => {
      const consumer0 = cpuMs(consumer.pid!);
      const redis0 = cpuMs(redisServer.pid!);
      const start = Date.now();
      let produced = 0;
      let open: RecordTuple[] = [];
      while (Date.now() - start < seconds * 1000) {
        const due = Math.floor(((Date.now() - start) / 1000) * rate);
        const sealed: QueuedBatch[] = [];
        for (; produced < due; produced++) {
          open.push(record(produced));
          if (open.length === BATCH) {
            sealed.push({ id: `bench:${++sequence}`, records: open.length, bytes: encodeRecordBatch(open) });
            open = [];
          }
        }
        for (let i = 0; i < sealed.length; i += 8) await queue.append(sealed.slice(i, i + 8));
        await sleep(50);
      }
      if (open.length > 0) await queue.append([{ id: `bench:${++sequence}`, records: open.length, bytes: encodeRecordBatch(open) }]);
      for (let i = 0; i < 300 && (await queue.queuedRecords()) > 0; i++) await sleep(100);
      await sleep(1000);
      return { produced, consumerMs: cpuMs(consumer.pid!) - consumer0, redisMs: cpuMs(redisServer.pid!) - redis0, seconds: (Date.now() - start) / 1000 };
    };
    await run(RATE, 2); // warm-up: the consumer's code optimised, its connections busy once
    const idle = await run(0);
    const load = await run(RATE);
    const scale = load.seconds / idle.seconds;
    const perRecord = (ms: number, idleMs: number) => (((ms - idleMs * scale) * 1000) / load.produced).toFixed(2);
    const bytesPerRecord = encodeRecordBatch(Array.from({ length: BATCH }, (_, i) => record(i))).length / BATCH;
    console.log(`${load.produced} records at ${RATE}/s in batches of ${BATCH} (${bytesPerRecord.toFixed(1)} bytes per record)`);
    console.log(`consumer ${perRecord(load.consumerMs, idle.consumerMs)} µs CPU/record, Redis ${perRecord(load.redisMs, idle.redisMs)} µs CPU/record ` +
      `(idle: consumer ${(idle.consumerMs / idle.seconds).toFixed(0)} ms/s, Redis ${(idle.redisMs / idle.seconds).toFixed(0)} ms/s)`);
  } finally {
    redis.disconnect();
    consumer.kill("SIGTERM");
    await sleep(500);
    redisServer.kill("SIGKILL");
  }
}

void main().then(() => process.exit(0), (err: Error) => {
  console.error(err.message);
  process.exit(1);
});
