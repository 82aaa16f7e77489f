import type { Network } from '../networks/index.js';
import { BLOCK_VERSION } from '../primitives/header.js';

/** The header fields the difficulty rules read. */
export interface DifficultyHeader {
  version: number;
  timestamp: number;
  bits: bigint;
  number: number;
}

/** Ancestors of the block being validated, on its own branch (height < its height). */
export type AncestorLookup = (height: number) => DifficultyHeader | null;

const MAX_U256 = (1n << 256n) - 1n;

const clamp = (v: bigint): bigint => (v > MAX_U256 ? MAX_U256 : v);

/** C++ integer division truncates toward zero; BigInt division does too. */
const truncDiv = (a: number, b: number): number => Math.trunc(a / b);

/**
 * The most recent block of `version` at a height ≤ `height` on the branch
 * (get_prev_block_header_impl, mvs-consensus §2.1): never height 0 except
 * that the parent itself may be genesis (the block at height 1); a PoS walk
 * stops below the PoS activation height.
 */
export function previousOfVersion(network: Network, lookup: AncestorLookup, height: number, version: number): DifficultyHeader | null {
  if (height < 0) return null;
  const parent = lookup(height);
  if (!parent) return null;
  if (parent.version === version) return parent;
  for (let h = height - 1; h >= 1; h--) {
    if (version === BLOCK_VERSION.POS && h < network.posEnabledHeight) return null;
    const header = lookup(h);
    if (!header) return null;
    if (header.version === version) return header;
  }
  return null;
}

/**
 * `bits` a block must carry (work_required / HeaderAux::calculate_difficulty,
 * mvs-consensus §2). `cur` is the block being validated at height `height`.
 * Algorithm v1 below the PoS activation height, v2 (separate PoW and PoS
 * tracks) from it; DPoS copies the parent's bits.
 */
export function requiredBits(network: Network, height: number, cur: DifficultyHeader, lookup: AncestorLookup): bigint {
  if (height <= 0) throw new Error('genesis has no difficulty rule');
  if (cur.version === BLOCK_VERSION.DPOS) {
    const parent = lookup(height - 1);
    if (!parent) throw new Error(`missing parent of block ${height}`);
    return parent.bits;
  }
  const prev = previousOfVersion(network, lookup, height - 1, cur.version);
  if (height < network.posEnabledHeight) {
    const min = network.minPowDifficulty(height);
    if (!prev) return min;
    // The reference adds in unsigned 32-bit arithmetic.
    const slow = cur.timestamp >= ((prev.timestamp + 24) >>> 0);
    const step = prev.bits / 1024n;
    const target = slow ? prev.bits - step : prev.bits + step;
    return clamp(target > min ? target : min);
  }
  if (cur.version === BLOCK_VERSION.POW) {
    const min = network.minPowDifficulty(height);
    if (!prev) return min;
    const interval = (cur.timestamp - prev.timestamp) | 0;
    const adj = Math.max(2 - truncDiv(interval, 10), -99);
    const target = prev.bits + (prev.bits / 2048n) * BigInt(adj);
    return clamp(target > min ? target : min);
  }
  // PoS track: the spacing of the two previous PoS blocks, not the current time.
  const min = network.minPosDifficulty;
  if (!prev) return min;
  const pprev = prev.number > 2 ? previousOfVersion(network, lookup, prev.number - 1, BLOCK_VERSION.POS) : null;
  if (!pprev) return min;
  const interval = (prev.timestamp - pprev.timestamp) | 0;
  const adj = Math.max(18 - truncDiv(interval, 10), -99);
  const target = prev.bits + (prev.bits / 2048n) * BigInt(adj);
  return clamp(target > min ? target : min);
}
