import { mkdir, unlink } from 'node:fs/promises';
import { logger } from '../../util/logger.js';
import { epochFilePath } from './cache-file.js';
import type { EpochCache, EpochCacheManager } from './cache-manager.js';
import { EthashError, isEthashError } from './errors.js';
import { acquireFileLock } from './file-lock.js';
import { assertSupportedEpoch, seedHash } from './params.js';
import type { LoadFileResult, WriteFileResult } from './protocol.js';
import { runWorkerTask } from './worker-client.js';

const log = logger('ethash');

/** A full Ethash dataset (DAG) for one epoch, in a SharedArrayBuffer. */
export interface EpochDataset {
  readonly epoch: number;
  readonly datasetBytes: number;
  readonly buffer: SharedArrayBuffer;
  readonly words: Int32Array;
  readonly source: 'generated' | 'disk';
}

/** Computes all items of `cache`'s dataset into `target` (the pool does it in its workers). */
export interface DatasetBuilder {
  buildDataset(cache: EpochCache, target: SharedArrayBuffer, onProgress: (fraction: number) => void): Promise<void>;
}

export interface DatasetManagerOptions {
  caches: EpochCacheManager;
  builder: DatasetBuilder;
  /** DAGs held at once (default 1: each is 1–18 GB). */
  maxEpochs?: number;
  lockStaleMs?: number;
}

/**
 * Full datasets for mining at real difficulty (spec §5.3). Verification
 * never needs one (§5.1). A DAG is built from the epoch cache by the pool's
 * workers (items are independent), logged as it goes, persisted as
 * `<dataDir>/ethash/full-R23-<seed>` in the cache file format, and reloaded —
 * digest-checked — on the next start.
 */
export class DatasetManager {
  readonly maxEpochs: number;
  readonly stats = { generated: 0, loaded: 0, rejected: 0 };
  private readonly caches: EpochCacheManager;
  private readonly builder: DatasetBuilder;
  private readonly lockStaleMs: number;
  private readonly entries = new Map<number, EpochDataset>();
  private readonly pending = new Map<number, Promise<EpochDataset>>();
  private readonly cancels = new Set<() => Promise<void>>();
  private readonly evictListeners = new Set<(dataset: EpochDataset) => void>();
  private readonly closing = new AbortController();
  private closed = false;

  constructor(options: DatasetManagerOptions) {
    this.caches = options.caches;
    this.builder = options.builder;
    this.maxEpochs = options.maxEpochs ?? 1;
    this.lockStaleMs = options.lockStaleMs ?? 60_000;
    if (!Number.isInteger(this.maxEpochs) || this.maxEpochs < 1) throw new EthashError('BAD_INPUT', 'maxEpochs must be ≥ 1');
  }

  filePath(epoch: number): string | null {
    const dir = this.caches.directory;
    if (!dir) return null;
    const override = this.caches.nonStandard ? this.caches.sizes(epoch).datasetBytes : undefined;
    return epochFilePath(dir, 'dataset', seedHash(epoch), override);
  }

  peek(epoch: number): EpochDataset | undefined {
    return this.entries.get(epoch);
  }

