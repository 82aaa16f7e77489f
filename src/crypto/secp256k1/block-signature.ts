/**
 * The PoS/DPoS block signature (mvs-wire §4.2, mvs-consensus §4.7.3).
 *
 * The reference stores the 64 bytes of libsecp256k1's opaque
 * `secp256k1_ecdsa_signature` (src/lib/bitcoin/math/elliptic_curve.cpp copies
 * the struct): on little-endian hosts that is r as 32 bytes little-endian
 * followed by s as 32 bytes little-endian. The message is the block hash in
 * internal byte order (the sha256d output, not the display order), and the
 * signature is normalized to low-S before verifying.
 */

import type { Secp256k1Backend } from './types.js';
import { getSecp256k1 } from './index.js';

function reverseHalves(sig: Uint8Array): Buffer {
  const out = Buffer.alloc(64);
  for (let i = 0; i < 32; i++) {
    out[i] = sig[31 - i];
    out[32 + i] = sig[63 - i];
  }
  return out;
}

/** Compact big-endian r‖s of a stored block signature; null unless it is 64 bytes. */
export function blockSignatureToCompact(blockSig64: Uint8Array): Buffer | null {
  if (!(blockSig64 instanceof Uint8Array) || blockSig64.length !== 64) return null;
  return reverseHalves(blockSig64);
}

/** The stored (little-endian halves) form of a compact r‖s signature. */
export function compactToBlockSignature(sig64: Uint8Array): Buffer {
  if (!(sig64 instanceof Uint8Array) || sig64.length !== 64) throw new RangeError('compact signature must be 64 bytes');
  return reverseHalves(sig64);
}

/**
 * Verify a PoS/DPoS block signature. `blockHash32` is the internal-order
 * hash; `pubkey` is the last push of the coinstake's input 0 script (PoS) or
 * the block's trailing key (DPoS). High S verifies (normalized first); r or s
 * ≥ n in the stored bytes is rejected, since no libsecp256k1 call can produce
 * such a struct. Never throws.
 */
export function verifyBlockSignature(
  blockSig64: Uint8Array,
  blockHash32: Uint8Array,
  pubkey: Uint8Array,
  backend: Secp256k1Backend = getSecp256k1(),
): boolean {
  const compact = blockSignatureToCompact(blockSig64);
  if (!compact || !(blockHash32 instanceof Uint8Array) || blockHash32.length !== 32) return false;
  return backend.verify(compact, blockHash32, pubkey);
}

/** Sign a block hash (internal order) into the stored 64-byte layout, as a staking node does. */
export function signBlockHash(blockHash32: Uint8Array, privateKey: Uint8Array, backend: Secp256k1Backend = getSecp256k1()): Buffer {
  return compactToBlockSignature(backend.sign(blockHash32, privateKey));
}
