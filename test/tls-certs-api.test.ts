import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { X509Certificate } from 'node:crypto';
import { createRedisClient, generateCertificate, prepareUpload, waitForReady } from '@tollgate/store';
import { AdminClient } from './support/admin-client.js';
import { waitFor } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { fingerprintOf } from './support/tls.js';
import { CLI, startTollgate, type Tollgate } from './support/tollgate-processes.js';

// `/tyk/certs` (tls-and-certificates.md §6-7) against a running control plane, and the `certs` CLI.
const cert = generateCertificate({ commonName: 'api.example.com', dnsNames: ['api.example.com'], organization: 'Example' });
const other = generateCertificate({ commonName: 'other.example.com' });

let redis: RedisServer;
let tg: Tollgate;
let admin: AdminClient;
let dir: string;

/** A certificate a Tyk gateway stored in the same Redis before tollgate ran (spec §6.3 layout). */
const fromTyk = generateCertificate({ commonName: 'tyk.example.com' });
let tykId = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-certs-'));
  redis = await startRedisServer();
  const client = createRedisClient({ host: '127.0.0.1', port: redis.port }, { name: 'test:tyk-layout' });
  await waitForReady(client, 5000);
  // tollgate's e2e secret (support/tollgate-processes.ts) encrypts the key, as Tyk's would with the same tyk.conf.
  const upload = prepareUpload(fromTyk.certPem + fromTyk.keyPem, 'tykorg', `e2e-secret-${process.pid}`, new Date());
  assert.ok(upload.ok);
  tykId = upload.id;
  await client.set(`cert-raw-${tykId}`, upload.raw);
  await client.rpush('cert-tykorg-index', `raw-${tykId}`);
  client.disconnect();
  tg = await startTollgate({ redisPort: redis.port, workers: 0 });
  admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
});

