import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminApiDefinition, registeredAdminUrl } from './admin-api-route.js';

test('the admin route is a keyless, untracked /tyk/ proxy that keeps the path', () => {
  const def = adminApiDefinition('http://10.0.0.5:41234', 'admin.example.com');
  assert.equal(def.use_keyless, true);
  assert.equal(def.do_not_track, true);
  assert.equal(def.domain, 'admin.example.com');
  assert.deepEqual({ ...def.proxy }, { listen_path: '/tyk/', target_url: 'http://10.0.0.5:41234', strip_listen_path: false, preserve_host_header: true });
});

test('a registration is used only when it holds an http(s) URL', () => {
  assert.equal(registeredAdminUrl('{"url":"http://10.0.0.5:41234"}'), 'http://10.0.0.5:41234');
  for (const bad of [null, undefined, '', 'not json', '{}', '{"url":5}', '{"url":"ftp://x"}', '{"url":"::"}']) {
    assert.equal(registeredAdminUrl(bad), null, String(bad));
  }
});
