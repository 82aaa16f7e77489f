import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ethash, EpochCacheManager } from '../../src/consensus/ethash/index.js';
import type { EpochCache, EthashOptions } from '../../src/consensus/ethash/index.js';

/**
 * Shared Ethash caches for tests. Generating an epoch cache costs about a
 * second (epoch 0) to minutes (epoch 2047), and node --test runs every file in
 * its own process, so all tests keep their caches in one on-disk folder:
 * `$MVS_TEST_CACHE`, else `<os tmpdir>/mvs-node-test-cache`. The engine's own
 * lock file makes a second process wait for the first one generating an epoch
 * and then load its file (atomic rename), so each cache is generated once per
 * machine, not once per file.
 *
 *   const ethash = await sharedEthash();
 *   t.after(() => ethash.close());
 *   const [result] = await ethash.verifyHeaders([header]);
 */
export function sharedCacheDir(): string {
  return process.env.MVS_TEST_CACHE ?? join(tmpdir(), 'mvs-node-test-cache');
}

/**
 * A ready engine on the shared folder, with the given epochs' caches loaded
 * (default: epoch 0). Close it when done (it does not keep the process alive
 * if you forget).
 */
export async function sharedEthash(options: Omit<EthashOptions, 'dataDir'> & { epochs?: number[] } = {}): Promise<Ethash> {
  const { epochs = [0], ...rest } = options;
  const engine = new Ethash({ threads: 2, ...rest, dataDir: sharedCacheDir() });
  try {
    await Promise.all(epochs.map((epoch) => engine.getCache(epoch)));
  } catch (err) {
    await engine.close();
    throw err;
  }
  return engine;
}

let manager: EpochCacheManager | null = null;

/**
 * One epoch cache from the shared folder, for hashing on the test's own
 * thread (e.g. `hashimotoLight(cache.words, cache.datasetBytes, …)`).
 */
export function sharedEpochCache(epoch = 0): Promise<EpochCache> {
  manager ??= new EpochCacheManager({ dataDir: sharedCacheDir(), maxEpochs: 8 });
  return manager.get(epoch);
}

/** Whether the slow tier (large-epoch caches: 13, 89, 166, 171, 176, 193) should run: MVS_SLOW_TESTS=1. */
export function slowTestsEnabled(): boolean {
  return process.env.MVS_SLOW_TESTS === '1' || process.env.MVS_SLOW_TESTS === 'all';
}

/** Whether even the epoch-2047 cache (285 MB, about a minute) should be built: MVS_SLOW_TESTS=all. */
export function hugeTestsEnabled(): boolean {
  return process.env.MVS_SLOW_TESTS === 'all';
}
