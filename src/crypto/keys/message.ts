import { BufferWriter } from '../../primitives/writer.js';
import { Address } from '../../primitives/address.js';
import { sha256d, hash160 } from '../hash.js';
import type { Secp256k1Backend } from '../secp256k1/types.js';
import { getSecp256k1 } from '../secp256k1/index.js';

/**
 * Message signing as the reference has it, unchanged from Bitcoin
 * (src/lib/bitcoin/wallet/message.cpp): digest = dSHA256(varstr(magic) ‖
 * varstr(message)); the signature is 65 bytes, a header byte 27 + recovery id
 * (+4 when the key is used compressed) then compact r‖s; shown as base64.
 * Verification recovers the key and compares its hash160 with the address.
 */

const MAGIC = Buffer.from('Bitcoin Signed Message:\n', 'utf8');
const HEADER_UNCOMPRESSED = 27;
const HEADER_COMPRESSED = 31;
const SIGNATURE_BYTES = 65;

function messageBytes(message: string | Uint8Array): Buffer {
  return typeof message === 'string' ? Buffer.from(message, 'utf8') : Buffer.from(message);
}

/** hash_message: the 32-byte digest that is signed. */
export function messageDigest(message: string | Uint8Array): Buffer {
  const data = messageBytes(message);
  const w = new BufferWriter(MAGIC.length + data.length + 10);
  w.varint(MAGIC.length).bytes(MAGIC).varint(data.length).bytes(data);
  return sha256d(w.finish());
}

/** The 65-byte signature (header ‖ r ‖ s). Throws on an invalid private key. */
export function signMessageRaw(message: string | Uint8Array, privateKey: Uint8Array, compressed = true, backend: Secp256k1Backend = getSecp256k1()): Buffer {
  const { signature, recovery } = backend.signRecoverable(messageDigest(message), privateKey);
  return Buffer.concat([Buffer.from([(compressed ? HEADER_COMPRESSED : HEADER_UNCOMPRESSED) + recovery]), signature]);
}

/** Base64 of signMessageRaw, the form wallets show. */
export function signMessage(message: string | Uint8Array, privateKey: Uint8Array, compressed = true, backend: Secp256k1Backend = getSecp256k1()): string {
  return signMessageRaw(message, privateKey, compressed, backend).toString('base64');
}

function decodeSignature(signature: string | Uint8Array): Buffer | null {
  if (typeof signature !== 'string') return Buffer.from(signature);
  // Strict base64: Buffer.from silently skips bad characters.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(signature) || signature.length % 4 !== 0) return null;
  return Buffer.from(signature, 'base64');
}

/** The public key a message signature recovers to (compressed or not per its header), or null. */
export function recoverMessagePublicKey(message: string | Uint8Array, signature: string | Uint8Array, backend: Secp256k1Backend = getSecp256k1()): Buffer | null {
  const raw = decodeSignature(signature);
  if (!raw || raw.length !== SIGNATURE_BYTES) return null;
  const header = raw[0];
  // magic_to_recovery_id: 27..34 only.
  if (header < HEADER_UNCOMPRESSED || header > HEADER_COMPRESSED + 3) return null;
  const compressed = header >= HEADER_COMPRESSED;
  const recovery = header - (compressed ? HEADER_COMPRESSED : HEADER_UNCOMPRESSED);
  const key = backend.recover(raw.subarray(1), recovery, messageDigest(message), compressed);
  return key ? Buffer.from(key) : null;
}

/** True when `signature` (base64 or raw 65 bytes) signs `message` with the key of P2PKH `address`. Never throws. */
export function verifyMessage(
  message: string | Uint8Array,
  address: string | Address,
  signature: string | Uint8Array,
  backend: Secp256k1Backend = getSecp256k1(),
): boolean {
  let target: Address;
  try {
    target = typeof address === 'string' ? Address.fromString(address) : address;
  } catch {
    return false;
  }
  const key = recoverMessagePublicKey(message, signature, backend);
  return key !== null && hash160(key).equals(target.hash);
}
