import { availableParallelism } from 'node:os';
import { BlockHeader, HEADER_SIZE } from '../../primitives/header.js';
import { logger } from '../../util/logger.js';
import type { EpochCache, EpochCacheManager } from './cache-manager.js';
import type { DatasetBuilder, DatasetManager, EpochDataset } from './dataset-manager.js';
import { EthashError } from './errors.js';
import { EPOCH_LENGTH, MAX_EPOCH, assertSupportedEpoch } from './params.js';
import { SEAL_RECORD_BYTES, SEARCH_CONTROL } from './protocol.js';
import type { DatasetItemsResult, JobRequest, LightResult, PrecheckResult, SearchSliceResult } from './protocol.js';
import { u256ToBytes } from './seal.js';
import { RESULT_CODE, resultFromCode } from './verify.js';
import type { PowHeader, VerifyResult } from './verify.js';
import { EthashWorker } from './worker-client.js';

const log = logger('ethash');

export interface EthashPoolOptions {
  caches: EpochCacheManager;
  /** Worker threads (default: the number of cores, os.availableParallelism()). */
  threads?: number;
  /** Prefetch the next epoch's cache when verifying a header in the last tenth of its epoch (default true). */
  autoPrefetch?: boolean;
}

export interface SearchOptions {
  /** The 32-byte seal hash (what getwork hands out). */
  sealHash: Uint8Array;
  /** Target: a u256 bigint or 32 big-endian bytes; a hash passes if final ≤ boundary. */
  boundary: bigint | Uint8Array;
  epoch: number;
  /** First nonce tried (default 0); nonces wrap modulo 2^64. */
  startNonce?: bigint;
  /** Nonces to try at most (default: unbounded, until found or aborted). */
  maxHashes?: number;
  /** Abort (e.g. the tip changed): the search stops within one hash per worker. */
  signal?: AbortSignal;
  /** 'light' computes pages from the cache (regtest-scale difficulty); 'full' reads the DAG. */
  mode?: 'light' | 'full';
  /** Workers to use (default: all of the pool). */
  threads?: number;
  /** Called a few times a second with the running totals. */
  onProgress?: (progress: SearchProgress) => void;
}

export interface SearchProgress {
  hashes: number;
  elapsedMs: number;
  /** Hashes per second so far. */
  hashRate: number;
}

export type SearchResult =
  | (SearchProgress & { found: true; aborted: false; nonce: bigint; mixHash: Buffer; finalHash: Buffer })
  | (SearchProgress & { found: false; aborted: boolean });

type FoundSlice = Extract<SearchSliceResult, { state: 'found' }>;

interface Job {
  request: JobRequest;
  cache?: EpochCache;
  dataset?: EpochDataset;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Slot {
  index: number;
  worker: EthashWorker | null;
  busy: boolean;
  caches: Map<number, EpochCache>;
  datasets: Map<number, EpochDataset>;
}

/** The promise's value, or undefined as soon as the signal aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(undefined);
  }
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

const PRECHECK_CHUNK = 128;
const LIGHT_CHUNK_MAX = 32;
const DATASET_JOB_ITEMS = 8192;
const SEARCH_SLICE_MS = 200;

/**
 * A pool of Ethash worker threads for header verification (the sync path),
 * nonce search and DAG building; the event loop only packs and routes work.
 *
 * Verification goes in two rounds: a cheap one (bits, epoch, quick check:
 * no cache) and the light hash of the survivors, so a bogus header never
 * causes a cache to be built. Epoch caches are SharedArrayBuffers, posted to
 * each worker once per epoch and dropped when the cache manager evicts them.
 * Verification jobs run before search slices and DAG items. A worker that dies
 * fails its job with WORKER_CRASHED and is replaced on demand.
 */
export class EthashPool implements DatasetBuilder {
  readonly threads: number;
  private readonly caches: EpochCacheManager;
  private datasets: DatasetManager | null = null;
  private readonly autoPrefetch: boolean;
  private readonly slots: Slot[];
  private readonly urgent: Job[] = [];
  private readonly background: Job[] = [];
  private readonly unsubscribe: Array<() => void> = [];
  private closed = false;

