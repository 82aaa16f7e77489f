#!/usr/bin/env node
// Runs the compiled node:test suites. Usage: node scripts/run-tests.mjs [unit|vectors|integration|functional ...]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const groups = process.argv.slice(2);
const dirs = (groups.length ? groups : ['unit', 'vectors', 'integration', 'functional'])
  .map((g) => join(root, 'dist', 'test', g))
  .filter((d) => existsSync(d));
if (dirs.length === 0) {
  console.error('no compiled tests found under dist/test; run `npx tsc -p .` first');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const res = spawnSync(process.execPath, ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, ...dirs], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(res.status ?? 1);
