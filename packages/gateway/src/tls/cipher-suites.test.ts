import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseCiphers, DEFAULT_TLS12_CIPHERS, tlsVersion, withSecurityLevel } from './cipher-suites.js';

const TLS13 = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

describe('Go cipher names → OpenSSL (spec §3)', () => {
  it('maps listed names case-insensitively, keeps their order and always adds the TLS 1.3 suites', () => {
    const c = chooseCiphers(['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', 'tls_rsa_with_aes_256_gcm_sha384']);
    assert.equal(c.ciphers, `ECDHE-RSA-AES128-SHA256:AES256-GCM-SHA384:${TLS13}`);
    assert.equal(c.isCustom, true);
    assert.deepEqual(c.skipped, []);
  });

  it('accepts Go\'s ChaCha20 aliases', () => {
    assert.equal(chooseCiphers(['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305']).ciphers, `ECDHE-RSA-CHACHA20-POLY1305:${TLS13}`);
  });

  it('skips unknown, RC4 and 3DES names; nothing valid left means the defaults', () => {
    const c = chooseCiphers(['junk', 'TLS_RSA_WITH_RC4_128_SHA', 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA']);
    assert.equal(c.isCustom, false);
    assert.equal(c.ciphers, `${DEFAULT_TLS12_CIPHERS.join(':')}:${TLS13}`);
    assert.equal(c.skipped.length, 3);
    assert.match(c.skipped[1]!, /never offered/);
    assert.equal(chooseCiphers([]).ciphers, chooseCiphers(null).ciphers);
  });

  it('a list of TLS 1.3 names only leaves no TLS 1.2 suite', () => {
    const c = chooseCiphers(['TLS_AES_128_GCM_SHA256']);
    assert.equal(c.isTls13Only, true);
    assert.equal(c.ciphers, TLS13);
  });

  it('the defaults are the six ECDHE AEAD suites', () => {
    assert.equal(DEFAULT_TLS12_CIPHERS.length, 6);
    assert.ok(DEFAULT_TLS12_CIPHERS.every((c) => c.startsWith('ECDHE-') && /GCM|CHACHA20/.test(c)));
  });
});

describe('TLS versions', () => {
  it('maps 769-772 and falls back for 0', () => {
    assert.equal(tlsVersion(769, 'TLSv1.2'), 'TLSv1');
    assert.equal(tlsVersion(770, 'TLSv1.2'), 'TLSv1.1');
    assert.equal(tlsVersion(771, 'TLSv1.3'), 'TLSv1.2');
    assert.equal(tlsVersion(772, 'TLSv1.2'), 'TLSv1.3');
    assert.equal(tlsVersion(0, 'TLSv1.2'), 'TLSv1.2');
  });

  it('adds @SECLEVEL=0 only when TLS 1.0/1.1 is enabled', () => {
    assert.equal(withSecurityLevel('X', 'TLSv1'), 'X:@SECLEVEL=0');
    assert.equal(withSecurityLevel('X', 'TLSv1.1'), 'X:@SECLEVEL=0');
    assert.equal(withSecurityLevel('X', 'TLSv1.2'), 'X');
  });
});
