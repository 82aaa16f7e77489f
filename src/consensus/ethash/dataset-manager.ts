import { unlink } from 'node:fs/promises';
import { logger } from '../../util/logger.js';
import { epochFilePath } from './cache-file.js';
import type { EpochCache, EpochCacheManager } from './cache-manager.js';
import { EthashError, isEthashError } from './errors.js';
import { EpochResources } from './epoch-resources.js';
import { seedHash } from './params.js';
import type { WriteFileResult } from './protocol.js';
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
export class DatasetManager extends EpochResources<EpochDataset> {
  private readonly caches: EpochCacheManager;
  private readonly builder: DatasetBuilder;
  private readonly lockStaleMs: number;

  constructor(options: DatasetManagerOptions) {
    super(options.maxEpochs ?? 1, 'dataset');
    this.caches = options.caches;
    this.builder = options.builder;
    this.lockStaleMs = options.lockStaleMs ?? 60_000;
  }

  filePath(epoch: number): string | null {
    const dir = this.caches.directory;
    if (!dir) return null;
    const override = this.caches.nonStandard ? this.caches.sizes(epoch).datasetBytes : undefined;
    return epochFilePath(dir, 'dataset', seedHash(epoch), override);
  }

  protected obtain(epoch: number): Promise<EpochDataset> {
    const { datasetBytes } = this.caches.sizes(epoch);
    const path = this.filePath(epoch);
    const make = (to: string | null) => this.build(epoch, datasetBytes, to);
    if (!path || !this.caches.directory) return make(null);
    return this.loadOrMake(epoch, this.caches.directory, path, {
      lockStaleMs: this.lockStaleMs,
      payloadBytes: datasetBytes,
      fromFile: (loaded) => this.makeDataset(epoch, datasetBytes, loaded.buffer, 'disk'),
      make,
    });
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
