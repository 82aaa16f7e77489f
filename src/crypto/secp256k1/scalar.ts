/**
 * secp256k1 group-order arithmetic on 32-byte big-endian scalars, shared by
 * both backends and the signature codecs. Only the rare paths use bigint; the
 * hot checks (is S high?) compare bytes.
 */

/** Group order n. */
export const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
export const HALF_CURVE_ORDER = CURVE_ORDER >> 1n;

const HALF_ORDER_BYTES = scalarToBytes(HALF_CURVE_ORDER);
const ORDER_BYTES = scalarToBytes(CURVE_ORDER);

export function bytesToScalar(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = 0; i < bytes.length; i++) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

export function scalarToBytes(value: bigint): Buffer {
  const out = Buffer.alloc(32);
  let v = value;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** True for 32 bytes holding 0 < k < n (a valid private key or non-zero scalar). */
export function isValidScalar(bytes: Uint8Array): boolean {
  if (bytes.length !== 32) return false;
  const v = bytesToScalar(bytes);
  return v > 0n && v < CURVE_ORDER;
}

/** 32 big-endian bytes at `offset` hold a value ≥ n (byte comparison: this runs once per signature check). */
export function isScalarOverflow(bytes: Uint8Array, offset = 0): boolean {
  for (let i = 0; i < 32; i++) {
    const a = bytes[offset + i];
    const b = ORDER_BYTES[i];
    if (a !== b) return a > b;
  }
  return true;
}

/** s > n/2, read from a compact r‖s signature by byte comparison. */
export function isHighS(sig64: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) {
    const a = sig64[32 + i];
    const b = HALF_ORDER_BYTES[i];
    if (a !== b) return a > b;
  }
  return false;
}

/**
 * Copy of a compact signature with s replaced by n − s when s is high, as
 * libsecp256k1's secp256k1_ecdsa_signature_normalize does. The reference
 * normalizes before every verify (pubkey.cpp CPubKey::Verify,
 * math/elliptic_curve.cpp verify_signature), so high-S stays valid on MVS.
 */
export function normalizeLowS(sig64: Uint8Array): Buffer {
  const out = Buffer.from(sig64);
  if (sig64.length === 64 && isHighS(sig64)) {
    const s = bytesToScalar(sig64.subarray(32));
    if (s < CURVE_ORDER) scalarToBytes(CURVE_ORDER - s).copy(out, 32);
  }
  return out;
}
