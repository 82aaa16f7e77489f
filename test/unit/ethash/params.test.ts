import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keccak_256 } from '@noble/hashes/sha3.js';
import {
  EPOCH_LENGTH,
  MAX_BLOCK_NUMBER,
  MAX_EPOCH,
  cacheSize,
  datasetSize,
  epochOf,
  epochOfSeed,
  isEthashError,
  isSupportedEpoch,
  seedHash,
} from '../../../src/consensus/ethash/index.js';

// Rows of the size table in spec ethash.md §1.5 (= MVS data_sizes.h).
const TABLE: Array<[number, number, number]> = [
  [0, 16776896, 1073739904],
  [1, 16907456, 1082130304],
  [10, 18087488, 1157627776],
  [20, 19398208, 1241513344],
  [73, 26345024, 1686109312],
  [100, 29882816, 1912601216],
  [200, 42991552, 2751462016],
  [2047, 285081536, 18245220736],
];

function isPrimeSlow(n: number): boolean {
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return n > 1;
}

test('cache and dataset sizes follow the prime rule and match the MVS table rows', () => {
  for (const [epoch, cache, dataset] of TABLE) {
    assert.equal(cacheSize(epoch), cache, `cache size of epoch ${epoch}`);
    assert.equal(datasetSize(epoch), dataset, `dataset size of epoch ${epoch}`);
  }
  // The rule itself, checked independently: the first prime-sized candidate stepping down.
  const firstPrime = (start: number, unit: number) => {
    let size = start;
    while (!isPrimeSlow(size / unit)) size -= 2 * unit;
    return size;
  };
  for (let epoch = 0; epoch <= MAX_EPOCH; epoch++) {
    assert.equal(cacheSize(epoch), firstPrime(2 ** 24 + 2 ** 17 * epoch - 64, 64), `cache size of epoch ${epoch}`);
    if (epoch % 31 === 0 || epoch === MAX_EPOCH) {
      assert.equal(datasetSize(epoch), firstPrime(2 ** 30 + 2 ** 23 * epoch - 128, 128), `dataset size of epoch ${epoch}`);
    }
  }
});

test('epochOf uses 30000-block epochs', () => {
  assert.equal(EPOCH_LENGTH, 30000);
  assert.equal(epochOf(0), 0);
  assert.equal(epochOf(29999), 0);
  assert.equal(epochOf(30000), 1);
  assert.equal(epochOf(2200000), 73);
  assert.equal(epochOf(MAX_BLOCK_NUMBER - 1), MAX_EPOCH);
  assert.equal(epochOf(MAX_BLOCK_NUMBER), MAX_EPOCH + 1);
  assert.equal(MAX_BLOCK_NUMBER, 61_440_000);
  assert.ok(isSupportedEpoch(2047) && !isSupportedEpoch(2048) && !isSupportedEpoch(-1) && !isSupportedEpoch(1.5));
  for (const bad of [-1, 1.5, Number.NaN, 2 ** 60]) {
    assert.throws(() => epochOf(bad), (err: unknown) => isEthashError(err) && err.code === 'BAD_INPUT');
  }
});

test('seed hashes chain keccak256 from 32 zero bytes', () => {
  assert.deepEqual(seedHash(0), Buffer.alloc(32));
  let seed = new Uint8Array(32);
  for (let epoch = 1; epoch <= 40; epoch++) {
    seed = keccak_256(seed);
    assert.deepEqual(seedHash(epoch), Buffer.from(seed), `seed ${epoch}`);
  }
  assert.ok(seedHash(1).toString('hex').startsWith('290decd9'));
  assert.ok(seedHash(2).toString('hex').startsWith('510e4e77'));
  // Returned buffers are copies.
  seedHash(3).fill(0);
  assert.notDeepEqual(seedHash(3), Buffer.alloc(32));
  assert.equal(epochOfSeed(seedHash(73)), 73);
  assert.equal(epochOfSeed(Buffer.alloc(32, 1), 10), -1);
  assert.throws(() => epochOfSeed(Buffer.alloc(31)), (err: unknown) => isEthashError(err) && err.code === 'BAD_INPUT');
});

test('size functions reject bad epochs with a typed error', () => {
  for (const bad of [-1, 0.5, Number.NaN]) {
    assert.throws(() => cacheSize(bad), (err: unknown) => isEthashError(err) && err.code === 'BAD_INPUT');
    assert.throws(() => datasetSize(bad), (err: unknown) => isEthashError(err) && err.code === 'BAD_INPUT');
    assert.throws(() => seedHash(bad), (err: unknown) => isEthashError(err) && err.code === 'BAD_INPUT');
  }
});