after(async () => {
  await tg?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const error = (message: string): { status: string; message: string } => ({ status: 'error', message });

describe('/tyk/certs', () => {
  let id = '';

  it("a certificate found in Tyk's Redis layout (cert-raw-<id>) is imported at start, key included", async () => {
    const res = await waitFor('the Tyk certificate imported', async () => {
      const r = await admin.call<Array<{ id?: string; has_private_key?: boolean }>>('GET', `/tyk/certs/${tykId}`);
      return r.status === 200 ? r : undefined;
    });
    assert.equal(JSON.stringify(res.json).includes('tyk.example.com'), true, res.text);
    const listed = await admin.call<{ certs: string[] }>('GET', '/tyk/certs?org_id=tykorg');
    assert.deepEqual(listed.json.certs, [tykId]);
  });

  it('POST stores a certificate with its key under org + SHA-256 and answers Tyk\'s shape', async () => {
    const res = await admin.call('POST', '/tyk/certs?org_id=org1', cert.certPem + cert.keyPem);
    id = `org1${fingerprintOf(cert.certPem)}`;
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { id, status: 'ok', message: 'Certificate added' });
    assert.match(res.text, /\n$/);
  });

  it('POST refuses bad input with Tyk\'s 403 texts', async () => {
    const expired = generateCertificate({ commonName: 'old', notBefore: new Date(Date.now() - 5 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const cases: Array<[string, string]> = [
      ['hello', 'Failed to decode certificate. It should be PEM encoded.'],
      [cert.certPem + other.keyPem, 'tls: private key does not match public key'],
      [expired.certPem, 'certificate is expired'],
      [cert.certPem + cert.keyPem + other.keyPem, 'Found multiple private keys'],
      [cert.certPem + cert.publicKeyPem, "Public keys can't be combined with certificates"],
      [cert.certPem, `Certificate with ${id} id already exists`],
    ];
    for (const [body, message] of cases) {
      const res = await admin.call('POST', '/tyk/certs?org_id=org1', body);
      assert.equal(res.status, 403, message);
      assert.deepEqual(res.json, error(message));
    }
  });

  it('GET one returns metadata with Go field names; GET several returns an array with null for missing', async () => {
    const res = await admin.call<Record<string, unknown>>('GET', `/tyk/certs/${id}`);
    assert.equal(res.status, 200);
    const x = new X509Certificate(cert.certPem);
    assert.equal(res.json.id, id);
    assert.equal(res.json.fingerprint, fingerprintOf(cert.certPem));
    assert.equal(res.json.has_private, true);
    assert.equal((res.json.subject as { CommonName: string }).CommonName, 'api.example.com');
    assert.deepEqual((res.json.subject as { Organization: string[] }).Organization, ['Example']);
    assert.deepEqual(res.json.dns_names, ['api.example.com']);
    assert.equal(res.json.not_after, new Date(x.validTo).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    assert.equal(res.json.is_ca, false);
    const missing = await admin.call('GET', '/tyk/certs/org1nothere');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, error('Certificate with given SHA256 fingerprint not found'));
    const many = await admin.call<Array<Record<string, unknown> | null>>('GET', `/tyk/certs/${id},org1nothere`);
    assert.equal(many.json.length, 2);
    assert.equal(many.json[0]?.id, id);
    assert.equal(many.json[1], null);
  });

  it('a public key is stored too and reads as "Public Key: <hash>"', async () => {
    const res = await admin.call<{ id: string }>('POST', '/tyk/certs?org_id=org2', other.publicKeyPem);
    assert.equal(res.status, 200);
    const info = await admin.call<{ subject: { CommonName: string }; not_before: string; has_private: boolean }>('GET', `/tyk/certs/${res.json.id}`);
    assert.match(info.json.subject.CommonName, /^Public Key: [0-9a-f]{64}$/);
    assert.equal(info.json.not_before, '0001-01-01T00:00:00Z');
    assert.equal(info.json.has_private, false);
  });

  it('lists by org (plain and detailed), [] when empty, all without org_id', async () => {
    assert.deepEqual((await admin.call('GET', '/tyk/certs?org_id=org1')).json, { certs: [id] });
    assert.deepEqual((await admin.call('GET', '/tyk/certs?org_id=nobody')).json, { certs: [] });
    // Two posted here and the one imported from Tyk's layout.
    assert.equal((await admin.call<{ certs: string[] }>('GET', '/tyk/certs')).json.certs.length, 3);
    const detailed = await admin.call<{ certs: Array<Record<string, unknown>> }>('GET', '/tyk/certs?org_id=org1&mode=detailed');
    assert.deepEqual(Object.keys(detailed.json.certs[0]!).sort(),
      ['dns_names', 'has_private', 'id', 'is_ca', 'issuer_cn', 'not_after', 'not_before', 'subject_cn']);
    assert.equal(detailed.json.certs[0]!.subject_cn, 'api.example.com');
  });

  it('DELETE always answers ok and removes', async () => {
    assert.deepEqual((await admin.call('DELETE', `/tyk/certs/${id}?org_id=org1`)).json, { status: 'ok', message: 'removed' });
    assert.equal((await admin.call('GET', `/tyk/certs/${id}`)).status, 404);
    assert.deepEqual((await admin.call('DELETE', `/tyk/certs/${id}`)).json, { status: 'ok', message: 'removed' });
  });

  it('needs the admin secret', async () => {
    assert.equal((await admin.call('GET', '/tyk/certs', undefined, null)).status, 403);
  });
});

describe('tollgate certs generate / add', () => {
  const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: dir }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });

  it('generates a self-signed pair and uploads it, printing the ID', async () => {
    const gen = await run(['certs', 'generate', '--domain', 'dev.local', '*.dev.local', '--out', dir, '--days', '30']);
    assert.equal(gen.code, 0, gen.stderr);
    const crt = readFileSync(join(dir, 'dev.local.crt'), 'utf8');
    const x = new X509Certificate(crt);
    assert.match(x.subject, /CN=dev.local/);
    assert.equal(x.subjectAltName, 'DNS:dev.local, DNS:*.dev.local');
    const config = join(dir, 'cli.json');
    writeFileSync(config, JSON.stringify({ secret: tg.secret, control_api_port: tg.controlPort, storage: { port: redis.port } }));
    const add = await run(['certs', 'add', join(dir, 'dev.local.crt'), join(dir, 'dev.local.key'), '--config', config, '--org-id', 'dev']);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(add.stdout.trim(), `dev${fingerprintOf(crt)}`);
    const stored = await admin.call<{ has_private: boolean }>('GET', `/tyk/certs/${add.stdout.trim()}`);
    assert.equal(stored.json.has_private, true);
    const again = await run(['certs', 'add', join(dir, 'dev.local.crt'), '--config', config, '--org-id', 'dev']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /403 Certificate with dev[0-9a-f]{64} id already exists/);
  });
});
