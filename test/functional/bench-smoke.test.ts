import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { MVSD } from './harness.js';

/*
 * Every benchmark runs, at a tiny size, and ends with its JSON line: the
 * name, a named baseline and finite figures. Speed is not judged here
 * (docs: speed goals live in `npm run bench`, never in timed tests); this
 * only keeps a benchmark from breaking unseen, as the rpc bench did from
 * 9c919c0 to 2026-12-02. The ethash bench is the slowest (~30 s): its
 * baseline generates the reference's epoch-0 cache once even at one round.
 */

const run = promisify(execFile);
const BENCH_DIR = join(MVSD, '..', '..', '..', 'bench');

const SMALL: Record<string, string[]> = {
  ethash: ['--rounds', '1'],
  connect: ['--blocks', '10', '--spends', '20', '--rounds', '1', '--slice', '10'],
  crypto: ['--rounds', '1', '--window-ms', '50'],
  rpc: ['--rounds', '1', '--seconds', '0.1', '--blocks', '20'],
  script: ['--rounds', '1', '--txs', '50'],
  sync: ['--blocks', '30', '--rounds', '1'],
  template: ['--rounds', '1', '--sizes', '100'],
};

/** Every number in a JSON value, with its path. */
function numbers(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => numbers(v, path ? `${path}.${k}` : k));
  return [];
}

for (const [name, args] of Object.entries(SMALL)) {
  test(`bench ${name} runs and ends with its JSON line`, { timeout: 240_000 }, async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', join(BENCH_DIR, `${name}.js`), ...args], { maxBuffer: 16 << 20 });
    const last = stdout.trim().split('\n').at(-1) ?? '';
    const line = JSON.parse(last) as Record<string, unknown>;
    assert.equal(line.bench, name);
    assert.equal(typeof line.baseline, 'string', 'a named baseline');
    assert.ok((line.baseline as string).length > 0);
    const figures = numbers(line);
    assert.ok(figures.length >= 3, 'figures');
    for (const [path, n] of figures) assert.ok(Number.isFinite(n), `${path} is finite (${n})`);
  });
}
