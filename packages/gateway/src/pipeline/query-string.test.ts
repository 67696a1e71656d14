import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeQueryComponent, queryParam, removeQueryParam } from './query-string.js';

describe('query string (Go url.Query semantics)', () => {
  it('first value of a parameter, form-decoded; \'\' when absent or valueless', () => {
    assert.equal(queryParam('a=1&b=two+words&c', 'b'), 'two words');
    assert.equal(queryParam('a=1&b=%C3%A9', 'b'), 'é');
    assert.equal(queryParam('b=1&b=2', 'b'), '1');
    assert.equal(queryParam('a=1&c', 'c'), '');
    assert.equal(queryParam('a=1', 'b'), '');
    assert.equal(queryParam('', 'b'), '');
    assert.equal(queryParam('=x', ''), '', 'no empty name');
    assert.equal(queryParam('a%20b=1', 'a b'), '1', 'names are decoded too');
  });

  it('a pair whose name or value does not decode is skipped, so a later one of the same name is used', () => {
    assert.equal(queryParam('key=%zz&key=good', 'key'), 'good');
    assert.equal(queryParam('key=%E0%A4%A&key=good', 'key'), 'good');
    assert.equal(queryParam('k%zzey=bad&key=good', 'key'), 'good');
    assert.equal(queryParam('key=%zz', 'key'), '');
    assert.equal(queryParam('a=%zz', 'a'), '');
  });

  it('removes every pair of a name, matched decoded, keeping the others as they were', () => {
    assert.equal(removeQueryParam('key=1&a=2&key=3', 'key'), 'a=2');
    assert.equal(removeQueryParam('k%65y=1&a=%zz', 'key'), 'a=%zz');
    assert.equal(removeQueryParam('', 'key'), '');
  });

  it('decodes components; null when they do not decode', () => {
    assert.equal(decodeQueryComponent('a+b%21'), 'a b!');
    assert.equal(decodeQueryComponent('plain'), 'plain');
    assert.equal(decodeQueryComponent('%zz'), null);
  });
});
