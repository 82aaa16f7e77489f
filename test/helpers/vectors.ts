import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

/** Repository root: the nearest folder above this file holding package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

/** The shared vector folder: $MVS_VECTORS, else ../shared/vectors beside the clone. */
export function vectorsDir(): string {
  return process.env.MVS_VECTORS ?? resolve(repoRoot(), '..', 'shared', 'vectors');
}

export function hasVectors(): boolean {
  return existsSync(join(vectorsDir(), 'README.md')) || existsSync(join(vectorsDir(), 'index.json'));
}

/**
 * Load a vector file. Without the folder a test says so and skips — except
 * under CI (CI=true), where a missing folder fails the test: it never passes
 * silently.
 */
export function loadVector<T = any>(t: TestContext, file: string): T | null {
  const path = join(vectorsDir(), file);
  if (!existsSync(path)) {
    const msg = `vector file ${path} not found`;
    if (process.env.CI === 'true') throw new Error(`${msg} (CI requires ../shared/vectors beside the clone)`);
    t.skip(`${msg}; skipped (set MVS_VECTORS or place ../shared/vectors beside the clone)`);
    return null;
  }
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
