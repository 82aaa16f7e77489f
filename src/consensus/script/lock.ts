import type { Transaction } from '../../primitives/transaction.js';

/**
 * What CHECKLOCKTIMEVERIFY and CHECKSEQUENCEVERIFY compare against: the
 * spending transaction's version and lock time and the spending input's
 * sequence (TransactionSignatureChecker::CheckLockTime / CheckSequence in
 * src/lib/consensus/clone/script/interpreter.cpp). Pure: no chain state.
 * The MVS constants are those of include/metaverse/bitcoin/constants.hpp
 * (mvs-consensus §5.5, §5.6; mvs-wire §4.7).
 */

/** nLockTime below this is a height, otherwise a UNIX time (BIP65). */
export const LOCKTIME_THRESHOLD = 500_000_000;
/** Sequence that makes an input final (CTxIn::SEQUENCE_FINAL). */
export const SEQUENCE_FINAL = 0xffffffff;
/** Relative locks need tx version ≥ 2 (relative_locktime_min_version). */
export const RELATIVE_LOCKTIME_MIN_VERSION = 2;
/** Bit 31: the sequence carries no relative lock (relative_locktime_disabled). */
export const RELATIVE_LOCKTIME_DISABLED = 0x80000000;
/** Bit 22: the relative lock counts 32-second units, not blocks (relative_locktime_time_locked). */
export const RELATIVE_LOCKTIME_TIME_LOCKED = 1 << 22;
/** MVS: 20 value bits (Bitcoin: 16) (relative_locktime_mask). */
export const RELATIVE_LOCKTIME_MASK = 0x000fffff;

export interface LockContext {
  /** Spending transaction version (compared as uint32, as the reference casts it). */
  readonly txVersion: number;
  readonly txLockTime: number;
  /** Sequence of the input being verified. */
  readonly inputSequence: number;
}

export function lockContextOf(tx: Transaction, inputIndex: number): LockContext {
  return { txVersion: tx.version >>> 0, txLockTime: tx.locktime >>> 0, inputSequence: tx.inputs[inputIndex].sequence >>> 0 };
}

/** CheckLockTime: `lockTime` is the non-negative CLTV operand (≤ 2^39 − 1). */
export function checkLockTime(ctx: LockContext, lockTime: number): boolean {
  // Compare like with like: both heights or both times.
  const txIsTime = ctx.txLockTime >= LOCKTIME_THRESHOLD;
  const operandIsTime = lockTime >= LOCKTIME_THRESHOLD;
  if (txIsTime !== operandIsTime) return false;
  if (lockTime > ctx.txLockTime) return false;
  // A final input would let the transaction ignore its lock time altogether.
  if (ctx.inputSequence === SEQUENCE_FINAL) return false;
  return true;
}

/**
 * CheckSequence: `sequence` is the non-negative CSV operand without the
 * disable bit (the opcode treats a set bit 31 as a NOP before calling this).
 */
export function checkSequence(ctx: LockContext, sequence: number): boolean {
  if (ctx.txVersion < RELATIVE_LOCKTIME_MIN_VERSION) return false;
  if (ctx.inputSequence & RELATIVE_LOCKTIME_DISABLED) return false;
  const lockMask = RELATIVE_LOCKTIME_TIME_LOCKED | RELATIVE_LOCKTIME_MASK;
  // The operand may exceed 32 bits (5-byte number); only the masked bits matter.
  const txMasked = ctx.inputSequence & lockMask;
  const operandMasked = maskLow32(sequence) & lockMask;
  const txIsTime = txMasked >= RELATIVE_LOCKTIME_TIME_LOCKED;
  const operandIsTime = operandMasked >= RELATIVE_LOCKTIME_TIME_LOCKED;
  if (txIsTime !== operandIsTime) return false;
  return operandMasked <= txMasked;
}

/** The low 32 bits of a non-negative integer below 2^53, as an unsigned number. */
function maskLow32(value: number): number {
  return (value % 0x100000000) >>> 0;
}
