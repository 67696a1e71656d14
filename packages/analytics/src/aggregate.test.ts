import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRecordTuples, encodeRecordBatch, type AnalyticsRecord, type RecordApiInfo, type RecordTuple } from '@tollgate/store';
import { encodeOlderRecordBatch } from '@tollgate/store/testing';
import { aggregateBatch, aggregateBatchBytes, isTagAggregated, mergeCounter, tagEntry, type AggregateEntry, type Dimension } from './aggregate.js';
import { testRecord, toTuple } from './test-records.js';

const options = { ignoreTagPrefixes: [] as string[], trackAllPaths: false };

function entries(records: AnalyticsRecord[], opts = options) {
  const { hours } = aggregateBatch(records.map(toTuple), opts);
  const out = new Map<string, { hits: number; success: number; error: number; codes: Record<string, number> }>();
  for (const h of hours.values()) {
    for (const e of h.entries.values()) {
      out.set(`${h.hour} ${e.dimension} ${e.value}`, { hits: e.counter.hits, success: e.counter.success, error: e.counter.error, codes: Object.fromEntries(e.counter.codes) });
    }
  }
  return out;
}
const values = (m: ReturnType<typeof entries>, d: Dimension) => [...m.keys()].filter((k) => k.split(' ')[1] === d).map((k) => k.split(' ').slice(2).join(' '));

describe('aggregation (spec analytics.md §5)', () => {
  it('counts hits, success (2xx), error (≥ 400) and every status code, per org and hour bucket', () => {
    const m = entries([
      testRecord(), testRecord({ response_code: 201 }), testRecord({ response_code: 304 }), testRecord({ response_code: 404 }),
      testRecord({ response_code: 503, timestamp: '2026-11-23T13:00:00.000Z' }),
    ]);
    assert.deepEqual(m.get('2026112312 total all'), { hits: 4, success: 2, error: 1, codes: { 200: 1, 201: 1, 304: 1, 404: 1 } });
    assert.deepEqual(m.get('2026112313 total all'), { hits: 1, success: 0, error: 1, codes: { 503: 1 } });
    assert.deepEqual(values(m, 'codes').sort(), ['200', '201', '304', '404', '503']);
    assert.deepEqual(values(m, 'errors').sort(), ['404', '503'], 'errors: ≥ 400 only, as Tyk');
  });

  it('sums and extremes of latency; min ignores error responses', () => {
    const { hours } = aggregateBatch([
      testRecord({ request_time: 10, latency: { total: 10, upstream: 6, gateway: 4 } }),
      testRecord({ request_time: 30, latency: { total: 30, upstream: 25, gateway: 5 } }),
      testRecord({ response_code: 500, request_time: 2, latency: { total: 2, upstream: 0, gateway: 2 } }),
    ].map(toTuple), options);
    const c = [...hours.values()][0]!.entries.get('o1\u0000apiid\u0000a')!.counter;
    assert.deepEqual(
      [c.totalRequestTime, c.totalLatency, c.totalUpstreamLatency, c.maxLatency, c.minLatency, c.maxUpstreamLatency, c.minUpstreamLatency],
      [42, 42, 31, 30, 10, 25, 6],
    );
    assert.deepEqual([c.identifier, c.humanIdentifier], ['a', 'API A']);
  });

  it('keys and oauth ids get entries only when non-empty; versions key on base64 of api_id:version', () => {
    const m = entries([testRecord({ api_key: 'hash1', alias: 'alice', oauth_id: 'client9' }), testRecord()]);
    assert.deepEqual(values(m, 'apikeys'), ['hash1']);
    assert.deepEqual(values(m, 'oauthids'), ['client9']);
    assert.deepEqual(values(m, 'versions'), [Buffer.from('a:Non Versioned').toString('base64').replace(/=+$/, '')]);
  });

  it('records without org_id are skipped, as Tyk Pump skips them', () => {
    const { hours, skipped } = aggregateBatch([testRecord({ org_id: '' }), testRecord()].map(toTuple), options);
    assert.equal(skipped, 1);
    assert.equal([...hours.values()][0]!.entries.get('o1\u0000total\u0000all')!.counter.hits, 1);
  });

  it('endpoints only for tracked records, or every record with track_all_paths', () => {
    assert.deepEqual(values(entries([testRecord({ path: '/v1.2/x' })]), 'endpoints'), []);
    assert.deepEqual(values(entries([testRecord({ path: '/v1.2/x', track_path: true })]), 'endpoints'), ['/v1\\u2e2/x']);
    const all = entries([testRecord({ api_key: 'k', path: '/p' })], { ...options, trackAllPaths: true });
    assert.deepEqual(values(all, 'apiendpoints'), [Buffer.from('a:Non Versioned:/p').toString('hex')]);
    assert.deepEqual(values(all, 'keyendpoints'), [`k:${Buffer.from('a:/p').toString('base64').replace(/=+$/, '')}`]);
    assert.deepEqual(values(all, 'oauthendpoints'), [], 'no OAuth client, no entry');
  });

  it('apiendpoints: the hex key is the identifier, the path the human identifier; oauthendpoints per OAuth client', () => {
    const { hours } = aggregateBatch([toTuple(testRecord({ oauth_id: 'client9', path: '/p', track_path: true }))], options);
    const all = [...[...hours.values()][0]!.entries.values()];
    const apiEndpoint = all.find((e) => e.dimension === 'apiendpoints')!;
    const hex = Buffer.from('a:Non Versioned:/p').toString('hex');
    assert.deepEqual([apiEndpoint.value, apiEndpoint.counter.identifier, apiEndpoint.counter.humanIdentifier], [hex, hex, '/p']);
    const oauth = all.find((e) => e.dimension === 'oauthendpoints')!;
    const value = Buffer.from('a:/p').toString('base64').replace(/=+$/, '');
    assert.deepEqual([oauth.value, oauth.counter.identifier, oauth.counter.humanIdentifier, oauth.counter.hits], [`client9:${value}`, value, value, 1]);
    assert.equal(all.some((e) => e.dimension === 'keyendpoints'), false, 'no key, no keyendpoints entry');
  });
});

