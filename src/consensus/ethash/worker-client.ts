import { Worker } from 'node:worker_threads';
import { EthashError } from './errors.js';
import type { AttachMessage, JobRequest, WorkerReply } from './protocol.js';
import { terminateWorker } from '../../util/worker.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);

interface PendingJob {
  resolve(value: unknown): void;
  reject(err: Error): void;
  onProgress?: (fraction: number) => void;
}

/**
 * One Ethash worker thread and its in-flight jobs. If the thread dies (an
 * uncaught exception, out of memory, terminate()) every pending job fails
 * with WORKER_CRASHED — or CLOSED when we terminated it ourselves — so no
 * caller is left hanging. The thread is unref'd while idle, so a forgotten
 * engine never keeps the process alive.
 */
export class EthashWorker {
  private readonly worker: Worker;
  private readonly jobs = new Map<number, PendingJob>();
  private nextId = 1;
  private closing = false;
  private lastError: Error | null = null;
  private exited = false;
  private readonly exitPromise: Promise<void>;
  /** Called once when the thread is gone, with whether it was expected. */
  onExit: ((expected: boolean) => void) | null = null;

  constructor() {
    this.worker = new Worker(WORKER_URL);
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => this.handle(reply));
    this.worker.on('error', (err) => {
      this.lastError = err;
    });
    this.exitPromise = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.exited = true;
        const expected = this.closing;
        const reason = expected
          ? new EthashError('CLOSED', 'ethash worker was shut down')
          : new EthashError('WORKER_CRASHED', `ethash worker exited (code ${code})${this.lastError ? `: ${this.lastError.message}` : ''}`);
        const jobs = [...this.jobs.values()];
        this.jobs.clear();
        for (const job of jobs) job.reject(reason);
        this.onExit?.(expected);
        resolve();
      });
    });
  }

  get alive(): boolean {
    return !this.exited && !this.closing;
  }

  get pending(): number {
    return this.jobs.size;
  }

  /** Fire-and-forget state messages (attach/drop); ordered before later jobs. */
  send(message: AttachMessage): void {
    if (this.alive) this.worker.postMessage(message);
  }

  /**
   * Posts a job. Nothing is ever transferred (only copied or shared): detaching
   * an ArrayBuffer deoptimises typed-array code in the thread that does it.
   */
  request<T>(job: JobRequest, onProgress?: (fraction: number) => void): Promise<T> {
    if (!this.alive) return Promise.reject(new EthashError(this.closing ? 'CLOSED' : 'WORKER_CRASHED', 'ethash worker is not running'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.jobs.set(id, { resolve: resolve as (value: unknown) => void, reject, onProgress });
      if (this.jobs.size === 1) this.worker.ref();
      try {
        this.worker.postMessage({ id, ...job });
      } catch (err) {
        // Not posted (e.g. an uncloneable field): forget the job so it cannot keep the thread ref'd.
        this.jobs.delete(id);
        if (this.jobs.size === 0) this.worker.unref();
        throw err;
      }
    });
  }

  private handle(reply: WorkerReply): void {
    const job = this.jobs.get(reply.id);
    if (!job) return;
    if (reply.kind === 'progress') {
      job.onProgress?.(reply.fraction);
      return;
    }
    this.jobs.delete(reply.id);
    if (this.jobs.size === 0) this.worker.unref();
    if (reply.kind === 'done') job.resolve(reply.result);
    else job.reject(new EthashError(reply.code, reply.message));
  }

  /** Test hook: end the thread as an external kill would; pending jobs fail with WORKER_CRASHED. */
  async killForTesting(): Promise<void> {
    await terminateWorker(this.worker);
    await this.exitPromise;
  }

  /** Stops the thread; pending jobs fail with CLOSED. */
  async terminate(): Promise<void> {
    if (this.exited) return;
    this.closing = true;
    await terminateWorker(this.worker);
    await this.exitPromise;
  }
}

/**
 * Runs one job on a fresh worker that is discarded afterwards: cache
 * generation and file checks (seconds of work, rare, and kept off both the
 * event loop and the verification pool).
 */
export function runWorkerTask<T>(
  job: JobRequest,
  onProgress?: (fraction: number) => void,
): { promise: Promise<T>; cancel: () => Promise<void> } {
  const worker = new EthashWorker();
  const promise = worker.request<T>(job, onProgress).finally(() => worker.terminate());
  return { promise, cancel: () => worker.terminate() };
}
