import { Transaction } from '../../primitives/transaction.js';
import { ATTACHMENT_TYPE } from '../../primitives/attachment.js';
import type { Secp256k1Backend } from '../../crypto/secp256k1/types.js';
import { scriptError, type VerifyResult } from './errors.js';
import { verifyScript } from './interpreter.js';
import { TransactionSignatureChecker } from './checker.js';

/**
 * Per-input script verification as the reference's check_consensus →
 * verify_script does it (src/lib/blockchain/validate_transaction.cpp,
 * src/lib/consensus/consensus/consensus.cpp; mvs-consensus §5.5):
 * the transaction is round-tripped through the clone's parser first, then
 * VerifyScript runs the input's scriptSig against the previous output script.
 *
 * Coinbase inputs are not verified by the reference; callers skip them.
 */

export interface VerifyInputParams {
  tx: Transaction;
  index: number;
  /** The previous output's script, exact bytes. */
  prevScript: Uint8Array;
  /**
   * The previous output's value. The legacy signature hash does not commit
   * to it, so it is unused today; it is accepted so callers pass it already.
   */
  prevValue?: bigint;
  /** SCRIPT_VERIFY bits; consensus uses MVS_CONSENSUS_FLAGS. */
  flags: number;
  backend: Secp256k1Backend;
}

/**
 * The clone's CTxOut reads an ETP_AWARD attachment (type 1) without its
 * 8-byte body, so its re-serialized size never matches and verify_script
 * returns verify_result_tx_size_invalid for every input (mvs-consensus §5.5 [Q]).
 */
export function hasEtpAwardOutput(tx: Transaction): boolean {
  return tx.outputs.some((o) => o.attachment.type === ATTACHMENT_TYPE.ETP_AWARD);
}

export function verifyInput(params: VerifyInputParams): VerifyResult {
  const { tx, index, prevScript, flags, backend } = params;
  if (!Number.isInteger(index) || index < 0 || index >= tx.inputs.length) {
    return scriptError('TX_INPUT_INVALID', `input ${index} of ${tx.inputs.length}`);
  }
  if (hasEtpAwardOutput(tx)) return scriptError('ETP_AWARD_ROUNDTRIP');
  const checker = new TransactionSignatureChecker(tx, index, backend);
  return verifyScript(tx.inputs[index].script.raw, prevScript, flags, checker);
}

/**
 * One transaction with the previous output script of each of its inputs, in
 * input order. A missing entry (hole, null or undefined) fails that input
 * with TX_INPUT_INVALID.
 */
export interface TransactionJob {
  txRaw: Uint8Array;
  prevScripts: readonly (Uint8Array | null | undefined)[];
  flags: number;
}

/**
 * Verify every input of one already-decoded transaction. `prevScripts[i]`
 * belongs to input i; a missing one fails that input with TX_INPUT_INVALID.
 * `raw`: the bytes `tx` was decoded from, unedited since (see
 * TransactionSignatureChecker).
 */
export function verifyTransactionInputs(
  tx: Transaction,
  prevScripts: readonly (Uint8Array | null | undefined)[],
  flags: number,
  backend: Secp256k1Backend,
  raw?: Buffer,
): VerifyResult[] {
  const results: VerifyResult[] = new Array(tx.inputs.length);
  if (hasEtpAwardOutput(tx)) {
    results.fill(scriptError('ETP_AWARD_ROUNDTRIP'));
    return results;
  }
  for (let i = 0; i < tx.inputs.length; i++) {
    const prevScript = prevScripts[i];
    if (!(prevScript instanceof Uint8Array)) {
      results[i] = scriptError('TX_INPUT_INVALID', `no previous output script for input ${i}`);
      continue;
    }
    results[i] = verifyScript(tx.inputs[i].script.raw, prevScript, flags, new TransactionSignatureChecker(tx, i, backend, raw));
  }
  return results;
}

/**
 * Verify a job from its raw bytes (the worker path and the synchronous
 * in-thread path share this). Bytes that do not decode fail each input with
 * TX_INVALID, as verify_script's deserialization failure does; with no
 * decodable input count, one result per previous script is returned.
 */
export function verifyTransactionJob(job: TransactionJob, backend: Secp256k1Backend): VerifyResult[] {
  let tx: Transaction;
  try {
    tx = Transaction.fromRaw(job.txRaw);
  } catch (e) {
    const failure = scriptError('TX_INVALID', e instanceof Error ? e.message : String(e));
    return Array.from({ length: job.prevScripts.length }, () => failure);
  }
  // Just decoded from these bytes: the signature hashes may be cut from them.
  return verifyTransactionInputs(tx, job.prevScripts, job.flags, backend, tx.toRaw());
}

/** The synchronous in-thread path for small workloads (a mempool transaction). */
export function verifyTransactionsSync(jobs: readonly TransactionJob[], backend: Secp256k1Backend): VerifyResult[][] {
  return jobs.map((job) => verifyTransactionJob(job, backend));
}
