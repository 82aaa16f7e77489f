import { base58CheckDecode, base58CheckEncode } from '../../primitives/base58.js';
import { isCodecError } from '../../primitives/errors.js';
import { hash160, hmacSha512 } from '../hash.js';
import { getSecp256k1, type Secp256k1Backend } from '../secp256k1/index.js';
import { isValidScalar } from '../secp256k1/scalar.js';
import { KeyError } from './errors.js';

/**
 * BIP32 hierarchical deterministic keys as the reference has them
 * (src/lib/bitcoin/wallet/hd_private.cpp, hd_public.cpp): master from
 * HMAC-SHA512("Bitcoin seed", seed), private and public child derivation,
 * compressed public keys, xprv 0x0488ADE4 / xpub 0x0488B21E on every network.
 * The EC steps go through the secp256k1 backend interface (privateKeyTweakAdd,
 * publicKeyTweakAdd), so both backends derive identically.
 */

export const HARDENED_OFFSET = 0x80000000;

export interface ExtendedKeyVersions {
  private: number;
  public: number;
}

/** Serialization versions of mainnet Bitcoin, kept unchanged by the reference. */
export const BIP32_VERSIONS: ExtendedKeyVersions = { private: 0x0488ade4, public: 0x0488b21e };

const MASTER_HMAC_KEY = Buffer.from('Bitcoin seed', 'ascii');
const SERIALIZED_LENGTH = 78;
const MIN_SEED_BYTES = 16;
const MAX_SEED_BYTES = 64;

export class HDKey {
  private constructor(
    readonly depth: number,
    readonly parentFingerprint: number,
    /** Child number, HARDENED_OFFSET set for hardened children. */
    readonly index: number,
    readonly chainCode: Buffer,
    /** 32-byte private key, or null for a public-only (neutered) key. */
    readonly privateKey: Buffer | null,
    /** 33-byte compressed public key. */
    readonly publicKey: Buffer,
    private readonly backend: Secp256k1Backend,
  ) {}

  /** Master key of a seed (16..64 bytes, BIP32). */
  static fromSeed(seed: Uint8Array, backend: Secp256k1Backend = getSecp256k1()): HDKey {
    if (seed.length < MIN_SEED_BYTES || seed.length > MAX_SEED_BYTES) {
      throw new KeyError('BAD_LENGTH', `seed must be ${MIN_SEED_BYTES}..${MAX_SEED_BYTES} bytes`);
    }
    const I = hmacSha512(MASTER_HMAC_KEY, seed);
    const key = Buffer.from(I.subarray(0, 32));
    if (!isValidScalar(key)) throw new KeyError('INVALID_CHILD', 'seed gives an invalid master key');
    return new HDKey(0, 0, 0, Buffer.from(I.subarray(32)), key, Buffer.from(backend.publicKeyCreate(key, true)), backend);
  }

  /** Parse an xprv or xpub (Base58Check, 78 bytes). Fails with a KeyError. */
  static fromExtendedKey(text: string, versions: ExtendedKeyVersions = BIP32_VERSIONS, backend: Secp256k1Backend = getSecp256k1()): HDKey {
    let data: Buffer;
    try {
      data = base58CheckDecode(text);
    } catch (err) {
      if (isCodecError(err) && err.code === 'BAD_CHECKSUM') throw new KeyError('BAD_CHECKSUM', 'extended key checksum mismatch');
      throw new KeyError('BAD_ENCODING', 'extended key is not valid base58check');
    }
    if (data.length !== SERIALIZED_LENGTH) throw new KeyError('BAD_ENCODING', `extended key must be ${SERIALIZED_LENGTH} bytes`);
    const version = data.readUInt32BE(0);
    const depth = data[4];
    const parentFingerprint = data.readUInt32BE(5);
    const index = data.readUInt32BE(9);
    const chainCode = Buffer.from(data.subarray(13, 45));
    const keyData = data.subarray(45, 78);
    if (depth === 0 && (parentFingerprint !== 0 || index !== 0)) {
      throw new KeyError('BAD_ENCODING', 'a depth-0 key must have zero parent fingerprint and index');
    }
    if (version === versions.private) {
      if (keyData[0] !== 0x00) throw new KeyError('BAD_ENCODING', 'private key data must start with 0x00');
      const privateKey = Buffer.from(keyData.subarray(1));
      if (!isValidScalar(privateKey)) throw new KeyError('BAD_KEY', 'private key outside 1..n-1');
      return new HDKey(depth, parentFingerprint, index, chainCode, privateKey, Buffer.from(backend.publicKeyCreate(privateKey, true)), backend);
    }
    if (version === versions.public) {
      if (keyData[0] !== 0x02 && keyData[0] !== 0x03) throw new KeyError('BAD_KEY', 'public key must be compressed');
      const publicKey = backend.publicKeyConvert(keyData, true);
      if (!publicKey) throw new KeyError('BAD_KEY', 'public key is not a curve point');
      return new HDKey(depth, parentFingerprint, index, chainCode, null, Buffer.from(publicKey), backend);
    }
    throw new KeyError('BAD_VERSION', `unknown extended key version 0x${version.toString(16).padStart(8, '0')}`);
  }

