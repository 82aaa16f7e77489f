import { kernel } from './keccak.js';
import { EthashError } from './errors.js';
import { ACCESSES, CACHE_ROUNDS, FNV_PRIME, HASH_BYTES, MIX_BYTES } from './params.js';

/**
 * The Ethash algorithm on typed arrays (spec ethash.md §1.6–§1.8): cache
 * generation, dataset items, hashimoto light/full and the quick final hash.
 *
 * Everything is in 32-bit little-endian words held in Int32Arrays (a cache or
 * dataset node is 16 words, a page/mix 32), so FNV is `Math.imul(a, P) ^ b`
 * with no conversions. The functions write into caller-provided buffers and
 * allocate nothing per call. They share module-level scratch buffers and the
 * thread's Keccak kernel, so they are not re-entrant (each worker thread has
 * its own module instance).
 */

const IO = kernel.io;
const keccak512_32 = kernel.keccak512_32;
const keccak512_40 = kernel.keccak512_40;
const keccak512_64 = kernel.keccak512_64;
const keccak256_96 = kernel.keccak256_96;

const NODE_WORDS = HASH_BYTES / 4; // 16
const PAGE_WORDS = MIX_BYTES / 4; // 32

/** fnv(a, b) = (a · 0x01000193) xor b mod 2^32: not FNV-1 (spec §1.3). Unsigned result. */
export function fnv(a: number, b: number): number {
  return (Math.imul(a, FNV_PRIME) ^ b) >>> 0;
}

/**
 * x mod n for 0 ≤ x < 2^32 and 0 < n < 2^31, given inverse = 1/n. floor(x·inverse)
 * is off by at most one (the product's relative error is ~2^-52 while x/n < 2^32),
 * and the fix-up corrects either direction; all intermediate values are exact
 * integers in doubles. Used instead of `%`: V8 gives a uint32 that may exceed
 * 2^31 a generic (float) modulus, and light hashing measured ~1.4x faster this way.
 */
export function modulo(x: number, n: number, inverse: number): number {
  const r = x - Math.floor(x * inverse) * n;
  return r < 0 ? r + n : r >= n ? r - n : r;
}

function checkCache(cache: Int32Array): number {
  if (!(cache instanceof Int32Array) || cache.length === 0 || cache.length % NODE_WORDS !== 0) {
    throw new EthashError('BAD_INPUT', 'cache must be a non-empty Int32Array of whole 64-byte nodes');
  }
  return cache.length / NODE_WORDS;
}

function checkFullSize(fullSize: number): number {
  if (!Number.isSafeInteger(fullSize) || fullSize <= 0 || fullSize % MIX_BYTES !== 0) {
    throw new EthashError('BAD_INPUT', `dataset size must be a positive multiple of ${MIX_BYTES} bytes, got ${fullSize}`);
  }
  return fullSize / MIX_BYTES;
}

function checkWords(words: Int32Array, offset: number, count: number, what: string): void {
  if (!(words instanceof Int32Array) || !Number.isInteger(offset) || offset < 0 || offset + count > words.length) {
    throw new EthashError('BAD_INPUT', `${what} needs ${count} words at offset ${offset}`);
  }
}

/** Little-endian words of a 32-byte value (header hash, mix digest). */
export function bytesToWords(bytes: Uint8Array, what = 'value'): Int32Array {
  if (!(bytes instanceof Uint8Array) || bytes.length % 4 !== 0) throw new EthashError('BAD_INPUT', `${what} must be whole 32-bit words`);
  return new Int32Array(new Uint8Array(bytes).buffer);
}

/** The byte image of words (little-endian), copied. */
export function wordsToBytes(words: Int32Array, offset = 0, count = words.length - offset): Buffer {
  return Buffer.from(new Uint8Array(words.buffer, words.byteOffset + offset * 4, count * 4));
}

/**
 * Fills `cache` (cacheBytes/4 words) from the epoch seed: a sequential
 * Keccak-512 chain, then 3 rounds of Lerner's RandMemoHash, updated in place
 * (spec §1.6). `onProgress` gets the fraction done, about 64 times.
 */
