import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRange } from './analytics.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const parse = (q: string) => parseRange(new URLSearchParams(q), NOW);

describe('/tollgate/analytics from/to', () => {
  it('defaults to the last 24 hours', () => {
    assert.deepEqual(parse(''), { fromMs: NOW - 86_400_000, toMs: NOW, orgId: '' });
  });

  it('reads RFC 3339, plain dates (UTC) and unix seconds', () => {
    assert.deepEqual(parse('from=2026-11-20&to=2026-11-21T10:30:00%2B01:00&org_id=o1'), {
      fromMs: Date.parse('2026-11-20T00:00:00Z'), toMs: Date.parse('2026-11-21T09:30:00Z'), orgId: 'o1',
    });
    assert.deepEqual(parse('from=1795000000&to=1795003600'), { fromMs: 1795000000_000, toMs: 1795003600_000, orgId: '' });
  });

  it('names the parameter that is wrong', () => {
    assert.match(parse('from=yesterday') as string, /^from must be an RFC 3339 time .* \(got "yesterday"\)$/);
    assert.match(parse('to=2026-13-45') as string, /^to must be/);
    assert.match(parse('from=2026-11-23T13:00:00Z&to=2026-11-23T12:00:00Z') as string, /^from \(2026-11-23T13:00:00.000Z\) is after to/);
  });
});