  constructor(options: EthashPoolOptions) {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new EthashError('BAD_INPUT', `threads must be 1..256, got ${threads}`);
    this.threads = threads;
    this.caches = options.caches;
    this.autoPrefetch = options.autoPrefetch ?? true;
    this.slots = Array.from({ length: threads }, (_, index) => ({ index, worker: null, busy: false, caches: new Map(), datasets: new Map() }));
    this.unsubscribe.push(this.caches.onEvict(() => this.pruneAll()));
    // Start (and warm up) the workers now, so the first batch runs at full speed.
    for (const slot of this.slots) this.workerFor(slot);
  }

  /** Connects the DAG manager used by full-mode search. */
  attachDatasets(datasets: DatasetManager): void {
    this.datasets = datasets;
    this.unsubscribe.push(datasets.onEvict(() => this.pruneAll()));
  }

  /** Verifies one header's seal. */
  async verifyHeader(header: PowHeader): Promise<VerifyResult> {
    const [result] = await this.verifyHeaders([header]);
    return result;
  }

  /**
   * Verifies a batch of headers (any epochs, any order); results by index.
   * Rejects only on infrastructure failure (WORKER_CRASHED, CLOSED, …), never
   * because a header is invalid.
   */
  async verifyHeaders(headers: readonly PowHeader[]): Promise<VerifyResult[]> {
    if (this.closed) throw new EthashError('CLOSED', 'ethash pool is closed');
    // Plain field objects are validated (CodecError on bad fields) by becoming BlockHeaders.
    const list = headers.map((header) => (header instanceof BlockHeader ? header : new BlockHeader(header)));
    const results: VerifyResult[] = new Array(list.length);
    const todo: number[] = [];
    const raws: Buffer[] = [];
    list.forEach((header, i) => {
      if (header.bits === 0n) results[i] = resultFromCode(RESULT_CODE.BAD_BITS);
      else if (Math.floor(header.number / EPOCH_LENGTH) > MAX_EPOCH) results[i] = resultFromCode(RESULT_CODE.EPOCH_OUT_OF_RANGE);
      else {
        todo.push(i);
        raws.push(header.toRaw());
      }
    });

    // Round 1: cache-free checks, in chunks.
    const prechecks: Promise<PrecheckResult>[] = [];
    for (let at = 0; at < todo.length; at += PRECHECK_CHUNK) {
      const chunk = Buffer.concat(raws.slice(at, at + PRECHECK_CHUNK));
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
      prechecks.push(this.enqueue<PrecheckResult>({ type: 'precheck', headers: bytes }, { urgent: true }));
    }
    const byEpoch = new Map<number, { indices: number[]; seals: Uint8Array[] }>();
    const checked = await Promise.all(prechecks);
    checked.forEach((chunk, c) => {
      for (let k = 0; k < chunk.codes.length; k++) {
        const i = todo[c * PRECHECK_CHUNK + k];
        if (chunk.codes[k] !== RESULT_CODE.OK) {
          results[i] = resultFromCode(chunk.codes[k]);
          continue;
        }
        const epoch = Math.floor(list[i].number / EPOCH_LENGTH);
        let group = byEpoch.get(epoch);
        if (!group) byEpoch.set(epoch, (group = { indices: [], seals: [] }));
        group.indices.push(i);
        group.seals.push(chunk.seals.subarray(k * SEAL_RECORD_BYTES, (k + 1) * SEAL_RECORD_BYTES));
        if (this.autoPrefetch && list[i].number % EPOCH_LENGTH >= EPOCH_LENGTH * 0.9) this.caches.prefetch(epoch + 1);
      }
    });

    // Round 2: light hashes, grouped by epoch, spread over the workers.
    // Caches of up to maxEpochs groups are prepared at once (each in its own worker).
    const lights: Promise<void>[] = [];
    const groups = [...byEpoch].sort((a, b) => a[0] - b[0]);
    const cacheRequests: Array<Promise<EpochCache> | undefined> = [];
    const requestCache = (g: number) => {
      if (g >= groups.length || cacheRequests[g]) return;
      cacheRequests[g] = this.caches.get(groups[g][0]);
      cacheRequests[g].catch(() => undefined);
    };
    for (let g = 0; g < groups.length; g++) {
      const [epoch, group] = groups[g];
      for (let ahead = g; ahead < g + this.caches.maxEpochs; ahead++) requestCache(ahead);
      let cache: EpochCache;
      try {
        cache = await cacheRequests[g]!;
      } catch (err) {
        await Promise.allSettled(lights);
        throw err;
      }
      const chunkSize = Math.max(1, Math.min(LIGHT_CHUNK_MAX, Math.ceil(group.indices.length / (this.threads * 4))));
      for (let at = 0; at < group.indices.length; at += chunkSize) {
        const indices = group.indices.slice(at, at + chunkSize);
        const seals = new Uint8Array(indices.length * SEAL_RECORD_BYTES);
        group.seals.slice(at, at + chunkSize).forEach((seal, k) => seals.set(seal, k * SEAL_RECORD_BYTES));
        // Copied, not transferred: see the note on detaching in worker.ts.
        const job = this.enqueue<LightResult>({ type: 'light', epoch, seals }, { urgent: true, cache });
        lights.push(
          job.then(({ codes }) => {
            indices.forEach((i, k) => (results[i] = resultFromCode(codes[k])));
          }),
        );
      }
    }
    await Promise.all(lights);
    return results;
  }

