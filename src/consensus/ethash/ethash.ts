import { EpochCacheManager } from './cache-manager.js';
import type { EpochCache, EpochSizes } from './cache-manager.js';
import { DatasetManager } from './dataset-manager.js';
import type { EpochDataset } from './dataset-manager.js';
import { EthashError } from './errors.js';
import { EthashPool } from './pool.js';
import type { SearchOptions, SearchResult } from './pool.js';
import type { PowHeader, VerifyResult } from './verify.js';

export interface EthashOptions {
  /** Node data directory; caches/DAGs go to `<dataDir>/ethash`. Omit to keep them in memory only. */
  dataDir?: string | null;
  /** Worker threads for verification, search and DAG building (default: number of cores). */
  threads?: number;
  /** Epoch caches held in memory (default 3). */
  maxCachedEpochs?: number;
  /** DAGs held in memory (default 1). */
  maxDatasets?: number;
  /** Prefetch the next epoch's cache when verifying near an epoch's end (default true). */
  autoPrefetch?: boolean;
  /** Tests only: non-standard cache/dataset sizes (a different PoW). */
  sizeOverride?: EpochSizes;
}

/**
 * The Ethash engine the node uses: header verification (single or batched
 * for sync), nonce search for the CPU miner and getwork, and the epoch caches
 * and DAGs behind them. All hashing runs on worker threads.
 */
export class Ethash {
  readonly caches: EpochCacheManager;
  readonly datasets: DatasetManager;
  readonly pool: EthashPool;
  private closed = false;

  constructor(options: EthashOptions = {}) {
    this.caches = new EpochCacheManager({ dataDir: options.dataDir, maxEpochs: options.maxCachedEpochs, sizeOverride: options.sizeOverride });
    this.pool = new EthashPool({ caches: this.caches, threads: options.threads, autoPrefetch: options.autoPrefetch });
    this.datasets = new DatasetManager({ caches: this.caches, builder: this.pool, maxEpochs: options.maxDatasets });
    this.pool.attachDatasets(this.datasets);
  }

  get threads(): number {
    return this.pool.threads;
  }

  /** `{ ok: true }` or `{ ok: false, reason }` for one header's seal. */
  verifyHeader(header: PowHeader): Promise<VerifyResult> {
    return this.pool.verifyHeader(header);
  }

  /** Results by index for a batch (the sync path). */
  verifyHeaders(headers: readonly PowHeader[]): Promise<VerifyResult[]> {
    return this.pool.verifyHeaders(headers);
  }

  /** Nonce search (see SearchOptions); the found nonce and mix go into the header as is. */
  search(options: SearchOptions): Promise<SearchResult> {
    return this.pool.search(options);
  }

  /** The epoch's cache, loading or generating it. */
  getCache(epoch: number): Promise<EpochCache> {
    return this.caches.get(epoch);
  }

  /** Start preparing an epoch's cache in the background. */
  prefetchEpoch(epoch: number): void {
    this.caches.prefetch(epoch);
  }

  /** The epoch's full DAG for `mode: 'full'` search, building it (minutes) if needed. */
  prepareDataset(epoch: number): Promise<EpochDataset> {
    if (this.closed) return Promise.reject(new EthashError('CLOSED', 'ethash engine is closed'));
    return this.datasets.get(epoch);
  }

  /** Stops workers and background generation; pending calls fail with CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
    await Promise.all([this.datasets.close(), this.caches.close()]);
  }
}
