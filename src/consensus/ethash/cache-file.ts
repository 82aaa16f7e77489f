import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { EthashError } from './errors.js';
import { Keccak256 } from './keccak.js';
import { ETHASH_REVISION } from './params.js';

/**
 * On-disk format of persisted epoch caches and DAGs (synchronous: used inside
 * worker threads only).
 *
 *   offset 0   8 B  magic "MVSETHC1" (cache) or "MVSETHD1" (dataset)
 *          8   4 B  Ethash revision (23), u32 LE
 *         12   4 B  epoch, u32 LE
 *         16   8 B  payload bytes, u64 LE
 *         24  32 B  keccak256 of the payload
 *         56   8 B  zero
 *         64       payload: the cache/dataset image (little-endian words)
 *
 * The digest of a cache is the standard "light cache keccak256" (epoch 0:
 * 35ded12e…), so a file is checked against the same value the vectors give.
 * Every field is checked on load; any mismatch means the file is regenerated,
 * never trusted. Writes go to a temp file that is fsynced and renamed.
 */
export type EpochFileKind = 'cache' | 'dataset';

export const FILE_HEADER_BYTES = 64;
const MAGIC: Record<EpochFileKind, Buffer> = {
  cache: Buffer.from('MVSETHC1', 'latin1'),
  dataset: Buffer.from('MVSETHD1', 'latin1'),
};
const IO_CHUNK = 64 * 1024 * 1024;

/**
 * `<dir>/cache-R23-<first 8 hex of seed>` (geth's naming, spec §5.2), or
 * `full-R23-…` for a DAG. Non-standard test sizes get a `-<bytes>` suffix so
 * they can never be mistaken for real ones.
 */
export function epochFileName(kind: EpochFileKind, seed: Uint8Array, nonStandardBytes?: number): string {
  const prefix = kind === 'cache' ? 'cache' : 'full';
  const seedPrefix = Buffer.from(seed.buffer, seed.byteOffset, 4).toString('hex');
  return `${prefix}-R${ETHASH_REVISION}-${seedPrefix}${nonStandardBytes === undefined ? '' : `-${nonStandardBytes}`}`;
}

export function epochFilePath(dir: string, kind: EpochFileKind, seed: Uint8Array, nonStandardBytes?: number): string {
  return join(dir, epochFileName(kind, seed, nonStandardBytes));
}

export function digestWords(words: Int32Array): Buffer {
  return new Keccak256().update(new Uint8Array(words.buffer, words.byteOffset, words.byteLength)).digest();
}

function encodeHeader(kind: EpochFileKind, epoch: number, payloadBytes: number, digest: Uint8Array): Buffer {
  const header = Buffer.alloc(FILE_HEADER_BYTES);
  MAGIC[kind].copy(header, 0);
  header.writeUInt32LE(ETHASH_REVISION, 8);
  header.writeUInt32LE(epoch, 12);
  header.writeBigUInt64LE(BigInt(payloadBytes), 16);
  Buffer.from(digest).copy(header, 24);
  return header;
}

export interface EpochFileExpectation {
  kind: EpochFileKind;
  epoch: number;
  payloadBytes: number;
}

export interface LoadedEpochFile {
  buffer: SharedArrayBuffer;
  digest: Buffer;
}

function readFully(fd: number, target: Uint8Array, position: number): number {
  let done = 0;
  while (done < target.length) {
    const n = readSync(fd, target, done, Math.min(IO_CHUNK, target.length - done), position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/**
 * Reads and checks a persisted file into a new SharedArrayBuffer. Throws
 * CACHE_FILE_MISSING, CACHE_FILE_TRUNCATED or CACHE_FILE_CORRUPT.
 */
export function readEpochFile(path: string, expect: EpochFileExpectation): LoadedEpochFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new EthashError('CACHE_FILE_MISSING', `${path} does not exist`);
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    if (size < FILE_HEADER_BYTES) throw new EthashError('CACHE_FILE_TRUNCATED', `${path}: ${size} bytes, shorter than the header`);
    const header = Buffer.alloc(FILE_HEADER_BYTES);
    readFully(fd, header, 0);
    if (!header.subarray(0, 8).equals(MAGIC[expect.kind])) throw new EthashError('CACHE_FILE_CORRUPT', `${path}: bad magic`);
    const revision = header.readUInt32LE(8);
    const epoch = header.readUInt32LE(12);
    const payloadBytes = header.readBigUInt64LE(16);
    if (revision !== ETHASH_REVISION) throw new EthashError('CACHE_FILE_CORRUPT', `${path}: revision ${revision}, expected ${ETHASH_REVISION}`);
    if (epoch !== expect.epoch) throw new EthashError('CACHE_FILE_CORRUPT', `${path}: epoch ${epoch}, expected ${expect.epoch}`);
    if (payloadBytes !== BigInt(expect.payloadBytes)) {
      throw new EthashError('CACHE_FILE_CORRUPT', `${path}: ${payloadBytes} payload bytes, expected ${expect.payloadBytes}`);
    }
    if (size !== FILE_HEADER_BYTES + expect.payloadBytes) {
      throw new EthashError('CACHE_FILE_TRUNCATED', `${path}: ${size} bytes, expected ${FILE_HEADER_BYTES + expect.payloadBytes}`);
    }
    const buffer = new SharedArrayBuffer(expect.payloadBytes);
    const bytes = new Uint8Array(buffer);
    if (readFully(fd, bytes, FILE_HEADER_BYTES) !== expect.payloadBytes) throw new EthashError('CACHE_FILE_TRUNCATED', `${path}: short read`);
    const digest = new Keccak256().update(bytes).digest();
    if (!digest.equals(header.subarray(24, 56))) throw new EthashError('CACHE_FILE_CORRUPT', `${path}: digest mismatch`);
    return { buffer, digest };
  } finally {
    closeSync(fd);
  }
}

/** Writes header + payload to `tempPath`, fsyncs, and renames it to `path` (atomic on POSIX). */
export function writeEpochFile(path: string, tempPath: string, kind: EpochFileKind, epoch: number, payload: Uint8Array, digest: Uint8Array): void {
  const fd = openSync(tempPath, 'w');
  try {
    writeSync(fd, encodeHeader(kind, epoch, payload.length, digest));
    for (let done = 0; done < payload.length; ) {
      done += writeSync(fd, payload, done, Math.min(IO_CHUNK, payload.length - done));
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(tempPath);
    } catch {
      // nothing to clean up
    }
    throw err;
  }
  closeSync(fd);
  renameSync(tempPath, path);
}
