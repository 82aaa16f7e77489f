#!/usr/bin/env node
// Runs the compiled node:test suites: unit, vectors and integration tests two
// files at a time, then the functional tests (spawned mvsd processes, which
// use the cores themselves) one file at a time.
// Usage: node scripts/run-tests.mjs [unit|vectors|integration|functional ...]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const requested = process.argv.slice(2);
const groups = requested.length ? requested : ['unit', 'vectors', 'integration', 'functional'];
const dir = (g) => join(root, 'dist', 'test', g);
const present = groups.filter((g) => existsSync(dir(g)));
if (present.length === 0) {
  console.error('no compiled tests found under dist/test; run `npx tsc -p .` first');
  process.exit(1);
}
const phases = [
  { dirs: present.filter((g) => g !== 'functional'), concurrency: process.env.TEST_CONCURRENCY ?? '2' },
  { dirs: present.filter((g) => g === 'functional'), concurrency: process.env.FUNCTIONAL_CONCURRENCY ?? '1' },
];
let status = 0;
for (const phase of phases) {
  if (phase.dirs.length === 0) continue;
  const res = spawnSync(process.execPath, ['--enable-source-maps', '--test', `--test-concurrency=${phase.concurrency}`, ...phase.dirs.map(dir)], {
    stdio: 'inherit',
    cwd: root,
  });
  if (res.status !== 0) status = res.status ?? 1;
}
process.exit(status);
