import { BufferReader } from './reader.js';
import { BufferWriter } from './writer.js';
import { CodecError } from './errors.js';
import { fromHex, hashToHex, ZERO_HASH } from './hex.js';
import { sha256d } from '../crypto/hash.js';

export const HEADER_SIZE = 148;
const MAX_U256 = (1n << 256n) - 1n;

export const BLOCK_VERSION = { POW: 1, POS: 2, DPOS: 3 } as const;

export interface HeaderFields {
  version: number;
  prevHash: Buffer;
  merkleRoot: Buffer;
  timestamp: number;
  bits: bigint;
  nonce: bigint;
  mixHash: Buffer;
  number: number;
}

/**
 * The 148-byte MVS block header (mvs-wire §4.1): version, prev, merkle,
 * timestamp as Bitcoin; then bits (u256 big-endian — the raw Ethash
 * difficulty, not a compact target), nonce (u64 big-endian), mixhash (32 raw
 * bytes) and number (u32 LE height). Block hash = dSHA256 of the 148 bytes.
 */
export class BlockHeader implements HeaderFields {
  version: number;
  /** Internal byte order. */
  prevHash: Buffer;
  /** Internal byte order. */
  merkleRoot: Buffer;
  timestamp: number;
  bits: bigint;
  nonce: bigint;
  /** The raw Ethash mix digest bytes. */
  mixHash: Buffer;
  number: number;
  private cachedHash: Buffer | null = null;

  constructor(f: HeaderFields) {
    if (f.bits < 0n || f.bits > MAX_U256) throw new CodecError('BAD_VALUE', 'bits out of range');
    if (f.nonce < 0n || f.nonce >= 1n << 64n) throw new CodecError('BAD_VALUE', 'nonce out of range');
    if (f.prevHash.length !== 32 || f.merkleRoot.length !== 32 || f.mixHash.length !== 32) {
      throw new CodecError('BAD_VALUE', 'header hashes must be 32 bytes');
    }
    this.version = f.version >>> 0;
    this.prevHash = f.prevHash;
    this.merkleRoot = f.merkleRoot;
    this.timestamp = f.timestamp >>> 0;
    this.bits = f.bits;
    this.nonce = f.nonce;
    this.mixHash = f.mixHash;
    this.number = f.number >>> 0;
  }

  static decode(r: BufferReader): BlockHeader {
    const start = r.offset;
    const h = new BlockHeader({
      version: r.u32le(),
      prevHash: r.hash(),
      merkleRoot: r.hash(),
      timestamp: r.u32le(),
      bits: r.uintBE(32),
      nonce: r.u64be(),
      mixHash: r.hash(),
      number: r.u32le(),
    });
    h.cachedHash = sha256d(r.data.subarray(start, start + HEADER_SIZE));
    return h;
  }

  static fromRaw(data: Uint8Array): BlockHeader {
    const r = new BufferReader(data);
    const h = BlockHeader.decode(r);
    r.assertEnd('header');
    return h;
  }

  static fromHex(hex: string): BlockHeader {
    return BlockHeader.fromRaw(fromHex(hex, 'header hex'));
  }

  encode(w: BufferWriter): void {
    w.u32le(this.version)
      .bytes(this.prevHash)
      .bytes(this.merkleRoot)
      .u32le(this.timestamp)
      .uintBE(this.bits, 32)
      .u64be(this.nonce)
      .bytes(this.mixHash)
      .u32le(this.number);
  }

  toRaw(): Buffer {
    const w = new BufferWriter(HEADER_SIZE);
    this.encode(w);
    return w.finish();
  }

  toHex(): string {
    return this.toRaw().toString('hex');
  }

  /** Block hash, internal byte order. */
  hash(): Buffer {
    if (!this.cachedHash) this.cachedHash = sha256d(this.toRaw());
    return this.cachedHash;
  }

  /** Block hash in display order. */
  hashHex(): string {
    return hashToHex(this.hash());
  }

  /** Drop the cached hash after editing fields (e.g. setting nonce/mixhash when mining). */
  invalidate(): void {
    this.cachedHash = null;
  }

  isPoW(): boolean {
    return this.version === BLOCK_VERSION.POW;
  }

  isPoS(): boolean {
    return this.version === BLOCK_VERSION.POS;
  }

  isDPoS(): boolean {
    return this.version === BLOCK_VERSION.DPOS;
  }

  /** mixhash as the reference prints it in JSON: the decimal of its big-endian value. */
  mixHashDecimal(): string {
    return BigInt('0x' + (this.mixHash.toString('hex') || '0')).toString(10);
  }

  clone(): BlockHeader {
    return BlockHeader.fromRaw(this.toRaw());
  }

  static empty(): BlockHeader {
    return new BlockHeader({
      version: 1,
      prevHash: ZERO_HASH,
      merkleRoot: ZERO_HASH,
      timestamp: 0,
      bits: 0n,
      nonce: 0n,
      mixHash: ZERO_HASH,
      number: 0,
    });
  }
}
