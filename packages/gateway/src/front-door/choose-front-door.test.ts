import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '@tollgate/apidef';
import { chooseFrontDoor } from './choose-front-door.js';

const config = (overrides: Record<string, unknown>) => loadConfig({ overrides: { secret: 's', ...overrides } });

describe('chooseFrontDoor', () => {
  it('plain HTTP and default TLS run on uWS', () => {
    assert.equal(chooseFrontDoor(config({})).kind, 'http');
    const tls = chooseFrontDoor(config({ 'http_server_options.use_ssl': true }));
    assert.equal(tls.kind, 'uws-tls');
    assert.equal(tls.minVersion, 'TLSv1.2');
    assert.equal(tls.maxVersion, 'TLSv1.3');
    assert.equal(chooseFrontDoor(config({ 'http_server_options.use_ssl': true, 'http_server_options.min_version': 771, 'http_server_options.max_version': 772 })).kind, 'uws-tls');
  });

  it('version bounds, a cipher list or tollgate.tls_front_door "node" select node:tls, naming why', () => {
    const bounds = chooseFrontDoor(config({ 'http_server_options.use_ssl': true, 'http_server_options.max_version': 771 }));
    assert.equal(bounds.kind, 'node-tls');
    assert.deepEqual(bounds.reasons, ['http_server_options.max_version 771']);
    const ciphers = chooseFrontDoor(config({ 'http_server_options.use_ssl': true, 'http_server_options.ssl_ciphers': ['TLS_RSA_WITH_AES_128_CBC_SHA'] }));
    assert.equal(ciphers.kind, 'node-tls');
    const asked = chooseFrontDoor(config({ 'http_server_options.use_ssl': true, tollgate: { tls_front_door: 'node' } }));
    assert.equal(asked.kind, 'node-tls');
  });

  it('junk ciphers behave like no list (uWS, with a warning); TLS 1.0 adds @SECLEVEL=0', () => {
    const junk = chooseFrontDoor(config({ 'http_server_options.use_ssl': true, 'http_server_options.ssl_ciphers': ['junk'] }));
    assert.equal(junk.kind, 'uws-tls');
    assert.match(junk.warnings[0] ?? '', /junk \(unknown\); using the defaults/);
    const old = chooseFrontDoor(config({ 'http_server_options.use_ssl': true, 'http_server_options.min_version': 769 }));
    assert.match(old.ciphers, /@SECLEVEL=0$/);
  });

  it('refuses "uws" when uWS cannot honour the options, and unknown values', () => {
    assert.throws(() => chooseFrontDoor(config({ 'http_server_options.use_ssl': true, 'http_server_options.min_version': 772, tollgate: { tls_front_door: 'uws' } })),
      /cannot honour http_server_options.min_version 772/);
    assert.throws(() => chooseFrontDoor(config({ 'http_server_options.use_ssl': true, tollgate: { tls_front_door: 'fast' } })), /must be "auto", "uws" or "node"/);
  });
});
