import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { decodeRecordTuples, encodeRecordBatch, RecordBatchWriter, type RecordApiInfo, type RecordTuple } from './analytics-record.js';
import { ALL_FIELDS_MASK, FIELD_BITS, MASK_FIELDS } from './record-wire.js';

const A: RecordApiInfo = { apiId: 'a', apiName: 'API A', orgId: 'o', listenPath: '/a/', tags: ['public'], expireAfterMs: 60_000 };
const B: RecordApiInfo = { apiId: 'b', apiName: 'Bé ✓', orgId: '', listenPath: '/b/', tags: [], expireAfterMs: 3_155_760_000_000 };
const T0 = Date.parse('2026-11-23T12:00:00.000Z');

function tuple(api: RecordApiInfo, i: number, over: Partial<Record<number, unknown>> = {}): RecordTuple {
  const t: RecordTuple = [api, 'GET', 'up:80', `/x/${i}`, `/a/x/${i}`, -1, 'curl/8', T0 + i, 200, '', '', 3, 2, '127.0.0.1', [], '', false, '', `/x/${i}`];
  for (const [k, v] of Object.entries(over)) (t as unknown[])[Number(k)] = v;
  if (!('18' in over)) t[18] = t[3]; // rawPath = path unless the record is of a tracked endpoint
  return t;
}

/** A version 1 batch, as msgpackr packed it before `RecordBatchWriter`: `[1, tz, apis, rows]`, every value in full. */
const packr = new Packr({ useRecords: false, moreTypes: false });
function version1(records: readonly RecordTuple[], tz: number): Buffer {
  const apis: RecordApiInfo[] = [];
  const rows = records.map((r) => {
    let i = apis.indexOf(r[0]);
    if (i < 0) i = apis.push(r[0]) - 1;
    return [i, ...r.slice(1, 18)]; // 18 fields: no rawPath before version 3
  });
  return packr.pack([1, tz, apis.map((a) => [a.apiId, a.apiName, a.orgId, a.listenPath, a.tags, a.expireAfterMs]), rows]);
}

/** What a batch must decode to: the version 1 batch of the same records, read back. */
const reference = (records: readonly RecordTuple[], tz: number) => decodeRecordTuples(version1(records, tz));

const long = (n: number, unit = 'x'): string => unit.repeat(n);

