import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { defaultConfig, type ApiDefinition, type GatewayConfig } from '@tollgate/apidef';
import { generateCertificate, prepareUpload } from '@tollgate/store';
import { pino } from 'pino';
import { CertificateRegistry } from './certificate-registry.js';
import { allowedClientCertificates, matchClientCertificate } from './client-certificates.js';
import { clientCertPolicies } from './client-cert-policy.js';
import { ServerCertificateSet, toServerCertificate } from './server-certificates.js';
import { resolvePins, upstreamTlsSpec } from './upstream-tls.js';

const logger = pino({ level: 'silent' });
const SECRET = 'unit';
const registry = new CertificateRegistry(SECRET, logger);
function store(pem: string): string {
  const r = prepareUpload(pem, '', SECRET, new Date());
  assert.ok(r.ok);
  registry.put(r.id, r.raw);
  return r.id;
}
const make = (cn: string, names: string[] = [cn]) => generateCertificate({ commonName: cn, dnsNames: names });
const config = (patch: Partial<GatewayConfig> = {}): GatewayConfig => ({ ...defaultConfig(), secret: SECRET, ...patch });

describe('SNI selection (spec §2)', () => {
  const a = make('a.test');
  const wild = make('*.w.test');
  const multi = make('m.test', ['m.test', 'x.y.z.test']);
  const serverCert = (pem: { certPem: string; keyPem: string }) => toServerCertificate(registry.resolve(pem.certPem + pem.keyPem)!)!;
  const set = new ServerCertificateSet([serverCert(a), serverCert(wild), serverCert(multi)], [['alias.test', serverCert(multi)]]);
  const fp = (pem: { certPem: string }): string => new X509Certificate(pem.certPem).fingerprint256;
  const chosen = (name: string): string => set.select(name)!.leaf.fingerprint256;

  it('exact name, then one-level wildcard, then a certificate valid for the name, else the first', () => {
    assert.equal(chosen('a.test'), fp(a));
    assert.equal(chosen('q.w.test'), fp(wild));
    assert.equal(chosen('p.q.w.test'), fp(a));
    assert.equal(chosen('x.y.z.test'), fp(multi));
    assert.equal(chosen('alias.test'), fp(multi));
    assert.equal(chosen('nothing.test'), fp(a));
    assert.equal(chosen(''), fp(a));
  });

  it('one certificate is used for every name', () => {
    const single = new ServerCertificateSet([serverCert(wild)], []);
    assert.equal(single.select('a.test')!.leaf.fingerprint256, fp(wild));
  });

  it('builds the set from ssl_certificates and API certificates, skipping entries without a key', () => {
    const withKey = make('k.test');
    const keyId = store(withKey.certPem + withKey.keyPem);
    const noKeyId = store(make('nokey.test').certPem);
    const built = ServerCertificateSet.build({
      config: config({ http_server_options: { ...defaultConfig().http_server_options, ssl_certificates: [noKeyId, keyId] } }),
      apis: [{ api_id: 'x', certificates: [keyId] }, { api_id: 'y', domain_disabled: true, certificates: [noKeyId] }],
      registry, logger, files: [],
    });
    assert.equal(built.certificates.length, 1);
    assert.equal(built.select('k.test')!.leaf.fingerprint256, fp(withKey));
  });
});

describe('upstream pins and client certificates (spec §8-9)', () => {
  const key1 = make('k1');
  const key2 = make('k2');
  const pin1 = store(key1.publicKeyPem);
  const pin2 = store(key2.publicKeyPem);
  const ctx = (patch: Partial<GatewayConfig> = {}) => ({ config: config(patch), registry, logger, trustedRoots: undefined, env: {} });
  const fp1 = registry.get(pin1)!.fingerprint;
  const fp2 = registry.get(pin2)!.fingerprint;

  it('later hits override: API over global, exact host over *.domain over *', () => {
    const security = { ...defaultConfig().security, pinned_public_keys: { 'h.example.com': pin1 } };
    const def: ApiDefinition = { pinned_public_keys: { '*': pin2 } };
    assert.deepEqual(resolvePins(def, 'h.example.com', ctx({ security })), new Set([fp2]));
    assert.deepEqual(resolvePins({ pinned_public_keys: { '*.example.com': pin1, '*': pin2 } }, 'h.example.com', ctx()), new Set([fp1]));
    assert.equal(resolvePins({ pinned_public_keys: { '*.example.com': pin1 } }, 'a.b.example.com', ctx()), null);
    assert.deepEqual(resolvePins({ pinned_public_keys: { 'h.example.com': `${pin1},${pin2}` } }, 'h.example.com', ctx()), new Set([fp1, fp2]));
    assert.deepEqual(resolvePins({ ...def, certificate_pinning_disabled: true }, 'h.example.com', ctx({ security })), new Set([fp1]));
  });

  it('a host whose refs all fail to resolve stays pinned, with nothing that can match (fail closed)', () => {
    assert.deepEqual(resolvePins({ pinned_public_keys: { '*': 'no-such-id' } }, 'h', ctx()), new Set());
  });

  it('equal settings share a pool key; a different pin or client certificate does not', () => {
    const url = new URL('https://h.example.com');
    const a = upstreamTlsSpec({ api_id: 'a' }, url, ctx());
    const b = upstreamTlsSpec({ api_id: 'b' }, url, ctx());
    assert.equal(a.key, b.key);
    assert.notEqual(upstreamTlsSpec({ pinned_public_keys: { '*': pin1 } }, url, ctx()).key, a.key);
    const client = make('client');
    const clientId = store(client.certPem + client.keyPem);
    const withCert = upstreamTlsSpec({ upstream_certificates: { 'h.example.com': clientId } }, url, ctx());
    assert.notEqual(withCert.key, a.key);
    assert.equal(withCert.cert, registry.get(clientId)!.certPem);
    assert.equal(upstreamTlsSpec({ upstream_certificates: { '*.example.com': clientId } }, url, ctx()).cert, withCert.cert);
    assert.equal(upstreamTlsSpec({ upstream_certificates: { '*': clientId }, upstream_certificates_disabled: true }, url, ctx()).cert, undefined);
  });

  it('merges gateway and API transport settings', () => {
    const url = new URL('https://h');
    const spec = upstreamTlsSpec({ proxy: { transport: { ssl_min_version: 772 } } }, url, ctx({ proxy_ssl_insecure_skip_verify: true, proxy_ssl_min_version: 771 }));
    assert.equal(spec.rejectUnauthorized, false);
    assert.equal(spec.minVersion, 'TLSv1.3');
    assert.equal(spec.maxVersion, 'TLSv1.3');
    const defaults = upstreamTlsSpec({}, url, ctx());
    assert.equal(defaults.rejectUnauthorized, true);
    assert.equal(defaults.minVersion, 'TLSv1.2');
    assert.equal(upstreamTlsSpec({ proxy: { transport: { ssl_force_common_name_check: true } } }, url, ctx()).forceCommonName, true);
    assert.equal(upstreamTlsSpec({}, new URL('https://h'), { ...ctx(), env: { HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'other' } }).proxyUrl, 'http://p:3128');
    assert.equal(upstreamTlsSpec({}, new URL('https://h.other'), { ...ctx(), env: { HTTPS_PROXY: 'http://p:3128', NO_PROXY: '.other' } }).proxyUrl, '');
  });
});

