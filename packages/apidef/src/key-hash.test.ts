import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  generateKeyId, hashKeyId, hashString, keyIdCandidates, keyIdHashAlgorithm, keyIdName, keyIdOrg, storageIdForKey,
} from './key-hash.js';

/**
 * Reference vectors of MurmurHash3 with seed 0, as published with spaolacci/murmur3 (the Go package Tyk's
 * fork derives from): x86_32, and x64_128 as h1 / h2. Tyk writes each as big-endian hex.
 */
const MURMUR_VECTORS: ReadonlyArray<{ s: string; h32: string; h1: string; h2: string }> = [
  { s: '', h32: '00000000', h1: '0000000000000000', h2: '0000000000000000' },
  { s: 'hello', h32: '248bfa47', h1: 'cbd8a7b341bd9b02', h2: '5b1e906a48ae1d19' },
  { s: 'hello, world', h32: '149bbb7f', h1: '342fac623a5ebc8e', h2: '4cdcbc079642414d' },
  { s: '19 Jan 2038 at 3:14:07 AM', h32: 'e31e8a70', h1: 'b89e5988b737affc', h2: '664fc2950231b2cb' },
  { s: 'The quick brown fox jumps over the lazy dog.', h32: 'd5c48bfc', h1: 'cd99481f9ee902c9', h2: '695da1a38987b6e7' },
];

describe('hashString', () => {
  for (const v of MURMUR_VECTORS) {
    it(`matches the MurmurHash3 reference vectors for ${JSON.stringify(v.s)}`, () => {
      assert.equal(hashString(v.s, 'murmur32'), v.h32);
      assert.equal(hashString(v.s, 'murmur64'), v.h1);
      assert.equal(hashString(v.s, 'murmur128'), v.h1 + v.h2);
    });
  }

  it('pads murmur32 to 8 hex characters and hashes UTF-8 bytes (x86_32 "abc" = b3dd93fa)', () => {
    assert.equal(hashString('abc', 'murmur32'), 'b3dd93fa');
    assert.equal(hashString('é', 'murmur32'), '10110787');
    for (const s of ['a', 'ab', 'abcd', 'abcde', 'x'.repeat(33)]) assert.match(hashString(s, 'murmur32'), /^[0-9a-f]{8}$/);
  });

  it('sha256 is the lowercase hex digest', () => {
    assert.equal(hashString('hello', 'sha256'), '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  });

  it('an empty or unknown algorithm falls back to murmur32, as Tyk does', () => {
    assert.equal(hashString('hello', ''), '248bfa47');
    assert.equal(hashString('hello', 'md5'), '248bfa47');
  });
});

describe('generateKeyId', () => {
  it('legacy form (hash_key_function ""): org prefix + custom ID, a repeated org prefix removed first', () => {
    assert.equal(generateKeyId({ orgId: 'org1', customId: 'alice', hashKeyFunction: '' }), 'org1alice');
    assert.equal(generateKeyId({ orgId: 'org1', customId: 'org1alice', hashKeyFunction: '' }), 'org1alice');
    assert.equal(generateKeyId({ orgId: '', customId: 'alice', hashKeyFunction: '' }), 'alice');
  });

  it('generated legacy IDs are the org followed by 32 hex characters, different every time', () => {
    const a = generateKeyId({ orgId: 'org1', hashKeyFunction: '' });
    const b = generateKeyId({ orgId: 'org1', customId: '', hashKeyFunction: '' });
    assert.match(a, /^org1[0-9a-f]{32}$/);
    assert.match(b, /^org1[0-9a-f]{32}$/);
    assert.notEqual(a, b);
  });

  it('JSON form: padded base64 of exactly {"org":..,"id":..,"h":..}', () => {
    const id = generateKeyId({ orgId: 'org1', customId: 'alice', hashKeyFunction: 'murmur64' });
    assert.equal(id, 'eyJvcmciOiJvcmcxIiwiaWQiOiJhbGljZSIsImgiOiJtdXJtdXI2NCJ9');
    assert.equal(Buffer.from(id, 'base64').toString(), '{"org":"org1","id":"alice","h":"murmur64"}');
    const generated = generateKeyId({ orgId: 'org1', hashKeyFunction: 'sha256' });
    assert.match(Buffer.from(generated, 'base64').toString(), /^\{"org":"org1","id":"[0-9a-f]{32}","h":"sha256"\}$/);
  });

  it('records an unknown algorithm as murmur64', () => {
    const id = generateKeyId({ orgId: 'o', customId: 'k', hashKeyFunction: 'whirlpool' });
    assert.equal(Buffer.from(id, 'base64').toString(), '{"org":"o","id":"k","h":"murmur64"}');
  });
});

describe('key ID parts and hashes', () => {
  const jsonKey = generateKeyId({ orgId: 'org1', customId: 'alice', hashKeyFunction: 'sha256' });

  it('reads org, id and algorithm from a JSON key ID', () => {
    assert.equal(keyIdOrg(jsonKey), 'org1');
    assert.equal(keyIdName(jsonKey), 'alice');
    assert.equal(keyIdHashAlgorithm(jsonKey), 'sha256');
  });

  it('legacy keys: the first 24 characters are the org when the key is longer; no algorithm', () => {
    const legacy = `5e9d9544a1dcd60001d0ed20${'a'.repeat(32)}`;
    assert.equal(keyIdOrg(legacy), '5e9d9544a1dcd60001d0ed20');
    assert.equal(keyIdOrg('short-key'), '');
    assert.equal(keyIdHashAlgorithm(legacy), '');
    assert.equal(keyIdName(legacy), undefined);
    assert.equal(keyIdOrg('eyNotBase64!'), '');
  });

  it('hashKeyId uses the algorithm named in the key, else murmur32', () => {
    assert.equal(hashKeyId(jsonKey), hashString(jsonKey, 'sha256'));
    assert.equal(hashKeyId(jsonKey).length, 64);
    assert.equal(hashKeyId('org1alice'), 'c0af49a2');
    const m64 = 'eyJvcmciOiJvcmcxIiwiaWQiOiJhbGljZSIsImgiOiJtdXJtdXI2NCJ9';
    assert.equal(hashKeyId(m64), 'f87d245a54291872');
  });

  it('storageIdForKey hashes only with hash_keys', () => {
    assert.equal(storageIdForKey('org1alice', true), 'c0af49a2');
    assert.equal(storageIdForKey('org1alice', false), 'org1alice');
  });
});

describe('keyIdCandidates', () => {
  it('a key carrying the API org is fetched as is', () => {
    const key = generateKeyId({ orgId: 'org1', customId: 'alice', hashKeyFunction: 'murmur64' });
    assert.deepEqual(keyIdCandidates(key, { orgId: 'org1', hashKeyFunction: 'murmur64' }), [key]);
  });

  it('a bare name: the ID built with the org first, then the name, then each fallback algorithm', () => {
    const got = keyIdCandidates('alice', { orgId: 'org1', hashKeyFunction: 'murmur64', hashKeyFunctionFallback: ['sha256'] });
    assert.deepEqual(got, [
      generateKeyId({ orgId: 'org1', customId: 'alice', hashKeyFunction: 'murmur64' }),
      'alice',
      generateKeyId({ orgId: 'org1', customId: 'alice', hashKeyFunction: 'sha256' }),
    ]);
  });

  it('disable_key_actions_by_username leaves only the name itself', () => {
    assert.deepEqual(keyIdCandidates('alice', { orgId: 'org1', hashKeyFunction: '', disableKeyActionsByUsername: true }), ['alice']);
  });
});
