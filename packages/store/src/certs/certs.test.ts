import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ConfigStore } from '../config-store.js';
import { createRedisClient, waitForReady, type RedisClient } from '../redis-client.js';
import { startTestRedis, type TestRedisServer } from '../test-redis-server.js';
import { certificateInfo, certificateSummary } from './certificate-info.js';
import { CertificateStore, certificateSecret } from './certificate-store.js';
import { generateCertificate } from './generate.js';
import { decryptPrivateKey, encryptPrivateKey } from './key-encryption.js';
import { decodePem } from './pem.js';
import { decodeStoredCertificate } from './stored-certificate.js';
import { prepareUpload, UPLOAD_ERRORS } from './upload.js';

const SECRET = 'unit-secret';
const leaf = generateCertificate({ commonName: 'api.example.com', dnsNames: ['api.example.com', '*.api.example.com'], organization: 'Example' });
const other = generateCertificate({ commonName: 'other.example.com' });
const derOf = (pem: string): Buffer => decodePem(pem)[0]!.der;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('certificate upload (spec §6.1-6.2)', () => {
  it('IDs are the org followed by the SHA-256 of the first certificate DER', () => {
    const r = prepareUpload(leaf.certPem + leaf.keyPem, 'org1', SECRET, new Date());
    assert.ok(r.ok);
    assert.equal(r.id, `org1${sha(derOf(leaf.certPem))}`);
    const bare = prepareUpload(leaf.certPem, '', SECRET, new Date());
    assert.ok(bare.ok);
    assert.equal(bare.id, sha(derOf(leaf.certPem)));
  });

  it('a public key gets the SHA-256 of its SPKI as ID', () => {
    const r = prepareUpload(leaf.publicKeyPem, 'o', SECRET, new Date());
    assert.ok(r.ok);
    assert.equal(r.id, `o${sha(derOf(leaf.publicKeyPem))}`);
  });

  it('refuses what Tyk refuses, with Tyk\'s texts', () => {
    const cases: Array<[string, string]> = [
      ['not a pem at all', UPLOAD_ERRORS.notPem],
      [leaf.certPem + other.keyPem, UPLOAD_ERRORS.keyMismatch],
      [leaf.certPem + leaf.keyPem + other.keyPem, UPLOAD_ERRORS.multipleKeys],
      [leaf.certPem + leaf.publicKeyPem, UPLOAD_ERRORS.publicKeyWithCertificates],
    ];
    for (const [text, message] of cases) assert.deepEqual(prepareUpload(text, '', SECRET, new Date()), { ok: false, message });
    const expired = generateCertificate({ commonName: 'old', notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    assert.deepEqual(prepareUpload(expired.certPem, '', SECRET, new Date()), { ok: false, message: UPLOAD_ERRORS.expired });
  });

  it('stores the key encrypted in Tyk\'s layout and reads it back', () => {
    const r = prepareUpload(leaf.certPem + leaf.keyPem, 'org1', SECRET, new Date());
    assert.ok(r.ok);
    assert.doesNotMatch(r.raw, /BEGIN PRIVATE KEY/);
    assert.match(r.raw, /-----BEGIN ENCRYPTED PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,[0-9a-f]{32}\n\n/);
    const cert = decodeStoredCertificate(r.id, r.raw, SECRET);
    assert.equal(cert.orgId, 'org1');
    assert.ok(cert.chain[0]!.checkPrivateKey(createPrivateKey(cert.keyPem!)));
    assert.throws(() => decodeStoredCertificate(r.id, r.raw, 'wrong'), /cannot decrypt/);
  });

  it('legacy PEM encryption round-trips and OpenSSL decrypts it', () => {
    const der = createPrivateKey(leaf.keyPem).export({ type: 'pkcs1', format: 'der' });
    const encrypted = encryptPrivateKey(der, 's3cret');
    assert.deepEqual(decryptPrivateKey(decodePem(encrypted)[0]!, 's3cret'), der);
    // OpenSSL reads the same body and headers under a type it knows (spec §6.3: the cipher is RFC 1423's).
    const asRsa = encrypted.replace(/ENCRYPTED PRIVATE KEY/g, 'RSA PRIVATE KEY');
    const out = execFileSync('openssl', ['pkey', '-passin', 'pass:s3cret'], { input: asRsa }).toString();
    assert.equal(createPrivateKey(out).export({ type: 'pkcs1', format: 'der' }).equals(der), true);
  });
});

describe('certificate metadata (spec §7)', () => {
  it('reports names, times, fingerprint and key presence with Go field names', () => {
    const r = prepareUpload(leaf.certPem + leaf.keyPem, 'org1', SECRET, new Date());
    assert.ok(r.ok);
    const info = certificateInfo(decodeStoredCertificate(r.id, r.raw, SECRET));
    const x = new X509Certificate(leaf.certPem);
    assert.equal(info.fingerprint, sha(derOf(leaf.certPem)));
    assert.equal(info.has_private, true);
    assert.equal(info.subject.CommonName, 'api.example.com');
    assert.deepEqual(info.subject.Organization, ['Example']);
    assert.deepEqual(info.subject.Names[0], { Type: [2, 5, 4, 3], Value: 'api.example.com' });
    assert.deepEqual(info.dns_names, ['api.example.com', '*.api.example.com']);
    assert.equal(info.not_after, new Date(x.validTo).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    assert.equal(info.is_ca, false);
    assert.equal(certificateSummary(decodeStoredCertificate(r.id, r.raw, SECRET)).subject_cn, 'api.example.com');
  });

  it('a public key reads as "Public Key: <hash>" with zero times', () => {
    const r = prepareUpload(leaf.publicKeyPem, '', SECRET, new Date());
    assert.ok(r.ok);
    const info = certificateInfo(decodeStoredCertificate(r.id, r.raw, SECRET));
    assert.equal(info.subject.CommonName, `Public Key: ${sha(derOf(leaf.publicKeyPem))}`);
    assert.equal(info.not_before, '0001-01-01T00:00:00Z');
    assert.equal(info.has_private, false);
    assert.equal('dns_names' in info, false);
  });

  it('the encoding secret is private_certificate_encoding_secret, else secret', () => {
    assert.equal(certificateSecret({ secret: 'a', security: { private_certificate_encoding_secret: 'b' } }), 'b');
    assert.equal(certificateSecret({ secret: 'a', security: {} }), 'a');
  });
});

describe('CertificateStore against Redis', () => {
  let server: TestRedisServer;
  let redis: RedisClient;
  let certs: CertificateStore;
  before(async () => {
    server = await startTestRedis();
    redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:certs' });
    await waitForReady(redis, 5000);
    certs = new CertificateStore(new ConfigStore(redis), { secret: SECRET });
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  it("imports certificates stored in Tyk's layout (cert-raw-<id>) that it does not hold; skips what does not decode", async () => {
    const tyk = prepareUpload(other.certPem + other.keyPem, 'tykorg', SECRET, new Date());
    assert.ok(tyk.ok);
    await redis.set(`cert-raw-${tyk.id}`, tyk.raw);
    await redis.rpush('cert-tykorg-index', `raw-${tyk.id}`);
    await redis.set('cert-raw-tykorgbroken', 'not a certificate');
    const first = await certs.importTykLayout(redis);
    assert.deepEqual(first.imported, [tyk.id]);
    assert.deepEqual(first.skipped.map((s) => s.id), ['tykorgbroken']);
    assert.deepEqual(await certs.list('tykorg'), [tyk.id]);
    assert.equal((await certs.get(tyk.id))?.keyPem !== null, true, 'the private key decrypts with the same secret');
    assert.equal(await redis.get(`cert-raw-${tyk.id}`), tyk.raw, "Tyk's keys are left as they are");
    // A second start imports nothing more.
    assert.deepEqual((await certs.importTykLayout(redis)).imported, []);
    await certs.remove(tyk.id);
  });

  it('adds, refuses a duplicate, lists by org, gets and removes', async () => {
    const a = await certs.add(leaf.certPem + leaf.keyPem, 'org1');
    assert.ok(a.ok);
    assert.deepEqual(await certs.add(leaf.certPem, 'org1'), { ok: false, message: `Certificate with ${a.id} id already exists` });
    const b = await certs.add(other.certPem, 'org2');
    assert.ok(b.ok);
    assert.deepEqual(await certs.list('org1'), [a.id]);
    assert.deepEqual((await certs.list()).sort(), [a.id, b.id].sort());
    assert.equal((await certs.get(a.id))?.keyPem !== null, true);
    await certs.remove(a.id);
    assert.equal(await certs.get(a.id), null);
    assert.deepEqual(await certs.list('org1'), []);
  });
});
