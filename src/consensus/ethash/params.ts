import { EthashError } from './errors.js';
import { kernel } from './keccak.js';

/** Ethash constants, revision 23: identical in MVS and Ethereum (spec ethash.md §1.2). */
export const ETHASH_REVISION = 23;
export const EPOCH_LENGTH = 30_000;
export const WORD_BYTES = 4;
export const HASH_BYTES = 64;
export const MIX_BYTES = 128;
export const DATASET_BYTES_INIT = 2 ** 30;
export const DATASET_BYTES_GROWTH = 2 ** 23;
export const CACHE_BYTES_INIT = 2 ** 24;
export const CACHE_BYTES_GROWTH = 2 ** 17;
export const DATASET_PARENTS = 256;
export const CACHE_ROUNDS = 3;
export const ACCESSES = 64;
export const FNV_PRIME = 0x01000193;

/** MVS's size tables stop at epoch 2047 (data_sizes.h); the reference asserts below it (spec §1.4). */
export const MAX_EPOCH = 2047;
/** First block number outside the tables: 2048 × 30000. */
export const MAX_BLOCK_NUMBER = (MAX_EPOCH + 1) * EPOCH_LENGTH;

function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

function checkEpochArgument(epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new EthashError('BAD_INPUT', `epoch must be a non-negative integer, got ${epoch}`);
}

/** Whether MVS can verify headers of this epoch (0..2047). */
export function isSupportedEpoch(epoch: number): boolean {
  return Number.isInteger(epoch) && epoch >= 0 && epoch <= MAX_EPOCH;
}

/** Throws EPOCH_OUT_OF_RANGE unless 0 ≤ epoch ≤ 2047. */
export function assertSupportedEpoch(epoch: number): void {
  checkEpochArgument(epoch);
  if (epoch > MAX_EPOCH) throw new EthashError('EPOCH_OUT_OF_RANGE', `epoch ${epoch} is beyond MVS's tables (max ${MAX_EPOCH})`);
}

/** epoch = floor(number / 30000), from the verified header's own number (spec §2.5). */
export function epochOf(blockNumber: number): number {
  if (!Number.isSafeInteger(blockNumber) || blockNumber < 0) {
    throw new EthashError('BAD_INPUT', `block number must be a non-negative integer, got ${blockNumber}`);
  }
  return Math.floor(blockNumber / EPOCH_LENGTH);
}

const cacheSizes = new Map<number, number>();
const datasetSizes = new Map<number, number>();

/**
 * Cache bytes for an epoch: start at 2^24 + 2^17·e − 64 and step down 128
 * bytes until size/64 is prime (spec §1.5). Equals MVS's `cache_sizes` for
 * 0..2047; defined by the same rule beyond.
 */
export function cacheSize(epoch: number): number {
  checkEpochArgument(epoch);
  let size = cacheSizes.get(epoch);
  if (size === undefined) {
    size = CACHE_BYTES_INIT + CACHE_BYTES_GROWTH * epoch - HASH_BYTES;
    while (!isPrime(size / HASH_BYTES)) size -= 2 * HASH_BYTES;
    cacheSizes.set(epoch, size);
  }
  return size;
}

/** Dataset bytes: start at 2^30 + 2^23·e − 128, step down 256 until size/128 is prime (spec §1.5). */
export function datasetSize(epoch: number): number {
  checkEpochArgument(epoch);
  let size = datasetSizes.get(epoch);
  if (size === undefined) {
    size = DATASET_BYTES_INIT + DATASET_BYTES_GROWTH * epoch - MIX_BYTES;
    while (!isPrime(size / MIX_BYTES)) size -= 2 * MIX_BYTES;
    datasetSizes.set(epoch, size);
  }
  return size;
}

// seed(0) = 32 zero bytes, seed(e) = keccak256(seed(e-1)) (spec §1.4). The chain
// is memoised for the supported epochs; later ones are derived on the fly.
const seedChain: Buffer[] = [Buffer.alloc(32)];

function nextSeed(seed: Uint8Array): Buffer {
  const io = kernel.io;
  const words = new Int32Array(seed.buffer.slice(seed.byteOffset, seed.byteOffset + 32));
  io.set(words);
  kernel.keccak256_32();
  return Buffer.from(new Uint8Array(io.buffer, io.byteOffset, 32));
}

/** The 32-byte seed hash of an epoch (a copy; safe to modify). */
export function seedHash(epoch: number): Buffer {
  checkEpochArgument(epoch);
  const memoLimit = Math.min(epoch, MAX_EPOCH);
  while (seedChain.length <= memoLimit) seedChain.push(nextSeed(seedChain[seedChain.length - 1]));
  let seed = seedChain[memoLimit];
  for (let e = memoLimit; e < epoch; e++) seed = nextSeed(seed);
  return Buffer.from(seed);
}

/** Epoch of a seed hash by scanning forward (as the reference's HeaderAux::number), or -1. */
export function epochOfSeed(seed: Uint8Array, maxEpoch = MAX_EPOCH): number {
  if (seed.length !== 32) throw new EthashError('BAD_INPUT', 'seed hash must be 32 bytes');
  const wanted = Buffer.from(seed.buffer, seed.byteOffset, 32);
  for (let e = 0; e <= maxEpoch; e++) if (seedHash(e).equals(wanted)) return e;
  return -1;
}
