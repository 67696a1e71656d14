import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { test } from 'node:test';
import { adminApiUrl } from './advertised-url.js';

const iface = (address: string, family: 'IPv4' | 'IPv6', internal: boolean): NetworkInterfaceInfo =>
  ({ address, family, internal, netmask: '', mac: '', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) }) as NetworkInterfaceInfo;
const machine = {
  lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
  eth0: [iface('fd00::2', 'IPv6', false), iface('192.0.2.2', 'IPv4', false)],
};

test('the advertised address wins, IPv6 bracketed', () => {
  assert.equal(adminApiUrl({ control_api_advertise_address: 'cp.internal', listen_address: '10.0.0.1' }, 9000, machine), 'http://cp.internal:9000');
  assert.equal(adminApiUrl({ control_api_advertise_address: 'fd00::9' }, 9000, machine), 'http://[fd00::9]:9000');
});

test('a listen_address naming one interface is used as it is', () => {
  assert.equal(adminApiUrl({ listen_address: '127.0.0.1' }, 41234, machine), 'http://127.0.0.1:41234');
});

test('listening on every interface advertises the first non-loopback IPv4, else loopback', () => {
  for (const listen of ['', '0.0.0.0', '::']) assert.equal(adminApiUrl({ listen_address: listen }, 41234, machine), 'http://192.0.2.2:41234');
  assert.equal(adminApiUrl({}, 41234, { lo: machine.lo }), 'http://127.0.0.1:41234');
});
