/**
 * Typed key-handling errors: parse functions (WIF, mnemonic, extended keys)
 * fail with a KeyError whose `code` callers map to RPC errors without reading
 * the message.
 */
export type KeyErrorCode =
  | 'BAD_ENCODING' // not base58, wrong length, unknown structure
  | 'BAD_CHECKSUM' // base58check or BIP39 checksum mismatch
  | 'BAD_VERSION' // WIF prefix or xprv/xpub version not the expected one
  | 'BAD_KEY' // a private key outside 1..n−1 or a public key not on the curve
  | 'UNKNOWN_WORD' // a mnemonic word in none of the wordlists
  | 'BAD_LENGTH' // entropy, seed or word count the algorithm does not allow
  | 'INVALID_CHILD' // BIP32 child key invalid for this index (probability < 2^-127)
  | 'HARDENED_FROM_PUBLIC'; // hardened derivation asked of a public-only key

export class KeyError extends Error {
  readonly code: KeyErrorCode;
  constructor(code: KeyErrorCode, message: string) {
    super(message);
    this.name = 'KeyError';
    this.code = code;
  }
}

export function isKeyError(err: unknown): err is KeyError {
  return err instanceof KeyError;
}
