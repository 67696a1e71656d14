import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pack } from 'msgpackr';
import { decodeChangeMessage } from './change-message.js';

describe('decodeChangeMessage', () => {
  it('decodes a well-formed message', () => {
    assert.deepEqual(decodeChangeMessage(pack({ revision: 3, kind: 'api', id: 'a1', op: 'put' })), { revision: 3, kind: 'api', id: 'a1', op: 'put' });
    assert.deepEqual(decodeChangeMessage(pack({ revision: 9, kind: 'cert', id: 'c', op: 'delete' })), { revision: 9, kind: 'cert', id: 'c', op: 'delete' });
  });

  it('drops extra fields', () => {
    assert.deepEqual(decodeChangeMessage(pack({ revision: 1, kind: 'policy', id: 'k', op: 'put', extra: true })), { revision: 1, kind: 'policy', id: 'k', op: 'put' });
  });

  const valid = { revision: 1, kind: 'api', id: 'a', op: 'put' };
  const malformed: Array<[string, Buffer]> = [
    ['an empty payload', Buffer.alloc(0)],
    ['bytes that are not msgpack', Buffer.from([0xc1])],
    ['a truncated message', pack(valid).subarray(0, 5)],
    ['JSON text', Buffer.from(JSON.stringify(valid))],
    ['a packed null', pack(null)],
    ['a packed number', pack(42)],
    ['a packed string', pack('put')],
    ['a packed array', pack([1, 'api', 'a', 'put'])],
    ['a missing revision', pack({ kind: 'api', id: 'a', op: 'put' })],
    ['revision 0', pack({ ...valid, revision: 0 })],
    ['a negative revision', pack({ ...valid, revision: -1 })],
    ['a fractional revision', pack({ ...valid, revision: 1.5 })],
    ['a revision as a string', pack({ ...valid, revision: '1' })],
    ['an unknown kind', pack({ ...valid, kind: 'apis' })],
    ['a kind that is not a string', pack({ ...valid, kind: 1 })],
    ['an id that is not a string', pack({ ...valid, id: 7 })],
    ['a missing id', pack({ revision: 1, kind: 'api', op: 'put' })],
    ['an unknown op', pack({ ...valid, op: 'patch' })],
    ['a missing op', pack({ revision: 1, kind: 'api', id: 'a' })],
  ];
  for (const [name, payload] of malformed) {
    it(`returns null for ${name}`, () => assert.equal(decodeChangeMessage(payload), null));
  }
});
