#!/usr/bin/env node
// The README's commands run through here so that a fresh machine needs only Node 20 and npm:
// pnpm comes through npx (pinned), dependencies from the lockfile, then the TypeScript build.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM = ['--yes', 'pnpm@10.34.9'];
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', npm_config_yes: 'true' };

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function pnpm(...args) {
  run('npx', [...PNPM, ...args]);
}

function installIfNeeded() {
  const marker = join(root, 'node_modules', '.modules.yaml');
  const lock = join(root, 'pnpm-lock.yaml');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log('> installing dependencies from pnpm-lock.yaml');
  pnpm('install', '--frozen-lockfile');
}

function build() {
  console.log('> building (turbo run build: tsc -b per package, in dependency order)');
  pnpm('exec', 'turbo', 'run', 'build', '--output-logs=errors-only');
}

const [mode, ...rest] = process.argv.slice(2);
installIfNeeded();
build();
switch (mode) {
  case 'up':
    run('node', ['packages/cli/dist/main.js', 'up', ...rest]);
    break;
  case 'test':
    console.log('> lint');
    pnpm('exec', 'eslint', '.');
    run('node', ['scripts/run-tests.mjs', ...rest]);
    break;
  case 'bench':
    run('node', ['bench/dist/run.js', ...rest]);
    break;
  case 'build':
    break;
  default:
    console.error(`usage: node scripts/bootstrap.mjs up|test|bench|build`);
    process.exit(2);
}
