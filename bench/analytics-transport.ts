// Measures the two transports the analytics issue allows, with the same record batches and a private
// redis-server: (a) every batch a BullMQ job (Queue.addBulk on the gateway, a BullMQ Worker consuming),
// (b) every batch a Redis stream entry (one Lua XADD for several batches on the gateway, a consumer-group
// reader that BullMQ's job scheduler drives). Prints producer and consumer throughput and the Redis memory
// per queued batch. `node bench/dist/analytics-transport.js [--batches 2000] [--records 500]`

import { spawn } from "node:child_process";
import { Redis } from "ioredis";
import { Queue, Worker } from "bullmq";
import { AnalyticsQueue, decodeRecordBatch, encodeRecordBatch, type RecordApiInfo, type RecordTuple } from "@tollgate/store";
import { freePort } from "./net.js";

const args = new Map<string, string>();
for (let i = 2; i + 1 < process.argv.length; i += 2) args.set(process.argv[i]!, process.argv[i + 1]!);
const BATCHES = Number(args.get("--batches") ?? 2000);
const PER_BATCH = Number(args.get("--records") ?? 500);
const BULK = 8; // batches handed to Redis per call by a gateway worker

const API: RecordApiInfo = { apiId: "bench", apiName: "bench", orgId: "org1", listenPath: "/bench/", tags: ["public"], expireAfterMs: 3_155_760_000_000 };

/** What a gateway worker queues per request (the consumer expands it into the full record). */
function sampleRecord(i: number): RecordTuple {
  return [API, "GET", "127.0.0.1:8000", `/items/${i % 50}`, `/bench/items/${i % 50}`, 0, "wrk", Date.now(), i % 20 === 0 ? 500 : 200, "", "",
    2, 1, "127.0.0.1", [`x-team-${i % 5}`], "", false, "", `/items/${i % 50}`];
}

async function startRedis(): Promise<{ port: number; stop(): void }> {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => child.stdout!.on("data", (c: Buffer) => { if (c.toString().includes("Ready to accept")) resolve(); }));
  child.stdout!.resume();
  return { port, stop: () => child.kill("SIGKILL") };
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info("memory"))![1]);
}

function cpuMs(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1000;
}

async function main(): Promise<void> {
  const redisServer = await startRedis();
  const connection = { host: "127.0.0.1", port: redisServer.port, maxRetriesPerRequest: null };
  const redis = new Redis(connection);
  const records = Array.from({ length: PER_BATCH }, (_, i) => sampleRecord(i));
  const batch = encodeRecordBatch(records);
  console.log(`${BATCHES} batches of ${PER_BATCH} records (${batch.length} bytes each, ${(batch.length / PER_BATCH).toFixed(0)} B/record), handed over ${BULK} at a time`);
  const rows: string[] = [];

  // (a) BullMQ jobs: job data is JSON, so the msgpack batch travels as base64.
  {
    await redis.flushall();
    const base = await usedMemory(redis);
    const queue = new Queue("bench-analytics", { connection });
    let t = Date.now();
    let cpu = process.cpuUsage();
    for (let i = 0; i < BATCHES; i += BULK) {
      const jobs = Array.from({ length: Math.min(BULK, BATCHES - i) }, (_, k) => ({ name: "batch", data: { id: `w:${i + k}`, b: batch.toString("base64") }, opts: { removeOnComplete: true } }));
      await queue.addBulk(jobs);
    }
    const produceMs = Date.now() - t;
    const produceCpu = cpuMs(cpu);
    const perBatchMem = (await usedMemory(redis) - base) / BATCHES;
    let consumed = 0;
    t = Date.now();
    cpu = process.cpuUsage();
    await new Promise<void>((resolve) => {
      const worker = new Worker("bench-analytics", async (job) => {
        consumed += decodeRecordBatch(Buffer.from((job.data as { b: string }).b, "base64")).length;
        if (consumed >= BATCHES * PER_BATCH) resolve();
      }, { connection, concurrency: 1 });
      void worker;
    });
    const consumeMs = Date.now() - t;
    rows.push(row("BullMQ job per batch", produceMs, produceCpu, consumeMs, cpuMs(cpu), perBatchMem));
    await queue.close();
  }

  // (b) Stream entries appended by one script call per BULK batches, read by a consumer group.
  {
    await redis.flushall();
    const base = await usedMemory(redis);
    const queue = new AnalyticsQueue(redis, { maxQueuedRecords: Number.MAX_SAFE_INTEGER });
    let t = Date.now();
    let cpu = process.cpuUsage();
    for (let i = 0; i < BATCHES; i += BULK) {
      await queue.append(Array.from({ length: Math.min(BULK, BATCHES - i) }, (_, k) => ({ id: `w:${i + k}`, records: PER_BATCH, bytes: batch })));
    }
    const produceMs = Date.now() - t;
    const produceCpu = cpuMs(cpu);
    const perBatchMem = (await usedMemory(redis) - base) / BATCHES;
    await queue.ensureGroup();
    let consumed = 0;
    t = Date.now();
    cpu = process.cpuUsage();
    while (consumed < BATCHES * PER_BATCH) {
      const got = await queue.read("bench", 50);
      for (const b of got) consumed += decodeRecordBatch(b.bytes).length;
      await queue.ack(got);
    }
    rows.push(row("stream entry per batch", produceMs, produceCpu, Date.now() - t, cpuMs(cpu), perBatchMem));
  }

  console.log("\n| transport | produce rec/s | producer CPU µs/batch | consume rec/s | consumer CPU µs/batch | Redis bytes/batch queued |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const r of rows) console.log(r);
  redis.disconnect();
  redisServer.stop();
  process.exit(0);
}

function row(name: string, produceMs: number, produceCpu: number, consumeMs: number, consumeCpu: number, mem: number): string {
  const total = BATCHES * PER_BATCH;
  return `| ${name} | ${Math.round(total / (produceMs / 1000))} | ${Math.round((produceCpu * 1000) / BATCHES)} | ${Math.round(total / (consumeMs / 1000))} | ${Math.round((consumeCpu * 1000) / BATCHES)} | ${Math.round(mem)} |`;
}

void main();
