/**
 * Public-key encodings accepted by libsecp256k1's secp256k1_ec_pubkey_parse,
 * which is what the reference's CPubKey::Verify calls: 33-byte compressed
 * (02/03), 65-byte uncompressed (04) and 65-byte hybrid (06/07, the y parity
 * in the prefix). The interpreter's STRICTENC key check is not enforced on MVS
 * (mvs-wire §4.6), so hybrid keys in scripts still verify.
 */

export function hasPublicKeyLength(pubkey: Uint8Array): boolean {
  return pubkey instanceof Uint8Array && (pubkey.length === 33 || pubkey.length === 65);
}

/**
 * The same key with a standard prefix (hybrid 06/07 → 04), or null when the
 * prefix is unknown or a hybrid prefix disagrees with the parity of y. The
 * curve check itself is left to the backend.
 */
export function toStandardPublicKey(pubkey: Uint8Array): Uint8Array | null {
  if (!(pubkey instanceof Uint8Array)) return null;
  const prefix = pubkey[0];
  if (pubkey.length === 33) return prefix === 0x02 || prefix === 0x03 ? pubkey : null;
  if (pubkey.length !== 65) return null;
  if (prefix === 0x04) return pubkey;
  if (prefix === 0x06 || prefix === 0x07) {
    const yIsOdd = (pubkey[64] & 1) === 1;
    if (yIsOdd !== (prefix === 0x07)) return null;
    const standard = Buffer.from(pubkey);
    standard[0] = 0x04;
    return standard;
  }
  return null;
}
