import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactKeyPath } from './server.js';

describe('redactKeyPath', () => {
  it('cuts key names and query strings out of admin paths before they are logged', () => {
    assert.equal(redactKeyPath('/tyk/keys/org1secret-key'), '/tyk/keys/<redacted>');
    assert.equal(redactKeyPath('/tyk/keys/org1secret-key?hashed=1&org_id=o'), '/tyk/keys/<redacted>');
    assert.equal(redactKeyPath('/tyk/keys/policy/abcdef12'), '/tyk/keys/policy/<redacted>');
    assert.equal(redactKeyPath('/tyk/keys?filter=org1'), '/tyk/keys');
    assert.equal(redactKeyPath('/tyk/apis/api-1'), '/tyk/apis/api-1');
  });
});
