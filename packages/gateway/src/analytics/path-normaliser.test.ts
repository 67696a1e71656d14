import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NormaliseUrlsConfig } from '@tollgate/apidef';
import { compilePathNormaliser } from './path-normaliser.js';

const ALL: NormaliseUrlsConfig = { enabled: true, normalise_uuids: true, normalise_ulids: true, normalise_numbers: true, custom_patterns: [] };

describe('analytics_config.normalise_urls (spec analytics.md §2)', () => {
  it('is off unless enabled, and when no rule is on', () => {
    assert.equal(compilePathNormaliser({ ...ALL, enabled: false }), null);
    assert.equal(compilePathNormaliser({ ...ALL, normalise_uuids: false, normalise_ulids: false, normalise_numbers: false }), null);
  });

  it('UUIDs (with or without dashes), ULIDs and /<digits> become placeholders, every occurrence', () => {
    const normalise = compilePathNormaliser(ALL)!;
    assert.equal(normalise('/users/42/orders/7'), '/users/{id}/orders/{id}');
    assert.equal(normalise('/items/123e4567-e89b-12d3-a456-426614174000/tags'), '/items/{uuid}/tags');
    assert.equal(normalise('/items/123E4567E89B12D3A456426614174000'), '/items/{uuid}');
    assert.equal(normalise('/events/01ARZ3NDEKTSV4RRFFQ69G5FAV'), '/events/{ulid}');
    assert.equal(normalise('/events/01arz3ndektsv4rrffq69g5fav'), '/events/{ulid}');
    // Digits that are not a whole segment start are kept; a segment starting with digits loses them.
    assert.equal(normalise('/v2/items'), '/v2/items');
    assert.equal(normalise('/items/42abc'), '/items/{id}abc');
    // Calls share the compiled regexes: the same path twice gives the same answer.
    assert.equal(normalise('/users/42/orders/7'), '/users/{id}/orders/{id}');
  });

  it('applies only the rules switched on, in Tyk order, then the custom patterns (→ {var}); a leading (?i) is honoured', () => {
    const numbersOnly = compilePathNormaliser({ ...ALL, normalise_uuids: false, normalise_ulids: false })!;
    // Without the UUID rule, the digits after a slash inside a UUID are taken as a number.
    assert.equal(numbersOnly('/items/123e4567-e89b-12d3-a456-426614174000'), '/items/{id}e4567-e89b-12d3-a456-426614174000');
    const custom = compilePathNormaliser({ ...ALL, custom_patterns: ['(?i)user-[a-z]+', 'ab+c'] })!;
    assert.equal(custom('/profiles/USER-alice/7/abbbc'), '/profiles/{var}/{id}/{var}');
  });
});
