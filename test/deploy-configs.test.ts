import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig, validateApiDefinition } from '@tollgate/apidef';
import { REPO_ROOT } from './support/tollgate-processes.js';

// The example configurations in deploy/ are what an operator copies first: they must load as they are.
const DEPLOY = join(REPO_ROOT, 'deploy');
const SECRET_ENV = { TOLLGATE_SECRET: 'a-long-enough-test-secret-for-the-examples' };

describe('deploy/ example configurations', () => {
  test('deploy/config/tollgate.json loads', () => {
    const config = loadConfig({ file: join(DEPLOY, 'config/tollgate.json'), env: SECRET_ENV });
    assert.equal(config.storage.host, 'redis');
    assert.equal(config.secret, SECRET_ENV.TOLLGATE_SECRET);
  });

  test('every definition in deploy/config/apps is a valid API definition', () => {
    const files = readdirSync(join(DEPLOY, 'config/apps')).filter((f) => f.endsWith('.json'));
    assert.ok(files.length > 0);
    for (const file of files) {
      const result = validateApiDefinition(JSON.parse(readFileSync(join(DEPLOY, 'config/apps', file), 'utf8')));
      assert.equal(result.ok, true, `${file}: ${JSON.stringify(result)}`);
    }
  });

  test('the Kubernetes ConfigMap\'s tollgate.json loads with the secret from the environment', () => {
    const manifest = readFileSync(join(DEPLOY, 'kubernetes/tollgate.yaml'), 'utf8');
    const block = /tollgate\.json: \|\n((?: {4}.*\n)+)/.exec(manifest);
    assert.ok(block, 'ConfigMap with tollgate.json not found');
    const json = block[1]!.split('\n').map((line) => line.slice(4)).join('\n');
    const file = join(mkdtempSync(join(tmpdir(), 'tollgate-k8s-')), 'tollgate.json');
    writeFileSync(file, json);
    const config = loadConfig({ file, env: SECRET_ENV });
    assert.equal(config.listen_port, 8080);
    assert.equal(config.control_api_port, 9696);
  });
});
