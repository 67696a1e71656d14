import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiDefinition } from '@tollgate/apidef';
import pino from 'pino';
import { apiDef, authTestDeps, decide, testRequest } from '../auth/testing.js';
import { buildPipeline } from '../pipeline/build-pipeline.js';
import type { PipelineDeps } from '../pipeline/middleware.js';
import { runPipeline } from '../pipeline/run-pipeline.js';
import { createUnsupportedAuth } from './unsupported-auth.js';

/** Pipeline deps whose logger keeps the warnings it is given. */
function depsWithWarnings(): { deps: PipelineDeps; warnings: Array<{ api_id?: string; auth_modes?: string[]; msg: string }>; t: ReturnType<typeof authTestDeps> } {
  const t = authTestDeps();
  const warnings: Array<{ api_id?: string; auth_modes?: string[]; msg: string }> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => { warnings.push(JSON.parse(line)); } });
  return { deps: { ...t.deps, logger }, warnings, t };
}

const FLAGS: ReadonlyArray<[string, Partial<ApiDefinition>]> = [
  ['use_oauth2', { use_oauth2: true }],
  ['external_oauth.enabled', { external_oauth: { enabled: true } }],
  ['use_openid', { use_openid: true }],
  ['enable_coprocess_auth', { enable_coprocess_auth: true }],
  ['use_go_plugin_auth', { use_go_plugin_auth: true }],
  ['custom_plugin_auth_enabled', { custom_plugin_auth_enabled: true }],
];

describe('auth modes tollgate does not implement fail closed', () => {
  for (const [flag, fields] of FLAGS) {
    it(`an API whose only auth flag is ${flag} loads, warns once and refuses every request with 501`, async () => {
      const { deps, warnings } = depsWithWarnings();
      const steps = buildPipeline(apiDef(fields), deps);
      assert.deepEqual(warnings.map((w) => [w.api_id, w.auth_modes]), [['api1', [flag]]]);
      assert.match(warnings[0]!.msg, new RegExp(flag.replace('.', '\\.')));
      for (const headers of [{}, { authorization: 'any-key-at-all' }] as Record<string, string>[]) {
        const reply = await decide(runPipeline(testRequest({ headers }), steps));
        assert.ok(reply !== undefined, 'refused, not served open');
        assert.equal(reply.status, 501);
        assert.equal(reply.statusLine, '501 Not Implemented');
        assert.equal(reply.contentType, 'application/json');
        assert.equal(reply.body.toString(), `{\n    "error": "API uses ${flag}, which this gateway does not implement"\n}`);
      }
    });
  }

  it('names every unsupported flag, and refuses even when an implemented mode is enabled and would pass', async () => {
    const { deps, warnings, t } = depsWithWarnings();
    t.sessions.stored.set('org1alice', { access_rights: {} });
    const steps = buildPipeline(apiDef({ use_standard_auth: true, use_oauth2: true, use_openid: true, enable_coprocess_auth: true }), deps);
    assert.equal(warnings.length, 1);
    const reply = await decide(runPipeline(testRequest({ headers: { authorization: 'alice' } }), steps));
    assert.equal(reply?.status, 501);
    assert.equal(reply?.body.toString(), '{\n    "error": "API uses use_oauth2, use_openid and enable_coprocess_auth, which this gateway does not implement"\n}');
    // The same key passes the same API without the unsupported flags.
    const plain = buildPipeline(apiDef({ use_standard_auth: true }), deps);
    assert.equal(await decide(runPipeline(testRequest({ headers: { authorization: 'alice' } }), plain)), undefined);
  });

  it('keyless wins: no step and no warning; a false or absent external_oauth.enabled is not a mode', () => {
    const { deps, warnings } = depsWithWarnings();
    assert.equal(createUnsupportedAuth(apiDef({ use_keyless: true, use_oauth2: true }), deps), null);
    assert.equal(createUnsupportedAuth(apiDef({ use_oauth2: false, external_oauth: { enabled: false } }), deps), null);
    assert.equal(createUnsupportedAuth(apiDef({ external_oauth: {} }), deps), null);
    assert.equal(warnings.length, 0);
  });
});
