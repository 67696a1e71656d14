import { Packr } from 'msgpackr';
import type { RecordApiInfo, RecordTuple } from './analytics-record.js';

const packr = new Packr({ useRecords: false, moreTypes: false });

/**
 * A batch in a format older gateways queued (tests: a consumer must still read them during an upgrade),
 * packed by msgpackr (the same msgpack those gateways wrote): `[version, tz, apis, rows]`. Version 1 has
 * 18-field rows (no `rawPath`) with every value in full; version 2 sends a string field or the tags equal
 * to the previous record's as nil, and each time as the difference to the previous record's; version 3
 * adds `rawPath` as a 19th field, nil when it is the record's own path.
 *
 * @example
 * const bytes = encodeOlderRecordBatch(tuples, 2, 0);
 */
export function encodeOlderRecordBatch(records: readonly RecordTuple[], version: 1 | 2 | 3, tzOffsetMinutes: number): Buffer {
  const apis: RecordApiInfo[] = [];
  let previous: RecordTuple | null = null;
  const rows = records.map((r) => {
    let index = apis.indexOf(r[0]);
    if (index < 0) index = apis.push(r[0]) - 1;
    const row: unknown[] = [index, ...r.slice(1, 18)];
    if (version === 3) row.push(r[18] === r[3] ? null : r[18]);
    if (version >= 2) {
      if (previous !== null) {
        for (const k of [1, 2, 3, 4, 6, 9, 10, 13, 15, 17]) if (r[k] === previous[k]) row[k] = null;
        const [a, b] = [r[14], previous[14]];
        if (a.length === b.length && a.every((tag, i) => tag === b[i])) row[14] = null;
      }
      row[7] = r[7] - (previous?.[7] ?? 0);
    }
    previous = r;
    return row;
  });
  return packr.pack([version, tzOffsetMinutes, apis.map((a) => [a.apiId, a.apiName, a.orgId, a.listenPath, a.tags, a.expireAfterMs]), rows]);
}
