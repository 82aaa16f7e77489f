/**
 * The one secp256k1 interface the node uses. Two backends implement it: the
 * native libsecp256k1 addon (npm `secp256k1`, optional dependency, ~50x faster
 * verify) and @noble/secp256k1 (always available). Both are tested against the
 * same vectors. All byte arguments are raw; no hashing happens inside.
 */
export interface Secp256k1Backend {
  readonly name: 'native' | 'noble';
  /**
   * ECDSA verify over a 32-byte digest. `sig64` is compact r‖s (big-endian);
   * high-S signatures are normalized first (the reference accepts them).
   * `pubkey` is 33 or 65 bytes. Any malformed input returns false, never throws.
   */
  verify(sig64: Uint8Array, msg32: Uint8Array, pubkey: Uint8Array): boolean;
  /** RFC6979 deterministic, low-S; returns compact r‖s (64 bytes). */
  sign(msg32: Uint8Array, privateKey: Uint8Array): Uint8Array;
  /** Recoverable signature for message signing: compact r‖s plus recovery id 0..3. */
  signRecoverable(msg32: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recovery: number };
  /** Public key recovery; null when impossible. */
  recover(sig64: Uint8Array, recovery: number, msg32: Uint8Array, compressed: boolean): Uint8Array | null;
  publicKeyCreate(privateKey: Uint8Array, compressed: boolean): Uint8Array;
  /** Re-encode a public key compressed/uncompressed; null when it is not a valid point. */
  publicKeyConvert(pubkey: Uint8Array, compressed: boolean): Uint8Array | null;
  privateKeyVerify(privateKey: Uint8Array): boolean;
  /** (k + tweak) mod n, null when the result is invalid (BIP32 child derivation). */
  privateKeyTweakAdd(privateKey: Uint8Array, tweak: Uint8Array): Uint8Array | null;
  /** P + tweak·G, null when invalid (BIP32 public derivation). */
  publicKeyTweakAdd(pubkey: Uint8Array, tweak: Uint8Array, compressed: boolean): Uint8Array | null;
}
