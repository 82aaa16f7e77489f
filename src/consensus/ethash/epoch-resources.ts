import { mkdir } from 'node:fs/promises';
import { logger } from '../../util/logger.js';
import { EthashError, isEthashError } from './errors.js';
import { acquireFileLock } from './file-lock.js';
import { assertSupportedEpoch } from './params.js';
import type { EpochFileKind } from './cache-file.js';
import type { LoadFileResult } from './protocol.js';
import { runWorkerTask } from './worker-client.js';

const log = logger('ethash');

export interface EpochResourceStats {
  generated: number;
  loaded: number;
  /** Persisted files found truncated or corrupt (and replaced). */
  rejected: number;
}

/**
 * Per-epoch Ethash resources (caches, datasets) held in a small LRU, each
 * made at most once at a time: concurrent `get`s of one epoch share the same
 * promise, and workers still running are cancelled on close. Subclasses say
 * how an epoch is obtained; `loadOrMake` is the shared persisted path — load
 * the file, else take the directory's lock file (other processes may be
 * making it), load again if someone else wrote it meanwhile, else make it.
 */
export abstract class EpochResources<T extends { readonly epoch: number }> {
  readonly maxEpochs: number;
  readonly stats: EpochResourceStats = { generated: 0, loaded: 0, rejected: 0 };
  private readonly entries = new Map<number, T>();
  private readonly pending = new Map<number, Promise<T>>();
  private readonly cancels = new Set<() => Promise<void>>();
  private readonly evictListeners = new Set<(item: T) => void>();
  protected readonly closing = new AbortController();
  protected closed = false;

  /** `noun` names the resource in its files, errors and logs. */
  protected constructor(
    maxEpochs: number,
    protected readonly noun: EpochFileKind,
  ) {
    if (!Number.isInteger(maxEpochs) || maxEpochs < 1) throw new EthashError('BAD_INPUT', 'maxEpochs must be ≥ 1');
    this.maxEpochs = maxEpochs;
  }

  /** How the epoch's resource is made when it is not held. */
  protected abstract obtain(epoch: number): Promise<T>;

  /** The epoch's resource, loading or making it if needed. */
  get(epoch: number): Promise<T> {
    if (this.closed) return Promise.reject(new EthashError('CLOSED', `ethash ${this.noun} manager is closed`));
    try {
      assertSupportedEpoch(epoch);
    } catch (err) {
      return Promise.reject(err);
    }
    const held = this.entries.get(epoch);
    if (held) {
      this.entries.delete(epoch);
      this.entries.set(epoch, held);
      return Promise.resolve(held);
    }
    let pending = this.pending.get(epoch);
    if (!pending) {
      pending = this.obtain(epoch).then(
        (item) => {
          this.pending.delete(epoch);
          if (!this.closed) this.insert(item);
          return item;
        },
        (err: unknown) => {
          this.pending.delete(epoch);
          throw err;
        },
      );
      this.pending.set(epoch, pending);
    }
    return pending;
  }

  /** A held resource without loading (and without touching the LRU order). */
  peek(epoch: number): T | undefined {
    return this.entries.get(epoch);
  }

  /** Epochs currently held, least recently used first. */
  heldEpochs(): number[] {
    return [...this.entries.keys()];
  }

  /** Whether the epoch is held or being made. */
  protected known(epoch: number): boolean {
    return this.entries.has(epoch) || this.pending.has(epoch);
  }

  /** Subscribe to evictions (the pool drops the epoch from its workers). Returns an unsubscribe function. */
  onEvict(listener: (item: T) => void): () => void {
    this.evictListeners.add(listener);
    return () => this.evictListeners.delete(listener);
  }

  /** Stops work in progress and forgets everything held. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    await Promise.all([...this.cancels].map((cancel) => cancel()));
    await Promise.allSettled([...this.pending.values()]);
    this.entries.clear();
  }

  /** Register a cancellable worker task until it settles (close cancels it). */
  protected track<R>(task: { promise: Promise<R>; cancel: () => Promise<void> }): Promise<R> {
    this.cancels.add(task.cancel);
    return task.promise.finally(() => this.cancels.delete(task.cancel));
  }

  /**
   * The persisted path: load the file at `path` (`payloadBytes` long, checked
   * in a worker); when that fails, hold the lock file `<path>.lock` (waiting
   * for another process making it), load again if we waited or the file was
   * missing, else `make` it (persisting to `path`). An unusable directory
   * costs persistence only: `make(null)`.
   */
  protected async loadOrMake(
    epoch: number,
    directory: string,
    path: string,
    opts: { lockStaleMs: number; payloadBytes: number; fromFile: (loaded: LoadFileResult) => T; make: (path: string | null) => Promise<T> },
  ): Promise<T> {
    try {
      await mkdir(directory, { recursive: true });
    } catch (err) {
      log.warn({ epoch, dir: directory, err: (err as Error).message }, `ethash ${this.noun} directory unusable; not persisting`);
      return opts.make(null);
    }
    const load = () => this.loadFile(epoch, path, opts.payloadBytes, opts.fromFile);
    const first = await load();
    if (first.item) return first.item;
    let waited = false;
    const release = await acquireFileLock(`${path}.lock`, {
      staleMs: opts.lockStaleMs,
      signal: this.closing.signal,
      onWait: (owner) => {
        waited = true;
        log.info({ epoch, owner }, `waiting for another process making the ethash ${this.noun}`);
      },
    });
    try {
      // Another process may have written the file meanwhile (we waited, or it was missing).
      if (waited || first.missing) {
        const second = await load();
        if (second.item) return second.item;
      }
      if (this.closed) throw new EthashError('CLOSED', `ethash ${this.noun} manager is closed`);
      return await opts.make(path);
    } finally {
      await release();
    }
  }

  /** One load attempt: the resource, or whether the file was missing (a corrupt file counts as rejected). */
  private async loadFile(epoch: number, path: string, payloadBytes: number, fromFile: (loaded: LoadFileResult) => T): Promise<{ item?: T; missing: boolean }> {
    const started = performance.now();
    try {
      const loaded = await this.track(runWorkerTask<LoadFileResult>({ type: 'load-file', path, kind: this.noun, epoch, payloadBytes }));
      this.stats.loaded++;
      log.info({ epoch, path, ms: Math.round(performance.now() - started) }, `loaded ethash ${this.noun}`);
      return { item: fromFile(loaded), missing: false };
    } catch (err) {
      if (isEthashError(err) && err.code === 'CACHE_FILE_MISSING') return { missing: true };
      if (isEthashError(err) && err.code === 'CLOSED') throw err;
      this.stats.rejected++;
      log.warn({ epoch, path, code: isEthashError(err) ? err.code : undefined, err: (err as Error).message }, `ethash ${this.noun} file rejected; making it again`);
      return { missing: false };
    }
  }

  private insert(item: T): void {
    this.entries.delete(item.epoch);
    this.entries.set(item.epoch, item);
    while (this.entries.size > this.maxEpochs) {
      const [oldestEpoch, oldest] = this.entries.entries().next().value as [number, T];
      this.entries.delete(oldestEpoch);
      log.debug({ epoch: oldestEpoch }, `evicting ethash ${this.noun}`);
      for (const listener of this.evictListeners) listener(oldest);
    }
  }
}
