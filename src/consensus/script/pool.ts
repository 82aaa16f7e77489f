import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { getBackend, getSecp256k1, type BackendName } from '../../crypto/secp256k1/index.js';
import type { Secp256k1Backend } from '../../crypto/secp256k1/types.js';
import { VERIFY_OK, type VerifyResult } from './errors.js';
import { verifyTransactionsSync, type TransactionJob } from './verify.js';
import { fromWire, packBatch, type BatchResponse, type WorkerInit } from './wire.js';
import { terminateWorker } from '../../util/worker.js';
import { VERIFY_WORKER_NICE, checkedNice } from '../../util/thread-priority.js';

/**
 * Script verification on worker threads, for block connection
 * (docs/script.md). Each transaction travels once, with the previous output
 * scripts of all its inputs; transactions are grouped into batches so that
 * messaging cost is amortized, and batches are spread over the workers
 * (two in flight per worker, so none idles waiting for the next message).
 * Results come back in job order. The main thread only packs bytes and
 * routes messages.
 *
 * A worker that dies fails the calls that had batches on it (their promises
 * reject with ScriptPoolError: an internal failure, not a script verdict)
 * and is replaced; a worker file that keeps dying marks the pool broken
 * instead of respawning forever.
 */

export interface ScriptVerifierPoolOptions {
  /** Worker threads; default os.availableParallelism(). */
  size?: number;
  /** secp256k1 backend for workers and the inline path; default the process default (native when it loads). */
  backend?: BackendName;
  /** Inputs per batch; default scales with the call so each worker gets about four batches (16..512). */
  batchInputs?: number;
  /** Calls with at most this many inputs run synchronously on the calling thread; default 0 (never). */
  inlineMaxInputs?: number;
  /** Worker entry module; default ./worker.js beside this file (tests substitute their own). */
  workerUrl?: URL;
  /** Nice value of the worker threads (Linux); default VERIFY_WORKER_NICE, 0 keeps the process's. */
  nice?: number;
}

/** An internal failure of the pool (dead worker, closed pool); never a script verdict. */
export class ScriptPoolError extends Error {
  override readonly name = 'ScriptPoolError';
}

const MAX_BATCHES_IN_FLIGHT_PER_WORKER = 2;
const MIN_BATCH_INPUTS = 16;
const MAX_BATCH_INPUTS = 512;

interface PendingCall {
  results: VerifyResult[][];
  batchesLeft: number;
  settled: boolean;
  resolve(results: VerifyResult[][]): void;
  reject(error: Error): void;
}

interface Batch {
  id: number;
  call: PendingCall;
  jobIndexes: number[];
  jobs: TransactionJob[];
}

interface WorkerSlot {
  worker: Worker;
  inFlight: Map<number, Batch>;
  completedBatches: number;
  lastError: Error | null;
  /** A batch is in flight: the worker is ref'd (see setBusy). */
  busy: boolean;
  /** performance.now() when the slot last ran out of batches (meaningful while not busy). */
  idleSince: number;
}

export class ScriptVerifierPool {
  readonly size: number;
  private readonly backendName: BackendName | undefined;
  private readonly batchInputs: number | undefined;
  private readonly inlineMaxInputs: number;
  private readonly workerUrl: URL;
  private readonly nice: number;
  private readonly slots: WorkerSlot[] = [];
  private readonly queue: Batch[] = [];
  private nextBatchId = 1;
  private closed = false;
  private brokenReason: string | null = null;
  private consecutiveStartupDeaths = 0;
  private inlineBackend: Secp256k1Backend | null = null;
  /** Idle time of slots that went busy again or went away (idleMilliseconds adds the ones idle now). */
  private idleMs = 0;

