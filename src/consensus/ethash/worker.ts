import { parentPort } from 'node:worker_threads';
import { BlockHeader, HEADER_SIZE } from '../../primitives/header.js';
import {
  boundaryWords,
  bytesToWords,
  fillDatasetItems,
  generateCache,
  hashimotoFullWords,
  hashimotoLightWords,
  isAtOrBelowBoundary,
} from './algorithm.js';
import { digestWords, readEpochFile, writeEpochFile } from './cache-file.js';
import { EthashError, isEthashError } from './errors.js';
import { SEAL_RECORD_BYTES, SEARCH_CONTROL } from './protocol.js';
import type {
  DatasetItemsResult,
  GenerateCacheResult,
  JobRequest,
  LightResult,
  LoadFileResult,
  PrecheckResult,
  SearchSliceResult,
  WorkerReply,
  WorkerRequest,
  WriteFileResult,
} from './protocol.js';
import { codeOfResult, precheckHeader, RESULT_CODE } from './verify.js';
import type { CacheView } from './verify.js';

/**
 * Ethash worker thread: light verification, nonce search and dataset items
 * for the pool, and cache generation / file I/O for the cache managers.
 * Caches and DAGs arrive once per epoch as SharedArrayBuffers (attach-*) and
 * are only read here, except the dataset a `dataset-items` job fills.
 */

if (!parentPort) throw new Error('ethash worker.js must run in a worker thread');
const port = parentPort;

const caches = new Map<number, CacheView>();
const datasets = new Map<number, Int32Array>();

function post(reply: WorkerReply): void {
  port.postMessage(reply);
}

function cacheFor(epoch: number): CacheView {
  const cache = caches.get(epoch);
  if (!cache) throw new EthashError('WORKER_FAILED', `no cache attached for epoch ${epoch}`);
  return cache;
}

function datasetFor(epoch: number): Int32Array {
  const dataset = datasets.get(epoch);
  if (!dataset) throw new EthashError('WORKER_FAILED', `no dataset attached for epoch ${epoch}`);
  return dataset;
}

function precheck(headers: Uint8Array): PrecheckResult {
  if (headers.length % HEADER_SIZE !== 0) throw new EthashError('BAD_INPUT', 'precheck input is not whole headers');
  const count = headers.length / HEADER_SIZE;
  const codes = new Uint8Array(count);
  const seals = new Uint8Array(count * SEAL_RECORD_BYTES);
  const sealView = new DataView(seals.buffer);
  for (let i = 0; i < count; i++) {
    const header = BlockHeader.fromRaw(headers.subarray(i * HEADER_SIZE, (i + 1) * HEADER_SIZE));
    const pre = precheckHeader(header);
    if (pre.result) {
      codes[i] = codeOfResult(pre.result);
      continue;
    }
    const at = i * SEAL_RECORD_BYTES;
    seals.set(new Uint8Array(pre.seal.sealWords.buffer, 0, 32), at);
    sealView.setInt32(at + 32, pre.seal.nonceLow, true);
    sealView.setInt32(at + 36, pre.seal.nonceHigh, true);
    seals.set(new Uint8Array(pre.seal.mixWords.buffer, 0, 32), at + 40);
    codes[i] = RESULT_CODE.OK;
  }
  return { codes, seals };
}

const hashOut = new Int32Array(16);

function light(epoch: number, seals: Uint8Array): LightResult {
  const cache = cacheFor(epoch);
  if (seals.length % SEAL_RECORD_BYTES !== 0) throw new EthashError('BAD_INPUT', 'light input is not whole seal records');
  const count = seals.length / SEAL_RECORD_BYTES;
  // Records are 72 bytes = 18 words, so an aligned word view reads every field.
  const words = new Int32Array(seals.buffer, seals.byteOffset, seals.length / 4);
  const codes = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * (SEAL_RECORD_BYTES / 4);
    hashimotoLightWords(cache.words, cache.datasetBytes, words, at, words[at + 8], words[at + 9], hashOut, 0);
    let same = true;
    for (let w = 0; w < 8; w++) if (hashOut[w] !== words[at + 10 + w]) same = false;
    codes[i] = same ? RESULT_CODE.OK : RESULT_CODE.MIX_MISMATCH;
  }
  return { codes };
}

