import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { decodeRecordBatch, type QueuedBatch } from '@tollgate/store';
import type { RequestContext } from '../pipeline/request-context.js';
import { UpstreamPools } from '../proxy/upstream-pools.js';
import { AnalyticsBatcher, type BatchSink } from './batcher.js';
import { createRecordWriter } from './record-builder.js';
import { testContext, testDeps } from './test-context.js';

const pools = new UpstreamPools({ timeoutSeconds: 1 });
after(() => pools.closeAll());
const write = createRecordWriter({ clientIp: testDeps.clientIp });
const record = (i: number) => testContext(pools, {}, { path: `/a/r${i}` });

/** A sink that keeps what it accepts; `failing` makes it throw, `capacity` accepts only that many batches per call. */
class MemorySink implements BatchSink {
  readonly batches: QueuedBatch[] = [];
  failing = false;
  capacity = Infinity;
  calls = 0;
  async append(batches: readonly QueuedBatch[]): Promise<number> {
    this.calls++;
    if (this.failing) throw new Error('Connection is closed.');
    const n = Math.min(batches.length, this.capacity);
    this.batches.push(...batches.slice(0, n));
    return n;
  }
  paths(): string[] {
    return this.batches.flatMap((b) => decodeRecordBatch(b.bytes).map((r) => r.original_path));
  }
}

async function until(what: string, probe: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function batcher(sink: BatchSink, over: Partial<ConstructorParameters<typeof AnalyticsBatcher<RequestContext>>[0]> = {}) {
  const counts = { dropped: 0, queued: 0 };
  const b = new AnalyticsBatcher<RequestContext>({
    sink, write, batchSize: 10, flushIntervalMs: 20, maxBufferedRecords: 100, idPrefix: 'w', retryMinMs: 5, retryMaxMs: 20,
    onDropped: (n) => { counts.dropped += n; }, onQueued: (n) => { counts.queued += n; }, ...over,
  });
  return { b, counts };
}

describe('AnalyticsBatcher', () => {
  it('hands full batches over in order, each record once', async () => {
    const sink = new MemorySink();
    const { b, counts } = batcher(sink);
    for (let i = 0; i < 30; i++) b.push(record(i));
    await until('3 batches', () => sink.batches.length === 3);
    assert.deepEqual(sink.paths(), Array.from({ length: 30 }, (_, i) => `/a/r${i}`));
    assert.deepEqual(sink.batches.map((x) => [x.id, x.records]), [['w:1', 10], ['w:2', 10], ['w:3', 10]]);
    assert.deepEqual(counts, { dropped: 0, queued: 30 });
    assert.equal(b.bufferedRecords, 0);
  });

  it('seals a batch that is not full after the flush interval', async () => {
    const sink = new MemorySink();
    const { b } = batcher(sink);
    b.start();
    for (let i = 0; i < 3; i++) b.push(record(i));
    await until('the partial batch', () => sink.batches.length === 1);
    assert.equal(sink.batches[0]!.records, 3);
    await b.stop(100);
  });

  it('while the sink fails: keeps records up to the bound, drops and counts the rest, delivers the kept ones on recovery', async () => {
    const sink = new MemorySink();
    sink.failing = true;
    const { b, counts } = batcher(sink, { maxBufferedRecords: 50 });
    for (let i = 0; i < 80; i++) assert.equal(b.push(record(i)), i < 50);
    assert.equal(b.bufferedRecords, 50);
    assert.equal(counts.dropped, 30);
    await until('a few failed attempts', () => sink.calls >= 3);
    sink.failing = false;
    await until('the kept records', () => counts.queued === 50);
    assert.deepEqual(sink.paths(), Array.from({ length: 50 }, (_, i) => `/a/r${i}`));
    assert.equal(new Set(sink.batches.map((x) => x.id)).size, 5, 'each batch once');
    assert.equal(counts.dropped + counts.queued, 80, 'every record is either delivered or counted as dropped');
  });

  it('a batch the sink refuses (queue full in Redis) is retried with the same id and bytes', async () => {
    const sink = new MemorySink();
    sink.capacity = 0;
    const seen: QueuedBatch[] = [];
    const refusing: BatchSink = { append: async (batches) => { seen.push(...batches); return sink.append(batches); } };
    const { b, counts } = batcher(refusing);
    for (let i = 0; i < 10; i++) b.push(record(i));
    await until('two refused attempts', () => seen.length >= 2);
    sink.capacity = Infinity;
    await until('acceptance', () => counts.queued === 10);
    assert.ok(seen.every((x) => x.id === 'w:1' && x.bytes === seen[0]!.bytes));
  });

  it('a record that cannot be written is counted as dropped and leaves the batch intact', async () => {
    const sink = new MemorySink();
    const { b, counts } = batcher(sink);
    b.push(record(0));
    const broken = record(1);
    (broken as { method: unknown }).method = undefined;
    assert.throws(() => b.push(broken));
    b.push(record(2));
    assert.equal(await b.stop(500), 0);
    assert.deepEqual(sink.paths(), ['/a/r0', '/a/r2']);
    assert.deepEqual(counts, { dropped: 1, queued: 2 });
  });

  it('push returns at once while a hand-over is still waiting', async () => {
    let release: (n: number) => void = () => undefined;
    const hanging: BatchSink = { append: () => new Promise((resolve) => { release = resolve; }) };
    const { b, counts } = batcher(hanging);
    for (let i = 0; i < 10; i++) b.push(record(i));
    await new Promise((r) => setImmediate(r));
    for (let i = 10; i < 25; i++) assert.equal(b.push(record(i)), true);
    assert.equal(b.bufferedRecords, 25);
    release(1);
    await until('the first batch accepted', () => counts.queued === 10);
  });

  it('stop() hands over what is left; what cannot be handed over in time is counted as dropped', async () => {
    const sink = new MemorySink();
    const { b, counts } = batcher(sink);
    for (let i = 0; i < 7; i++) b.push(record(i));
    assert.equal(await b.stop(500), 0);
    assert.equal(counts.queued, 7);
    const down = new MemorySink();
    down.failing = true;
    const other = batcher(down);
    for (let i = 0; i < 4; i++) other.b.push(record(i));
    assert.equal(await other.b.stop(50), 4);
    assert.equal(other.counts.dropped, 4);
  });
});
