#!/usr/bin/env node
// Runs the compiled tests: `unit` (packages/*/dist/**/*.test.js and bench/dist/**/*.test.js), `e2e`
// (test/dist/**/*.test.js), or both, unit first. Node 20's `node --test` does not expand globs, so the
// files are collected here.
// One file at a time: several suites start their own redis-server and processes.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TIMEOUT_MS = { unit: 120_000, e2e: 300_000 };

/** Every `*.test.js` under dir, depth first, sorted for a stable order. */
function collect(dir) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') found.push(...collect(path));
    } else if (entry.isFile() && entry.name.endsWith('.test.js')) {
      found.push(path);
    }
  }
  return found;
}

function filesFor(mode) {
  if (mode === 'e2e') return collect(join(root, 'test', 'dist'));
  const packages = join(root, 'packages');
  return readdirSync(packages, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .flatMap((name) => collect(join(packages, name, 'dist')))
    .concat(collect(join(root, 'bench', 'dist')));
}

function run(mode) {
  const files = filesFor(mode);
  if (files.length === 0) {
    console.error(`run-tests: no ${mode} test files found (build first: tsc -b)`);
    return 1;
  }
  console.log(`> ${mode} tests: ${files.length} files`);
  const args = ['--test', '--test-concurrency=1', `--test-timeout=${TIMEOUT_MS[mode]}`, ...files.map((f) => relative(root, f))];
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.error) {
    console.error(`run-tests: ${result.error.message}`);
    return 1;
  }
  return result.status ?? 1;
}

const mode = process.argv[2];
if (mode !== undefined && mode !== 'unit' && mode !== 'e2e') {
  console.error('usage: node scripts/run-tests.mjs [unit|e2e]');
  process.exit(2);
}
for (const m of mode === undefined ? ['unit', 'e2e'] : [mode]) {
  const code = run(m);
  if (code !== 0) process.exit(code);
}
