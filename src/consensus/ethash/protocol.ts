import type { EthashErrorCode } from './errors.js';
import type { EpochFileKind } from './cache-file.js';

/**
 * Messages between the main thread and the Ethash worker threads
 * (worker.ts). Jobs carry an `id`; the worker answers each with exactly one
 * `done` or `failed`, possibly preceded by `progress` messages.
 */

/** Bytes per precheck output record: seal hash 32 ‖ nonce low u32 LE ‖ nonce high u32 LE ‖ mix 32. */
export const SEAL_RECORD_BYTES = 72;

/**
 * Layout of a search's control block, a 16-byte SharedArrayBuffer shared by
 * all its slices: two Int32 flags, then a BigInt64 chunk counter.
 */
export const SEARCH_CONTROL = {
  /** Int32 index: set to 1 to stop every slice of the search. */
  STOP: 0,
  /** Int32 index: the first worker to find a solution flips it from 0 to 1. */
  FOUND: 1,
  /** Byte offset of the BigInt64 "next chunk of nonces to claim" counter. */
  CHUNK_COUNTER_OFFSET: 8,
  BYTES: 16,
} as const;

export type AttachMessage =
  | { type: 'attach-cache'; epoch: number; buffer: SharedArrayBuffer; datasetBytes: number }
  | { type: 'drop-cache'; epoch: number }
  | { type: 'attach-dataset'; epoch: number; buffer: SharedArrayBuffer }
  | { type: 'drop-dataset'; epoch: number };

export type JobRequest =
  /** Cache-free checks of raw 148-byte headers; returns codes and seal records. */
  | { type: 'precheck'; headers: Uint8Array }
  /** Light hashes of seal records against an attached cache; returns codes. */
  | { type: 'light'; epoch: number; seals: Uint8Array }
  /** One time-boxed slice of a nonce search. */
  | {
      type: 'search';
      mode: 'light' | 'full';
      epoch: number;
      sealHash: Uint8Array;
      boundary: Uint8Array;
      startNonce: bigint;
      maxHashes: number;
      chunkSize: number;
      control: SharedArrayBuffer;
      sliceMs: number;
    }
  /** Dataset items [first, first + count) of an attached cache into `dataset`. */
  | { type: 'dataset-items'; epoch: number; dataset: SharedArrayBuffer; first: number; count: number }
  /** Generate a cache; optionally persist it (temp file + rename). */
  | { type: 'generate-cache'; epoch: number; seed: Uint8Array; cacheBytes: number; path: string | null; tempPath: string | null }
  /** Read and check a persisted cache/DAG. */
  | { type: 'load-file'; path: string; kind: EpochFileKind; epoch: number; payloadBytes: number }
  /** Digest and persist an in-memory image (a freshly built DAG). */
  | { type: 'write-file'; path: string; tempPath: string; kind: EpochFileKind; epoch: number; buffer: SharedArrayBuffer }
  /** Optimise the hot functions before real work (sent to each new pool worker). */
  | { type: 'warm-up' }
  /** Test hook: throw an uncaught exception, as a real crash would. */
  | { type: 'crash' };

export type PrecheckResult = { codes: Uint8Array; seals: Uint8Array };
export type LightResult = { codes: Uint8Array };
export type SearchSliceResult =
  | { state: 'found'; hashes: number; nonce: bigint; mix: Uint8Array; final: Uint8Array }
  | { state: 'stopped' | 'exhausted' | 'timeslice'; hashes: number };
export type DatasetItemsResult = { count: number };
export type GenerateCacheResult = { buffer: SharedArrayBuffer; digest: Uint8Array; persistError: string | null };
export type LoadFileResult = { buffer: SharedArrayBuffer; digest: Uint8Array };
export type WriteFileResult = { digest: Uint8Array };

export type WorkerRequest = AttachMessage | ({ id: number } & JobRequest);

export type WorkerReply =
  | { id: number; kind: 'progress'; fraction: number }
  | { id: number; kind: 'done'; result: unknown }
  | { id: number; kind: 'failed'; code: EthashErrorCode; message: string };