export function generateCache(seed: Uint8Array, cache: Int32Array, onProgress?: (fraction: number) => void): void {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new EthashError('BAD_INPUT', 'seed hash must be 32 bytes');
  const nodes = checkCache(cache);
  const totalSteps = nodes * (1 + CACHE_ROUNDS);
  const reportEvery = Math.max(1, Math.floor(totalSteps / 64));
  let nextReport = reportEvery;
  let step = 0;
  const inverse = 1 / nodes;

  IO.set(bytesToWords(seed));
  keccak512_32();
  for (let k = 0; k < NODE_WORDS; k++) cache[k] = IO[k];
  for (let i = 1; i < nodes; i++) {
    const src = (i - 1) * NODE_WORDS;
    for (let k = 0; k < NODE_WORDS; k++) IO[k] = cache[src + k];
    keccak512_64();
    const dst = i * NODE_WORDS;
    for (let k = 0; k < NODE_WORDS; k++) cache[dst + k] = IO[k];
    if (++step >= nextReport && onProgress) {
      onProgress(step / totalSteps);
      nextReport += reportEvery;
    }
  }
  step++; // node 0
  for (let round = 0; round < CACHE_ROUNDS; round++) {
    for (let i = 0; i < nodes; i++) {
      const dst = i * NODE_WORDS;
      const other = modulo(cache[dst] >>> 0, nodes, inverse) * NODE_WORDS;
      const prev = ((i + nodes - 1) % nodes) * NODE_WORDS;
      for (let k = 0; k < NODE_WORDS; k++) IO[k] = cache[prev + k] ^ cache[other + k];
      keccak512_64();
      for (let k = 0; k < NODE_WORDS; k++) cache[dst + k] = IO[k];
      if (++step >= nextReport && onProgress) {
        onProgress(step / totalSteps);
        nextReport += reportEvery;
      }
    }
  }
}

/**
 * Dataset items `item` and `item + 1` into out[outOffset..+32] (spec §1.7).
 * Each item is a dependent chain of 256 random cache reads; running two
 * independent chains side by side lets the CPU overlap their cache misses,
 * which is where the time goes (spec §5.1–5.2).
 */
export function datasetItemPair(cache: Int32Array, item: number, out: Int32Array, outOffset: number): void {
  const nodes = checkCache(cache);
  checkWords(out, outOffset, PAGE_WORDS, 'dataset item pair output');
  // Real datasets stay below 2^29 items; any u32 pair is accepted (chfast's vectors go up to 2^32 - 1).
  if (!Number.isInteger(item) || item < 0 || item > 0xfffffffe) throw new EthashError('BAD_INPUT', `bad dataset item index ${item}`);
  itemPairUnchecked(cache, nodes, item, out, outOffset);
}

// The two chains' mixes. Scratch arrays with the 16-word update written out
// (below) measured as fast as keeping all 32 words in locals with the parent
// loop unrolled 16x, and TurboFan compiles this in ~0.1 s instead of 1–3 s
// (a cost every new worker thread pays, and thread termination waits for).
const MIX_A = new Int32Array(NODE_WORDS);
const MIX_B = new Int32Array(NODE_WORDS);

