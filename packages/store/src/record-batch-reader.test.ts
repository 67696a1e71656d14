import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { decodeRecordTuples, encodeRecordBatch, type RecordApiInfo, type RecordTuple } from './analytics-record.js';
import { encodeOlderRecordBatch } from './older-batches.js';
import { RecordBatchReader } from './record-batch-reader.js';
import { ALL_FIELDS_MASK, FIELD_BITS, MASK_FIELDS } from './record-wire.js';

const A: RecordApiInfo = { apiId: 'a', apiName: 'API A', orgId: 'o', listenPath: '/a/', tags: ['public'], expireAfterMs: 60_000 };
const B: RecordApiInfo = { apiId: 'b', apiName: 'Bé ✓', orgId: '', listenPath: '/b/', tags: [], expireAfterMs: 3_155_760_000_000 };
const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const packr = new Packr({ useRecords: false, moreTypes: false });

function tuple(api: RecordApiInfo, i: number, over: Partial<Record<number, unknown>> = {}): RecordTuple {
  const t: RecordTuple = [api, 'GET', 'up:80', `/x/${i}`, `/a/x/${i}`, -1, 'curl/8', T0 + i, 200, '', '', 3, 2, '127.0.0.1', [], '', false, '', `/x/${i}`];
  for (const [k, v] of Object.entries(over)) (t as unknown[])[Number(k)] = v;
  if (!('18' in over)) t[18] = t[3];
  return t;
}

/** Records where some fields repeat and some do not, with long and non-ASCII strings and every number size. */
function varied(n: number): RecordTuple[] {
  return Array.from({ length: n }, (_, i) => tuple(i % 7 === 3 ? B : A, i % 5, {
    1: i % 3 ? 'GET' : 'POST', 6: i % 11 ? 'curl/8' : 'x'.repeat(40 + i), 7: T0 + [0, 1, 1, 300, 70_000, -5, 0.5][i % 7]! * i,
    8: [200, 404, 503, 201][i % 4], 9: i % 4 ? '' : `key-${i % 3}`, 10: i % 9 ? '' : 'client-é', 11: i * 37, 12: i % 13 ? 2 : 70_000.25,
    13: `10.0.0.${i % 3}`, 14: i % 6 === 0 ? ['t1', 'ü'] : i % 6 === 1 ? [] : ['t1', 'ü'], 15: i % 4 ? '' : `alias ${i % 3}`,
    16: i % 10 === 0, 17: i % 8 ? '' : 'v2', ...(i % 10 === 0 ? { 3: '/widgets/{id}', 18: `/widgets/${i}` } : {}),
  }));
}

/**
 * The decoder this reader replaced, as it was (msgpackr's generic `unpack` of the whole batch, then one
 * checking pass over the rows): the reference the reader must agree with, value for value and on what it refuses.
 */
