/**
 * Growable little-endian writer. Encoders that know their size up front pass
 * it as `initialSize` so the common path writes into one allocation.
 */
export class BufferWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialSize));
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u16le(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u16be(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u32le(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  i32le(v: number): this {
    this.ensure(4);
    this.buf.writeInt32LE(v | 0, this.pos);
    this.pos += 4;
    return this;
  }

  u64le(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
    return this;
  }

  i64le(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64LE(BigInt.asIntN(64, v), this.pos);
    this.pos += 8;
    return this;
  }

  u64be(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
    return this;
  }

  /** Unsigned big-endian integer into exactly `n` bytes (caller guarantees the range). */
  uintBE(v: bigint, n: number): this {
    this.ensure(n);
    for (let i = n - 1; i >= 0; i--) {
      this.buf[this.pos + i] = Number(v & 0xffn);
      v >>= 8n;
    }
    this.pos += n;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    return this;
  }

  /**
   * Bytes [start, end) of `src`, without making a view of them: short ranges
   * are copied byte by byte, which costs less than building a subarray.
   */
  range(src: Uint8Array, start: number, end: number): this {
    const n = end - start;
    if (n < 0 || start < 0 || end > src.length) throw new RangeError(`range [${start}, ${end}) outside ${src.length} bytes`);
    this.ensure(n);
    const buf = this.buf;
    const at = this.pos;
    if (n <= 64) for (let i = 0; i < n; i++) buf[at + i] = src[start + i];
    else buf.set(src.subarray(start, end), at);
    this.pos += n;
    return this;
  }

  /** Minimal CompactSize. */
  varint(n: number): this {
    if (n < 0xfd) return this.u8(n);
    if (n <= 0xffff) return this.u8(0xfd).u16le(n);
    if (n <= 0xffffffff) return this.u8(0xfe).u32le(n);
    return this.u8(0xff).u64le(BigInt(n));
  }

  varBytes(data: Uint8Array): this {
    return this.varint(data.length).bytes(data);
  }

  varString(s: string): this {
    return this.varBytes(Buffer.from(s, 'utf8'));
  }

  /** The written bytes (a view of the internal buffer when it is exactly full, else a copy). */
  finish(): Buffer {
    if (this.pos === this.buf.length) return this.buf;
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

export function varintSize(n: number): number {
  if (n < 0xfd) return 1;
  if (n <= 0xffff) return 3;
  if (n <= 0xffffffff) return 5;
  return 9;
}
