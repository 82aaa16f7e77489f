import { EthashError } from './errors.js';
import { Keccak256 } from './keccak.js';
import { pushRlpInteger, pushRlpByteList } from '../rlp.js';

/**
 * The MVS side of Ethash (spec ethash.md §2, mvs-consensus.md §1.2–1.4): which
 * header bytes are sealed, how the nonce is fed, and the target from `bits`.
 */

/** The header fields covered by the seal (nonce and mixhash are not). */
export interface SealFields {
  version: number;
  /** Internal byte order. */
  prevHash: Uint8Array;
  /** Internal byte order. */
  merkleRoot: Uint8Array;
  timestamp: number;
  /** The raw 256-bit difficulty (not compact nBits). */
  bits: bigint;
  number: number;
}

const MAX_U256 = (1n << 256n) - 1n;

function checkU32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new EthashError('BAD_INPUT', `${what} must be a u32, got ${value}`);
}

function checkHash(hash: Uint8Array, what: string): void {
  if (!(hash instanceof Uint8Array) || hash.length !== 32) throw new EthashError('BAD_INPUT', `${what} must be 32 bytes`);
}

function checkBits(bits: bigint): void {
  if (typeof bits !== 'bigint' || bits < 0n || bits > MAX_U256) throw new EthashError('BAD_INPUT', 'bits must be a u256 bigint');
}

/**
 * The Keccak-256 preimage of the seal hash (`HeaderAux::hashHead`): the RLP
 * items version, bits, number, merkle, prev hash, timestamp simply
 * concatenated — no outer list header (spec §2.2).
 */
export function sealPreimage(header: SealFields): Buffer {
  checkU32(header.version, 'version');
  checkU32(header.number, 'number');
  checkU32(header.timestamp, 'timestamp');
  checkBits(header.bits);
  const out: number[] = [];
  pushRlpInteger(out, BigInt(header.version));
  pushRlpInteger(out, header.bits);
  pushRlpInteger(out, BigInt(header.number));
  checkHash(header.merkleRoot, 'merkle root');
  checkHash(header.prevHash, 'previous block hash');
  pushRlpByteList(out, header.merkleRoot);
  pushRlpByteList(out, header.prevHash);
  pushRlpInteger(out, BigInt(header.timestamp));
  return Buffer.from(out);
}

/** The 32-byte Ethash header hash ("seal hash") of an MVS header; what getwork hands out. */
export function sealHash(header: SealFields): Buffer {
  return new Keccak256().update(sealPreimage(header)).digest();
}

/**
 * The target: floor((2^256 − 1) / bits), and 0 when bits = 0
 * (`HeaderAux::boundary`; Ethereum's 2^256/d differs when bits is a power of two).
 */
export function boundary(bits: bigint): bigint {
  checkBits(bits);
  return bits === 0n ? 0n : MAX_U256 / bits;
}

/** A u256 as 32 big-endian bytes (e.g. a boundary for getwork or for `search`). */
export function u256ToBytes(value: bigint): Buffer {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_U256) throw new EthashError('BAD_INPUT', 'value must be a u256 bigint');
  return Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
}

/** The boundary of `bits` as 32 big-endian bytes. */
export function boundaryBytes(bits: bigint): Buffer {
  return u256ToBytes(boundary(bits));
}

/** 32 big-endian bytes as a bigint. */
export function bytesToU256(bytes: Uint8Array): bigint {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) throw new EthashError('BAD_INPUT', 'expected 32 bytes');
  return BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, 32).toString('hex'));
}

/**
 * The nonce as Ethash takes it: a u64 appended little-endian after the header
 * hash, i.e. words 8 (low half) and 9 (high half) of the seed input (spec §2.3).
 * The header stores the same value big-endian; nothing is reversed.
 */
export function nonceHalves(nonce: bigint): { low: number; high: number } {
  if (typeof nonce !== 'bigint' || nonce < 0n || nonce >= 1n << 64n) throw new EthashError('BAD_INPUT', 'nonce must be a u64 bigint');
  return { low: Number(nonce & 0xffffffffn) | 0, high: Number(nonce >> 32n) | 0 };
}

export function nonceFromHalves(low: number, high: number): bigint {
  return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
}