function itemPairUnchecked(cache: Int32Array, nodes: number, item: number, out: Int32Array, outOffset: number): void {
  const itemA = item | 0;
  const itemB = (item + 1) | 0;
  const inverse = 1 / nodes;
  // mix = keccak512(cache[item % nodes] with word 0 ^= item)
  let base = modulo(itemA >>> 0, nodes, inverse) * NODE_WORDS;
  for (let k = 0; k < NODE_WORDS; k++) IO[k] = cache[base + k];
  IO[0] ^= itemA;
  keccak512_64();
  for (let k = 0; k < NODE_WORDS; k++) MIX_A[k] = IO[k];
  base = modulo(itemB >>> 0, nodes, inverse) * NODE_WORDS;
  for (let k = 0; k < NODE_WORDS; k++) IO[k] = cache[base + k];
  IO[0] ^= itemB;
  keccak512_64();
  for (let k = 0; k < NODE_WORDS; k++) MIX_B[k] = IO[k];
  const a = MIX_A;
  const b = MIX_B;
  // Parent j: fnv(item ^ j, mix[j % 16]) % nodes; then mix = fnv(mix, cache[parent]).
  for (let j = 0; j < 256; j++) {
    // `<< 4` (× 16 words) keeps the index an int32: nodes < 2^23 for every epoch.
    const pa = modulo((Math.imul(itemA ^ j, FNV_PRIME) ^ a[j & 15]) >>> 0, nodes, inverse) << 4;
    const pb = modulo((Math.imul(itemB ^ j, FNV_PRIME) ^ b[j & 15]) >>> 0, nodes, inverse) << 4;
    a[0] = Math.imul(a[0], FNV_PRIME) ^ cache[pa]; b[0] = Math.imul(b[0], FNV_PRIME) ^ cache[pb];
    a[1] = Math.imul(a[1], FNV_PRIME) ^ cache[pa + 1]; b[1] = Math.imul(b[1], FNV_PRIME) ^ cache[pb + 1];
    a[2] = Math.imul(a[2], FNV_PRIME) ^ cache[pa + 2]; b[2] = Math.imul(b[2], FNV_PRIME) ^ cache[pb + 2];
    a[3] = Math.imul(a[3], FNV_PRIME) ^ cache[pa + 3]; b[3] = Math.imul(b[3], FNV_PRIME) ^ cache[pb + 3];
    a[4] = Math.imul(a[4], FNV_PRIME) ^ cache[pa + 4]; b[4] = Math.imul(b[4], FNV_PRIME) ^ cache[pb + 4];
    a[5] = Math.imul(a[5], FNV_PRIME) ^ cache[pa + 5]; b[5] = Math.imul(b[5], FNV_PRIME) ^ cache[pb + 5];
    a[6] = Math.imul(a[6], FNV_PRIME) ^ cache[pa + 6]; b[6] = Math.imul(b[6], FNV_PRIME) ^ cache[pb + 6];
    a[7] = Math.imul(a[7], FNV_PRIME) ^ cache[pa + 7]; b[7] = Math.imul(b[7], FNV_PRIME) ^ cache[pb + 7];
    a[8] = Math.imul(a[8], FNV_PRIME) ^ cache[pa + 8]; b[8] = Math.imul(b[8], FNV_PRIME) ^ cache[pb + 8];
    a[9] = Math.imul(a[9], FNV_PRIME) ^ cache[pa + 9]; b[9] = Math.imul(b[9], FNV_PRIME) ^ cache[pb + 9];
    a[10] = Math.imul(a[10], FNV_PRIME) ^ cache[pa + 10]; b[10] = Math.imul(b[10], FNV_PRIME) ^ cache[pb + 10];
    a[11] = Math.imul(a[11], FNV_PRIME) ^ cache[pa + 11]; b[11] = Math.imul(b[11], FNV_PRIME) ^ cache[pb + 11];
    a[12] = Math.imul(a[12], FNV_PRIME) ^ cache[pa + 12]; b[12] = Math.imul(b[12], FNV_PRIME) ^ cache[pb + 12];
    a[13] = Math.imul(a[13], FNV_PRIME) ^ cache[pa + 13]; b[13] = Math.imul(b[13], FNV_PRIME) ^ cache[pb + 13];
    a[14] = Math.imul(a[14], FNV_PRIME) ^ cache[pa + 14]; b[14] = Math.imul(b[14], FNV_PRIME) ^ cache[pb + 14];
    a[15] = Math.imul(a[15], FNV_PRIME) ^ cache[pa + 15]; b[15] = Math.imul(b[15], FNV_PRIME) ^ cache[pb + 15];
  }
  for (let k = 0; k < NODE_WORDS; k++) IO[k] = a[k];
  keccak512_64();
  for (let k = 0; k < NODE_WORDS; k++) out[outOffset + k] = IO[k];
  for (let k = 0; k < NODE_WORDS; k++) IO[k] = b[k];
  keccak512_64();
  for (let k = 0; k < NODE_WORDS; k++) out[outOffset + NODE_WORDS + k] = IO[k];
}