  /**
   * Searches nonces startNonce, startNonce+1, … for final ≤ boundary, on
   * several workers in time slices (so verification is never starved).
   * Resolves (never rejects) on found, exhausted or aborted, unless a worker
   * fails.
   */
  async search(options: SearchOptions): Promise<SearchResult> {
    if (this.closed) throw new EthashError('CLOSED', 'ethash pool is closed');
    const { sealHash, epoch, signal } = options;
    const mode = options.mode ?? 'light';
    if (!(sealHash instanceof Uint8Array) || sealHash.length !== 32) throw new EthashError('BAD_INPUT', 'sealHash must be 32 bytes');
    assertSupportedEpoch(epoch);
    if (mode !== 'light' && mode !== 'full') throw new EthashError('BAD_INPUT', `unknown search mode ${String(mode)}`);
    let boundary: Buffer;
    if (typeof options.boundary === 'bigint') boundary = u256ToBytes(options.boundary);
    else if (options.boundary instanceof Uint8Array && options.boundary.length === 32) boundary = Buffer.from(options.boundary);
    else throw new EthashError('BAD_INPUT', 'boundary must be a u256 bigint or 32 bytes');
    const startNonce = options.startNonce ?? 0n;
    if (typeof startNonce !== 'bigint' || startNonce < 0n || startNonce >= 1n << 64n) throw new EthashError('BAD_INPUT', 'startNonce must be a u64 bigint');
    const maxHashes = options.maxHashes ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(maxHashes) || maxHashes < 0) throw new EthashError('BAD_INPUT', 'maxHashes must be a non-negative safe integer');
    const threads = Math.min(options.threads ?? this.threads, this.threads);
    if (!Number.isInteger(threads) || threads < 1) throw new EthashError('BAD_INPUT', 'threads must be ≥ 1');

    const started = performance.now();
    const progress = (hashes: number): SearchProgress => {
      const elapsedMs = performance.now() - started;
      return { hashes, elapsedMs, hashRate: elapsedMs > 0 ? (hashes * 1000) / elapsedMs : 0 };
    };
    if (signal?.aborted) return { found: false, aborted: true, ...progress(0) };

    // Waiting for a cache or a DAG (minutes when it must be built) is abortable;
    // the preparation itself continues for the next search.
    let cache: EpochCache | undefined;
    let dataset: EpochDataset | undefined;
    if (mode === 'light') cache = await untilAborted(this.caches.get(epoch), signal);
    else {
      if (!this.datasets) throw new EthashError('BAD_INPUT', 'full-mode search needs a dataset manager (attachDatasets)');
      dataset = await untilAborted(this.datasets.get(epoch), signal);
    }
    if (signal?.aborted || (!cache && !dataset)) return { found: false, aborted: true, ...progress(0) };

