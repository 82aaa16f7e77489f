import {
  bytesToWords,
  datasetItem,
  generateCache,
  hashimotoFullWords,
  hashimotoLightWords,
  quickFinalWords,
  wordsToBytes,
} from './algorithm.js';
import { EthashError } from './errors.js';
import { cacheSize, seedHash } from './params.js';
import { nonceHalves } from './seal.js';

/**
 * Byte-level convenience forms of the Ethash functions (spec ethash.md §1.6–1.8),
 * synchronous and on the calling thread: for tests, tools and one-off checks.
 * The node's verification and mining go through the worker pool instead.
 */

export interface HashimotoResult {
  /** The 32-byte mix digest, as stored in the header's mixhash. */
  mixHash: Buffer;
  /** The 32-byte final hash, compared big-endian with the boundary. */
  finalHash: Buffer;
}

function headerWords(headerHash: Uint8Array): Int32Array {
  if (!(headerHash instanceof Uint8Array) || headerHash.length !== 32) throw new EthashError('BAD_INPUT', 'header hash must be 32 bytes');
  return bytesToWords(headerHash, 'header hash');
}

/** Generates the cache of `epoch` (or of a non-standard byte size) on this thread: seconds for real sizes. */
export function makeCache(epoch: number, bytes = cacheSize(epoch)): Int32Array {
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % 64 !== 0) throw new EthashError('BAD_INPUT', `bad cache size ${bytes}`);
  const cache = new Int32Array(bytes / 4);
  generateCache(seedHash(epoch), cache);
  return cache;
}

/** Light hashimoto of (header hash, nonce) with an epoch cache and that epoch's dataset size. */
export function hashimotoLight(cache: Int32Array, datasetBytes: number, headerHash: Uint8Array, nonce: bigint): HashimotoResult {
  const out = new Int32Array(16);
  const { low, high } = nonceHalves(nonce);
  hashimotoLightWords(cache, datasetBytes, headerWords(headerHash), 0, low, high, out, 0);
  return { mixHash: wordsToBytes(out, 0, 8), finalHash: wordsToBytes(out, 8, 8) };
}

/** Full hashimoto with the whole dataset in memory. */
export function hashimotoFull(dataset: Int32Array, headerHash: Uint8Array, nonce: bigint): HashimotoResult {
  const out = new Int32Array(16);
  const { low, high } = nonceHalves(nonce);
  hashimotoFullWords(dataset, headerWords(headerHash), 0, low, high, out, 0);
  return { mixHash: wordsToBytes(out, 0, 8), finalHash: wordsToBytes(out, 8, 8) };
}

/** The final hash implied by a claimed mix digest (the quick check; no cache). */
export function quickFinalHash(headerHash: Uint8Array, nonce: bigint, mixHash: Uint8Array): Buffer {
  if (!(mixHash instanceof Uint8Array) || mixHash.length !== 32) throw new EthashError('BAD_INPUT', 'mix hash must be 32 bytes');
  const out = new Int32Array(8);
  const { low, high } = nonceHalves(nonce);
  quickFinalWords(headerWords(headerHash), 0, low, high, bytesToWords(mixHash), 0, out, 0);
  return wordsToBytes(out);
}

/** One 64-byte dataset item computed from the cache. */
export function calcDatasetItem(cache: Int32Array, index: number): Buffer {
  return datasetItem(cache, index);
}