/** One 64-byte dataset item (spec §1.7), e.g. for tests; hot paths use pairs. */
export function datasetItem(cache: Int32Array, item: number): Buffer {
  const pair = new Int32Array(PAGE_WORDS);
  const even = item - (item & 1);
  datasetItemPair(cache, even, pair, 0);
  return wordsToBytes(pair, (item & 1) * NODE_WORDS, NODE_WORDS);
}

/**
 * Dataset items [first, first + count) into `dataset` at their natural
 * offsets (first and count even), for full-DAG generation.
 */
export function fillDatasetItems(cache: Int32Array, dataset: Int32Array, first: number, count: number): void {
  const nodes = checkCache(cache);
  if (first % 2 !== 0 || count % 2 !== 0 || first < 0 || (first + count) * NODE_WORDS > dataset.length) {
    throw new EthashError('BAD_INPUT', `bad dataset item range ${first}+${count}`);
  }
  for (let i = first; i < first + count; i += 2) itemPairUnchecked(cache, nodes, i, dataset, i * NODE_WORDS);
}

const SEED = new Int32Array(NODE_WORDS);
const MIX = new Int32Array(PAGE_WORDS);
const PAGE = new Int32Array(PAGE_WORDS);

/** s = keccak512(header_hash ‖ nonce as u64 LE); mix = s ‖ s (spec §1.8 steps 1–2). */
function startMix(headerHash: Int32Array, headerOffset: number, nonceLow: number, nonceHigh: number): void {
  for (let k = 0; k < 8; k++) IO[k] = headerHash[headerOffset + k];
  IO[8] = nonceLow;
  IO[9] = nonceHigh;
  keccak512_40();
  for (let k = 0; k < NODE_WORDS; k++) {
    const w = IO[k];
    SEED[k] = w;
    MIX[k] = w;
    MIX[k + NODE_WORDS] = w;
  }
}

/** Compress the mix to 8 words, final = keccak256(s ‖ cmix) (spec §1.8 steps 4–5). */
function finishMix(out: Int32Array, outOffset: number): void {
  for (let w = 0; w < 8; w++) {
    const c = Math.imul(Math.imul(Math.imul(MIX[4 * w], FNV_PRIME) ^ MIX[4 * w + 1], FNV_PRIME) ^ MIX[4 * w + 2], FNV_PRIME) ^ MIX[4 * w + 3];
    out[outOffset + w] = c;
    PAGE[w] = c;
  }
  for (let k = 0; k < NODE_WORDS; k++) IO[k] = SEED[k];
  for (let w = 0; w < 8; w++) IO[NODE_WORDS + w] = PAGE[w];
  keccak256_96();
  for (let w = 0; w < 8; w++) out[outOffset + 8 + w] = IO[w];
}

/**
 * Light hashimoto: the 64 pages are computed from the cache (128 dataset
 * items). Writes the mix digest to out[outOffset..+8] and the final hash to
 * out[outOffset+8..+16], both as little-endian words of their byte strings.
 */
export function hashimotoLightWords(
  cache: Int32Array,
  fullSize: number,
  headerHash: Int32Array,
  headerOffset: number,
  nonceLow: number,
  nonceHigh: number,
  out: Int32Array,
  outOffset: number,
): void {
  const nodes = checkCache(cache);
  const pages = checkFullSize(fullSize);
  checkWords(headerHash, headerOffset, 8, 'header hash');
  checkWords(out, outOffset, 16, 'hashimoto output');
  startMix(headerHash, headerOffset, nonceLow | 0, nonceHigh | 0);
  const s0 = SEED[0];
  const inverse = 1 / pages;
  for (let i = 0; i < ACCESSES; i++) {
    const page = modulo((Math.imul(i ^ s0, FNV_PRIME) ^ MIX[i & 31]) >>> 0, pages, inverse);
    itemPairUnchecked(cache, nodes, page * 2, PAGE, 0);
    for (let k = 0; k < PAGE_WORDS; k++) MIX[k] = Math.imul(MIX[k], FNV_PRIME) ^ PAGE[k];
  }
  finishMix(out, outOffset);
}

