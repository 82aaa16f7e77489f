import type { BackendName } from '../../crypto/secp256k1/index.js';
import { isScriptErrorCode, scriptError, VERIFY_OK, type ScriptErrorCode, type VerifyResult } from './errors.js';
import type { TransactionJob } from './verify.js';

/**
 * Messages between the script pool and its workers. A batch travels as one
 * ArrayBuffer, transferred, not copied (structured-cloning a Buffer view
 * would copy its whole backing store: a block buffer, or Node's 8 KiB pool
 * slab), and holding no JS objects, which structured cloning would walk one
 * by one on both threads. Its layout, little-endian 32-bit words first:
 *
 *   jobs ‖ per job: flags, tx length, input count, that many previous-script
 *   lengths (−1 = missing) ‖ the bytes: per job its raw tx, then its previous
 *   output scripts, in order.
 *
 * The reply to a batch in which every input passed is `{ batchId, ok: true }`;
 * otherwise it carries every verdict.
 */

export interface WorkerInit {
  /** Backend the worker must use; absent: the worker's own default (native when it loads). */
  backend?: BackendName;
  /** Nice value the worker lowers its thread to (util/thread-priority.ts); absent or 0: unchanged. */
  nice?: number;
}

export interface BatchRequest {
  batchId: number;
  buffer: ArrayBuffer;
}

/** null = verified; [code, message] = failed. */
export type WireVerdict = null | [ScriptErrorCode, string];

export type BatchResponse = { batchId: number; ok: true } | { batchId: number; results: WireVerdict[][] } | { batchId: number; error: string };

/** Pack jobs into one transferable buffer. */
export function packBatch(batchId: number, jobs: readonly TransactionJob[]): BatchRequest {
  let words = 1;
  let bytes = 0;
  for (const job of jobs) {
    words += 3 + job.prevScripts.length;
    bytes += job.txRaw.length;
    for (let i = 0; i < job.prevScripts.length; i++) bytes += job.prevScripts[i]?.length ?? 0;
  }
  const buffer = new ArrayBuffer(words * 4 + bytes);
  const head = new DataView(buffer);
  const body = new Uint8Array(buffer);
  let w = 0;
  let at = words * 4;
  const word = (v: number) => {
    head.setInt32(w, v, true);
    w += 4;
  };
  word(jobs.length);
  for (const job of jobs) {
    word(job.flags);
    word(job.txRaw.length);
    word(job.prevScripts.length);
    body.set(job.txRaw, at);
    at += job.txRaw.length;
    for (let i = 0; i < job.prevScripts.length; i++) {
      const script = job.prevScripts[i];
      if (script instanceof Uint8Array) {
        word(script.length);
        body.set(script, at);
        at += script.length;
      } else {
        word(-1);
      }
    }
  }
  return { batchId, buffer };
}

/** The jobs of a batch as views into its buffer (worker side). Throws on a buffer that does not hold what its words say. */
export function unpackBatch(request: BatchRequest): TransactionJob[] {
  const buffer = request.buffer;
  const head = new DataView(buffer);
  const size = buffer.byteLength;
  let w = 0;
  const word = (): number => {
    if (w + 4 > size) throw new RangeError('script batch: truncated layout');
    const v = head.getInt32(w, true);
    w += 4;
    return v;
  };
  const count = word();
  const layout: { flags: number; txLength: number; prev: number[] }[] = [];
  for (let j = 0; j < count; j++) {
    const flags = word();
    const txLength = word();
    const inputs = word();
    if (txLength < 0 || inputs < 0) throw new RangeError('script batch: negative length');
    // A count the buffer cannot hold is refused before anything is allocated for it.
    if (inputs > (size - w) / 4) throw new RangeError('script batch: truncated layout');
    const prev: number[] = new Array(inputs);
    for (let i = 0; i < inputs; i++) prev[i] = word();
    layout.push({ flags, txLength, prev });
  }
  let at = w;
  const view = (length: number): Buffer => {
    if (at + length > size) throw new RangeError('script batch: truncated bytes');
    const b = Buffer.from(buffer, at, length);
    at += length;
    return b;
  };
  return layout.map(({ flags, txLength, prev }) => {
    const txRaw = view(txLength);
    const prevScripts: (Buffer | null)[] = new Array(prev.length);
    for (let i = 0; i < prev.length; i++) prevScripts[i] = prev[i] < 0 ? null : view(prev[i]);
    return { txRaw, prevScripts, flags };
  });
}

/** The reply to a verified batch (worker side): the short form when every input of every job passed. */
export function batchResponse(batchId: number, jobs: readonly TransactionJob[], results: readonly VerifyResult[][]): BatchResponse {
  let allOk = true;
  for (let k = 0; k < results.length && allOk; k++) {
    const perInput = results[k];
    if (perInput.length !== jobs[k].prevScripts.length) allOk = false;
    for (let i = 0; i < perInput.length && allOk; i++) if (!perInput[i].ok) allOk = false;
  }
  return allOk ? { batchId, ok: true } : { batchId, results: results.map((r) => r.map(toWire)) };
}

export function toWire(result: VerifyResult): WireVerdict {
  return result.ok ? null : [result.code, result.message];
}

export function fromWire(verdict: WireVerdict): VerifyResult {
  if (verdict === null) return VERIFY_OK;
  const [code, message] = verdict;
  return isScriptErrorCode(code) ? { ok: false, code, message } : scriptError('UNKNOWN_ERROR', String(message));
}
