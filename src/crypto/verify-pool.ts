import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { getSecp256k1, type BackendName } from './secp256k1/index.js';
import { isPackable, packItems, type VerifyItem } from './verify-batch.js';
import { logger } from '../util/logger.js';
import { terminateWorker } from '../util/worker.js';
import { VERIFY_WORKER_NICE, checkedNice } from '../util/thread-priority.js';

export type { VerifyItem } from './verify-batch.js';

/**
 * ECDSA verification on worker threads. Batches of `batchSize` items (128:
 * message overhead is invisible there, perf.md §2) go out packed in one
 * transferable buffer, and each worker keeps `inFlightPerWorker` (2) batches
 * queued so it never idles between replies; verify then scales almost
 * linearly with cores.
 *
 * A worker that dies fails the batches it held (their promises reject with
 * VerifyPoolError) and is replaced; batches still queued go to the others.
 * Idle workers are unref'd, so a pool never keeps the process alive.
 */

export interface VerifyPoolOptions {
  /** Worker count; default os.availableParallelism(). */
  workers?: number;
  /** Items per message; default 128. */
  batchSize?: number;
  /** Batches outstanding per worker; default 2. */
  inFlightPerWorker?: number;
  /** Backend the workers use; default the main thread's (getSecp256k1()). */
  backend?: BackendName;
  /** Worker script (tests substitute one); default ./verify-worker.js beside this file. */
  workerUrl?: URL;
  /** Nice value of the worker threads (Linux); default VERIFY_WORKER_NICE, 0 keeps the process's. */
  nice?: number;
}

export class VerifyPoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerifyPoolError';
  }
}

/** Main → worker. */
export type WorkerRequest = { type: 'verify'; id: number; buffer: ArrayBuffer; count: number };
/** Worker → main. */
export type WorkerReply =
  | { type: 'ready'; backend: BackendName }
  | { type: 'result'; id: number; results: Uint8Array }
  | { type: 'failed'; id: number; message: string };

interface Job {
  id: number;
  buffer: ArrayBuffer;
  count: number;
  resolve(results: Uint8Array): void;
  reject(err: Error): void;
}

interface PoolWorker {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  pending: Map<number, Job>;
}

const DEFAULT_BATCH_SIZE = 128;
const DEFAULT_IN_FLIGHT = 2;