function referenceDecode(bytes: Buffer): { tzOffsetMinutes: number; records: RecordTuple[] } {
  const fail = (what: string): never => {
    throw new Error(`analytics batch: ${what}`);
  };
  const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  const STRING_FIELDS = [1, 2, 3, 4, 6, 9, 10, 13, 15, 17];
  const ROW_TYPES = ['number', 'string', 'string', 'string', 'string', 'number', 'string', 'number', 'number', 'string', 'string', 'number', 'number', 'string', 'object', 'string', 'boolean', 'string', 'string'];
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (err) {
    fail(`not msgpack (${(err as Error).message})`);
  }
  if (!Array.isArray(value) || value.length !== 4) fail('not [version, tz offset, apis, records]');
  const [version, tz, apisRaw, rows] = value as unknown[];
  if (version !== 1 && version !== 2 && version !== 3 && version !== 4) fail(`unknown version ${JSON.stringify(version)}`);
  if (typeof tz !== 'number' || !Array.isArray(apisRaw) || !Array.isArray(rows)) fail('tz offset, apis and records have the wrong types');
  const apis = (apisRaw as unknown[]).map((v, i): RecordApiInfo => {
    if (!Array.isArray(v) || v.length !== 6) fail(`api ${i} is not [id, name, org, listen path, tags, expire ms]`);
    const [apiId, apiName, orgId, listenPath, tags, expireAfterMs] = v as unknown[];
    if (typeof apiId !== 'string' || typeof apiName !== 'string' || typeof orgId !== 'string' || typeof listenPath !== 'string') fail(`api ${i}: names must be strings`);
    if (!isStrings(tags)) fail(`api ${i}: tags must be a list of strings`);
    return {
      apiId: apiId as string, apiName: apiName as string, orgId: orgId as string, listenPath: listenPath as string, tags: tags as string[],
      expireAfterMs: typeof expireAfterMs === 'number' && expireAfterMs > 0 ? expireAfterMs : 100 * 365.25 * 24 * 3600 * 1000,
    };
  });
  const repeats = (version as number) >= 2;
  const fields = version === 3 ? 19 : 18;
  const list = rows as unknown[];
  if (version === 4) return { tzOffsetMinutes: tz as number, records: referenceMasked(list, apis) };
  let previous: unknown[] | null = null;
  for (let i = 0; i < list.length; i++) {
    const row: unknown = list[i];
    if (!Array.isArray(row) || row.length !== fields) fail(`record ${i} is not a ${fields}-field row`);
    const r = row as unknown[];
    if (fields === 18) r.push(null);
    for (let k = 1; k < 18; k++) {
      const v: unknown = r[k];
      if (v === null && repeats && (k === 14 || STRING_FIELDS.includes(k))) {
        r[k] = (previous ?? fail(`record ${i}: field ${k} repeats a record that does not exist`))[k];
      } else if (typeof v !== ROW_TYPES[k] || (k === 14 && !isStrings(v))) {
        fail(k === 14 ? `record ${i}: tags must be a list of strings` : `record ${i}: field ${k} must be a ${ROW_TYPES[k]}`);
      }
    }
    if (r[18] === null) r[18] = r[3];
    else if (typeof r[18] !== 'string') fail(`record ${i}: field 18 must be a string`);
    if (repeats && previous !== null) r[7] = (previous[7] as number) + (r[7] as number);
    const api = typeof r[0] === 'number' ? apis[r[0]] : undefined;
    r[0] = api ?? fail(`record ${i}: no api ${JSON.stringify(r[0])}`);
    previous = r;
  }
  return { tzOffsetMinutes: tz as number, records: list as RecordTuple[] };
}

/**
 * Version 4's records (`[mask, ...values sent]`) as an independent reference: each row made whole from the
 * previous record, then checked field by field in bit order as the reader checks them.
 */
function referenceMasked(list: unknown[], apis: RecordApiInfo[]): RecordTuple[] {
  const fail = (what: string): never => {
    throw new Error(`analytics batch: ${what}`);
  };
  const TYPES = ['number', 'string', 'string', 'string', 'string', 'number', 'string', 'number', 'number', 'string', 'string', 'number', 'number', 'string', 'object', 'string', 'boolean', 'string', 'string'];
  const all = 2 ** 19 - 1;
  let previous: unknown[] | null = null;
  return list.map((row, i): RecordTuple => {
    if (!Array.isArray(row) || row.length < 1) fail(`record ${i} is not a [mask, ...values] row`);
    const [mask, ...values] = row as unknown[];
    if (typeof mask !== 'number' || !Number.isInteger(mask) || mask < 0 || mask > all) fail(`record ${i}: mask is not a set of fields`);
    const sent = MASK_FIELDS.filter((_, b) => ((mask as number) & (1 << b)) !== 0);
    if (values.length !== sent.length) fail(`record ${i}: values and mask differ`);
    if (previous === null && MASK_FIELDS.some((k) => k !== 18 && !sent.includes(k))) fail(`record ${i}: a field repeats a record that does not exist`);
    const r: unknown[] = previous === null ? [] : [...previous];
    r[7] = 0;
    r[18] = null;
    sent.forEach((k, j) => {
      const v = values[j];
      if (k > 0 && (typeof v !== TYPES[k] || v === null || (k === 14 && !(Array.isArray(v) && v.every((t) => typeof t === 'string'))))) fail(`record ${i}: field ${k} is of the wrong type`);
      r[k] = v;
    });
    if (r[18] === null) r[18] = r[3];
    r[7] = ((previous?.[7] as number | undefined) ?? 0) + (r[7] as number);
    const index = r[0];
    const api = typeof index === 'number' ? apis[index] : undefined;
    if (api === undefined) fail(`record ${i}: no api`);
    const tuple = [...r];
    tuple[0] = api;
    previous = r;
    return tuple as RecordTuple;
  });
}

