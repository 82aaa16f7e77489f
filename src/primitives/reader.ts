import { CodecError } from './errors.js';

export interface ReaderOptions {
  /**
   * Accept non-minimal CompactSize encodings. The reference accepts them on
   * read, but re-serializes minimally before hashing (mvs-wire §2.3), so chain
   * data (transactions, blocks) must reject them; P2P envelope fields may not.
   */
  allowNonMinimalVarint?: boolean;
}

/**
 * Bounded little-endian reader over a byte buffer. Every read checks the
 * remaining length first, so truncated input raises CodecError('TRUNCATED')
 * and a count can never make the decoder allocate more than the input holds.
 */
export class BufferReader {
  readonly data: Buffer;
  offset: number;
  readonly end: number;
  private readonly allowNonMinimal: boolean;

  constructor(data: Uint8Array, offset = 0, end = data.length, options: ReaderOptions = {}) {
    this.data = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.offset = offset;
    this.end = end;
    this.allowNonMinimal = options.allowNonMinimalVarint ?? false;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.offset) {
      throw new CodecError('TRUNCATED', `truncated ${what}: need ${n} bytes at offset ${this.offset}, have ${this.end - this.offset}`);
    }
  }

  /** Throw unless every byte was consumed. */
  assertEnd(what = 'data'): void {
    if (this.offset !== this.end) {
      throw new CodecError('TRAILING_BYTES', `${this.end - this.offset} trailing bytes after ${what}`);
    }
  }

  u8(): number {
    this.need(1, 'u8');
    return this.data[this.offset++];
  }

  u16le(): number {
    this.need(2, 'u16');
    const v = this.data.readUInt16LE(this.offset);
    this.offset += 2;
    return v;
  }

  u16be(): number {
    this.need(2, 'u16');
    const v = this.data.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  u32le(): number {
    this.need(4, 'u32');
    const v = this.data.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  i32le(): number {
    this.need(4, 'i32');
    const v = this.data.readInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  u64le(): bigint {
    this.need(8, 'u64');
    const v = this.data.readBigUInt64LE(this.offset);
    this.offset += 8;
    return v;
  }

  i64le(): bigint {
    this.need(8, 'i64');
    const v = this.data.readBigInt64LE(this.offset);
    this.offset += 8;
    return v;
  }

  u64be(): bigint {
    this.need(8, 'u64');
    const v = this.data.readBigUInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  /** Unsigned big-endian integer of `n` bytes (the 256-bit header fields). */
  uintBE(n: number): bigint {
    this.need(n, `u${n * 8}`);
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(this.data[this.offset + i]);
    this.offset += n;
    return v;
  }

  /** A view (no copy) of the next `n` bytes. */
  bytes(n: number): Buffer {
    this.need(n, 'bytes');
    const v = this.data.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /**
   * A copy of the next `n` bytes, safe to keep after the input is reused.
   * (Into a buffer from Node's pool; hashes and scripts are copied byte by
   * byte, which costs less than the view Buffer.from(subarray) would build.)
   */
  copy(n: number): Buffer {
    this.need(n, 'bytes');
    const out = Buffer.allocUnsafe(n);
    const src = this.data;
    const at = this.offset;
    if (n <= 64) for (let i = 0; i < n; i++) out[i] = src[at + i];
    else src.copy(out, 0, at, at + n);
    this.offset += n;
    return out;
  }

  hash(): Buffer {
    return this.copy(32);
  }

  /** CompactSize as a safe JS number (values above 2^53 are rejected as oversize). */
  varint(): number {
    const first = this.u8();
    if (first < 0xfd) return first;
    let v: number;
    let min: number;
    if (first === 0xfd) {
      v = this.u16le();
      min = 0xfd;
    } else if (first === 0xfe) {
      v = this.u32le();
      min = 0x10000;
    } else {
      const big = this.u64le();
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new CodecError('OVERSIZE', `varint ${big} exceeds the safe range`);
      }
      v = Number(big);
      min = 0x100000000;
    }
    if (v < min && !this.allowNonMinimal) {
      throw new CodecError('NON_MINIMAL_VARINT', `non-minimal varint ${v} at offset ${this.offset}`);
    }
    return v;
  }

  /**
   * A count of items each at least `minItemSize` bytes long: rejected before
   * any allocation when the input cannot possibly hold that many.
   */
  count(minItemSize: number, what: string): number {
    const n = this.varint();
    if (n * minItemSize > this.end - this.offset) {
      throw new CodecError('OVERSIZE', `${what} count ${n} exceeds the remaining ${this.end - this.offset} bytes`);
    }
    return n;
  }

  /** varint length + bytes. */
  varBytes(what = 'bytes'): Buffer {
    const n = this.varint();
    if (n > this.end - this.offset) {
      throw new CodecError('TRUNCATED', `truncated ${what}: length ${n} exceeds the remaining ${this.end - this.offset} bytes`);
    }
    return this.copy(n);
  }

  /**
   * varint length + bytes decoded as a string. The reference truncates a
   * string at its first NUL and re-serializes the shorter form (mvs-wire §2.4),
   * which changes the hash of whatever holds it; such strings are rejected.
   */
  varString(what = 'string'): string {
    const raw = this.varBytes(what);
    if (raw.includes(0)) {
      throw new CodecError('NUL_IN_STRING', `${what} contains a NUL byte`);
    }
    return raw.toString('utf8');
  }

  /** As varString, but returns the raw bytes (for strings that must round-trip exactly). */
  varStringBytes(what = 'string'): Buffer {
    const raw = this.varBytes(what);
    if (raw.includes(0)) {
      throw new CodecError('NUL_IN_STRING', `${what} contains a NUL byte`);
    }
    return raw;
  }

  /** P2P-only: truncate at NUL like the reference instead of failing (user agents etc.). */
  varStringLenient(what = 'string'): string {
    const raw = this.varBytes(what);
    const nul = raw.indexOf(0);
    return (nul >= 0 ? raw.subarray(0, nul) : raw).toString('utf8');
  }
}
