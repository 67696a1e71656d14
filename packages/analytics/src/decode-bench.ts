// What the consumer spends per record reading a batch and aggregating it, in process (no Redis): keyless
// records (what a load test sends) and varied ones (keys, tags, paths, statuses), written as the gateway
// writes them (wire version 4) and as version 3 (what gateways before it queued). CPU time per record,
// median of the rounds, each round 200 passes over a 10 000-record batch after warm-up passes.
//
//   node packages/analytics/dist/decode-bench.js [--rounds 5]
//
// Not a test: it asserts nothing about time; it only checks that both versions aggregate to the same hits.

import { encodeRecordBatch, RecordBatchReader, type RecordApiInfo, type RecordTuple } from '@tollgate/store';
import { encodeOlderRecordBatch } from '@tollgate/store/testing';
import { aggregateBatchBytes } from './aggregate.js';

const RECORDS = 10_000;
const PASSES = 200;
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 5;
const API: RecordApiInfo = { apiId: 'bench', apiName: 'bench', orgId: 'bench', listenPath: '/bench/', tags: [], expireAfterMs: 3_155_760_000_000 };
const T0 = Date.parse('2026-12-07T01:00:00Z');

/** A keyless request's record as a worker under wrk writes it: 20 requests per ms, latencies of 1-2 ms. */
function keyless(i: number): RecordTuple {
  return [API, 'GET', '127.0.0.1:8000', '/', '/bench/', 0, 'wrk', T0 + Math.floor(i / 20), 200, '', '', 1 + (i % 3 === 0 ? 1 : 0), i % 5 === 0 ? 1 : 0, '127.0.0.1', [], '', false, '', '/'];
}

/** A mixed workload: 50 keys, 4 statuses, 3 tag lists, 200 paths, 20 client IPs. */
function varied(i: number): RecordTuple {
  const path = `/items/${i % 200}`;
  return [API, i % 4 ? 'GET' : 'POST', '10.0.0.5:8080', path, `/bench${path}`, i % 4 ? 0 : 512, `client/${i % 3}`, T0 + Math.floor(i / 5),
    [200, 200, 404, 503][i % 4]!, `key${i % 50}`, '', 3 + (i % 17), 1 + (i % 11), `192.0.2.${i % 20}`, [['gold'], ['silver', 'beta'], []][i % 3]!,
    `user${i % 50}`, false, 'v1', path];
}

function cpuUsPerRecord(bytes: Buffer, work: (bytes: Buffer) => number): number {
  let sink = 0;
  for (let n = 0; n < 20; n++) sink += work(bytes); // warm-up
  const start = process.cpuUsage();
  for (let n = 0; n < PASSES; n++) sink += work(bytes);
  const used = process.cpuUsage(start);
  if (sink < 0) console.log(sink);
  return (used.user + used.system) / (PASSES * RECORDS);
}

const read = (bytes: Buffer): number => {
  const batch = new RecordBatchReader(bytes);
  let statuses = 0;
  while (batch.next()) statuses += batch.status;
  return statuses;
};
const options = { ignoreTagPrefixes: [], trackAllPaths: false };
const aggregate = (bytes: Buffer): number => {
  let hits = 0;
  for (const hour of aggregateBatchBytes(bytes, options).hours.values()) {
    for (const e of hour.entries.values()) if (e.dimension === 'total') hits += e.counter.hits;
  }
  return hits;
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const [name, make] of [['keyless', keyless], ['varied', varied]] as const) {
  const records = Array.from({ length: RECORDS }, (_, i) => make(i));
  const batches = { 'version 4': encodeRecordBatch(records, 0), 'version 3': encodeOlderRecordBatch(records, 3, 0) };
  if (aggregate(batches['version 4']) !== RECORDS || aggregate(batches['version 3']) !== RECORDS) throw new Error('the versions aggregate differently');
  for (const [version, bytes] of Object.entries(batches)) {
    const reads: number[] = [];
    const aggregates: number[] = [];
    for (let r = 0; r < rounds; r++) {
      reads.push(cpuUsPerRecord(bytes, read));
      aggregates.push(cpuUsPerRecord(bytes, aggregate));
    }
    console.log(`${name.padEnd(7)} ${version}: ${(bytes.length / RECORDS).toFixed(1).padStart(5)} bytes/record, read ${median(reads).toFixed(3)} µs/record, read + aggregate ${median(aggregates).toFixed(3)} µs/record`);
  }
}
