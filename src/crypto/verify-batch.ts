import type { Secp256k1Backend } from './secp256k1/types.js';

/**
 * The packed batch layout the verify pool sends to its workers: one fixed
 * stride per item so a batch is a single transferable ArrayBuffer and the
 * worker reads zero-copy views.
 *
 *   sig64 (64) ‖ msg32 (32) ‖ pubkey length (1: 33 or 65) ‖ pubkey (65, zero-padded)
 */
export const SIG_OFFSET = 0;
export const MSG_OFFSET = 64;
export const PUBKEY_LENGTH_OFFSET = 96;
export const PUBKEY_OFFSET = 97;
export const ITEM_STRIDE = 162;

export interface VerifyItem {
  /** Compact r‖s (64 bytes). */
  signature: Uint8Array;
  /** 32-byte digest. */
  message: Uint8Array;
  /** 33- or 65-byte public key. */
  publicKey: Uint8Array;
}

/** Items whose sizes fit the layout; anything else can only be invalid and is answered without a worker. */
export function isPackable(item: VerifyItem): boolean {
  return (
    item !== null &&
    typeof item === 'object' &&
    item.signature instanceof Uint8Array &&
    item.signature.length === 64 &&
    item.message instanceof Uint8Array &&
    item.message.length === 32 &&
    item.publicKey instanceof Uint8Array &&
    (item.publicKey.length === 33 || item.publicKey.length === 65)
  );
}

/** Pack packable items (see isPackable) into one buffer. */
export function packItems(items: readonly VerifyItem[]): ArrayBuffer {
  const buffer = new ArrayBuffer(items.length * ITEM_STRIDE);
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < items.length; i++) {
    const base = i * ITEM_STRIDE;
    const { signature, message, publicKey } = items[i];
    bytes.set(signature, base + SIG_OFFSET);
    bytes.set(message, base + MSG_OFFSET);
    bytes[base + PUBKEY_LENGTH_OFFSET] = publicKey.length;
    bytes.set(publicKey, base + PUBKEY_OFFSET);
  }
  return buffer;
}

/** Verify every item of a packed batch: 1 valid, 0 invalid. */
export function verifyPacked(backend: Secp256k1Backend, packed: Uint8Array, count: number): Uint8Array {
  const results = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const base = i * ITEM_STRIDE;
    const pubLength = packed[base + PUBKEY_LENGTH_OFFSET];
    if (pubLength !== 33 && pubLength !== 65) continue;
    const ok = backend.verify(
      packed.subarray(base + SIG_OFFSET, base + SIG_OFFSET + 64),
      packed.subarray(base + MSG_OFFSET, base + MSG_OFFSET + 32),
      packed.subarray(base + PUBKEY_OFFSET, base + PUBKEY_OFFSET + pubLength),
    );
    results[i] = ok ? 1 : 0;
  }
  return results;
}
