import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, type ApiDefinition } from '@tollgate/apidef';
import { chooseFrontDoor } from './choose-front-door.js';
import { isHandoverMessage, mutualTlsApiIds, nodeTlsWorkerEnv, switchesForMutualTls, withNodeTlsFrontDoor } from './front-door-handover.js';

const config = (overrides: Record<string, unknown>) => loadConfig({ overrides: { secret: 's', ...overrides } });
const envOf = (overrides: Record<string, unknown>) => ({ TOLLGATE_RESOLVED_CONFIG: JSON.stringify(config(overrides)), OTHER: 'kept' });

describe('front-door handover', () => {
  it('only a uWS TLS node in "auto" mode moves for mutual TLS', () => {
    assert.equal(switchesForMutualTls(config({ 'http_server_options.use_ssl': true })), true);
    assert.equal(switchesForMutualTls(config({})), false, 'plain HTTP: no client certificates at all');
    assert.equal(switchesForMutualTls(config({ 'http_server_options.use_ssl': true, tollgate: { tls_front_door: 'uws' } })), false);
    assert.equal(switchesForMutualTls(config({ 'http_server_options.use_ssl': true, tollgate: { tls_front_door: 'node' } })), false, 'already node:tls');
    assert.equal(switchesForMutualTls(config({ 'http_server_options.use_ssl': true, 'http_server_options.max_version': 771 })), false, 'already node:tls');
  });

  it('the moved configuration serves node:tls and keeps every other key', () => {
    const before = config({ 'http_server_options.use_ssl': true, listen_port: 8443, tollgate: { something: 1 } });
    const after = withNodeTlsFrontDoor(before);
    assert.equal(chooseFrontDoor(after).kind, 'node-tls');
    assert.equal(after.listen_port, 8443);
    assert.deepEqual(after.tollgate, { something: 1, tls_front_door: 'node' });
    assert.equal(switchesForMutualTls(after), false, 'a moved node does not move again');
  });

  it('worker environment: switched once, other variables kept; null where the node does not move', () => {
    const next = nodeTlsWorkerEnv(envOf({ 'http_server_options.use_ssl': true }));
    assert.ok(next !== null);
    assert.equal(next.OTHER, 'kept');
    assert.equal(chooseFrontDoor(JSON.parse(next.TOLLGATE_RESOLVED_CONFIG!)).kind, 'node-tls');
    assert.equal(nodeTlsWorkerEnv(next), null);
    assert.equal(nodeTlsWorkerEnv(envOf({})), null);
    assert.equal(nodeTlsWorkerEnv({}), null);
  });

  it('mutual TLS API ids: active ones with use_mutual_tls_auth only', () => {
    const apis = [
      { api_id: 'a', use_mutual_tls_auth: true },
      { api_id: 'b', use_mutual_tls_auth: true, active: false },
      { api_id: 'c', use_keyless: true },
      { api_id: 'd', use_mutual_tls_auth: true, active: true },
    ] as ApiDefinition[];
    assert.deepEqual(mutualTlsApiIds(apis), ['a', 'd']);
  });

  it('messages are recognised by type only', () => {
    assert.equal(isHandoverMessage({ type: 'tollgate:ready-to-listen' }, 'tollgate:ready-to-listen'), true);
    assert.equal(isHandoverMessage('tollgate:ready-to-listen', 'tollgate:ready-to-listen'), false);
    assert.equal(isHandoverMessage(null, 'x'), false);
    assert.equal(isHandoverMessage({ type: 'other' }, 'x'), false);
  });
});
