import { sha256d } from '../crypto/hash.js';
import { CodecError } from './errors.js';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) INDEX[ALPHABET.charCodeAt(i)] = i;

export function base58Encode(data: Uint8Array): string {
  let zeros = 0;
  while (zeros < data.length && data[zeros] === 0) zeros++;
  let n = 0n;
  for (const b of data) n = (n << 8n) | BigInt(b);
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  return '1'.repeat(zeros) + out;
}

/** Decodes base58; inputs longer than `maxLength` characters are refused before any work. */
export function base58Decode(text: string, maxLength = 128): Buffer {
  if (typeof text !== 'string' || text.length === 0 || text.length > maxLength) {
    throw new CodecError('BAD_ENCODING', 'invalid base58 length');
  }
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros++;
  let n = 0n;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? INDEX[c] : -1;
    if (v < 0) throw new CodecError('BAD_ENCODING', 'invalid base58 character');
    n = n * 58n + BigInt(v);
  }
  const bytes: number[] = [];
  while (n > 0n) {
    bytes.push(Number(n & 0xffn));
    n >>= 8n;
  }
  bytes.reverse();
  return Buffer.concat([Buffer.alloc(zeros), Buffer.from(bytes)]);
}

export function base58CheckEncode(payload: Uint8Array): string {
  const check = sha256d(payload).subarray(0, 4);
  return base58Encode(Buffer.concat([payload, check]));
}

export function base58CheckDecode(text: string): Buffer {
  const raw = base58Decode(text);
  if (raw.length < 5) throw new CodecError('BAD_ENCODING', 'base58check payload too short');
  const payload = raw.subarray(0, raw.length - 4);
  const check = sha256d(payload).subarray(0, 4);
  if (!check.equals(raw.subarray(raw.length - 4))) {
    throw new CodecError('BAD_CHECKSUM', 'base58check checksum mismatch');
  }
  return Buffer.from(payload);
}