describe('aggregation of a whole batch', () => {
  it('equals aggregating its records one at a time (similar records are summed before they reach their entries)', () => {
    // Two API objects (as after a definition change), keys with aliases, OAuth, versions, tags, tracked
    // paths, errors and min/max from several statuses, two hours; neighbours that differ in one field only.
    const api = toTuple(testRecord())[0];
    const other = { ...api, apiName: 'API A renamed', tags: ['t-api'] };
    const records = Array.from({ length: 300 }, (_, i) => {
      const t = toTuple(testRecord({
        response_code: [200, 200, 201, 404, 500, 304][Math.floor(i / 13) % 6]!, api_key: i % 4 === 0 ? `k${i % 3}` : '', alias: `alias${i % 5}`,
        oauth_id: i % 7 === 0 ? 'c1' : '', api_version: i % 9 === 0 ? 'v2' : 'Non Versioned', tags: i % 5 === 3 ? ['x-team-blue'] : i % 5 === 4 ? ['x-team-red', 'dup'] : ['x.y', 'dup'],
        track_path: i % 10 < 2, path: `/p${i % 3}`, timestamp: new Date(Date.parse('2026-11-23T12:59:59.000Z') + (i % 11) * 100).toISOString(),
        latency: { total: (i * 7) % 23, upstream: (i * 3) % 11, gateway: 0 }, request_time: (i * 7) % 23,
      }));
      t[0] = i % 17 === 0 ? other : api;
      return t;
    });
    for (const opts of [options, { ignoreTagPrefixes: ['x-team'], trackAllPaths: true }]) {
      const whole = aggregateBatch(records, opts);
      const oneByOne = new Map<string, Map<string, AggregateEntry>>();
      for (const t of records) {
        for (const [hour, h] of aggregateBatch([t], opts).hours) {
          const entries = oneByOne.get(hour) ?? new Map<string, AggregateEntry>();
          oneByOne.set(hour, entries);
          for (const [key, e] of h.entries) {
            const known = entries.get(key);
            if (known === undefined) entries.set(key, e);
            else mergeCounter(known.counter, e.counter);
          }
        }
      }
      assert.deepEqual([...whole.hours.keys()].sort(), [...oneByOne.keys()].sort());
      assert.ok(whole.hours.size === 2 && [...whole.hours.values()].every((h) => h.entries.size > 10));
      for (const [hour, h] of whole.hours) {
        assert.deepEqual([...h.orgs], ['o1']);
        const sorted = (m: Map<string, AggregateEntry>) => [...m].sort(([a], [b]) => a.localeCompare(b));
        assert.deepEqual(sorted(h.entries), sorted(oneByOne.get(hour)!), `hour ${hour}`);
      }
    }
  });
});

