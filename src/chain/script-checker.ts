import type { Transaction } from '../primitives/transaction.js';
import type { ScriptJob } from '../consensus/block.js';
import { MVS_CONSENSUS_FLAGS } from '../consensus/script/flags.js';
import type { TransactionJob } from '../consensus/script/verify.js';
import type { VerifyResult } from '../consensus/script/errors.js';
import { ScriptVerifierPool } from '../consensus/script/pool.js';
import type { ScriptVerifier, ScriptCheckResult } from './chain.js';

/**
 * The chain's ScriptVerifier on top of the script-verification worker pool:
 * each transaction travels once with the previous scripts of all its inputs;
 * small workloads (a mempool tx, a near-empty block) run on the calling
 * thread, where messaging would cost more than the checks.
 *
 * Batches hold DEFAULT_BATCH_INPUTS inputs unless told otherwise: a batch
 * is ~8 ms of work, two in flight per worker ~16 ms queued — longer than the
 * chain's longest synchronous step (a block's commit), so the workers keep
 * verifying the next blocks while the chain writes — and a 200-input block
 * still spreads over both workers of a two-core machine. 100 measured a
 * little ahead of 50 (+0.01 of the connect bench's ratio in paired runs:
 * half the messages). (The pool's own default, four batches per worker per
 * call, starves the workers during block connection: bench/connect.ts,
 * docs/storage.md.)
 */
export const DEFAULT_BATCH_INPUTS = 100;

export class PooledScriptVerifier implements ScriptVerifier {
  readonly pool: ScriptVerifierPool;
  private readonly inlineMaxInputs: number;

  constructor(opts: { pool?: ScriptVerifierPool; workers?: number; inlineMaxInputs?: number; batchInputs?: number; nice?: number } = {}) {
    this.pool = opts.pool ?? new ScriptVerifierPool({ size: opts.workers, batchInputs: opts.batchInputs ?? DEFAULT_BATCH_INPUTS, nice: opts.nice });
    this.inlineMaxInputs = opts.inlineMaxInputs ?? 16;
  }

  async verifyScripts(txs: readonly Transaction[], jobs: readonly ScriptJob[]): Promise<ScriptCheckResult> {
    if (jobs.length === 0) return { ok: true };
    // One job per transaction with the previous scripts of its inputs. Connection lists the jobs in
    // transaction order, so runs of one txIndex are its groups; any other order is grouped by map.
    const order: number[] = [];
    const txJobs: TransactionJob[] = [];
    if (inTxOrder(jobs)) {
      let start = 0;
      for (let k = 1; k <= jobs.length; k++) {
        if (k === jobs.length || jobs[k].txIndex !== jobs[start].txIndex) {
          addTxJob(txs, jobs, start, k, order, txJobs);
          start = k;
        }
      }
    } else {
      const byTx = new Map<number, ScriptJob[]>();
      for (const j of jobs) {
        let list = byTx.get(j.txIndex);
        if (!list) byTx.set(j.txIndex, (list = []));
        list.push(j);
      }
      for (const list of byTx.values()) addTxJob(txs, list, 0, list.length, order, txJobs);
    }
    const results: VerifyResult[][] = jobs.length <= this.inlineMaxInputs ? this.pool.verifySync(txJobs) : await this.pool.verifyTransactions(txJobs);
    for (let k = 0; k < results.length; k++) {
      const perInput = results[k];
      for (let i = 0; i < perInput.length; i++) {
        const r = perInput[i];
        if (!r.ok) return { ok: false, txIndex: order[k], inputIndex: i, code: r.code, message: r.message };
      }
    }
    return { ok: true };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * The worker job of one transaction from its input jobs list[from, to) (all of one txIndex): its raw
 * bytes and each input's previous script. A module function, not a closure made per call, so it is
 * compiled once (docs/storage.md, "Throughput").
 */
function addTxJob(txs: readonly Transaction[], list: readonly ScriptJob[], from: number, to: number, order: number[], txJobs: TransactionJob[]): void {
  const txIndex = list[from].txIndex;
  const tx = txs[txIndex];
  const prevScripts: Buffer[] = new Array(tx.inputs.length);
  for (let k = from; k < to; k++) prevScripts[list[k].inputIndex] = list[k].prevScript.raw;
  order.push(txIndex);
  txJobs.push({ txRaw: tx.toRaw(), prevScripts, flags: MVS_CONSENSUS_FLAGS });
}

/** Whether the jobs of each transaction are consecutive, in ascending transaction order. */
function inTxOrder(jobs: readonly ScriptJob[]): boolean {
  for (let k = 1; k < jobs.length; k++) if (jobs[k].txIndex < jobs[k - 1].txIndex) return false;
  return true;
}