  constructor(options: ScriptVerifierPoolOptions = {}) {
    const size = options.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, got ${size}`);
    this.size = size;
    this.backendName = options.backend;
    // Fail here, not in every worker, when the requested backend cannot load.
    if (this.backendName) getBackend(this.backendName);
    this.batchInputs = options.batchInputs;
    this.inlineMaxInputs = options.inlineMaxInputs ?? 0;
    this.workerUrl = options.workerUrl ?? new URL('./worker.js', import.meta.url);
    this.nice = checkedNice(options.nice ?? VERIFY_WORKER_NICE);
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /**
   * Verify every input of every job; `result[j][i]` is input i of job j.
   * Rejects with ScriptPoolError (pool closed or broken, worker died) or,
   * for a job that is not { txRaw, prevScripts[], flags }, TypeError.
   */
  verifyTransactions(jobs: readonly TransactionJob[]): Promise<VerifyResult[][]> {
    if (this.closed) return Promise.reject(new ScriptPoolError('script verifier pool is closed'));
    if (this.brokenReason) return Promise.reject(new ScriptPoolError(this.brokenReason));
    if (jobs.length === 0) return Promise.resolve([]);
    const malformed = jobs.findIndex((job) => !(job?.txRaw instanceof Uint8Array) || !Array.isArray(job.prevScripts) || !Number.isInteger(job.flags));
    if (malformed >= 0) return Promise.reject(new TypeError(`job ${malformed} needs txRaw bytes, a prevScripts array and integer flags`));
    const totalInputs = jobs.reduce((n, job) => n + job.prevScripts.length, 0);
    if (totalInputs <= this.inlineMaxInputs) return Promise.resolve(this.verifySync(jobs));

    return new Promise<VerifyResult[][]>((resolve, reject) => {
      const call: PendingCall = { results: new Array(jobs.length), batchesLeft: 0, settled: false, resolve, reject };
      const target = this.batchInputs ?? Math.min(MAX_BATCH_INPUTS, Math.max(MIN_BATCH_INPUTS, Math.ceil(totalInputs / (this.size * 4))));
      let current: Batch | null = null;
      let currentInputs = 0;
      for (let index = 0; index < jobs.length; index++) {
        const job = jobs[index];
        if (!current) {
          current = { id: this.nextBatchId++, call, jobIndexes: [], jobs: [] };
          currentInputs = 0;
        }
        current.jobIndexes.push(index);
        current.jobs.push(job);
        currentInputs += job.prevScripts.length;
        if (currentInputs >= target) {
          this.queue.push(current);
          call.batchesLeft++;
          current = null;
        }
      }
      if (current) {
        this.queue.push(current);
        call.batchesLeft++;
      }
      this.pump();
    });
  }

  /** The synchronous in-thread path with this pool's backend. */
  verifySync(jobs: readonly TransactionJob[]): VerifyResult[][] {
    if (!this.inlineBackend) this.inlineBackend = this.backendName ? getBackend(this.backendName) : getSecp256k1();
    return verifyTransactionsSync(jobs, this.inlineBackend);
  }

  /** Batches waiting for a worker plus batches being verified. */
  get pendingBatches(): number {
    return this.queue.length + this.slots.reduce((n, s) => n + s.inFlight.size, 0);
  }

  /**
   * Milliseconds the workers have spent with no batch in flight since the
   * pool started, summed over workers, as this thread sees it (a reply not
   * handled yet counts as busy). Differences over an interval, divided by
   * the interval and `size`, give the share of verification capacity left
   * unused — starvation, as opposed to CPU spent (bench/connect.ts).
   */
  idleMilliseconds(): number {
    const now = performance.now();
    let idle = this.idleMs;
    for (const slot of this.slots) if (!slot.busy) idle += now - slot.idleSince;
    return idle;
  }

  /** Stop every worker; calls still pending reject with ScriptPoolError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new ScriptPoolError('script verifier pool closed');
    for (const batch of this.queue) this.failCall(batch.call, error);
    this.queue.length = 0;
    const slots = this.slots.splice(0);
    for (const slot of slots) for (const batch of slot.inFlight.values()) this.failCall(batch.call, error);
    await Promise.all(slots.map((slot) => terminateWorker(slot.worker)));
  }

  private spawn(): WorkerSlot {
    const init: WorkerInit = this.backendName ? { backend: this.backendName, nice: this.nice } : { nice: this.nice };
    const worker = new Worker(this.workerUrl, { workerData: init });
    const slot: WorkerSlot = { worker, inFlight: new Map(), completedBatches: 0, lastError: null, busy: true, idleSince: 0 };
    worker.on('message', (response: BatchResponse) => this.onResponse(slot, response));
    worker.on('error', (error) => {
      slot.lastError = error;
    });
    worker.on('messageerror', (error) => {
      slot.lastError = error;
    });
    worker.on('exit', (code) => this.onExit(slot, code));
    this.setBusy(slot, false);
    return slot;
  }

  // An idle worker must not keep the process alive; a busy one must, or a
  // pending verification could be cut short by the event loop emptying.
  private setBusy(slot: WorkerSlot, busy: boolean): void {
    if (slot.busy === busy) return;
    slot.busy = busy;
    if (busy) {
      slot.worker.ref();
      this.idleMs += performance.now() - slot.idleSince;
    } else {
      slot.worker.unref();
      slot.idleSince = performance.now();
    }
  }

  /**
   * Hand queued batches to the workers, each to the one with the fewest in
   * flight: a block's batches spread over all the workers instead of filling
   * the first one's queue while the others wait (docs/script.md, "Worker pool").
   */
  private pump(): void {
    for (;;) {
      let slot: WorkerSlot | null = null;
      for (const s of this.slots) if (s.inFlight.size < MAX_BATCHES_IN_FLIGHT_PER_WORKER && (!slot || s.inFlight.size < slot.inFlight.size)) slot = s;
      if (!slot) break;
      const batch = this.nextLiveBatch();
      if (!batch) break;
      try {
        const request = packBatch(batch.id, batch.jobs);
        slot.worker.postMessage(request, [request.buffer]);
        slot.inFlight.set(batch.id, batch);
      } catch (e) {
        // Never let one bad call throw out of a message handler.
        this.failCall(batch.call, new ScriptPoolError(`could not send a batch: ${e instanceof Error ? e.message : String(e)}`));
      }
    }
    for (const slot of this.slots) this.setBusy(slot, slot.inFlight.size > 0);
  }

  private nextLiveBatch(): Batch | undefined {
    let batch = this.queue.shift();
    while (batch && batch.call.settled) batch = this.queue.shift();
    return batch;
  }

  private onResponse(slot: WorkerSlot, response: BatchResponse): void {
    const batch = slot.inFlight.get(response.batchId);
    if (!batch) return;
    slot.inFlight.delete(response.batchId);
    slot.completedBatches++;
    this.consecutiveStartupDeaths = 0;
    const call = batch.call;
    if ('error' in response) {
      this.failCall(call, new ScriptPoolError(`script worker failed a batch: ${response.error}`));
    } else if (!call.settled) {
      if ('ok' in response) {
        // Every input passed (and each job has a verdict per previous script): rebuild them here.
        for (let k = 0; k < batch.jobIndexes.length; k++) {
          call.results[batch.jobIndexes[k]] = new Array<VerifyResult>(batch.jobs[k].prevScripts.length).fill(VERIFY_OK);
        }
      } else {
        for (let k = 0; k < batch.jobIndexes.length; k++) call.results[batch.jobIndexes[k]] = response.results[k].map(fromWire);
      }
      if (--call.batchesLeft === 0) {
        call.settled = true;
        call.resolve(call.results);
      }
    }
    this.pump();
  }

  private onExit(slot: WorkerSlot, exitCode: number): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return; // closed, or already replaced
    this.slots.splice(index, 1);
    if (!slot.busy) this.idleMs += performance.now() - slot.idleSince;
    const reason = `script worker exited with code ${exitCode}${slot.lastError ? `: ${slot.lastError.message}` : ''}`;
    for (const batch of slot.inFlight.values()) this.failCall(batch.call, new ScriptPoolError(reason));
    slot.inFlight.clear();
    if (this.closed) return;

    if (slot.completedBatches === 0) this.consecutiveStartupDeaths++;
    if (this.consecutiveStartupDeaths > this.size * 3) {
      this.brokenReason = `script verifier pool is broken: workers keep dying (${reason})`;
      const error = new ScriptPoolError(this.brokenReason);
      for (const batch of this.queue) this.failCall(batch.call, error);
      this.queue.length = 0;
      if (this.slots.length === 0) return;
    } else {
      this.slots.push(this.spawn());
    }
    this.pump();
  }

  private failCall(call: PendingCall, error: Error): void {
    if (call.settled) return;
    call.settled = true;
    call.reject(error);
  }
}