describe('aggregation straight from the bytes of a batch', () => {
  /**
   * Several APIs (one without org: skipped), keys with aliases, OAuth, versions, tags with ignored prefixes
   * and `key-` ones, tracked paths, statuses, two hours; runs of equal records (sent as repeats) and
   * records that differ from the one before in one field or in several.
   */
  function mixedBatch(): RecordTuple[] {
    const apis: RecordApiInfo[] = [
      { apiId: 'a', apiName: 'API A', orgId: 'o1', listenPath: '/a/', tags: ['t-api', 'x-team-api'], expireAfterMs: 60_000 },
      { apiId: 'b', apiName: 'API B', orgId: 'o2', listenPath: '/b/', tags: [], expireAfterMs: 3_155_760_000_000 },
      { apiId: 'c', apiName: 'no org', orgId: '', listenPath: '/c/', tags: [], expireAfterMs: 1000 },
    ];
    const t0 = Date.parse('2026-11-23T12:59:58.000Z');
    return Array.from({ length: 400 }, (_, i) => {
      const run = Math.floor(i / 4); // four records in a row share most fields
      const tracked = run % 5 === 0;
      return [
        apis[run % 7 === 6 ? 2 : run % 3 === 2 ? 1 : 0]!, i % 2 ? 'GET' : 'POST', 'up:80', tracked ? `/items/{id}` : `/p${run % 4}`, `/a/p${i}`, -1,
        `ua${run % 3}`, t0 + i * 11, [200, 200, 201, 404, 500, 304, 429][run % 7]!, run % 4 === 1 ? `k${run % 3}` : '', run % 6 === 2 ? 'c1' : '',
        (i * 7) % 23, (i * 3) % 11, `10.0.0.${i % 5}`,
        run % 5 === 3 ? ['x-team-blue', 'key-k1'] : run % 5 === 4 ? ['dup', 'dup', ' a.b '] : run % 5 === 1 ? [] : ['plain'],
        run % 4 === 1 ? `alias${i % 2}` : '', tracked, run % 9 === 0 ? 'v2' : '', tracked ? `/items/${i}` : `/p${run % 4}`,
      ];
    });
  }

  it('equals aggregating the decoded tuples, for version 3, 2 and 1 batches', () => {
    const records = mixedBatch();
    for (const opts of [options, { ignoreTagPrefixes: ['x-team', 'dup'], trackAllPaths: true }]) {
      const fromTuples = aggregateBatch(records, opts);
      assert.equal(fromTuples.hours.size, 2);
      assert.ok(fromTuples.skipped > 0);
      for (const bytes of [encodeRecordBatch(records, 0), encodeOlderRecordBatch(records, 3, 0), encodeOlderRecordBatch(records, 2, 0), encodeOlderRecordBatch(records, 1, 0)]) {
        const fromBytes = aggregateBatchBytes(bytes, opts);
        assert.deepEqual(fromBytes, aggregateBatch(decodeRecordTuples(bytes).records, opts));
        assert.deepEqual(fromBytes, fromTuples);
        for (const [hour, h] of fromTuples.hours) assert.deepEqual([...fromBytes.hours.get(hour)!.entries.keys()], [...h.entries.keys()], 'entries in the same order');
      }
    }
  });

  it('refuses a bad batch as decoding does, with nothing aggregated', () => {
    const bytes = encodeRecordBatch(mixedBatch(), 0);
    assert.throws(() => aggregateBatchBytes(bytes.subarray(0, bytes.length - 3), options), /^Error: analytics batch: record 399: /);
    assert.throws(() => aggregateBatchBytes(Buffer.from('not msgpack at all'), options), /^Error: analytics batch: not \[version/);
  });
});

describe('tags and ignore_tag_prefix_list (spec analytics.md §6)', () => {
  it('leaves out tags with an ignored prefix (plain, case-sensitive) and every key- tag; other dimensions still count', () => {
    const record = testRecord({ api_key: 'k1', tags: ['x-request-id-123', 'X-Request-ID-9', 'x-team-blue', 'key-k1', 'org-o1', 'api-a'] });
    const m = entries([record], { ...options, ignoreTagPrefixes: ['x-request-id'] });
    assert.deepEqual(values(m, 'tags').sort(), ['X-Request-ID-9', 'api-a', 'org-o1', 'x-team-blue']);
    assert.equal(m.get('2026112312 apikeys k1')?.hits, 1);
    assert.equal(m.get('2026112312 total all')?.hits, 1);
    assert.deepEqual(record.tags, ['x-request-id-123', 'X-Request-ID-9', 'x-team-blue', 'key-k1', 'org-o1', 'api-a'], 'the record keeps its tags');
  });

  it('entry keys are trimmed with dots removed; the prefix is checked on the tag as recorded', () => {
    assert.equal(tagEntry('  v1.2.beta '), 'v12beta');
    assert.equal(isTagAggregated(' x-request-id-1', ['x-request-id']), true);
    assert.equal(isTagAggregated('key-abc', []), false);
    const m = entries([testRecord({ tags: [' a.b ', '   ', 'dup', 'dup'] })]);
    assert.deepEqual(values(m, 'tags').sort(), ['ab', 'api-a', 'dup', 'org-o1']);
    assert.equal(m.get('2026112312 tags dup')?.hits, 2, 'a tag listed twice counts twice, as in Tyk Pump');
  });
});