describe('RecordBatchWriter (wire format of a queued batch)', () => {
  it('writes plain msgpack that decodes to the same batch as msgpackr packs it, for every string and number size', () => {
    const strings = ['', 'a', long(31), long(32), long(255), long(256), long(70_000), 'é', long(31, 'é'), '✓ ok', '😀 emoji', long(40, '日本'), '\u0000\u007f'];
    const numbers = [0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, T0, -1, -32, -33, -128, -129, -70_000, -(2 ** 31), -(2 ** 31) - 1, 1.5, -0.25];
    const records: RecordTuple[] = [];
    strings.forEach((s, i) => records.push(tuple(i % 2 ? A : B, i, { 1: s, 3: `/${s}`, 6: s, 13: s, 15: s, 17: s, 14: [s, s] })));
    numbers.forEach((n, i) => records.push(tuple(i % 3 ? A : B, i, { 5: n, 7: n, 8: n, 11: n, 12: n })));
    records.push(tuple(A, 1, { 14: Array.from({ length: 16 }, (_, i) => `t${i}`), 16: true }));
    records.push(tuple(B, 2, { 14: Array.from({ length: 70_000 }, () => 'x') }));
    for (const tz of [0, 60, -300, 345]) {
      const bytes = encodeRecordBatch(records, tz);
      const decoded = decodeRecordTuples(bytes);
      assert.deepEqual(decoded, reference(records, tz));
      // Plain msgpack: any msgpack reader reads it (records as [mask, ...values sent], times as differences).
      const plain = packr.unpack(bytes) as [number, number, unknown[], unknown[][]];
      assert.deepEqual([plain[0], plain[1], plain[2].length, plain[3].length], [4, tz, 2, records.length]);
      // The first record sends every field in bit order, but rawPath, which equals its path.
      const first = records[0]!;
      assert.deepEqual(plain[3][0], [ALL_FIELDS_MASK & ~FIELD_BITS[18]!, ...MASK_FIELDS.filter((k) => k !== 18).map((k) => (k === 0 ? 0 : first[k]))]);
      assert.equal(decoded.tzOffsetMinutes, tz);
      assert.equal(decoded.records.length, records.length);
    }
  });

  it('holds any number of records (array header sizes) and starts empty again after finish, buffer reused', () => {
    const w = new RecordBatchWriter(16);
    for (const n of [0, 1, 15, 16, 65_535, 65_536, 3]) {
      const records = Array.from({ length: n }, (_, i) => tuple(i % 2 ? A : B, i));
      for (const r of records) w.writeTuple(r);
      assert.equal(w.records, n);
      const bytes = w.finish(0);
      assert.equal(w.records, 0);
      assert.equal(w.size, 0);
      assert.deepEqual(decodeRecordTuples(bytes), reference(records, 0));
    }
  });

  it('a value equal to the one of the record before is not sent; times as differences', () => {
    const same = Array.from({ length: 100 }, (_, i) => tuple(A, 0, { 7: T0 + i * 3, 14: ['x-team-blue'] }));
    const bytes = encodeRecordBatch(same, 0);
    assert.ok(bytes.length < version1(same, 0).length / 15, `${bytes.length} bytes against ${version1(same, 0).length}`);
    assert.deepEqual(decodeRecordTuples(bytes), reference(same, 0));
    // Each record after the first is [mask, time difference]: 3 bytes.
    const plain = packr.unpack(bytes) as [number, number, unknown[], unknown[][]];
    assert.deepEqual(plain[3].slice(1, 4), [[FIELD_BITS[7], 3], [FIELD_BITS[7], 3], [FIELD_BITS[7], 3]]);
    // 99 records of 3 bytes; the records' array header takes 3 bytes for 100 records, 1 for one.
    assert.equal(bytes.length - encodeRecordBatch(same.slice(0, 1), 0).length, 99 * 3 + 2);
    // Times going backwards (a clock step) and strings that come back after a different value.
    const mixed = [tuple(A, 1, { 7: T0 }), tuple(A, 2, { 7: T0 - 5000, 1: 'POST' }), tuple(B, 1, { 7: T0 + 0.5 }), tuple(A, 1, { 7: T0 })];
    assert.deepEqual(decodeRecordTuples(encodeRecordBatch(mixed, 0)), reference(mixed, 0));
  });

  it('reads version 1 batches (queued before an upgrade) as msgpackr does; refuses a repeat with nothing before it', () => {
    const records = [tuple(A, 1), tuple(B, 2, { 5: 70_000, 7: T0 * 3, 12: -1.5, 14: ['t', '日本'] })];
    const bytes = version1(records, 30);
    const plain = packr.unpack(bytes) as [number, number, unknown[], unknown[][]];
    assert.deepEqual(decodeRecordTuples(bytes).records.map((r) => r.slice(1, 18)), plain[3].map((r) => r.slice(1)));
    assert.deepEqual(decodeRecordTuples(bytes).records.map((r) => r[0].apiId), ['a', 'b']);
    // Before version 3 there is no rawPath: it is the path.
    assert.deepEqual(decodeRecordTuples(bytes).records.map((r) => r[18]), ['/x/1', '/x/2']);
    const bad = packr.pack([2, 0, [['a', 'A', 'o', '/a/', [], 1]], [[0, null, ...tuple(A, 1).slice(2, 18)]]]);
    assert.throws(() => decodeRecordTuples(bad), /record 0: field 1 repeats a record that does not exist/);
  });

  it('reads version 2 batches (18 fields, repeats as nil); rawPath is sent only when it is not the path', () => {
    const v2 = packr.pack([2, 0, [['a', 'A', 'o', '/a/', [], 1]], [
      [0, ...tuple(A, 1).slice(1, 7), T0, ...tuple(A, 1).slice(8, 18)],
      [0, null, null, '/y', null, -1, null, 5, 200, null, null, 3, 2, null, null, null, false, null],
    ]]);
    const read = decodeRecordTuples(v2).records;
    assert.deepEqual(read.map((r) => [r[3], r[7], r[18]]), [['/x/1', T0, '/x/1'], ['/y', T0 + 5, '/y']]);
    const tracked = tuple(A, 1, { 3: '/widgets/{id}', 16: true, 18: '/widgets/7' });
    const bytes = encodeRecordBatch([tracked, tuple(A, 2)], 0);
    const plain = packr.unpack(bytes) as [number, number, unknown[], unknown[][]];
    const sendsRawPath = (row: unknown[]) => ((row[0] as number) & FIELD_BITS[18]!) !== 0;
    assert.deepEqual(plain[3].map(sendsRawPath), [true, false]);
    assert.ok(plain[3][0]!.includes('/widgets/7'));
    assert.deepEqual(decodeRecordTuples(bytes).records.map((r) => [r[3], r[16], r[18]]), [['/widgets/{id}', true, '/widgets/7'], ['/x/2', false, '/x/2']]);
    const wrong = packr.pack([3, 0, [['a', 'A', 'o', '/a/', [], 1]], [[0, ...tuple(A, 1).slice(1, 18), 7]]]);
    assert.throws(() => decodeRecordTuples(wrong), /record 0: field 18 must be a string/);
    const short = packr.pack([3, 0, [['a', 'A', 'o', '/a/', [], 1]], [[0, ...tuple(A, 1).slice(1, 18)]]]);
    assert.throws(() => decodeRecordTuples(short), /record 0 is not a 19-field row/);
  });

  it('bytes that are not a batch throw an analytics batch error, whatever they are', () => {
    const good = encodeRecordBatch([tuple(A, 1), tuple(B, 2, { 14: ['t1', 't2'] }), tuple(B, 3)], 0);
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    let refused = 0;
    for (let n = 0; n < 3000; n++) {
      const bad = Buffer.from(good);
      for (let m = 0; m < 1 + Math.floor(random() * 3); m++) bad[Math.floor(random() * bad.length)] = Math.floor(random() * 256);
      const cut = random() < 0.2 ? bad.subarray(0, Math.floor(random() * bad.length)) : bad;
      try {
        decodeRecordTuples(cut);
      } catch (err) {
        assert.match((err as Error).message, /^analytics batch: /);
        refused++;
      }
    }
    assert.ok(refused > 1000, `${refused} of 3000 refused`);
  });

  it('a record whose write throws leaves nothing behind: the batch stays readable', () => {
    const w = new RecordBatchWriter();
    w.writeTuple(tuple(A, 1));
    assert.throws(() => w.writeTuple(tuple(A, 2, { 14: ['ok', 7] })));
    w.writeTuple(tuple(A, 3));
    w.writeTuple(tuple(A, 3));
    const { records } = decodeRecordTuples(w.finish(0));
    assert.deepEqual(records.map((r) => [r[3], r[7]]), [['/x/1', T0 + 1], ['/x/3', T0 + 3], ['/x/3', T0 + 3]]);
  });

  it('a batch keeps its bytes when the writer goes on with the next one', () => {
    const w = new RecordBatchWriter(64);
    w.writeTuple(tuple(A, 1));
    const first = w.finish(0);
    const copy = Buffer.from(first);
    for (let i = 0; i < 100; i++) w.writeTuple(tuple(B, i));
    w.finish(0);
    assert.deepEqual(first, copy);
  });
});
