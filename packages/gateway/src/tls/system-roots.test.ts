import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateCertificate } from '@tollgate/store';
import { GO_CERT_FILES, loadSystemRoots } from './system-roots.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-roots-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ca1 = generateCertificate({ commonName: 'root one', isCa: true });
const ca2 = generateCertificate({ commonName: 'root two', isCa: true });

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadSystemRoots', () => {
  it('SSL_CERT_FILE wins: every certificate of the bundle, nothing else (a stray block is skipped)', () => {
    const bundle = file('bundle.pem', `# comment\n${ca1.certPem}\n${ca2.certPem}\n-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n`);
    const roots = loadSystemRoots({ SSL_CERT_FILE: bundle }, []);
    assert.equal(roots.file, bundle);
    assert.equal(roots.certificates?.length, 2);
    assert.ok(roots.certificates?.[0]?.includes(ca1.certPem.split('\n')[1]!));
  });

  it('without SSL_CERT_FILE: the first existing file of the list (Go\'s, in Go\'s order, by default)', () => {
    assert.deepEqual(GO_CERT_FILES.slice(0, 2), ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt']);
    const second = file('second.pem', ca2.certPem);
    const third = file('third.pem', ca1.certPem);
    const roots = loadSystemRoots({}, [join(dir, 'absent.pem'), second, third]);
    assert.equal(roots.file, second);
    assert.equal(roots.certificates?.length, 1);
  });

  it('none of the files exists: Node\'s bundled roots', () => {
    assert.deepEqual(loadSystemRoots({}, [join(dir, 'absent.pem')]), { file: null, certificates: undefined });
  });

  it('a file that cannot be read or holds no certificate is an error naming it', () => {
    assert.throws(() => loadSystemRoots({ SSL_CERT_FILE: join(dir, 'missing.pem') }), /SSL_CERT_FILE .*missing.pem: cannot read \(ENOENT\)/);
    const empty = file('empty.pem', 'nothing here\n');
    assert.throws(() => loadSystemRoots({ SSL_CERT_FILE: empty }), /SSL_CERT_FILE .*empty.pem: holds no PEM certificate/);
  });
});