    const control = new SharedArrayBuffer(SEARCH_CONTROL.BYTES);
    const flags = new Int32Array(control, 0, 2);
    const request: JobRequest = {
      type: 'search',
      mode,
      epoch,
      sealHash: new Uint8Array(sealHash),
      boundary: new Uint8Array(boundary),
      startNonce,
      maxHashes,
      chunkSize: mode === 'light' ? 4 : 256,
      control,
      sliceMs: SEARCH_SLICE_MS,
    };
    const stop = () => Atomics.store(flags, SEARCH_CONTROL.STOP, 1);
    signal?.addEventListener('abort', stop, { once: true });

    const outcome: { hashes: number; found: FoundSlice | null; failure: Error | null } = { hashes: 0, found: null, failure: null };
    try {
      // Each lane runs slices back to back until its slice reports the end.
      const lane = async (): Promise<void> => {
        for (;;) {
          const slice = await this.enqueue<SearchSliceResult>(request, { cache, dataset });
          outcome.hashes += slice.hashes;
          if (slice.state === 'found') outcome.found = slice;
          options.onProgress?.(progress(outcome.hashes));
          if (slice.state !== 'timeslice') return;
        }
      };
      const lanes = Array.from({ length: threads }, () =>
        lane().catch((err: Error) => {
          outcome.failure ??= err;
          stop();
        }),
      );
      await Promise.all(lanes);
    } finally {
      signal?.removeEventListener('abort', stop);
    }
    if (outcome.failure) throw outcome.failure;
    const totals = progress(outcome.hashes);
    const hit = outcome.found;
    if (hit) {
      return { found: true, aborted: false, nonce: hit.nonce, mixHash: Buffer.from(hit.mix), finalHash: Buffer.from(hit.final), ...totals };
    }
    return { found: false, aborted: Boolean(signal?.aborted), ...totals };
  }

  /** DatasetBuilder: all items of the cache's dataset into `target`, as background jobs. */
  async buildDataset(cache: EpochCache, target: SharedArrayBuffer, onProgress: (fraction: number) => void): Promise<void> {
    if (this.closed) throw new EthashError('CLOSED', 'ethash pool is closed');
    if (target.byteLength !== cache.datasetBytes) throw new EthashError('BAD_INPUT', 'dataset buffer has the wrong size');
    const items = cache.datasetBytes / 64;
    let done = 0;
    const jobs: Promise<void>[] = [];
    for (let first = 0; first < items; first += DATASET_JOB_ITEMS) {
      const count = Math.min(DATASET_JOB_ITEMS, items - first);
      jobs.push(
        this.enqueue<DatasetItemsResult>({ type: 'dataset-items', epoch: cache.epoch, dataset: target, first, count }, { cache }).then((r) => {
          done += r.count;
          onProgress(done / items);
        }),
      );
    }
    try {
      await Promise.all(jobs);
    } catch (err) {
      // Do not leave the remaining items queued behind a failure.
      this.dropQueued((job) => job.request.type === 'dataset-items' && job.request.dataset === target, err as Error);
      throw err;
    }
  }

  /** Stops all workers; queued and running jobs fail with CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.unsubscribe) off();
    this.dropQueued(() => true, new EthashError('CLOSED', 'ethash pool is closed'));
    await Promise.all(this.slots.map((slot) => slot.worker?.terminate()));
  }

  /**
   * Test hook: a worker throws an uncaught exception, as a real crash would.
   * Resolves with the error its pending job failed with.
   */
  async crashWorkerForTesting(slotIndex = 0): Promise<Error> {
    const worker = this.workerFor(this.slots[slotIndex]);
    return worker.request({ type: 'crash' }).then(
      () => new Error('the crash hook returned normally'),
      (err: Error) => err,
    );
  }

  /** Test hook: kill a worker from outside (as the OS would), failing whatever it runs. */
  async killWorkerForTesting(slotIndex = 0): Promise<void> {
    await this.slots[slotIndex]?.worker?.killForTesting();
  }

  /** Jobs waiting for a worker (for tests and status). */
  get queuedJobs(): number {
    return this.urgent.length + this.background.length;
  }