function search(job: Extract<JobRequest, { type: 'search' }>): SearchSliceResult {
  const flags = new Int32Array(job.control, 0, 2);
  const chunkCounter = new BigInt64Array(job.control, SEARCH_CONTROL.CHUNK_COUNTER_OFFSET, 1);
  const header = bytesToWords(job.sealHash, 'seal hash');
  // One hash of (header, nonce) into hashOut: mix digest words 0..7, final hash 8..15.
  let hash: (low: number, high: number) => void;
  if (job.mode === 'light') {
    const cache = cacheFor(job.epoch);
    hash = (low, high) => hashimotoLightWords(cache.words, cache.datasetBytes, header, 0, low, high, hashOut, 0);
  } else {
    const dataset = datasetFor(job.epoch);
    hash = (low, high) => hashimotoFullWords(dataset, header, 0, low, high, hashOut, 0);
  }
  const target = boundaryWords(job.boundary);
  const deadline = performance.now() + job.sliceMs;
  let hashes = 0;
  for (;;) {
    if (Atomics.load(flags, SEARCH_CONTROL.STOP) !== 0) return { state: 'stopped', hashes };
    if (performance.now() >= deadline) return { state: 'timeslice', hashes };
    // Slices of all workers claim chunks of nonces from the shared counter.
    const chunk = Number(Atomics.add(chunkCounter, 0, 1n));
    const first = chunk * job.chunkSize;
    if (first >= job.maxHashes) return { state: 'exhausted', hashes };
    const end = Math.min(first + job.chunkSize, job.maxHashes);
    const nonce = BigInt.asUintN(64, job.startNonce + BigInt(first));
    let low = Number(nonce & 0xffffffffn) | 0;
    let high = Number(nonce >> 32n) | 0;
    for (let offset = first; offset < end; offset++) {
      hash(low, high);
      hashes++;
      if (isAtOrBelowBoundary(hashOut, 8, target)) {
        if (Atomics.compareExchange(flags, SEARCH_CONTROL.FOUND, 0, 1) === 0) {
          Atomics.store(flags, SEARCH_CONTROL.STOP, 1);
          const found = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
          const bytes = new Uint8Array(hashOut.buffer.slice(0, 64));
          return { state: 'found', hashes, nonce: found, mix: bytes.slice(0, 32), final: bytes.slice(32, 64) };
        }
        return { state: 'stopped', hashes };
      }
      low = (low + 1) | 0;
      if (low === 0) high = (high + 1) | 0;
      if (Atomics.load(flags, SEARCH_CONTROL.STOP) !== 0) return { state: 'stopped', hashes };
    }
  }
}

function datasetItems(job: Extract<JobRequest, { type: 'dataset-items' }>): DatasetItemsResult {
  const cache = cacheFor(job.epoch);
  const dataset = new Int32Array(job.dataset);
  fillDatasetItems(cache.words, dataset, job.first, job.count);
  return { count: job.count };
}

function generate(id: number, job: Extract<JobRequest, { type: 'generate-cache' }>): GenerateCacheResult {
  const buffer = new SharedArrayBuffer(job.cacheBytes);
  const words = new Int32Array(buffer);
  generateCache(job.seed, words, (fraction) => post({ id, kind: 'progress', fraction }));
  const digest = digestWords(words);
  let persistError: string | null = null;
  if (job.path && job.tempPath) {
    try {
      writeEpochFile(job.path, job.tempPath, 'cache', job.epoch, new Uint8Array(buffer), digest);
    } catch (err) {
      persistError = (err as Error).message;
    }
  }
  return { buffer, digest, persistError };
}

/**
 * Runs the hot functions on a tiny synthetic cache so that V8 has optimised
 * them (~0.3 s of interpreted hashing) before the first real job; otherwise
 * the first few light hashes of each new worker are ~10x slower.
 */
function warmUp(): void {
  const cache = new Int32Array(64 * 16);
  generateCache(new Uint8Array(32), cache);
  const header = new Int32Array(8);
  const fullSize = 128 * 127;
  for (let nonce = 0; nonce < 12; nonce++) hashimotoLightWords(cache, fullSize, header, 0, nonce, 0, hashOut, 0);
}

/** Runs a job; `null` means no reply (the crash hook). */
function run(id: number, job: JobRequest): { result: unknown } | null {
  switch (job.type) {
    // Results are copied, never transferred: detaching any ArrayBuffer trips V8's
    // "ArrayBufferDetaching" protector and deoptimises the hot typed-array code
    // of this thread (measured: seconds of slow re-optimisation per worker).
    case 'precheck':
      return { result: precheck(job.headers) };
    case 'light':
      return { result: light(job.epoch, job.seals) };
    case 'warm-up':
      warmUp();
      return { result: null };
    case 'search':
      return { result: search(job) };
    case 'dataset-items':
      return { result: datasetItems(job) };
    case 'generate-cache':
      return { result: generate(id, job) };
    case 'load-file': {
      const loaded = readEpochFile(job.path, job);
      const result: LoadFileResult = { buffer: loaded.buffer, digest: loaded.digest };
      return { result };
    }
    case 'write-file': {
      const words = new Int32Array(job.buffer);
      const digest = digestWords(words);
      writeEpochFile(job.path, job.tempPath, job.kind, job.epoch, new Uint8Array(job.buffer), digest);
      const result: WriteFileResult = { digest };
      return { result };
    }
    case 'crash':
      setTimeout(() => {
        throw new Error('ethash worker crash requested by a test');
      });
      return null;
  }
}

port.on('message', (message: WorkerRequest) => {
  switch (message.type) {
    case 'attach-cache':
      caches.set(message.epoch, { epoch: message.epoch, words: new Int32Array(message.buffer), datasetBytes: message.datasetBytes });
      return;
    case 'drop-cache':
      caches.delete(message.epoch);
      return;
    case 'attach-dataset':
      datasets.set(message.epoch, new Int32Array(message.buffer));
      return;
    case 'drop-dataset':
      datasets.delete(message.epoch);
      return;
  }
  const { id } = message;
  try {
    const outcome = run(id, message);
    if (outcome) post({ id, kind: 'done', result: outcome.result });
  } catch (err) {
    const code = isEthashError(err) ? err.code : 'WORKER_FAILED';
    post({ id, kind: 'failed', code, message: (err as Error).message ?? String(err) });
  }
});
