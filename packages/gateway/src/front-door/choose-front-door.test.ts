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

  it('max_version 769/770 without min_version: the minimum follows it down, with @SECLEVEL=0', () => {
    const cbc = { 'http_server_options.ssl_ciphers': ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'] };
    const only11 = chooseFrontDoor(config({ 'http_server_options.use_ssl': true, 'http_server_options.max_version': 770, ...cbc }));
    assert.equal(only11.kind, 'node-tls');
    assert.equal(only11.minVersion, 'TLSv1.1');
    assert.equal(only11.maxVersion, 'TLSv1.1');
    assert.match(only11.ciphers, /@SECLEVEL=0$/);
    assert.deepEqual(only11.reasons, ['http_server_options.max_version 770', 'http_server_options.ssl_ciphers']);
    const only10 = chooseFrontDoor(config({ 'http_server_options.use_ssl': true, 'http_server_options.max_version': 769, ...cbc }));
    assert.deepEqual([only10.minVersion, only10.maxVersion], ['TLSv1', 'TLSv1']);
  });

  it('TLS 1.0/1.1 without a suite they can use: refused at start when nothing newer is allowed, else a warning', () => {
    assert.throws(() => chooseFrontDoor(config({ 'http_server_options.use_ssl': true, 'http_server_options.max_version': 770 })),
      /http_server_options.max_version 770 allows only TLS 1.0\/1.1, but http_server_options.ssl_ciphers lists no suite they can use/);
    const mixed = chooseFrontDoor(config({ 'http_server_options.use_ssl': true, 'http_server_options.min_version': 769 }));
    assert.match(mixed.warnings.join('\n'), /min_version 769 enables TLS 1.0\/1.1, but http_server_options.ssl_ciphers lists no suite they can use/);
  });

  it('refuses "uws" when uWS cannot honour the options, and unknown values', () => {
    assert.throws(() => chooseFrontDoor(config({ 'http_server_options.use_ssl': true, 'http_server_options.min_version': 772, tollgate: { tls_front_door: 'uws' } })),
      /cannot honour http_server_options.min_version 772/);
    assert.throws(() => chooseFrontDoor(config({ 'http_server_options.use_ssl': true, tollgate: { tls_front_door: 'fast' } })), /must be "auto", "uws" or "node"/);
  });
});
