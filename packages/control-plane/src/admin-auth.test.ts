import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAdminSecretCheck } from './admin-auth.js';

describe('createAdminSecretCheck', () => {
  const isAdmin = createAdminSecretCheck('352d20ee67be67f6340b4c0605b044b7');

  it('accepts the configured secret', () => assert.equal(isAdmin('352d20ee67be67f6340b4c0605b044b7'), true));

  it('refuses a wrong secret, including prefixes, extensions and other case', () => {
    for (const wrong of ['wrong', '352d20ee67be67f6340b4c0605b044b', '352d20ee67be67f6340b4c0605b044b77', '352D20EE67BE67F6340B4C0605B044B7', ' 352d20ee67be67f6340b4c0605b044b7']) {
      assert.equal(isAdmin(wrong), false, wrong);
    }
  });

  it('refuses a missing or empty header', () => {
    assert.equal(isAdmin(undefined), false);
    assert.equal(isAdmin(''), false);
  });

  it('refuses a header sent more than once (an array), even if one copy is right', () => {
    assert.equal(isAdmin(['352d20ee67be67f6340b4c0605b044b7']), false);
    assert.equal(isAdmin(['352d20ee67be67f6340b4c0605b044b7', '352d20ee67be67f6340b4c0605b044b7']), false);
  });

  it('throws at start, naming the key, when the configured secret is empty', () => {
    assert.throws(() => createAdminSecretCheck(''), /secret must not be empty/);
  });
});
