import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rateCounterState } from './limit-counters.js';

const S = 1_000_000;

test('sliding log: live entries use capacity; a full log waits for its oldest live entry to leave', () => {
  const now = 100 * S;
  assert.deepEqual(rateCounterState('L', 3, 10 * S, now, { log: [] }), { remaining: 3, waitUs: 0 });
  assert.deepEqual(rateCounterState('L', 3, 10 * S, now, { log: [95 * S, 99 * S] }), { remaining: 1, waitUs: 0 });
  assert.deepEqual(rateCounterState('L', 3, 10 * S, now, { log: [92 * S, 95 * S, 99 * S] }), { remaining: 0, waitUs: 2 * S });
  // An entry a window old has left: room again.
  assert.deepEqual(rateCounterState('L', 3, 10 * S, now, { log: [90 * S, 95 * S, 99 * S] }), { remaining: 1, waitUs: 0 });
});

test('GCRA: the theoretical arrival time gives the burst left and the wait', () => {
  const now = 100 * S;
  // 10 per 10 s: one emission interval is 1 s.
  assert.deepEqual(rateCounterState('G', 10, 10 * S, now, { tat: 0 }), { remaining: 10, waitUs: 0 });
  assert.deepEqual(rateCounterState('G', 10, 10 * S, now, { tat: now + 3 * S }), { remaining: 7, waitUs: 0 });
  assert.deepEqual(rateCounterState('G', 10, 10 * S, now, { tat: now + 10 * S }), { remaining: 0, waitUs: S });
});

test('fixed window: the count of the current window; a past window counts nothing', () => {
  const now = 105 * S;
  assert.deepEqual(rateCounterState('F', 5, 10 * S, now, { window: 10, count: 2 }), { remaining: 3, waitUs: 0 });
  assert.deepEqual(rateCounterState('F', 5, 10 * S, now, { window: 10, count: 5 }), { remaining: 0, waitUs: 5 * S });
  assert.deepEqual(rateCounterState('F', 5, 10 * S, now, { window: 9, count: 5 }), { remaining: 5, waitUs: 0 });
});
