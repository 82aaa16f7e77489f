import { base58CheckDecode, base58CheckEncode } from '../../primitives/base58.js';
import { isCodecError } from '../../primitives/errors.js';
import { isValidScalar } from '../secp256k1/scalar.js';
import { KeyError } from './errors.js';

/**
 * WIF prefix of the reference on every network: src/lib/bitcoin/wallet/ec_private.cpp
 * keeps Bitcoin's 0x80 and the C++ node does not change it for testnet
 * (mvs-wire §5.3; the mvs-rawsign vectors show testnet keys with 0x80 too).
 */
export const WIF_PREFIX = 0x80;
const COMPRESSED_FLAG = 0x01;

export interface DecodedWif {
  privateKey: Buffer;
  /** The key's public key is used compressed (trailing 0x01 flag). */
  compressed: boolean;
  prefix: number;
}

/** base58check(prefix ‖ key ‖ [0x01 if compressed]). */
export function encodeWif(privateKey: Uint8Array, compressed = true, prefix = WIF_PREFIX): string {
  if (!isValidScalar(privateKey)) throw new KeyError('BAD_KEY', 'private key must be 32 bytes in 1..n-1');
  const payload = Buffer.alloc(compressed ? 34 : 33);
  payload[0] = prefix;
  payload.set(privateKey, 1);
  if (compressed) payload[33] = COMPRESSED_FLAG;
  return base58CheckEncode(payload);
}

/**
 * Parse a WIF private key. `prefix` is the expected version byte (0x80 by
 * default; null accepts any). Fails with a KeyError: BAD_CHECKSUM,
 * BAD_ENCODING (not base58 / wrong length / bad compression flag),
 * BAD_VERSION, BAD_KEY (0 or ≥ n).
 */
export function decodeWif(text: string, prefix: number | null = WIF_PREFIX): DecodedWif {
  let payload: Buffer;
  try {
    payload = base58CheckDecode(text);
  } catch (err) {
    if (isCodecError(err) && err.code === 'BAD_CHECKSUM') throw new KeyError('BAD_CHECKSUM', 'WIF checksum mismatch');
    throw new KeyError('BAD_ENCODING', 'WIF is not valid base58check');
  }
  let compressed: boolean;
  if (payload.length === 33) compressed = false;
  else if (payload.length === 34 && payload[33] === COMPRESSED_FLAG) compressed = true;
  else throw new KeyError('BAD_ENCODING', 'WIF payload must be 33 bytes, or 34 ending in 0x01');
  if (prefix !== null && payload[0] !== prefix) {
    throw new KeyError('BAD_VERSION', `WIF prefix 0x${payload[0].toString(16)} is not 0x${prefix.toString(16)}`);
  }
  const privateKey = Buffer.from(payload.subarray(1, 33));
  if (!isValidScalar(privateKey)) throw new KeyError('BAD_KEY', 'WIF private key is 0 or not below the curve order');
  return { privateKey, compressed, prefix: payload[0] };
}
