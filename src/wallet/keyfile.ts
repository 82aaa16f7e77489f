import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { walletError } from './errors.js';

/**
 * The reference's JSON keyfile (mvs-rpc §2.6; dumpkeyfile.cpp / importkeyfile.cpp),
 * shared with the JS light wallet:
 *
 *   { version: "0.2.1", algo: "aes", index: <derived address count>,
 *     mnemonic: base64(CryptoJS AES of "\"<mnemonic>\""),
 *     multisigs: [{ m, n, s: self pubkey, d: description, k: [all pubkeys] }],
 *     scripts: [{ address, script, description }] }
 *
 * The cipher is CryptoJS's passphrase mode, i.e. OpenSSL `enc -aes-256-cbc -md
 * md5`: "Salted__" ‖ 8-byte salt ‖ AES-256-CBC/PKCS#7 ciphertext, key and IV
 * from EVP_BytesToKey(MD5, one round) over password ‖ salt.
 */

export const KEYFILE_VERSION = '0.2.1';
export const KEYFILE_ALGO = 'aes';

const SALTED_MAGIC = Buffer.from('Salted__', 'latin1');
const SALT_BYTES = 8;

export interface KeyfileMultisig {
  m: number;
  n: number;
  s: string;
  d: string;
  k: string[];
}

export interface KeyfileScript {
  address: string;
  /** Redeem script hex; empty for a watch-only address. */
  script: string;
  description: string;
}

export interface Keyfile {
  version: string;
  algo: string;
  index: number;
  mnemonic: string;
  multisigs: KeyfileMultisig[];
  scripts: KeyfileScript[];
}

/** OpenSSL EVP_BytesToKey with MD5 and one iteration: D_i = MD5(D_{i-1} ‖ password ‖ salt). */
export function evpBytesToKey(password: Uint8Array, salt: Uint8Array, keyBytes = 32, ivBytes = 16): { key: Buffer; iv: Buffer } {
  const blocks: Buffer[] = [];
  let total = 0;
  let previous = Buffer.alloc(0);
  while (total < keyBytes + ivBytes) {
    previous = createHash('md5').update(previous).update(password).update(salt).digest();
    blocks.push(previous);
    total += previous.length;
  }
  const all = Buffer.concat(blocks);
  return { key: all.subarray(0, keyBytes), iv: all.subarray(keyBytes, keyBytes + ivBytes) };
}

/** CryptoJS.AES.encrypt(text, password) in OpenSSL's salted format (raw bytes, not base64). */
export function cryptoJsEncrypt(plaintext: string, password: string, salt: Uint8Array = randomBytes(SALT_BYTES)): Buffer {
  if (salt.length !== SALT_BYTES) throw new RangeError('the CryptoJS salt is 8 bytes');
  const { key, iv } = evpBytesToKey(Buffer.from(password, 'utf8'), salt);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([SALTED_MAGIC, salt, cipher.update(plaintext, 'utf8'), cipher.final()]);
}

/** Inverse of cryptoJsEncrypt; null when the format, password or padding is wrong. */
export function cryptoJsDecrypt(data: Uint8Array, password: string): string | null {
  const raw = Buffer.from(data);
  if (raw.length < SALTED_MAGIC.length + SALT_BYTES + 16 || !raw.subarray(0, SALTED_MAGIC.length).equals(SALTED_MAGIC)) return null;
  const salt = raw.subarray(SALTED_MAGIC.length, SALTED_MAGIC.length + SALT_BYTES);
  const body = raw.subarray(SALTED_MAGIC.length + SALT_BYTES);
  if (body.length % 16 !== 0) return null;
  const { key, iv } = evpBytesToKey(Buffer.from(password, 'utf8'), salt);
  const decipher = createDecipheriv('aes-256-cbc', key, iv);
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return null;
  }
  const text = plain.toString('utf8');
  // A wrong password that happens to give valid padding yields bytes that are not UTF-8.
  return Buffer.from(text, 'utf8').equals(plain) ? text : null;
}

/** The keyfile's `mnemonic` field: the mnemonic in double quotes, encrypted and base64-encoded. */
export function encryptKeyfileMnemonic(mnemonic: string, password: string, salt?: Uint8Array): string {
  return cryptoJsEncrypt(`"${mnemonic}"`, password, salt).toString('base64');
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** The mnemonic from a keyfile `mnemonic` field; 6001 (encode) as the reference throws it. */
export function decryptKeyfileMnemonic(field: string, password: string): string {
  const compact = field.replace(/\s+/g, '');
  if (!BASE64_RE.test(compact) || compact.length % 4 !== 0) throw walletError('encode', 'keyfile mnemonic is not valid base64');
  const text = cryptoJsDecrypt(Buffer.from(compact, 'base64'), password);
  if (text === null) throw walletError('encode', 'Failed to decrypt mnemonic with password.');
  if (text.length < 2 || !text.startsWith('"') || !text.endsWith('"')) throw walletError('encode', 'decrypted mnemonic format error.');
  return text.slice(1, -1);
}

function fail(what: string): never {
  throw walletError('argument_legality', `invalid keyfile: ${what}`);
}

/**
 * Parse keyfile JSON (the reference reads `multisigs` leniently: a missing or
 * null list is empty; numbers may be strings because it reads them asString).
 */
export function parseKeyfile(text: string): Keyfile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    fail('not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('not a JSON object');
  const o = doc as Record<string, unknown>;
  if (typeof o.mnemonic !== 'string' || o.mnemonic.length === 0) fail('no mnemonic');
  const index = toCount(o.index, 'index');
  const multisigs = listOf(o.multisigs, 'multisigs').map((m, i) => {
    if (typeof m !== 'object' || m === null) fail(`multisigs[${i}] is not an object`);
    const r = m as Record<string, unknown>;
    const keys = listOf(r.k, `multisigs[${i}].k`).map((k) => (typeof k === 'string' ? k : fail(`multisigs[${i}].k holds a non-string`)));
    return { m: toCount(r.m, `multisigs[${i}].m`), n: toCount(r.n, `multisigs[${i}].n`), s: str(r.s), d: str(r.d), k: keys };
  });
  const scripts = listOf(o.scripts, 'scripts').map((s, i) => {
    if (typeof s !== 'object' || s === null) fail(`scripts[${i}] is not an object`);
    const r = s as Record<string, unknown>;
    return { address: str(r.address), script: str(r.script), description: str(r.description) };
  });
  return { version: str(o.version), algo: str(o.algo), index, mnemonic: o.mnemonic, multisigs, scripts };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

function listOf(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(`${what} is not a list`);
  return v;
}

function toCount(v: unknown, what: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) fail(`${what} is not a count`);
  return n;
}

/** The keyfile as the reference writes it (jsoncpp toStyledString: 3-space indent). */
export function formatKeyfile(keyfile: Keyfile): string {
  return JSON.stringify(keyfile, null, 3) + '\n';
}