/** Every record of a batch read through the reader, as tuples, and the error it threw (if any). */
function readAll(bytes: Buffer): { records: RecordTuple[]; error: string | undefined } {
  const records: RecordTuple[] = [];
  try {
    const batch = new RecordBatchReader(bytes);
    while (batch.next()) records.push(batch.tuple());
    return { records, error: undefined };
  } catch (err) {
    return { records, error: (err as Error).message };
  }
}

/** A batch of hand-made rows (wrong types and the like), packed by msgpackr. */
const rowsBatch = (version: number, rows: unknown[][], apis: unknown[] = [['a', 'A', 'o', '/a/', [], 1]]): Buffer => packr.pack([version, 0, apis, rows]);
const row3 = (api: RecordApiInfo, i: number): unknown[] => [0, ...tuple(api, i).slice(1, 18), null];

describe('RecordBatchReader', () => {
  it('reads versions 4, 3, 2 and 1 as the generic msgpack decoder it replaces, record for record', () => {
    for (const records of [varied(1), varied(300), [tuple(A, 1), tuple(A, 1), tuple(A, 1)]]) {
      for (const tz of [0, -300, 345]) {
        const batches = [encodeRecordBatch(records, tz), encodeOlderRecordBatch(records, 3, tz), encodeOlderRecordBatch(records, 2, tz), encodeOlderRecordBatch(records, 1, tz)];
        for (const bytes of batches) assert.deepEqual(decodeRecordTuples(bytes), referenceDecode(bytes));
        // The versions differ only in that versions 4 and 3 keep a tracked record's own rawPath.
        const v3 = decodeRecordTuples(encodeRecordBatch(records, tz));
        assert.deepEqual(v3.records, records);
        assert.deepEqual(decodeRecordTuples(batches[1]!), v3);
        const v2 = decodeRecordTuples(encodeOlderRecordBatch(records, 2, tz));
        assert.deepEqual(v2, decodeRecordTuples(encodeOlderRecordBatch(records, 1, tz)));
        assert.deepEqual(v2.records, v3.records.map((r) => [...r.slice(0, 18), r[3]]));
      }
    }
  });

  it('gives the batch header and the records through named fields', () => {
    const records = varied(40);
    const batch = new RecordBatchReader(encodeRecordBatch(records, 60));
    assert.deepEqual([batch.version, batch.tzOffsetMinutes, batch.count, batch.apis.map((a) => a.apiId), batch.index], [4, 60, 40, ['a', 'b'], -1]);
    for (const t of records) {
      assert.equal(batch.next(), true);
      const named = [batch.api, batch.method, batch.host, batch.path, batch.originalPath, batch.contentLength, batch.userAgent, batch.timeMs,
        batch.status, batch.apiKey, batch.oauthId, batch.totalMs, batch.upstreamMs, batch.ip, batch.requestTags, batch.alias, batch.trackPath,
        batch.apiVersion, batch.rawPath];
      assert.deepEqual(named.slice(1), t.slice(1));
      assert.equal(named[0]!, batch.apis[t[0] === A ? 0 : 1]);
    }
    assert.equal(batch.next(), false);
    assert.equal(batch.next(), false);
  });

  it('a repeated value is the previous record\'s string and list, not a copy; a value seen lately is the same string', () => {
    const batch = new RecordBatchReader(encodeRecordBatch([tuple(A, 1, { 14: ['t'] }), tuple(A, 1, { 14: ['t'] }), tuple(A, 2, { 14: ['t'] })], 0));
    batch.next();
    const [ip, tags, path] = [batch.ip, batch.requestTags, batch.path];
    batch.next();
    assert.ok(batch.ip === ip && batch.requestTags === tags && batch.path === path);
    assert.equal(batch.path, batch.path);
    batch.next();
    assert.ok(batch.ip === ip && batch.requestTags === tags);
    assert.equal(batch.path, '/x/2');
    // A value that comes back after others is the string (or list) made the first time, in its own field only.
    const keys = ['k1', 'k2', 'k1', 'x'.repeat(65), 'k2', 'x'.repeat(65)];
    const again = new RecordBatchReader(encodeRecordBatch(keys.map((k, i) => tuple(A, i, { 9: k, 15: 'k1', 14: i % 2 ? ['t'] : ['u'] })), 0));
    const read: [string, string, readonly string[]][] = [];
    while (again.next()) read.push([again.apiKey, again.alias, again.requestTags]);
    assert.deepEqual(read.map(([key]) => key), keys);
    assert.ok(read[2]![0] === read[0]![0] && read[4]![0] === read[1]![0] && read[2]![2] === read[0]![2] && read[3]![2] === read[1]![2]);
    assert.deepEqual(read.map(([, alias]) => alias), keys.map(() => 'k1'));
    assert.deepEqual(read.map(([, , t]) => t), keys.map((_, i) => (i % 2 ? ['t'] : ['u'])));
  });

  it('bytes that end early throw, wherever they end, naming the record', () => {
    const bytes = encodeRecordBatch(varied(30), 0);
    for (let cut = 0; cut < bytes.length; cut++) {
      const { error } = readAll(bytes.subarray(0, cut));
      assert.match(error ?? 'read without error', /^analytics batch: /, `cut at ${cut}`);
    }
    assert.match(readAll(bytes.subarray(0, bytes.length - 1)).error!, /^analytics batch: record 29: the bytes end inside a value/);
    assert.match(readAll(Buffer.concat([bytes, Buffer.from([0xc0])])).error!, /^analytics batch: bytes after the last record/);
    assert.match(readAll(Buffer.alloc(0)).error!, /^analytics batch: not msgpack/);
  });

  it('a field of the wrong type throws naming the record and the field', () => {
    const wrong: [number, unknown, RegExp][] = [
      [1, 7, /record 1: field 1 must be a string/], [5, 'x', /record 1: field 5 must be a number/], [7, null, /record 1: field 7 must be a number/],
      [8, true, /record 1: field 8 must be a number/], [9, [], /record 1: field 9 must be a string/], [11, 2n ** 60n, /record 1: field 11 must be a number/],
      [14, 'tag', /record 1: tags must be a list of strings/], [14, ['ok', 7], /record 1: tags must be a list of strings/],
      [16, 1, /record 1: field 16 must be a boolean/], [16, null, /record 1: field 16 must be a boolean/],
      [17, { v: 1 }, /record 1: field 17 must be a string/], [18, 3, /record 1: field 18 must be a string/],
    ];
    for (const [k, value, message] of wrong) {
      const bad = row3(A, 2);
      bad[k] = value;
      assert.throws(() => decodeRecordTuples(rowsBatch(3, [row3(A, 1), bad])), message, `field ${k} = ${String(value)}`);
    }
    // Version 1 has no repeats: nil is a wrong type there.
    assert.throws(() => decodeRecordTuples(rowsBatch(1, [tuple(A, 1).slice(0, 18).map((v, k) => (k === 0 ? 0 : k === 13 ? null : v))])), /record 0: field 13 must be a string/);
    assert.throws(() => decodeRecordTuples(rowsBatch(3, [row3(A, 1), row3(A, 2).slice(0, 18)])), /record 1 is not a 19-field row/);
    assert.throws(() => decodeRecordTuples(rowsBatch(2, [row3(A, 1)])), /record 0 is not a 18-field row/);
    assert.throws(() => decodeRecordTuples(rowsBatch(3, [row3(A, 1), 'row'] as unknown[][])), /record 1 is not a 19-field row/);
  });

  it('an API index not in the batch throws, as does a repeat in the first record', () => {
    for (const [index, shown] of [[1, '1'], [-1, '-1'], [1.5, '1.5'], ['0', '"0"'], [null, 'null'], [[0], '\\[0\\]']] as const) {
      const bad = row3(A, 2);
      bad[0] = index;
      assert.throws(() => decodeRecordTuples(rowsBatch(3, [row3(A, 1), bad])), new RegExp(`^Error: analytics batch: record 1: no api ${shown}$`));
    }
    for (const k of [1, 2, 3, 4, 6, 9, 10, 13, 14, 15, 17]) {
      const first = row3(A, 1);
      first[k] = null;
      assert.throws(() => decodeRecordTuples(rowsBatch(3, [first])), new RegExp(`record 0: field ${k} repeats a record that does not exist`));
      assert.throws(() => decodeRecordTuples(rowsBatch(2, [first.slice(0, 18)])), new RegExp(`record 0: field ${k} repeats a record that does not exist`));
    }
  });

  it('checks the header: shape, version, types and every API', () => {
    const cases: [unknown, RegExp][] = [
      [[3, 0, []], /not \[version, tz offset, apis, records\]/],
      [{ v: 3 }, /not \[version, tz offset, apis, records\]/],
      [[5, 0, [], []], /unknown version 5/],
      [['3', 0, [], []], /unknown version "3"/],
      [[3, '0', [], []], /tz offset, apis and records have the wrong types/],
      [[3, 0, [], {}], /tz offset, apis and records have the wrong types/],
      [[3, 0, [['a', 'A', 'o', '/a/', []]], []], /api 0 is not \[id, name, org, listen path, tags, expire ms\]/],
      [[3, 0, [['a', 'A', 7, '/a/', [], 1]], []], /api 0: names must be strings/],
      [[3, 0, [['a', 'A', 'o', '/a/', ['t', 1], 1]], []], /api 0: tags must be a list of strings/],
    ];
    for (const [value, message] of cases) assert.throws(() => new RecordBatchReader(packr.pack(value)), message, JSON.stringify(value));
    // Expiry: anything but a positive number is the default (100 years), as before.
    for (const expire of [0, -5, 'soon', null, { a: [1, 2] }, new Date(0)]) {
      const batch = new RecordBatchReader(packr.pack([3, 0, [['a', 'A', 'o', '/a/', [], expire]], []]));
      assert.equal(batch.apis[0]!.expireAfterMs, 100 * 365.25 * 24 * 3600 * 1000);
    }
  });

  it('after a bad record every next() throws the same error; the records before it were read', () => {
    const batch = new RecordBatchReader(rowsBatch(3, [row3(A, 1), row3(A, 2), [9]]));
    assert.equal(batch.next(), true);
    assert.equal(batch.next(), true);
    assert.throws(() => batch.next(), /record 2 is not a 19-field row/);
    assert.throws(() => batch.next(), /record 2 is not a 19-field row/);
  });

  it('accepts what the generic decoder accepted and refuses what it refused, on random damage (versions 4 and 3)', () => {
    for (const good of [encodeRecordBatch(varied(20), 0), encodeOlderRecordBatch(varied(20), 3, 0)]) randomDamage(good);
  });

  it('version 4: a field not sent repeats the previous record (time: the same time; rawPath: the path)', () => {
    const bit = (k: number) => FIELD_BITS[k]!;
    const full = (api: number, t: RecordTuple) => [ALL_FIELDS_MASK & ~bit(18), ...MASK_FIELDS.filter((k) => k !== 18).map((k) => (k === 0 ? api : t[k]))];
    const first = tuple(A, 1, { 14: ['t'] });
    const rows = [full(0, first), [0], [bit(0), 1], [bit(7) | bit(3), 5, '/p'], [bit(18) | bit(3), '/q', '/raw']];
    const read = decodeRecordTuples(rowsBatch(4, rows, [['a', 'A', 'o', '/a/', [], 1], ['b', 'B', 'o', '/b/', [], 1]])).records;
    assert.deepEqual(read.map((r) => [r[0].apiId, r[3], r[7], r[18], r[14]]), [
      ['a', '/x/1', T0 + 1, '/x/1', ['t']], ['a', '/x/1', T0 + 1, '/x/1', ['t']], ['b', '/x/1', T0 + 1, '/x/1', ['t']],
      ['b', '/p', T0 + 6, '/p', ['t']], ['b', '/q', T0 + 6, '/raw', ['t']],
    ]);
  });

  it('version 4: a bad mask, values that do not match it, a first record that leaves a field out, nil as a value', () => {
    const first = [ALL_FIELDS_MASK & ~FIELD_BITS[18]!, ...MASK_FIELDS.filter((k) => k !== 18).map((k) => (k === 0 ? 0 : tuple(A, 1)[k]))];
    const cases: [unknown[], RegExp][] = [
      [[], /record 1 is not a \[mask, \.\.\.values\] row/],
      [[-1], /record 1: mask -1 is not a set of fields/],
      [[2 ** 19], /record 1: mask 524288 is not a set of fields/],
      [[1.5, 1], /record 1: mask 1.5 is not a set of fields/],
      [['1', 1], /record 1: mask "1" is not a set of fields/],
      [[1], /record 1: 0 values for a mask of 1 fields/],
      [[1, 2, 3], /record 1: 2 values for a mask of 1 fields/],
      [[FIELD_BITS[3]!, null], /record 1: field 3 must be a string/],
      [[FIELD_BITS[8]!, null], /record 1: field 8 must be a number/],
      [[FIELD_BITS[0]!, 5], /record 1: no api 5/],
    ];
    for (const [row, message] of cases) assert.throws(() => decodeRecordTuples(rowsBatch(4, [first, row])), message, JSON.stringify(row));
    const withoutHost = [...first];
    withoutHost.splice(1 + MASK_FIELDS.filter((k) => k !== 18).indexOf(2), 1);
    withoutHost[0] = (first[0] as number) & ~FIELD_BITS[2]!;
    assert.throws(() => decodeRecordTuples(rowsBatch(4, [withoutHost])), /record 0: field 2 repeats a record that does not exist/);
  });
});

function randomDamage(good: Buffer): void {
  {
    let seed = 11;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const outcome = (decode: () => unknown): unknown => {
      try {
        return decode();
      } catch (err) {
        assert.match((err as Error).message, /^analytics batch: /);
        return 'refused';
      }
    };
    let read = 0;
    for (let n = 0; n < 3000; n++) {
      const bad = Buffer.from(good);
      for (let m = 0; m < 1 + Math.floor(random() * 3); m++) bad[Math.floor(random() * bad.length)] = Math.floor(random() * 256);
      const expected = outcome(() => referenceDecode(bad));
      assert.deepEqual(outcome(() => decodeRecordTuples(bad)), expected, `damage ${n}`);
      if (expected !== 'refused') read++;
    }
    assert.ok(read > 100, `${read} of 3000 still batches`);
  }
}
