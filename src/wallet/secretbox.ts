import { createCipheriv, createDecipheriv, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Encryption of wallet secrets at rest (docs/wallet.md "Storage and
 * encryption"). Deliberately stronger than the reference, which stores
 * SHA-256(password) and AES-encrypts with the password itself
 * (src/lib/bitcoin/chain/attachment/account/account.cpp):
 *
 *  - each account has a random 32-byte data key; the mnemonic and every
 *    private key are sealed with it (AES-256-GCM, random 96-bit IV, the
 *    purpose and owner bound in as associated data so blobs cannot be swapped);
 *  - the data key is sealed with a key derived from the password by scrypt
 *    (memory-hard; N ≥ 2^14, r = 8, p = 1, random 16-byte salt);
 *  - checking a password IS opening the data key: the GCM tag fails for a
 *    wrong password. No password hash is stored anywhere.
 *
 * changepasswd re-seals only the data key.
 */

export interface KdfParams {
  alg: 'scrypt';
  /** CPU/memory cost, a power of two ≥ MIN_KDF_COST. */
  N: number;
  r: number;
  p: number;
  /** Hex salt. */
  salt: string;
}

export type KdfCost = Pick<KdfParams, 'N' | 'r' | 'p'>;

/** The floor the wallet accepts: scrypt N = 2^14 with r = 8 uses 16 MiB. */
export const MIN_KDF_COST = 1 << 14;
/** Default cost: 32 MiB and ~0.1 s per derivation on a 2020s core. */
export const DEFAULT_KDF_COST: KdfCost = { N: 1 << 15, r: 8, p: 1 };

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SALT_BYTES = 16;

export function checkKdfCost(cost: KdfCost): void {
  const { N, r, p } = cost;
  if (!Number.isInteger(N) || N < MIN_KDF_COST || (N & (N - 1)) !== 0) throw new RangeError(`scrypt N must be a power of two ≥ ${MIN_KDF_COST}`);
  if (!Number.isInteger(r) || r < 1 || !Number.isInteger(p) || p < 1) throw new RangeError('scrypt r and p must be positive integers');
}

export function newKdfParams(cost: KdfCost): KdfParams {
  checkKdfCost(cost);
  return { alg: 'scrypt', N: cost.N, r: cost.r, p: cost.p, salt: randomBytes(SALT_BYTES).toString('hex') };
}

/** The password's key-encryption key (scrypt in the libuv pool, so the event loop keeps running). */
export function deriveKey(password: string, params: KdfParams): Promise<Buffer> {
  if (params.alg !== 'scrypt') return Promise.reject(new Error(`unknown key derivation '${String(params.alg)}'`));
  checkKdfCost(params);
  const salt = Buffer.from(params.salt, 'hex');
  // scrypt needs 128·N·r bytes; allow that plus headroom.
  const maxmem = 256 * params.N * params.r + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(Buffer.from(password, 'utf8'), salt, KEY_BYTES, { N: params.N, r: params.r, p: params.p, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** AES-256-GCM: hex of iv ‖ tag ‖ ciphertext. `aad` names what is sealed and for whom. */
export function seal(key: Buffer, plaintext: Uint8Array, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('hex');
}

/** The plaintext, or null when the key is wrong or the blob was altered. */
export function open(key: Buffer, sealed: string, aad: string): Buffer | null {
  const raw = Buffer.from(sealed, 'hex');
  if (raw.length < IV_BYTES + TAG_BYTES) return null;
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return null;
  }
}

/** Constant-time equality of two strings' UTF-8 bytes (last-word checks). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
