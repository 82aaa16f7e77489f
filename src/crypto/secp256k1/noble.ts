import * as secp from '@noble/secp256k1';
import { sha256, hmacSha256 } from '../hash.js';
import type { Secp256k1Backend } from './types.js';
import { CURVE_ORDER, bytesToScalar, isValidScalar, scalarToBytes } from './scalar.js';
import { hasPublicKeyLength, toStandardPublicKey } from './pubkey.js';

// @noble/secp256k1 v3 signs synchronously only once these are wired; OpenSSL
// through node:crypto is the fastest provider (perf.md §3).
// (The casts only narrow Buffer's ArrayBufferLike to the ArrayBuffer noble's types name.)
type NobleDigest = Uint8Array<ArrayBuffer>;
secp.hashes.sha256 = (message) => sha256(message) as NobleDigest;
secp.hashes.hmacSha256 = (key, message) => hmacSha256(key, message) as NobleDigest;

const SIGN_OPTIONS = { prehash: false, lowS: true, extraEntropy: false } as const;
// lowS: false accepts both s forms, the same as normalizing to low-S first.
const VERIFY_OPTIONS = { prehash: false, lowS: false } as const;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isBytes(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === length;
}

function requirePrivateKey(privateKey: Uint8Array): void {
  if (!isBytes(privateKey, 32) || !isValidScalar(privateKey)) throw new RangeError('invalid secp256k1 private key');
}

function parsePoint(pubkey: Uint8Array): secp.Point | null {
  const standard = toStandardPublicKey(pubkey);
  if (!standard) return null;
  try {
    return secp.Point.fromBytes(standard);
  } catch {
    return null;
  }
}

/** Pure-JS backend on @noble/secp256k1 v3: always available, ~50x slower verify than native (perf.md §2). */
export const nobleBackend: Secp256k1Backend = {
  name: 'noble',

  verify(sig64, msg32, pubkey) {
    if (!isBytes(sig64, 64) || !isBytes(msg32, 32) || !hasPublicKeyLength(pubkey)) return false;
    const standard = toStandardPublicKey(pubkey);
    if (!standard) return false;
    try {
      return secp.verify(sig64, msg32, standard, VERIFY_OPTIONS);
    } catch {
      return false;
    }
  },

  sign(msg32, privateKey) {
    if (!isBytes(msg32, 32)) throw new RangeError('message must be a 32-byte digest');
    requirePrivateKey(privateKey);
    return asBuffer(secp.sign(msg32, privateKey, SIGN_OPTIONS));
  },

  signRecoverable(msg32, privateKey) {
    if (!isBytes(msg32, 32)) throw new RangeError('message must be a 32-byte digest');
    requirePrivateKey(privateKey);
    // noble's "recovered" layout is recovery byte first, then r‖s.
    const recovered = secp.sign(msg32, privateKey, { ...SIGN_OPTIONS, format: 'recovered' });
    return { signature: asBuffer(recovered.subarray(1)), recovery: recovered[0] };
  },

  recover(sig64, recovery, msg32, compressed) {
    if (!isBytes(sig64, 64) || !isBytes(msg32, 32) || !Number.isInteger(recovery) || recovery < 0 || recovery > 3) return null;
    try {
      const recovered = Buffer.concat([Buffer.from([recovery]), sig64]);
      return asBuffer(secp.recoverPublicKey(recovered, msg32, { prehash: false, isCompressed: compressed }));
    } catch {
      return null;
    }
  },

  publicKeyCreate(privateKey, compressed) {
    requirePrivateKey(privateKey);
    return asBuffer(secp.getPublicKey(privateKey, compressed));
  },

  publicKeyConvert(pubkey, compressed) {
    const point = parsePoint(pubkey);
    return point ? asBuffer(point.toBytes(compressed)) : null;
  },

  privateKeyVerify(privateKey) {
    return isBytes(privateKey, 32) && isValidScalar(privateKey);
  },

  privateKeyTweakAdd(privateKey, tweak) {
    // Same failure cases as secp256k1_ec_seckey_tweak_add: invalid key, tweak ≥ n, zero result.
    if (!isBytes(privateKey, 32) || !isBytes(tweak, 32) || !isValidScalar(privateKey)) return null;
    const t = bytesToScalar(tweak);
    if (t >= CURVE_ORDER) return null;
    const sum = (bytesToScalar(privateKey) + t) % CURVE_ORDER;
    return sum === 0n ? null : scalarToBytes(sum);
  },

  publicKeyTweakAdd(pubkey, tweak, compressed) {
    if (!isBytes(tweak, 32)) return null;
    const point = parsePoint(pubkey);
    if (!point) return null;
    const t = bytesToScalar(tweak);
    if (t >= CURVE_ORDER) return null;
    try {
      // A zero tweak is allowed by libsecp256k1 and leaves the point unchanged.
      const sum = t === 0n ? point : point.add(secp.Point.BASE.multiply(t));
      if (sum.is0()) return null;
      return asBuffer(sum.toBytes(compressed));
    } catch {
      return null;
    }
  },
};