  /** Workers currently running (for tests and status). */
  get liveWorkers(): number {
    return this.slots.filter((slot) => slot.worker?.alive).length;
  }

  private enqueue<T>(
    request: JobRequest,
    options: { urgent?: boolean; cache?: EpochCache; dataset?: EpochDataset } = {},
  ): Promise<T> {
    if (this.closed) return Promise.reject(new EthashError('CLOSED', 'ethash pool is closed'));
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        request,
        cache: options.cache,
        dataset: options.dataset,
        resolve: resolve as (value: unknown) => void,
        reject,
      };
      (options.urgent ? this.urgent : this.background).push(job);
      this.dispatch();
    });
  }

  private dropQueued(match: (job: Job) => boolean, reason: Error): void {
    for (const queue of [this.urgent, this.background]) {
      for (let i = queue.length - 1; i >= 0; i--) {
        if (match(queue[i])) queue.splice(i, 1)[0].reject(reason);
      }
    }
  }

  private workerFor(slot: Slot): EthashWorker {
    if (slot.worker?.alive) return slot.worker;
    const worker = new EthashWorker();
    worker.request({ type: 'warm-up' }).catch(() => undefined);
    slot.worker = worker;
    slot.caches.clear();
    slot.datasets.clear();
    worker.onExit = (expected) => {
      if (slot.worker !== worker) return;
      slot.worker = null;
      slot.busy = false;
      slot.caches.clear();
      slot.datasets.clear();
      if (!expected && !this.closed) {
        log.warn({ slot: slot.index }, 'ethash worker died; its job failed, a new worker will take the next ones');
        this.dispatch();
      }
    };
    return worker;
  }

  private dispatch(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const job = this.urgent.shift() ?? this.background.shift();
      if (!job) return;
      try {
        this.run(slot, job);
      } catch (err) {
        // A worker that cannot be started (thread limits) fails this job instead of losing it.
        slot.busy = false;
        job.reject(err instanceof Error ? err : new EthashError('WORKER_FAILED', String(err)));
      }
    }
  }

  private run(slot: Slot, job: Job): void {
    const worker = this.workerFor(slot);
    slot.busy = true;
    if (job.cache && slot.caches.get(job.cache.epoch) !== job.cache) {
      worker.send({ type: 'attach-cache', epoch: job.cache.epoch, buffer: job.cache.buffer, datasetBytes: job.cache.datasetBytes });
      slot.caches.set(job.cache.epoch, job.cache);
    }
    if (job.dataset && slot.datasets.get(job.dataset.epoch) !== job.dataset) {
      worker.send({ type: 'attach-dataset', epoch: job.dataset.epoch, buffer: job.dataset.buffer });
      slot.datasets.set(job.dataset.epoch, job.dataset);
    }
    worker.request(job.request).then(
      (value) => this.finish(slot, worker, () => job.resolve(value)),
      (err: Error) => this.finish(slot, worker, () => job.reject(err)),
    );
  }

  private finish(slot: Slot, worker: EthashWorker, settle: () => void): void {
    if (slot.worker === worker) {
      slot.busy = false;
      this.prune(slot);
    }
    settle();
    this.dispatch();
  }

  /** Drops from a worker every cache/DAG the managers no longer hold and no queued job needs. */
  private prune(slot: Slot): void {
    const worker = slot.worker;
    if (!worker || slot.busy) return;
    const queued = [...this.urgent, ...this.background];
    for (const [epoch, cache] of slot.caches) {
      if (this.caches.peek(epoch) === cache || queued.some((job) => job.cache === cache)) continue;
      worker.send({ type: 'drop-cache', epoch });
      slot.caches.delete(epoch);
    }
    for (const [epoch, dataset] of slot.datasets) {
      if (this.datasets?.peek(epoch) === dataset || queued.some((job) => job.dataset === dataset)) continue;
      worker.send({ type: 'drop-dataset', epoch });
      slot.datasets.delete(epoch);
    }
  }

  private pruneAll(): void {
    for (const slot of this.slots) this.prune(slot);
  }
}
