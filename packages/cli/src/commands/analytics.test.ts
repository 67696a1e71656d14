import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CounterJson } from '@tollgate/analytics';
import { renderTopTags } from './analytics.js';

const counter = (hits: number, error: number, latency: number): CounterJson => ({
  hits, success: hits - error, error, request_time: latency, total_request_time: latency * hits, latency, total_latency: latency * hits,
  max_latency: 99, min_latency: 1, upstream_latency: 0, total_upstream_latency: 0, max_upstream_latency: 0, min_upstream_latency: 0,
  error_map: {}, error_list: [], status_codes: {}, last_time: '', identifier: '', human_identifier: '',
});

describe('tollgate analytics top-tags', () => {
  it('prints the tags with the most hits first, limited', () => {
    const text = renderTopTags({ 'x-team-red': counter(5, 1, 2), 'api-a': counter(40, 4, 3.25), 'x-team-blue': counter(35, 0, 1) }, 2);
    assert.equal(text, [
      'tag          hits  success  error  error %  mean ms  max ms',
      '-----------  ----  -------  -----  -------  -------  ------',
      'api-a          40       36      4     10.0      3.3      99',
      'x-team-blue    35       35      0      0.0      1.0      99',
      '',
    ].join('\n'));
  });

  it('says so when there is nothing', () => {
    assert.equal(renderTopTags({}, 10), 'no tags in this range\n');
  });
});
