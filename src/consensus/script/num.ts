/**
 * CScriptNum as the interpreter uses it (src/lib/consensus/clone/script/script.h):
 * little-endian sign-magnitude, at most 4 bytes as an operand (5 for
 * CHECKLOCKTIMEVERIFY / CHECKSEQUENCEVERIFY), minimal encoding only required
 * under MINIMALDATA. Values fit a JS number exactly: operands are below 2^39
 * and results of ADD/SUB on 4-byte operands below 2^32.
 */

export const DEFAULT_MAX_NUM_SIZE = 4;
export const LOCKTIME_MAX_NUM_SIZE = 5;

export type ScriptNumFailure = 'SCRIPTNUM_OVERFLOW' | 'SCRIPTNUM_MINIMAL';

/** Raised inside the interpreter and turned into a ScriptError there, never outside it. */
export class ScriptNumError extends Error {
  constructor(readonly code: ScriptNumFailure) {
    super(code === 'SCRIPTNUM_OVERFLOW' ? 'script number overflow' : 'non-minimally encoded script number');
  }
}

/** True when the encoding is the shortest one for its value (negative zero is not). */
export function isMinimalScriptNum(data: Uint8Array): boolean {
  if (data.length === 0) return true;
  const last = data[data.length - 1];
  if ((last & 0x7f) !== 0) return true;
  return data.length > 1 && (data[data.length - 2] & 0x80) !== 0;
}

/** Decode a stack element as a number; throws ScriptNumError as CScriptNum's constructor throws. */
export function decodeNum(data: Uint8Array, requireMinimal: boolean, maxSize: number = DEFAULT_MAX_NUM_SIZE): number {
  const n = data.length;
  if (n > maxSize) throw new ScriptNumError('SCRIPTNUM_OVERFLOW');
  if (n === 0) return 0;
  if (requireMinimal && !isMinimalScriptNum(data)) throw new ScriptNumError('SCRIPTNUM_MINIMAL');
  let magnitude = 0;
  let scale = 1;
  for (let i = 0; i < n - 1; i++) {
    magnitude += data[i] * scale;
    scale *= 256;
  }
  const last = data[n - 1];
  magnitude += (last & 0x7f) * scale;
  return last & 0x80 ? -magnitude : magnitude;
}

/** Minimal encoding of an integer (CScriptNum::serialize); zero and negative zero are empty. */
export function encodeNum(value: number): Buffer {
  if (value === 0) return EMPTY;
  const negative = value < 0;
  let magnitude = negative ? -value : value;
  const bytes: number[] = [];
  while (magnitude > 0) {
    bytes.push(magnitude % 256);
    magnitude = Math.floor(magnitude / 256);
  }
  if (bytes[bytes.length - 1] & 0x80) bytes.push(negative ? 0x80 : 0x00);
  else if (negative) bytes[bytes.length - 1] |= 0x80;
  return Buffer.from(bytes);
}

const EMPTY = Buffer.alloc(0);

/** CastToBool: any non-zero byte is true, except a lone sign bit in the last byte (negative zero). */
export function castToBool(data: Uint8Array): boolean {
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== 0) return !(i === data.length - 1 && data[i] === 0x80);
  }
  return false;
}

/** CScriptNum::getint: clamp to the int range. */
export function clampInt32(value: number): number {
  if (value > 0x7fffffff) return 0x7fffffff;
  if (value < -0x80000000) return -0x80000000;
  return value;
}
