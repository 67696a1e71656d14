import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JwksSets } from './jwks-sets.js';

describe('JwksSets', () => {
  it('one set per (API, URL, family), made on first use and shared by every resolver for it', () => {
    const sets = new JwksSets();
    let made = 0;
    const make = () => {
      made++;
      return () => null;
    };
    const a1 = sets.resolver('a', 'http://jwks/a', 'rsa', make);
    const a2 = sets.resolver('a', 'http://jwks/a', 'rsa', make);
    assert.equal(made, 0);
    a1({ alg: 'RS256', kid: 'k' });
    a2({ alg: 'RS256', kid: 'k' });
    assert.equal(made, 1);
    sets.resolver('b', 'http://jwks/a', 'rsa', make)({ alg: 'RS256', kid: 'k' });
    assert.equal(made, 2);
  });

  it('flush drops the sets of one API, or of every API with ""; the next token makes a new set', () => {
    const sets = new JwksSets();
    const made: string[] = [];
    const resolverOf = (apiId: string) => sets.resolver(apiId, `http://jwks/${apiId}`, 'rsa', () => {
      made.push(apiId);
      return () => null;
    });
    const a = resolverOf('a');
    const b = resolverOf('b');
    a({ alg: 'RS256' });
    b({ alg: 'RS256' });
    assert.equal(sets.flush('a'), 1);
    a({ alg: 'RS256' });
    b({ alg: 'RS256' });
    assert.deepEqual(made, ['a', 'b', 'a']);
    assert.equal(sets.flush('nope'), 0);
    assert.equal(sets.flush(''), 2);
    b({ alg: 'RS256' });
    assert.deepEqual(made, ['a', 'b', 'a', 'b']);
  });
});