export class VerifyPool {
  readonly size: number;
  readonly batchSize: number;
  readonly inFlightPerWorker: number;
  readonly backend: BackendName;
  private readonly nice: number;
  private readonly workerUrl: URL;
  private readonly workers: PoolWorker[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** Set when every worker died before becoming ready: the pool cannot work. */
  private startupError: Error | null = null;
  private readonly log = logger('crypto');

  constructor(options: VerifyPoolOptions = {}) {
    const size = options.workers ?? availableParallelism();
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    const inFlight = options.inFlightPerWorker ?? DEFAULT_IN_FLIGHT;
    for (const [name, value] of [['workers', size], ['batchSize', batchSize], ['inFlightPerWorker', inFlight]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`VerifyPool ${name} must be a positive integer, got ${value}`);
    }
    this.size = size;
    this.batchSize = batchSize;
    this.inFlightPerWorker = inFlight;
    this.backend = options.backend ?? getSecp256k1().name;
    this.nice = checkedNice(options.nice ?? VERIFY_WORKER_NICE);
    this.workerUrl = options.workerUrl ?? new URL('./verify-worker.js', import.meta.url);
    for (let i = 0; i < size; i++) this.spawn();
  }

  /** Workers currently alive (dead ones are replaced unless they died at startup). */
  get liveWorkers(): number {
    return this.workers.filter((w) => !w.dead).length;
  }

  /**
   * Verify every item; results in input order. Malformed items (wrong sizes)
   * are false without reaching a worker. Rejects with VerifyPoolError only when
   * a worker died holding one of the batches, or the pool is closed or broken.
   */
  async verifyBatch(items: readonly VerifyItem[]): Promise<boolean[]> {
    if (this.closed) throw new VerifyPoolError('verify pool is closed');
    if (this.startupError) throw this.startupError;
    const results = new Array<boolean>(items.length).fill(false);
    const positions: number[] = [];
    for (let i = 0; i < items.length; i++) if (isPackable(items[i])) positions.push(i);

    const batches: Promise<void>[] = [];
    for (let start = 0; start < positions.length; start += this.batchSize) {
      const slice = positions.slice(start, start + this.batchSize);
      const packed = packItems(slice.map((p) => items[p]));
      batches.push(
        this.submit(packed, slice.length).then((out) => {
          for (let k = 0; k < slice.length; k++) results[slice[k]] = out[k] === 1;
        }),
      );
    }
    await Promise.all(batches);
    return results;
  }

  /** Stop the workers; batches not yet answered reject with VerifyPoolError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new VerifyPoolError('verify pool closed');
    for (const job of this.queue.splice(0)) job.reject(err);
    await Promise.all(
      this.workers.map(async (w) => {
        for (const job of w.pending.values()) job.reject(err);
        w.pending.clear();
        w.dead = true;
        await terminateWorker(w.worker);
      }),
    );
    this.workers.length = 0;
  }

  private submit(buffer: ArrayBuffer, count: number): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, buffer, count, resolve, reject });
      this.pump();
    });
  }

  /** Hand queued batches to the least-loaded live workers, up to inFlightPerWorker each. */
  private pump(): void {
    while (this.queue.length > 0) {
      let target: PoolWorker | null = null;
      for (const w of this.workers) {
        if (w.dead || w.pending.size >= this.inFlightPerWorker) continue;
        if (!target || w.pending.size < target.pending.size) target = w;
      }
      if (!target) return;
      const job = this.queue.shift()!;
      target.pending.set(job.id, job);
      target.worker.ref();
      const request: WorkerRequest = { type: 'verify', id: job.id, buffer: job.buffer, count: job.count };
      target.worker.postMessage(request, [job.buffer]);
    }
  }

  private spawn(): void {
    const worker = new Worker(this.workerUrl, { workerData: { backend: this.backend, nice: this.nice } });
    const entry: PoolWorker = { worker, ready: false, dead: false, pending: new Map() };
    this.workers.push(entry);
    worker.unref();

    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'ready') {
        entry.ready = true;
        return;
      }
      const job = entry.pending.get(reply.id);
      if (!job) return;
      entry.pending.delete(reply.id);
      if (reply.type === 'result') job.resolve(reply.results);
      else job.reject(new VerifyPoolError(`verify worker failed: ${reply.message}`));
      if (entry.pending.size === 0) worker.unref();
      this.pump();
    });
    worker.on('error', (err) => this.onWorkerDeath(entry, err));
    worker.on('exit', (code) => this.onWorkerDeath(entry, new Error(`exited with code ${code}`)));
  }

  private onWorkerDeath(entry: PoolWorker, cause: Error): void {
    if (entry.dead) return;
    entry.dead = true;
    const index = this.workers.indexOf(entry);
    if (index >= 0) this.workers.splice(index, 1);
    if (this.closed) return;
    const err = new VerifyPoolError(`verify worker died: ${cause.message}`);
    for (const job of entry.pending.values()) job.reject(err);
    entry.pending.clear();
    this.log.warn({ err: cause.message, ready: entry.ready }, 'verify worker died');
    if (entry.ready) {
      // A worker that once worked is worth replacing; one that never started would fail again.
      this.spawn();
    } else if (this.workers.length === 0) {
      this.startupError = new VerifyPoolError(`verify workers failed to start: ${cause.message}`);
      for (const job of this.queue.splice(0)) job.reject(this.startupError);
      return;
    }
    this.pump();
  }
}
