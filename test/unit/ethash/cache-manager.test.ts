import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { EpochCacheManager, isEthashError, makeCache } from '../../../src/consensus/ethash/index.js';
import type { EpochCache } from '../../../src/consensus/ethash/index.js';
import { FILE_HEADER_BYTES, readEpochFile } from '../../../src/consensus/ethash/cache-file.js';
import { sharedCacheDir, sharedEpochCache } from '../../helpers/ethash-cache.js';

// Non-standard tiny sizes (go-ethereum's small params): each generation takes a millisecond.
const TINY = { cacheBytes: 1024, datasetBytes: 32768 };

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mvs-ethash-cache-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function sameWords(a: EpochCache, b: EpochCache): boolean {
  return Buffer.from(a.buffer).equals(Buffer.from(b.buffer));
}

test('a generated cache is persisted and a new manager loads it instead of regenerating', async (t) => {
  const dir = tempDir(t);
  const first = new EpochCacheManager({ dataDir: dir, sizeOverride: TINY });
  const generated = await first.get(7);
  assert.equal(generated.source, 'generated');
  assert.deepEqual(first.stats, { generated: 1, loaded: 0, rejected: 0 });
  assert.ok(generated.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(Buffer.from(generated.buffer), Buffer.from(makeCache(7, TINY.cacheBytes).buffer));
  assert.deepEqual(generated.digest, Buffer.from(keccak_256(new Uint8Array(generated.buffer))));
  const path = first.filePath(7)!;
  assert.match(path, /ethash[/\\]cache-R23-[0-9a-f]{8}-1024$/);
  assert.equal(statSync(path).size, FILE_HEADER_BYTES + TINY.cacheBytes);
  await first.close();

  const restarted = new EpochCacheManager({ dataDir: dir, sizeOverride: TINY });
  const loaded = await restarted.get(7);
  assert.equal(loaded.source, 'disk');
  assert.deepEqual(restarted.stats, { generated: 0, loaded: 1, rejected: 0 });
  assert.ok(sameWords(loaded, generated));
  assert.deepEqual(loaded.digest, generated.digest);
  await restarted.close();
});

test('truncated and corrupt cache files are detected and regenerated, never trusted', async (t) => {
  const dir = tempDir(t);
  const seed = new EpochCacheManager({ dataDir: dir, sizeOverride: TINY });
  const good = await seed.get(3);
  const path = seed.filePath(3)!;
  await seed.close();
  const original = readFileSync(path);

  const corruptions: Array<[string, (bytes: Buffer) => Buffer, string]> = [
    ['truncated payload', (b) => b.subarray(0, b.length - 100), 'CACHE_FILE_TRUNCATED'],
    ['truncated header', (b) => b.subarray(0, 10), 'CACHE_FILE_TRUNCATED'],
    ['empty file', () => Buffer.alloc(0), 'CACHE_FILE_TRUNCATED'],
    ['trailing bytes', (b) => Buffer.concat([b, Buffer.alloc(1)]), 'CACHE_FILE_TRUNCATED'],
    ['one payload bit flipped', (b) => { const c = Buffer.from(b); c[FILE_HEADER_BYTES + 500] ^= 0x10; return c; }, 'CACHE_FILE_CORRUPT'],
    ['digest bit flipped', (b) => { const c = Buffer.from(b); c[30] ^= 1; return c; }, 'CACHE_FILE_CORRUPT'],
    ['bad magic', (b) => { const c = Buffer.from(b); c[0] ^= 0xff; return c; }, 'CACHE_FILE_CORRUPT'],
    ['wrong epoch in header', (b) => { const c = Buffer.from(b); c.writeUInt32LE(4, 12); return c; }, 'CACHE_FILE_CORRUPT'],
    ['wrong size in header', (b) => { const c = Buffer.from(b); c.writeUInt32LE(2048, 16); return c; }, 'CACHE_FILE_CORRUPT'],
    ['wrong revision', (b) => { const c = Buffer.from(b); c.writeUInt32LE(22, 8); return c; }, 'CACHE_FILE_CORRUPT'],
  ];
  for (const [what, corrupt, code] of corruptions) {
    writeFileSync(path, corrupt(original));
    assert.throws(
      () => readEpochFile(path, { kind: 'cache', epoch: 3, payloadBytes: TINY.cacheBytes }),
      (err: unknown) => isEthashError(err) && err.code === code,
      what,
    );
    const manager = new EpochCacheManager({ dataDir: dir, sizeOverride: TINY });
    const cache = await manager.get(3);
    assert.equal(cache.source, 'generated', what);
    assert.deepEqual(manager.stats, { generated: 1, loaded: 0, rejected: 1 }, what);
    assert.ok(sameWords(cache, good), what);
    assert.deepEqual(readFileSync(path), original, `${what}: file rewritten`);
    await manager.close();
  }
  assert.throws(
    () => readEpochFile(join(dir, 'nope'), { kind: 'cache', epoch: 3, payloadBytes: 1024 }),
    (err: unknown) => isEthashError(err) && err.code === 'CACHE_FILE_MISSING',
  );
  assert.deepEqual(readdirSync(join(dir, 'ethash')).filter((f) => f.includes('.tmp-') || f.endsWith('.lock')), []);
});

test('the real epoch-0 cache persisted in the shared folder is loaded, not regenerated', async () => {
  const shared = await sharedEpochCache(0);
  const manager = new EpochCacheManager({ dataDir: sharedCacheDir() });
  const cache = await manager.get(0);
  assert.equal(cache.source, 'disk');
  assert.equal(manager.stats.generated, 0);
  assert.equal(cache.cacheBytes, 16776896);
  assert.equal(cache.datasetBytes, 1073739904);
  assert.deepEqual(cache.digest, shared.digest);
  await manager.close();
});

test('at most maxEpochs caches are held, least recently used evicted first', async () => {
  const manager = new EpochCacheManager({ sizeOverride: TINY });
  assert.equal(manager.maxEpochs, 3);
  assert.equal(manager.filePath(0), null);
  const evicted: number[] = [];
  manager.onEvict((cache) => evicted.push(cache.epoch));
  for (const epoch of [0, 1, 2]) await manager.get(epoch);
  assert.deepEqual(manager.heldEpochs(), [0, 1, 2]);
  await manager.get(0); // touch
  await manager.get(3);
  assert.deepEqual(manager.heldEpochs(), [2, 0, 3]);
  assert.deepEqual(evicted, [1]);
  await manager.get(4);
  assert.deepEqual(evicted, [1, 2]);
  assert.equal(manager.peek(1), undefined);
  assert.equal(manager.stats.generated, 5);
  await manager.close();
});

test('concurrent requests and prefetch share one generation; bad epochs are rejected', async () => {
  const manager = new EpochCacheManager({ sizeOverride: TINY });
  manager.prefetch(9);
  manager.prefetch(2048); // beyond MVS's tables: ignored
  const [a, b] = await Promise.all([manager.get(9), manager.get(9)]);
  assert.equal(a, b);
  assert.equal(manager.stats.generated, 1);
  await assert.rejects(manager.get(2048), (err: unknown) => isEthashError(err) && err.code === 'EPOCH_OUT_OF_RANGE');
  await assert.rejects(manager.get(-1), (err: unknown) => isEthashError(err) && err.code === 'BAD_INPUT');
  await manager.close();
  await assert.rejects(manager.get(9), (err: unknown) => isEthashError(err) && err.code === 'CLOSED');
});

test('several processes sharing a directory generate a cache once (lock file)', async (t) => {
  const dir = tempDir(t);
  const managerUrl = new URL('../../../src/consensus/ethash/cache-manager.js', import.meta.url).href;
  const script = join(dir, 'child.mjs');
  writeFileSync(
    script,
    `const { EpochCacheManager } = await import(${JSON.stringify(managerUrl)});
     const m = new EpochCacheManager({ dataDir: process.argv[2], sizeOverride: { cacheBytes: 8 * 1024 * 1024, datasetBytes: 32768 } });
     const cache = await m.get(11);
     process.stdout.write(JSON.stringify({ ...m.stats, digest: cache.digest.toString('hex') }));
     await m.close();`,
  );
  const run = () =>
    new Promise<{ generated: number; loaded: number; digest: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [script, dir], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, MVS_LOG_LEVEL: 'silent' }, // stdout carries only the JSON line
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}`))));
    });
  // Wait for every child before asserting (the temp dir is removed after the test).
  const settled = await Promise.allSettled([run(), run(), run()]);
  const results = settled.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
  assert.equal(results.reduce((n, r) => n + r.generated, 0), 1, JSON.stringify(results));
  assert.equal(results.reduce((n, r) => n + r.loaded, 0), 2, JSON.stringify(results));
  assert.equal(new Set(results.map((r) => r.digest)).size, 1);
  assert.deepEqual(readdirSync(join(dir, 'ethash')).sort(), [readdirSync(join(dir, 'ethash')).find((f) => f.startsWith('cache-R23-'))]);
});

test('a stale lock (dead owner, or not refreshed) is taken over', async (t) => {
  const dir = tempDir(t);
  const probe = new EpochCacheManager({ dataDir: dir, sizeOverride: TINY });
  const lock = `${probe.filePath(1)!}.lock`;
  await probe.close();
  rmSync(join(dir, 'ethash'), { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'ethash'), { recursive: true }));

  writeFileSync(lock, `999999999 ${hostname()} 2020-01-01T00:00:00.000Z\n`); // no such process
  const deadOwner = new EpochCacheManager({ dataDir: dir, sizeOverride: TINY });
  assert.equal((await deadOwner.get(1)).source, 'generated');
  await deadOwner.close();

  rmSync(lock.slice(0, -'.lock'.length));
  writeFileSync(lock, `${process.pid} ${hostname()} 2020-01-01T00:00:00.000Z\n`); // alive, but not refreshed
  const old = new Date(Date.now() - 10_000);
  utimesSync(lock, old, old);
  const staleLock = new EpochCacheManager({ dataDir: dir, sizeOverride: TINY, lockStaleMs: 2_000 });
  const started = Date.now();
  assert.equal((await staleLock.get(1)).source, 'generated');
  assert.ok(Date.now() - started < 5_000);
  await staleLock.close();
  assert.throws(() => statSync(lock));
});

test('generation runs off the event loop', async () => {
  const manager = new EpochCacheManager({ sizeOverride: { cacheBytes: 8 * 1024 * 1024, datasetBytes: 32768 } });
  // Event-loop utilisation: ~1 if the loop were busy generating, ~0 while it only waits for the
  // worker (robust on a loaded machine, unlike timer gaps).
  const before = performance.eventLoopUtilization();
  const started = performance.now();
  await manager.get(4);
  const elapsed = performance.now() - started;
  const { utilization } = performance.eventLoopUtilization(before);
  await manager.close();
  assert.ok(elapsed > 150, `generation took ${elapsed} ms`);
  assert.ok(utilization < 0.5, `event loop ${Math.round(utilization * 100)}% busy during a ${elapsed.toFixed(0)} ms generation`);
});

test('closing during generation fails the request and leaves no temp file', async (t) => {
  const dir = tempDir(t);
  const manager = new EpochCacheManager({ dataDir: dir, sizeOverride: { cacheBytes: 16 * 1024 * 1024, datasetBytes: 32768 } });
  const pending = manager.get(6);
  await new Promise((resolve) => setTimeout(resolve, 100));
  await manager.close();
  await assert.rejects(pending, (err: unknown) => isEthashError(err) && err.code === 'CLOSED');
  assert.deepEqual(readdirSync(join(dir, 'ethash')), []);
});

test('an unusable data directory costs persistence, not the cache', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'not-a-directory');
  writeFileSync(file, 'x');
  const manager = new EpochCacheManager({ dataDir: file, sizeOverride: TINY });
  const cache = await manager.get(8);
  assert.equal(cache.source, 'generated');
  await manager.close();
  truncateSync(file, 0);
});