/** Full hashimoto: pages read from the dataset (fullSize/4 words). Output as hashimotoLightWords. */
export function hashimotoFullWords(
  dataset: Int32Array,
  headerHash: Int32Array,
  headerOffset: number,
  nonceLow: number,
  nonceHigh: number,
  out: Int32Array,
  outOffset: number,
): void {
  if (!(dataset instanceof Int32Array)) throw new EthashError('BAD_INPUT', 'dataset must be an Int32Array');
  const pages = checkFullSize(dataset.length * 4);
  checkWords(headerHash, headerOffset, 8, 'header hash');
  checkWords(out, outOffset, 16, 'hashimoto output');
  startMix(headerHash, headerOffset, nonceLow | 0, nonceHigh | 0);
  const s0 = SEED[0];
  const inverse = 1 / pages;
  for (let i = 0; i < ACCESSES; i++) {
    // page · 32 can pass 2^31 for datasets over 8 GiB: plain (double) arithmetic stays exact.
    const base = modulo((Math.imul(i ^ s0, FNV_PRIME) ^ MIX[i & 31]) >>> 0, pages, inverse) * PAGE_WORDS;
    for (let k = 0; k < PAGE_WORDS; k++) MIX[k] = Math.imul(MIX[k], FNV_PRIME) ^ dataset[base + k];
  }
  finishMix(out, outOffset);
}

/**
 * The quick check (spec §1.8 step 6, §5.4): the final hash implied by a
 * claimed mix digest, from two Keccaks and no cache. Writes 8 words.
 */
export function quickFinalWords(
  headerHash: Int32Array,
  headerOffset: number,
  nonceLow: number,
  nonceHigh: number,
  mix: Int32Array,
  mixOffset: number,
  out: Int32Array,
  outOffset: number,
): void {
  checkWords(headerHash, headerOffset, 8, 'header hash');
  checkWords(mix, mixOffset, 8, 'mix digest');
  checkWords(out, outOffset, 8, 'final hash output');
  for (let k = 0; k < 8; k++) IO[k] = headerHash[headerOffset + k];
  IO[8] = nonceLow | 0;
  IO[9] = nonceHigh | 0;
  keccak512_40();
  for (let k = 0; k < 8; k++) IO[NODE_WORDS + k] = mix[mixOffset + k];
  keccak256_96();
  for (let k = 0; k < 8; k++) out[outOffset + k] = IO[k];
}

/** Byte-swap a word: the big-endian reading of its 4 little-endian bytes. */
function bigEndianWord(w: number): number {
  return (((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)) >>> 0;
}

/**
 * The boundary as 8 big-endian uint32 words (most significant first), the
 * form `isAtOrBelowBoundary` compares against.
 */
export function boundaryWords(boundary: Uint8Array): Uint32Array {
  if (!(boundary instanceof Uint8Array) || boundary.length !== 32) throw new EthashError('BAD_INPUT', 'boundary must be 32 bytes');
  const out = new Uint32Array(8);
  for (let w = 0; w < 8; w++) {
    out[w] = ((boundary[4 * w] << 24) | (boundary[4 * w + 1] << 16) | (boundary[4 * w + 2] << 8) | boundary[4 * w + 3]) >>> 0;
  }
  return out;
}

/** Whether the final hash (8 LE words of its bytes) read big-endian is ≤ the boundary (spec §2.4). */
export function isAtOrBelowBoundary(finalHash: Int32Array, offset: number, boundary: Uint32Array): boolean {
  for (let w = 0; w < 8; w++) {
    const f = bigEndianWord(finalHash[offset + w]);
    const b = boundary[w];
    if (f !== b) return f < b;
  }
  return true;
}