  /** hash160 of the compressed public key (the key id). */
  get identifier(): Buffer {
    return hash160(this.publicKey);
  }

  /** First 4 bytes of the identifier, as a big-endian number. */
  get fingerprint(): number {
    return this.identifier.readUInt32BE(0);
  }

  get isHardened(): boolean {
    return this.index >= HARDENED_OFFSET;
  }

  /**
   * Child `index` (add HARDENED_OFFSET, or use deriveHardened, for a
   * hardened child). A private key derives private children; a public key
   * derives only non-hardened public children.
   */
  derive(index: number): HDKey {
    if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) throw new KeyError('BAD_ENCODING', `child index ${index} out of range`);
    if (this.depth === 0xff) throw new KeyError('BAD_LENGTH', 'depth 255 is the deepest a serialized key can be');
    const hardened = index >= HARDENED_OFFSET;
    const data = Buffer.alloc(37);
    if (hardened) {
      if (!this.privateKey) throw new KeyError('HARDENED_FROM_PUBLIC', 'hardened derivation needs the private key');
      // 0x00 ‖ k_par ‖ ser32(i)
      this.privateKey.copy(data, 1);
    } else {
      // serP(K_par) ‖ ser32(i)
      this.publicKey.copy(data, 0);
    }
    data.writeUInt32BE(index, 33);
    const I = hmacSha512(this.chainCode, data);
    const tweak = I.subarray(0, 32);
    const chainCode = Buffer.from(I.subarray(32));
    if (this.privateKey) {
      const childKey = this.backend.privateKeyTweakAdd(this.privateKey, tweak);
      if (!childKey) throw new KeyError('INVALID_CHILD', `child ${index} is invalid (IL ≥ n or zero key)`);
      const key = Buffer.from(childKey);
      return new HDKey(this.depth + 1, this.fingerprint, index, chainCode, key, Buffer.from(this.backend.publicKeyCreate(key, true)), this.backend);
    }
    const childPub = this.backend.publicKeyTweakAdd(this.publicKey, tweak, true);
    if (!childPub) throw new KeyError('INVALID_CHILD', `child ${index} is invalid (IL ≥ n or point at infinity)`);
    return new HDKey(this.depth + 1, this.fingerprint, index, chainCode, null, Buffer.from(childPub), this.backend);
  }

  deriveHardened(index: number): HDKey {
    if (!Number.isInteger(index) || index < 0 || index >= HARDENED_OFFSET) throw new KeyError('BAD_ENCODING', `hardened index ${index} out of range`);
    return this.derive(index + HARDENED_OFFSET);
  }

  /** Derive a path such as "m/0/1'" (or "0/1h" relative to this key); "m" is only allowed at depth 0. */
  derivePath(path: string): HDKey {
    const parts = path.trim().split('/');
    let key: HDKey = this;
    let start = 0;
    if (parts[0] === 'm' || parts[0] === 'M') {
      if (this.depth !== 0) throw new KeyError('BAD_ENCODING', `"m/" paths start at a master key, this key has depth ${this.depth}`);
      start = 1;
    }
    for (const part of parts.slice(start)) {
      const match = /^(\d+)(['hH]?)$/.exec(part);
      if (!match) throw new KeyError('BAD_ENCODING', `bad path element '${part}' in '${path}'`);
      const n = Number(match[1]);
      key = match[2] ? key.deriveHardened(n) : key.derive(n);
    }
    return key;
  }

  /** The public-only key. */
  neuter(): HDKey {
    return new HDKey(this.depth, this.parentFingerprint, this.index, this.chainCode, null, this.publicKey, this.backend);
  }

  private serialize(version: number, keyData: Buffer): string {
    const out = Buffer.alloc(SERIALIZED_LENGTH);
    out.writeUInt32BE(version >>> 0, 0);
    out[4] = this.depth;
    out.writeUInt32BE(this.parentFingerprint >>> 0, 5);
    out.writeUInt32BE(this.index >>> 0, 9);
    this.chainCode.copy(out, 13);
    keyData.copy(out, 45);
    return base58CheckEncode(out);
  }

  toXprv(versions: ExtendedKeyVersions = BIP32_VERSIONS): string {
    if (!this.privateKey) throw new KeyError('BAD_KEY', 'a public-only key has no xprv');
    return this.serialize(versions.private, Buffer.concat([Buffer.from([0]), this.privateKey]));
  }

  toXpub(versions: ExtendedKeyVersions = BIP32_VERSIONS): string {
    return this.serialize(versions.public, this.publicKey);
  }
}
