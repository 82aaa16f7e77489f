/** Script verification: interpreter, signature checker, entry points, worker pool (docs/script.md). */
export { SCRIPT_VERIFY, MVS_CONSENSUS_FLAGS, ALL_SCRIPT_FLAGS } from './flags.js';
export { scriptError, scriptErrorMessage, isScriptErrorCode, SCRIPT_ERROR_CODES, VERIFY_OK } from './errors.js';
export type { ScriptErrorCode, ScriptError, VerifyResult } from './errors.js';
export {
  evalScript,
  verifyScript,
  checkSignatureEncoding,
  checkPubKeyEncoding,
  MAX_SCRIPT_SIZE,
  MAX_SCRIPT_ELEMENT_SIZE,
  MAX_OPS_PER_SCRIPT,
  MAX_PUBKEYS_PER_MULTISIG,
  MAX_STACK_SIZE,
} from './interpreter.js';
export type { EvalFailure } from './interpreter.js';
export { TransactionSignatureChecker, NULL_CHECKER, hasValidPublicKeySize, isUnreproducibleSighash } from './checker.js';
export type { SignatureChecker } from './checker.js';
export {
  lockContextOf,
  checkLockTime,
  checkSequence,
  LOCKTIME_THRESHOLD,
  SEQUENCE_FINAL,
  RELATIVE_LOCKTIME_MIN_VERSION,
  RELATIVE_LOCKTIME_DISABLED,
  RELATIVE_LOCKTIME_TIME_LOCKED,
  RELATIVE_LOCKTIME_MASK,
} from './lock.js';
export type { LockContext } from './lock.js';
export { verifyInput, verifyTransactionInputs, verifyTransactionJob, verifyTransactionsSync, hasEtpAwardOutput } from './verify.js';
export type { VerifyInputParams, TransactionJob } from './verify.js';
export { ScriptVerifierPool, ScriptPoolError } from './pool.js';
export type { ScriptVerifierPoolOptions } from './pool.js';
export { castToBool, decodeNum, encodeNum } from './num.js';
export { findAndDelete, withoutCodeSeparators, isPushOnly, isPayToScriptHash, pushEncoding } from './script-code.js';
