import type { Transaction } from '../../primitives/transaction.js';
import type { Secp256k1Backend } from '../../crypto/secp256k1/types.js';
import { parseDerLax } from '../../crypto/secp256k1/der.js';
import { signatureHash, signatureHashOfRaw, SIGHASH } from '../sighash.js';
import { checkLockTime, checkSequence, lockContextOf, type LockContext } from './lock.js';
import { withoutCodeSeparators } from './script-code.js';

/**
 * What the interpreter asks of the transaction being verified
 * (BaseSignatureChecker in src/lib/consensus/clone/script/interpreter.h).
 * Tests may pass their own implementation.
 */
export interface SignatureChecker {
  /**
   * `signature` is DER ‖ hash type as pushed; `scriptCode` is the executing
   * script from the last OP_CODESEPARATOR with the signature(s) already
   * removed (FindAndDelete). Returns false for any failure.
   */
  checkSig(signature: Uint8Array, pubkey: Uint8Array, scriptCode: Buffer): boolean;
  /** CLTV operand, already checked non-negative. */
  checkLockTime(lockTime: number): boolean;
  /** CSV operand, already checked non-negative and without the disable bit. */
  checkSequence(sequence: number): boolean;
}

/** BaseSignatureChecker: every check fails (scripts without a transaction). */
export const NULL_CHECKER: SignatureChecker = {
  checkSig: () => false,
  checkLockTime: () => false,
  checkSequence: () => false,
};

/**
 * CPubKey's size rule (CPubKey::GetLen / IsValid): 33 bytes with prefix 02/03,
 * 65 bytes with prefix 04/06/07. The curve check is the backend's.
 */
export function hasValidPublicKeySize(pubkey: Uint8Array): boolean {
  if (pubkey.length === 33) return pubkey[0] === 0x02 || pubkey[0] === 0x03;
  if (pubkey.length === 65) return pubkey[0] === 0x04 || pubkey[0] === 0x06 || pubkey[0] === 0x07;
  return false;
}

/**
 * MVS quirk (mvs-consensus §5.5, mvs-wire §4.6): with SIGHASH_SINGLE the
 * clone serializes the outputs before the signing index as a default CTxOut
 * whose attachment version and type are uninitialised, so that digest is not
 * reproducible and such a signature is treated as never valid. SINGLE at
 * index 0 blanks nothing; SINGLE with index ≥ outputs signs ONE_HASH as in
 * Bitcoin (the index is in range here: inputs are checked by the caller).
 */
export function isUnreproducibleSighash(tx: Transaction, inputIndex: number, hashType: number): boolean {
  return (hashType & SIGHASH.MASK) === SIGHASH.SINGLE && inputIndex > 0 && inputIndex < tx.outputs.length;
}

/**
 * TransactionSignatureChecker for one input. Signatures go to the given
 * secp256k1 backend, so tests can run the same scripts with both.
 */
export class TransactionSignatureChecker implements SignatureChecker {
  private readonly lock: LockContext;
  // One-entry digest cache: CHECKMULTISIG checks every signature against the
  // same scriptCode buffer, usually with the same hash type.
  private cachedScriptCode: Buffer | null = null;
  private cachedHashType = -1;
  private cachedDigest: Buffer | null = null;

  /**
   * `raw`: the bytes `tx` was just decoded from, when the caller has them
   * (script verification) — signature hashes are then cut from them
   * (signatureHashOfRaw). Absent for a transaction being edited.
   */
  constructor(
    readonly tx: Transaction,
    readonly inputIndex: number,
    readonly backend: Secp256k1Backend,
    private readonly raw?: Buffer,
  ) {
    this.lock = lockContextOf(tx, inputIndex);
  }

  checkSig(signature: Uint8Array, pubkey: Uint8Array, scriptCode: Buffer): boolean {
    if (!hasValidPublicKeySize(pubkey)) return false;
    if (signature.length === 0) return false;
    const hashType = signature[signature.length - 1];
    const der = signature.subarray(0, signature.length - 1);
    if (isUnreproducibleSighash(this.tx, this.inputIndex, hashType)) return false;
    // CPubKey::Verify: an empty DER body and a lax-parse failure are plain failures.
    if (der.length === 0) return false;
    const compact = parseDerLax(der);
    if (!compact) return false;
    return this.backend.verify(compact, this.digest(scriptCode, hashType), pubkey);
  }

  checkLockTime(lockTime: number): boolean {
    return checkLockTime(this.lock, lockTime);
  }

  checkSequence(sequence: number): boolean {
    return checkSequence(this.lock, sequence);
  }

  private digest(scriptCode: Buffer, hashType: number): Buffer {
    if (this.cachedDigest && this.cachedScriptCode === scriptCode && this.cachedHashType === hashType) return this.cachedDigest;
    const code = withoutCodeSeparators(scriptCode);
    const digest = this.raw ? signatureHashOfRaw(this.tx, this.raw, this.inputIndex, code, hashType) : signatureHash(this.tx, this.inputIndex, code, hashType);
    this.cachedScriptCode = scriptCode;
    this.cachedHashType = hashType;
    this.cachedDigest = digest;
    return digest;
  }
}
