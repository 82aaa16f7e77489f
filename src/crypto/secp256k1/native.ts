import { createRequire } from 'node:module';
import type { Secp256k1Backend } from './types.js';
import { isHighS } from './scalar.js';
import { hasPublicKeyLength } from './pubkey.js';

/**
 * The subset of the npm `secp256k1` v5 binding API used here
 * (node_modules/secp256k1/lib/index.js). Its functions throw on malformed input
 * and several write into their first argument, so every call below copies or
 * catches as needed.
 */
interface Secp256k1Addon {
  ecdsaVerify(sig: Uint8Array, msg32: Uint8Array, pubkey: Uint8Array): boolean;
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
  signatureNormalize(sig: Uint8Array): Uint8Array;
  publicKeyCreate(seckey: Uint8Array, compressed: boolean): Uint8Array;
  publicKeyConvert(pubkey: Uint8Array, compressed: boolean): Uint8Array;
  publicKeyTweakAdd(pubkey: Uint8Array, tweak: Uint8Array, compressed: boolean): Uint8Array;
  privateKeyVerify(seckey: Uint8Array): boolean;
  privateKeyTweakAdd(seckey: Uint8Array, tweak: Uint8Array): Uint8Array;
}

export interface NativeLoadResult {
  backend: Secp256k1Backend | null;
  error: Error | null;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isBytes(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === length;
}

/**
 * Load libsecp256k1 through `secp256k1/bindings`. The package index would
 * silently fall back to its pure-JS elliptic build when the addon is missing;
 * the bindings entry throws instead, which is what lets us choose noble.
 * (`specifier` exists so tests can simulate a missing addon.)
 */
export function loadNativeBackend(specifier = 'secp256k1/bindings'): NativeLoadResult {
  let addon: Secp256k1Addon;
  try {
    const require = createRequire(import.meta.url);
    addon = require(specifier) as Secp256k1Addon;
    if (typeof addon.ecdsaVerify !== 'function' || typeof addon.signatureNormalize !== 'function') {
      throw new Error('secp256k1/bindings does not expose the v5 API');
    }
  } catch (err) {
    return { backend: null, error: err instanceof Error ? err : new Error(String(err)) };
  }
  return { backend: createNativeBackend(addon), error: null };
}

function createNativeBackend(addon: Secp256k1Addon): Secp256k1Backend {
  const requireDigest = (msg32: Uint8Array) => {
    if (!isBytes(msg32, 32)) throw new RangeError('message must be a 32-byte digest');
  };
  const requirePrivateKey = (privateKey: Uint8Array) => {
    if (!isBytes(privateKey, 32) || !addon.privateKeyVerify(privateKey)) throw new RangeError('invalid secp256k1 private key');
  };

  return {
    name: 'native',

    verify(sig64, msg32, pubkey) {
      if (!isBytes(sig64, 64) || !isBytes(msg32, 32) || !hasPublicKeyLength(pubkey)) return false;
      try {
        // secp256k1_ecdsa_verify rejects high S; normalize a copy (the call works in place).
        const sig = isHighS(sig64) ? addon.signatureNormalize(Uint8Array.from(sig64)) : sig64;
        return addon.ecdsaVerify(sig, msg32, pubkey);
      } catch {
        // r or s ≥ n, or a public key that does not parse.
        return false;
      }
    },

    sign(msg32, privateKey) {
      requireDigest(msg32);
      requirePrivateKey(privateKey);
      return asBuffer(addon.ecdsaSign(msg32, privateKey).signature);
    },

    signRecoverable(msg32, privateKey) {
      requireDigest(msg32);
      requirePrivateKey(privateKey);
      const { signature, recid } = addon.ecdsaSign(msg32, privateKey);
      return { signature: asBuffer(signature), recovery: recid };
    },

    recover(sig64, recovery, msg32, compressed) {
      if (!isBytes(sig64, 64) || !isBytes(msg32, 32) || !Number.isInteger(recovery) || recovery < 0 || recovery > 3) return null;
      try {
        return asBuffer(addon.ecdsaRecover(sig64, recovery, msg32, compressed));
      } catch {
        return null;
      }
    },

    publicKeyCreate(privateKey, compressed) {
      requirePrivateKey(privateKey);
      return asBuffer(addon.publicKeyCreate(privateKey, compressed));
    },

    publicKeyConvert(pubkey, compressed) {
      if (!hasPublicKeyLength(pubkey)) return null;
      try {
        return asBuffer(addon.publicKeyConvert(pubkey, compressed));
      } catch {
        return null;
      }
    },

    privateKeyVerify(privateKey) {
      return isBytes(privateKey, 32) && addon.privateKeyVerify(privateKey);
    },

    privateKeyTweakAdd(privateKey, tweak) {
      if (!isBytes(privateKey, 32) || !isBytes(tweak, 32) || !addon.privateKeyVerify(privateKey)) return null;
      try {
        // The binding adds into its first argument: work on a copy.
        return asBuffer(addon.privateKeyTweakAdd(Uint8Array.from(privateKey), tweak));
      } catch {
        return null;
      }
    },

    publicKeyTweakAdd(pubkey, tweak, compressed) {
      if (!hasPublicKeyLength(pubkey) || !isBytes(tweak, 32)) return null;
      try {
        return asBuffer(addon.publicKeyTweakAdd(pubkey, tweak, compressed));
      } catch {
        return null;
      }
    },
  };
}
