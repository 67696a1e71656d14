import assert from 'node:assert/strict';
import { test } from 'node:test';
import { obfuscateKey, traceId } from './access-log.js';

test('keys are obfuscated as Tyk does: last four characters, -- when shorter', () => {
  assert.equal(obfuscateKey('eyJvcmciOiJlMmUiLCJpZCI6ImFiY2RlZiJ9'), '****ZiJ9');
  assert.equal(obfuscateKey('abcd'), '--');
  assert.equal(obfuscateKey(''), '');
});

test('trace_id comes from a valid W3C traceparent only', () => {
  assert.equal(traceId('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), '4bf92f3577b34da6a3ce929d0e0e4736');
  for (const bad of ['', 'garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7']) {
    assert.equal(traceId(bad), '', bad);
  }
});
