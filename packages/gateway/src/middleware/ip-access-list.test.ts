import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig, type ApiDefinition, type GatewayConfig } from '@tollgate/apidef';
import pino from 'pino';
import { errors } from '../errors.js';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { RequestContext } from '../pipeline/request-context.js';
import type { CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import { createIpAccessList } from './ip-access-list.js';

function deps(configure: (c: GatewayConfig) => void = () => undefined) {
  const config = defaultConfig();
  configure(config);
  return createPipelineDeps({ config, logger: pino({ level: 'silent' }) });
}

function request(peer: string, headers: string[] = [], forwardedFor = ''): RequestContext {
  const ctx = new RequestContext({} as CompiledApi, 'GET', '/x', '', 0, ['host', 'h', ...headers], peer, {} as UpstreamTarget, 0);
  ctx.forwardedFor = forwardedFor;
  return ctx;
}

const def = (fields: Partial<ApiDefinition>): ApiDefinition => ({ api_id: 'a', proxy: { listen_path: '/a/' }, ...fields });

describe('createIpAccessList', () => {
  it('is off (null) without a non-empty list', () => {
    assert.equal(createIpAccessList(def({}), deps()), null);
    assert.equal(createIpAccessList(def({ enable_ip_whitelisting: true, allowed_ips: [] }), deps()), null);
  });

  it('allow list: single addresses and CIDRs, IPv4 and IPv6, IPv4-mapped equal to IPv4', () => {
    const check = createIpAccessList(def({ enable_ip_whitelisting: true, allowed_ips: ['10.0.0.0/8', '192.0.2.7', '2001:db8::/32'] }), deps())!;
    assert.equal(check(request('10.200.3.4')), undefined);
    assert.equal(check(request('192.0.2.7')), undefined);
    assert.equal(check(request('::ffff:192.0.2.7')), undefined);
    assert.equal(check(request('2001:db8:1::5')), undefined);
    assert.equal(check(request('192.0.2.8')), errors.ipDisallowed);
    assert.equal(check(request('2001:db9::1')), errors.ipDisallowed);
  });

  it('block list refuses listed addresses only', () => {
    const check = createIpAccessList(def({ enable_ip_blacklisting: true, blacklisted_ips: ['203.0.113.0/24', '::1'] }), deps())!;
    assert.equal(check(request('203.0.113.9')), errors.ipDisallowed);
    assert.equal(check(request('::1')), errors.ipDisallowed);
    assert.equal(check(request('198.51.100.1')), undefined);
  });

  it('enforces a non-empty list with its flag off, as Tyk does, unless ip_access_control_disabled', () => {
    assert.notEqual(createIpAccessList(def({ allowed_ips: ['10.0.0.1'] }), deps()), null);
    assert.equal(createIpAccessList(def({ allowed_ips: ['10.0.0.1'], ip_access_control_disabled: true }), deps()), null);
  });

  it('invalid entries never match', () => {
    const check = createIpAccessList(def({ enable_ip_whitelisting: true, allowed_ips: ['10.0.0', 'nonsense', '10.0.0.1'] }), deps())!;
    assert.equal(check(request('10.0.0.1')), undefined);
    assert.equal(check(request('10.0.0.0')), errors.ipDisallowed);
  });

  it('takes X-Real-IP, then X-Forwarded-For by xff_depth, then the peer', () => {
    const list = def({ enable_ip_blacklisting: true, blacklisted_ips: ['203.0.113.1'] });
    const check = createIpAccessList(list, deps())!;
    assert.equal(check(request('10.0.0.1', ['x-real-ip', '203.0.113.1'])), errors.ipDisallowed);
    assert.equal(check(request('10.0.0.1', ['x-real-ip', 'garbage'], '203.0.113.1, 10.9.9.9')), errors.ipDisallowed);
    assert.equal(check(request('10.0.0.1', [], '10.9.9.9, 203.0.113.1')), undefined);
    const depth1 = createIpAccessList(list, deps((c) => { c.http_server_options.xff_depth = 1; }))!;
    assert.equal(depth1(request('10.0.0.1', [], '10.9.9.9, 203.0.113.1')), errors.ipDisallowed);
  });

  it('with trusted_proxy_cidrs, headers count only from a trusted peer', () => {
    const list = def({ enable_ip_blacklisting: true, blacklisted_ips: ['203.0.113.1'] });
    const check = createIpAccessList(list, deps((c) => { c.security.trusted_proxy_cidrs = ['127.0.0.0/8']; }))!;
    assert.equal(check(request('127.0.0.1', ['x-real-ip', '203.0.113.1'])), errors.ipDisallowed);
    assert.equal(check(request('198.51.100.4', ['x-real-ip', '203.0.113.1'])), undefined);
  });
});
