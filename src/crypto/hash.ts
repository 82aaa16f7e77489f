import * as nodeCrypto from 'node:crypto';
import { keccak_256, keccak_512 } from '@noble/hashes/sha3.js';
import { ripemd160 as nobleRipemd160 } from '@noble/hashes/legacy.js';
import { sha256Short, sha256dShort, sha256Of32, MAX_SHORT } from './sha256-short.js';
import { ripemd160Short, MAX_RIPEMD_SHORT } from './ripemd160-short.js';

/**
 * Hash functions. SHA-256 of one block (≤ 55 bytes, and every second round of
 * a double hash) runs in the allocation-free JS kernel of sha256-short.ts,
 * which beats a call into OpenSSL there (0.8 against 1.4 µs); longer inputs go
 * through OpenSSL (`crypto.hash` where available: 1.5–2x @noble/hashes on
 * small inputs and SHA-NI on bulk, perf.md §3). RIPEMD-160 of one block (the
 * 32-byte digest inside every HASH160) likewise runs in ripemd160-short.ts.
 * Keccak here is the general-purpose one (original Keccak padding 0x01, as
 * Ethereum and the reference's libdevcore use); the Ethash hot path has its own
 * allocation-free kernel in consensus/ethash.
 */

type OneShot = (algorithm: string, data: Uint8Array, outputEncoding: 'buffer') => Buffer;
const oneShot: OneShot | undefined = (nodeCrypto as unknown as { hash?: OneShot }).hash;

function sha256Long(data: Uint8Array): Buffer {
  if (oneShot) return oneShot('sha256', data, 'buffer');
  return nodeCrypto.createHash('sha256').update(data).digest();
}

export function sha256(data: Uint8Array): Buffer {
  return data.length <= MAX_SHORT ? sha256Short(data) : sha256Long(data);
}

/** dSHA256: txids, block hashes, merkle nodes, checksums, sighashes. */
export function sha256d(data: Uint8Array): Buffer {
  return data.length <= MAX_SHORT ? sha256dShort(data) : sha256Of32(sha256Long(data));
}

export function sha1(data: Uint8Array): Buffer {
  if (oneShot) return oneShot('sha1', data, 'buffer');
  return nodeCrypto.createHash('sha1').update(data).digest();
}

let opensslRipemd = true;
export function ripemd160(data: Uint8Array): Buffer {
  if (data.length <= MAX_RIPEMD_SHORT) return ripemd160Short(data);
  if (opensslRipemd) {
    try {
      return oneShot ? oneShot('ripemd160', data, 'buffer') : nodeCrypto.createHash('ripemd160').update(data).digest();
    } catch {
      // OpenSSL builds without the legacy digest: fall back to the JS one.
      opensslRipemd = false;
    }
  }
  return Buffer.from(nobleRipemd160(data));
}

/** RIPEMD160(SHA256(x)): P2PKH / P2SH address hashes. */
export function hash160(data: Uint8Array): Buffer {
  return ripemd160(sha256(data));
}

export function keccak256(data: Uint8Array): Buffer {
  return Buffer.from(keccak_256(data));
}

export function keccak512(data: Uint8Array): Buffer {
  return Buffer.from(keccak_512(data));
}

export function hmacSha512(key: Uint8Array, data: Uint8Array): Buffer {
  return nodeCrypto.createHmac('sha512', key).update(data).digest();
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Buffer {
  return nodeCrypto.createHmac('sha256', key).update(data).digest();
}
