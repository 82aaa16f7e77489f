import type { HeaderFields } from '../../primitives/header.js';
import { EthashError } from './errors.js';
import { bytesToWords, boundaryWords, hashimotoLightWords, isAtOrBelowBoundary, quickFinalWords } from './algorithm.js';
import { MAX_EPOCH, epochOf } from './params.js';
import { boundaryBytes, nonceHalves, sealHash } from './seal.js';

/**
 * Verification of a PoW header's Ethash seal (mvs-consensus.md §1.4): the
 * light hash of (seal hash, nonce) with the epoch's cache must give the
 * header's mixhash, and the final hash must be ≤ (2^256 − 1) / bits.
 *
 * Checks run cheapest first, each failing with a stable reason:
 *   BAD_BITS            bits = 0 (boundary 0)
 *   EPOCH_OUT_OF_RANGE  number ≥ 61,440,000 (epoch > 2047, beyond MVS's tables)
 *   ABOVE_TARGET        the final hash implied by the header's *claimed* mixhash
 *                       (two Keccaks, no cache: the quick check, spec §1.8/§5.4) is
 *                       above the boundary. A wrong nonce, a tampered sealed field
 *                       or a forged mixhash all land here with near certainty.
 *   MIX_MISMATCH        the claimed mix passes the target but the light hash computes
 *                       a different mix digest.
 * When the claimed mix equals the computed one the quick-check final *is* the real
 * final hash, so the outcome is exactly the reference's `verify_work`.
 *
 * This checks the seal only. Whether a block is PoW at all (version 1) and
 * whether `bits` is the required difficulty are the chain's checks.
 */
export type VerifyFailure = 'BAD_BITS' | 'EPOCH_OUT_OF_RANGE' | 'ABOVE_TARGET' | 'MIX_MISMATCH';
export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: VerifyFailure };

/** Numeric codes for results crossing thread boundaries (index = code). */
const RESULTS: readonly VerifyResult[] = Object.freeze([
  Object.freeze({ ok: true as const }),
  Object.freeze({ ok: false as const, reason: 'BAD_BITS' as const }),
  Object.freeze({ ok: false as const, reason: 'EPOCH_OUT_OF_RANGE' as const }),
  Object.freeze({ ok: false as const, reason: 'ABOVE_TARGET' as const }),
  Object.freeze({ ok: false as const, reason: 'MIX_MISMATCH' as const }),
]);
export const RESULT_CODE = { OK: 0, BAD_BITS: 1, EPOCH_OUT_OF_RANGE: 2, ABOVE_TARGET: 3, MIX_MISMATCH: 4 } as const;

export function resultFromCode(code: number): VerifyResult {
  const result = RESULTS[code];
  if (result === undefined) throw new EthashError('BAD_INPUT', `unknown verify result code ${code}`);
  return result;
}

export function codeOfResult(result: VerifyResult): number {
  return result.ok ? RESULT_CODE.OK : RESULT_CODE[result.reason];
}

/** The fields the Ethash check reads (a BlockHeader satisfies it). */
export type PowHeader = HeaderFields;

/** A header that passed the cache-free checks, ready for the light hash. */
export interface PreparedSeal {
  epoch: number;
  /** Seal hash as 8 little-endian words. */
  sealWords: Int32Array;
  nonceLow: number;
  nonceHigh: number;
  /** The header's mixhash as 8 little-endian words. */
  mixWords: Int32Array;
}

const finalScratch = new Int32Array(8);

/** The cache-free checks (BAD_BITS, EPOCH_OUT_OF_RANGE, quick check). */
export function precheckHeader(header: PowHeader): { result: VerifyResult; seal?: undefined } | { result?: undefined; seal: PreparedSeal } {
  if (header.bits === 0n) return { result: RESULTS[RESULT_CODE.BAD_BITS] };
  const epoch = epochOf(header.number);
  if (epoch > MAX_EPOCH) return { result: RESULTS[RESULT_CODE.EPOCH_OUT_OF_RANGE] };
  if (!(header.mixHash instanceof Uint8Array) || header.mixHash.length !== 32) throw new EthashError('BAD_INPUT', 'mixHash must be 32 bytes');
  const sealWords = bytesToWords(sealHash(header));
  const { low, high } = nonceHalves(header.nonce);
  const mixWords = bytesToWords(header.mixHash, 'mixHash');
  quickFinalWords(sealWords, 0, low, high, mixWords, 0, finalScratch, 0);
  if (!isAtOrBelowBoundary(finalScratch, 0, boundaryWords(boundaryBytes(header.bits)))) {
    return { result: RESULTS[RESULT_CODE.ABOVE_TARGET] };
  }
  return { seal: { epoch, sealWords, nonceLow: low, nonceHigh: high, mixWords } };
}

/** What the light check needs of an epoch cache. */
export interface CacheView {
  epoch: number;
  /** The cache nodes as little-endian words. */
  words: Int32Array;
  /** The epoch's dataset size in bytes (pages = datasetBytes / 128). */
  datasetBytes: number;
}

const hashScratch = new Int32Array(16);

/** The light hash of a prepared seal; OK or MIX_MISMATCH. */
export function checkMix(seal: PreparedSeal, cache: CacheView): VerifyResult {
  if (cache.epoch !== seal.epoch) throw new EthashError('BAD_INPUT', `header is in epoch ${seal.epoch}, cache is for epoch ${cache.epoch}`);
  hashimotoLightWords(cache.words, cache.datasetBytes, seal.sealWords, 0, seal.nonceLow, seal.nonceHigh, hashScratch, 0);
  for (let w = 0; w < 8; w++) if (hashScratch[w] !== seal.mixWords[w]) return RESULTS[RESULT_CODE.MIX_MISMATCH];
  return RESULTS[RESULT_CODE.OK];
}

/** Full synchronous verification with a cache in hand (used inside workers and by tests). */
export function verifyHeaderWithCache(header: PowHeader, cache: CacheView): VerifyResult {
  const pre = precheckHeader(header);
  if (pre.result) return pre.result;
  return checkMix(pre.seal, cache);
}
