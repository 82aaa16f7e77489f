#!/usr/bin/env node
// npm run bench -- <name> [args]  runs dist/bench/<name>.js; with no name, every benchmark in turn.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'dist', 'bench');
const [name, ...rest] = process.argv.slice(2);
const all = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.js') && !f.startsWith('_')).map((f) => f.slice(0, -3)) : [];
const targets = name ? [name] : all;
if (targets.length === 0) {
  console.error('no benchmarks found in dist/bench');
  process.exit(1);
}
let status = 0;
for (const t of targets) {
  const file = join(dir, `${t}.js`);
  if (!existsSync(file)) {
    console.error(`unknown benchmark '${t}' (have: ${all.join(', ')})`);
    process.exit(1);
  }
  const res = spawnSync(process.execPath, ['--expose-gc', file, ...rest], { stdio: 'inherit', cwd: root });
  if (res.status !== 0) status = res.status ?? 1;
}
process.exit(status);