  get(epoch: number): Promise<EpochDataset> {
    if (this.closed) return Promise.reject(new EthashError('CLOSED', 'dataset manager is closed'));
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
        (dataset) => {
          this.pending.delete(epoch);
          if (!this.closed) this.insert(dataset);
          return dataset;
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

  onEvict(listener: (dataset: EpochDataset) => void): () => void {
    this.evictListeners.add(listener);
    return () => this.evictListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    await Promise.all([...this.cancels].map((cancel) => cancel()));
    await Promise.allSettled([...this.pending.values()]);
    this.entries.clear();
  }

  private insert(dataset: EpochDataset): void {
    this.entries.delete(dataset.epoch);
    this.entries.set(dataset.epoch, dataset);
    while (this.entries.size > this.maxEpochs) {
      const [oldestEpoch, oldest] = this.entries.entries().next().value as [number, EpochDataset];
      this.entries.delete(oldestEpoch);
      for (const listener of this.evictListeners) listener(oldest);
    }
  }

  private track<T>(task: { promise: Promise<T>; cancel: () => Promise<void> }): Promise<T> {
    this.cancels.add(task.cancel);
    return task.promise.finally(() => this.cancels.delete(task.cancel));
  }

  private async obtain(epoch: number): Promise<EpochDataset> {
    const { datasetBytes } = this.caches.sizes(epoch);
    const path = this.filePath(epoch);
    if (!path || !this.caches.directory) return this.build(epoch, datasetBytes, null);
    try {
      await mkdir(this.caches.directory, { recursive: true });
    } catch (err) {
      log.warn({ epoch, dir: this.caches.directory, err: (err as Error).message }, 'ethash dataset directory unusable; not persisting');
      return this.build(epoch, datasetBytes, null);
    }
    const first = await this.tryLoad(epoch, datasetBytes, path);
    if (first.dataset) return first.dataset;
    let waited = false;
    const release = await acquireFileLock(`${path}.lock`, {
      staleMs: this.lockStaleMs,
      signal: this.closing.signal,
      onWait: (owner) => {
        waited = true;
        log.info({ epoch, owner }, 'waiting for another process building the ethash dataset');
      },
    });
    try {
      if (waited || first.missing) {
        const second = await this.tryLoad(epoch, datasetBytes, path);
        if (second.dataset) return second.dataset;
      }
      return await this.build(epoch, datasetBytes, path);
    } finally {
      await release();
    }
  }

  private async tryLoad(epoch: number, datasetBytes: number, path: string): Promise<{ dataset?: EpochDataset; missing: boolean }> {
    const started = performance.now();
    try {
      const loaded = await this.track(runWorkerTask<LoadFileResult>({ type: 'load-file', path, kind: 'dataset', epoch, payloadBytes: datasetBytes }));
      this.stats.loaded++;
      log.info({ epoch, path, ms: Math.round(performance.now() - started) }, 'loaded ethash dataset');
      return { dataset: this.makeDataset(epoch, datasetBytes, loaded.buffer, 'disk'), missing: false };
    } catch (err) {
      if (isEthashError(err) && err.code === 'CACHE_FILE_MISSING') return { missing: true };
      if (isEthashError(err) && err.code === 'CLOSED') throw err;
      this.stats.rejected++;
      log.warn({ epoch, path, code: isEthashError(err) ? err.code : undefined, err: (err as Error).message }, 'ethash dataset file rejected; rebuilding');
      return { missing: false };
    }
  }

  private async build(epoch: number, datasetBytes: number, path: string | null): Promise<EpochDataset> {
    const cache = await this.caches.get(epoch);
    if (this.closed) throw new EthashError('CLOSED', 'dataset manager is closed');
    const started = performance.now();
    log.info({ epoch, bytes: datasetBytes }, 'building ethash dataset');
    const buffer = new SharedArrayBuffer(datasetBytes);
    let nextLog = 0.05;
    await this.builder.buildDataset(cache, buffer, (fraction) => {
      if (fraction < nextLog) return;
      while (nextLog <= fraction) nextLog += 0.05;
      const elapsed = performance.now() - started;
      log.info({ epoch, percent: Math.floor(fraction * 100), etaS: Math.round((elapsed / fraction - elapsed) / 1000) }, 'ethash dataset progress');
    });
    this.stats.generated++;
    log.info({ epoch, ms: Math.round(performance.now() - started) }, 'built ethash dataset');
    if (path) {
      const tempPath = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
      try {
        await this.track(runWorkerTask<WriteFileResult>({ type: 'write-file', path, tempPath, kind: 'dataset', epoch, buffer }));
      } catch (err) {
        await unlink(tempPath).catch(() => undefined);
        if (isEthashError(err) && err.code === 'CLOSED') throw err;
        log.warn({ epoch, path, err: (err as Error).message }, 'could not persist ethash dataset');
      }
    }
    return this.makeDataset(epoch, datasetBytes, buffer, 'generated');
  }

  private makeDataset(epoch: number, datasetBytes: number, buffer: SharedArrayBuffer, source: EpochDataset['source']): EpochDataset {
    return Object.freeze({ epoch, datasetBytes, buffer, words: new Int32Array(buffer), source });
  }
}
