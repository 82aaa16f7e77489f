import { CodecError } from './errors.js';

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** Strict hex decode: even length, hex digits only (Buffer.from silently stops at bad digits). */
export function fromHex(hex: string, what = 'hex'): Buffer {
  if (typeof hex !== 'string' || !HEX_RE.test(hex)) {
    throw new CodecError('BAD_HEX', `invalid ${what}`);
  }
  return Buffer.from(hex, 'hex');
}

export function toHex(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
}

/** Reversed copy: internal (hash output) order <-> display order. */
export function reverse(data: Uint8Array): Buffer {
  const out = Buffer.from(data);
  out.reverse();
  return out;
}

/** Display-order hex of an internal-order hash (the way mvsd prints hashes). */
export function hashToHex(hash: Uint8Array): string {
  return reverse(hash).toString('hex');
}

/** Internal-order hash from display-order hex; must be exactly 32 bytes. */
export function hashFromHex(hex: string, what = 'hash'): Buffer {
  const b = fromHex(hex, what);
  if (b.length !== 32) throw new CodecError('BAD_HEX', `${what} must be 32 bytes`);
  return b.reverse();
}

export const ZERO_HASH: Buffer = Buffer.alloc(32);

export function isZeroHash(h: Uint8Array): boolean {
  for (let i = 0; i < h.length; i++) if (h[i] !== 0) return false;
  return true;
}
