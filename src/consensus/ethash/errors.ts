/**
 * Typed Ethash engine errors. Consensus failures of a header are *results*
 * (`VerifyResult` with a reason), not errors; these are for bad arguments,
 * bad files and failed infrastructure, each with a stable `code`.
 */
export type EthashErrorCode =
  | 'BAD_INPUT' // wrong size, type or range of an argument
  | 'EPOCH_OUT_OF_RANGE' // epoch ≥ 2048 (block ≥ 61,440,000): outside the MVS size tables
  | 'CACHE_FILE_MISSING' // no persisted file
  | 'CACHE_FILE_TRUNCATED' // file shorter/longer than its header says
  | 'CACHE_FILE_CORRUPT' // bad magic, mismatching header fields or digest
  | 'WORKER_CRASHED' // a worker thread died with jobs pending
  | 'WORKER_FAILED' // a worker reported an error for a job
  | 'CLOSED' // the engine or pool was closed
  | 'UNSUPPORTED_PLATFORM'; // big-endian host (Ethash words are little-endian, spec §1.3)

export class EthashError extends Error {
  readonly code: EthashErrorCode;
  constructor(code: EthashErrorCode, message: string) {
    super(message);
    this.name = 'EthashError';
    this.code = code;
  }
}

export function isEthashError(err: unknown): err is EthashError {
  return err instanceof EthashError;
}
