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

describe('deploy/ metrics: scrape config and Grafana dashboard', () => {
  /** Every metric name declared in the packages' sources (prom-client's `name: '...'`, or the gateway's hot metrics). */
  function declaredMetrics(): Set<string> {
    const names = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'dist') walk(path);
        else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
          for (const m of readFileSync(path, 'utf8').matchAll(/(?:name: |new Hot(?:Counter|Histogram)\(\s*)'((?:tollgate|tyk)_[a-z_]+)'/g)) names.add(m[1]!);
        }
      }
    };
    walk(join(REPO_ROOT, 'packages'));
    return names;
  }

  test('every metric the dashboard queries is one the code exports', () => {
    const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana/dashboards/tollgate.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const declared = declaredMetrics();
    const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b((?:tollgate|tyk)_[a-z_]+)/g)].map((m) => m[1]!))));
    assert.ok(used.size >= 10);
    const unknown = [...used].map((n) => n.replace(/_(bucket|count|sum)$/, '')).filter((n) => !declared.has(n));
    assert.deepEqual(unknown, []);
  });

  test('Prometheus scrapes the gateway metrics_port, the control plane and the analytics consumer', () => {
    const scrape = readFileSync(join(DEPLOY, 'prometheus/prometheus.yml'), 'utf8');
    const config = loadConfig({ file: join(DEPLOY, 'config/tollgate.json'), env: SECRET_ENV });
    assert.match(scrape, new RegExp(`gateway-a:${config.metrics_port}`));
    assert.match(scrape, new RegExp(`control-plane:${config.control_api_port}`));
    assert.match(scrape, /analytics:9092/);
  });
});