describe('client certificates (auth.md §9, spec §5)', () => {
  const ca = generateCertificate({ commonName: 'ca', isCa: true });
  const issued = generateCertificate({ commonName: 'issued', issuer: ca });
  const listed = make('listed');
  const stranger = make('stranger');
  const caId = store(ca.certPem);
  const listedId = store(listed.certPem);
  const x = (pem: string) => new X509Certificate(pem);
  const hash = (pem: string) => registry.resolve(pem)!.fingerprint;

  it('matches the leaf by hash, or a chain issued by a listed CA; nothing else', () => {
    const allowed = allowedClientCertificates({ client_certificates: [listedId, caId] }, config(), registry);
    assert.equal(allowed.length, 2);
    assert.ok(matchClientCertificate([x(listed.certPem)], hash(listed.certPem), allowed));
    assert.ok(matchClientCertificate([x(issued.certPem)], hash(issued.certPem), allowed));
    assert.equal(matchClientCertificate([x(stranger.certPem)], hash(stranger.certPem), allowed), null);
    // A listed certificate sent beside another leaf does not make that leaf allowed (README difference 14).
    assert.equal(matchClientCertificate([x(stranger.certPem), x(listed.certPem)], hash(stranger.certPem), allowed), null);
  });

  it('policy per server name: all-mTLS domain requires, mixed requests, others none', () => {
    const policyFor = clientCertPolicies({
      config: config({ enable_custom_domains: true }), registry,
      apis: [
        { api_id: '1', domain: 'strict.test', use_mutual_tls_auth: true, client_certificates: [listedId] },
        { api_id: '2', domain: 'mixed.test', use_mutual_tls_auth: true, client_certificates: [listedId] },
        { api_id: '3', domain: 'mixed.test' },
        { api_id: '4', domain: 'plain.test' },
      ],
    });
    assert.equal(policyFor('strict.test').mode, 'require');
    assert.equal(policyFor('STRICT.test').allowed.length, 1);
    assert.equal(policyFor('mixed.test').mode, 'request');
    assert.equal(policyFor('plain.test').mode, 'none');
    assert.equal(policyFor('elsewhere.test').mode, 'none');
    assert.equal(policyFor.isAnyRequested, true);
    const plain = clientCertPolicies({ config: config({ enable_custom_domains: true }), registry, apis: [{ api_id: '4', domain: 'plain.test' }] });
    assert.equal(plain.isAnyRequested, false, 'no mTLS API: the node door asks no client for a certificate');
  });

  it('templated domains: the strongest matching one applies to names no exact domain claims', () => {
    const policyFor = clientCertPolicies({
      config: config({ enable_custom_domains: true }), registry,
      apis: [
        { api_id: '1', domain: '{tenant}.strict.test', use_mutual_tls_auth: true, client_certificates: [listedId] },
        { api_id: '2', domain: '{tenant}.mixed.test', use_mutual_tls_auth: true, client_certificates: [listedId] },
        { api_id: '3', domain: '{tenant}.mixed.test' },
        { api_id: '4', domain: '{any}.test' },
        { api_id: '5', domain: 'exact.strict.test' },
      ],
    });
    assert.deepEqual([policyFor('a.strict.test').mode, policyFor('a.strict.test').allowed.length], ['require', 1]);
    assert.equal(policyFor('A.Mixed.test').mode, 'request');
    // An exact domain wins over a template that also matches the name.
    assert.equal(policyFor('exact.strict.test').mode, 'none');
    assert.equal(policyFor('other.test').mode, 'none');
    assert.equal(policyFor('').mode, 'none');
  });
});
