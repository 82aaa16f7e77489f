import type { BackendName } from '../../crypto/secp256k1/index.js';
import { isScriptErrorCode, scriptError, VERIFY_OK, type ScriptErrorCode, type VerifyResult } from './errors.js';
import type { TransactionJob } from './verify.js';

/**
 * Messages between the script pool and its workers. A batch's bytes (raw
 * transactions and previous output scripts) are packed into one ArrayBuffer
 * that is transferred, not copied: structured-cloning a Buffer view would
 * copy its whole backing store (a block buffer, or Node's 8 KiB pool slab).
 */

export interface WorkerInit {
  /** Backend the worker must use; absent: the worker's own default (native when it loads). */
  backend?: BackendName;
}

export interface WireJob {
  /** [offset, length] of the raw transaction in the batch buffer. */
  tx: [number, number];
  /** Flattened [offset, length] pairs of the previous output scripts; offset −1 = missing. */
  prev: number[];
  flags: number;
}

export interface BatchRequest {
  batchId: number;
  buffer: ArrayBuffer;
  jobs: WireJob[];
}

/** null = verified; [code, message] = failed. */
export type WireVerdict = null | [ScriptErrorCode, string];

export type BatchResponse = { batchId: number; results: WireVerdict[][] } | { batchId: number; error: string };

/** Pack jobs into one transferable buffer. */
export function packBatch(batchId: number, jobs: readonly TransactionJob[]): BatchRequest {
  let total = 0;
  for (const job of jobs) {
    total += job.txRaw.length;
    for (let i = 0; i < job.prevScripts.length; i++) total += job.prevScripts[i]?.length ?? 0;
  }
  const buffer = new ArrayBuffer(total);
  const bytes = new Uint8Array(buffer);
  let offset = 0;
  const put = (data: Uint8Array): [number, number] => {
    bytes.set(data, offset);
    const span: [number, number] = [offset, data.length];
    offset += data.length;
    return span;
  };
  const wireJobs = jobs.map((job) => {
    const tx = put(job.txRaw);
    const prev: number[] = [];
    for (let i = 0; i < job.prevScripts.length; i++) {
      const s = job.prevScripts[i];
      if (s instanceof Uint8Array) prev.push(...put(s));
      else prev.push(-1, 0);
    }
    return { tx, prev, flags: job.flags };
  });
  return { batchId, buffer, jobs: wireJobs };
}

/** The jobs of a batch as views into its buffer (worker side). */
export function unpackBatch(request: BatchRequest): TransactionJob[] {
  const view = (offset: number, length: number) => Buffer.from(request.buffer, offset, length);
  return request.jobs.map((job) => {
    const prevScripts: (Buffer | null)[] = [];
    for (let i = 0; i < job.prev.length; i += 2) prevScripts.push(job.prev[i] < 0 ? null : view(job.prev[i], job.prev[i + 1]));
    return { txRaw: view(job.tx[0], job.tx[1]), prevScripts, flags: job.flags };
  });
}

export function toWire(result: VerifyResult): WireVerdict {
  return result.ok ? null : [result.code, result.message];
}

export function fromWire(verdict: WireVerdict): VerifyResult {
  if (verdict === null) return VERIFY_OK;
  const [code, message] = verdict;
  return isScriptErrorCode(code) ? { ok: false, code, message } : scriptError('UNKNOWN_ERROR', String(message));
}
