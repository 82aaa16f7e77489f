/**
 * Ethash for MVS (project issue #3): unchanged Ethereum Ethash revision 23
 * with MVS's header mapping. See docs/ethash.md for the API and design.
 */
export { Ethash } from './ethash.js';
export type { EthashOptions } from './ethash.js';
export { EthashPool } from './pool.js';
export type { EthashPoolOptions, SearchOptions, SearchProgress, SearchResult } from './pool.js';
export { EpochCacheManager } from './cache-manager.js';
export type { EpochCache, EpochCacheManagerOptions, EpochCacheStats, EpochSizes } from './cache-manager.js';
export { DatasetManager } from './dataset-manager.js';
export type { EpochDataset } from './dataset-manager.js';
export { EthashError, isEthashError } from './errors.js';
export type { EthashErrorCode } from './errors.js';
export {
  ACCESSES,
  CACHE_ROUNDS,
  DATASET_PARENTS,
  EPOCH_LENGTH,
  ETHASH_REVISION,
  FNV_PRIME,
  MAX_BLOCK_NUMBER,
  MAX_EPOCH,
  cacheSize,
  datasetSize,
  epochOf,
  epochOfSeed,
  isSupportedEpoch,
  seedHash,
} from './params.js';
export { boundary, boundaryBytes, bytesToU256, nonceFromHalves, nonceHalves, sealHash, sealPreimage, u256ToBytes } from './seal.js';
export type { SealFields } from './seal.js';
export { calcDatasetItem, hashimotoFull, hashimotoLight, makeCache, quickFinalHash } from './hashimoto.js';
export type { HashimotoResult } from './hashimoto.js';
export { precheckHeader, verifyHeaderWithCache } from './verify.js';
export type { CacheView, PowHeader, VerifyFailure, VerifyResult } from './verify.js';
export { fnv } from './algorithm.js';
export { keccak256 as ethashKeccak256, kernel as keccakKernel } from './keccak.js';
