import assert from 'node:assert/strict';
import { availableBackends, compactToDer, getBackend, type BackendName, type Secp256k1Backend } from '../../../src/crypto/secp256k1/index.js';
import { hash160 } from '../../../src/crypto/hash.js';
import { signatureHash, SIGHASH } from '../../../src/consensus/sighash.js';
import { OutPoint, Transaction, TxInput, TxOutput } from '../../../src/primitives/transaction.js';
import { Attachment } from '../../../src/primitives/attachment.js';
import { Script, pushOp, serializeOps, type ScriptOp } from '../../../src/primitives/script.js';
import { OP } from '../../../src/primitives/opcodes.js';
import { withoutCodeSeparators } from '../../../src/consensus/script/script-code.js';
import { verifyScript } from '../../../src/consensus/script/interpreter.js';
import { NULL_CHECKER, TransactionSignatureChecker, type SignatureChecker } from '../../../src/consensus/script/checker.js';
import { MVS_CONSENSUS_FLAGS } from '../../../src/consensus/script/flags.js';
import type { VerifyResult } from '../../../src/consensus/script/errors.js';

/** Shared helpers for the script tests (not a test file itself). */

export { OP, SIGHASH, MVS_CONSENSUS_FLAGS };

/** OP_n for 1..16. */
export function OPN(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new RangeError(`OP_${n}`);
  return OP.OP_1 + n - 1;
}

/** A raw byte run appended as is (for non-minimal pushes, truncated pushes, …). */
export interface RawBytes {
  raw: Uint8Array;
}

export type ScriptPart = number | Uint8Array | string | RawBytes;

/**
 * Build script bytes: a number is an opcode, a Uint8Array is pushed with the
 * smallest push, a string is pushed as ASCII, `{ raw }` is copied verbatim.
 */
export function script(...parts: ScriptPart[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if (typeof part === 'number') chunks.push(Buffer.from([part]));
    else if (typeof part === 'string') chunks.push(serializeOps([pushOp(Buffer.from(part, 'ascii'))]));
    else if (part instanceof Uint8Array) chunks.push(serializeOps([pushOp(part)]));
    else chunks.push(Buffer.from(part.raw));
  }
  return Buffer.concat(chunks);
}

export function raw(bytes: Uint8Array | string): RawBytes {
  return { raw: typeof bytes === 'string' ? Buffer.from(bytes, 'hex') : bytes };
}

/** A minimal script-number push for script(), e.g. num(-1), num(500000000). */
export function num(value: number): RawBytes {
  const ops: ScriptOp[] = [pushOp(encodeNumber(value))];
  return { raw: serializeOps(ops) };
}

export function encodeNumber(value: number): Buffer {
  if (value === 0) return Buffer.alloc(0);
  const negative = value < 0;
  let m = Math.abs(value);
  const bytes: number[] = [];
  while (m > 0) {
    bytes.push(m % 256);
    m = Math.floor(m / 256);
  }
  if (bytes[bytes.length - 1] & 0x80) bytes.push(negative ? 0x80 : 0);
  else if (negative) bytes[bytes.length - 1] |= 0x80;
  return Buffer.from(bytes);
}

/** Run scriptSig + scriptPubKey with the given flags and checker (no transaction by default). */
export function run(scriptSig: Uint8Array, scriptPubKey: Uint8Array, flags = MVS_CONSENSUS_FLAGS, checker: SignatureChecker = NULL_CHECKER): VerifyResult {
  return verifyScript(scriptSig, scriptPubKey, flags, checker);
}

export function assertOk(result: VerifyResult, what = 'script'): void {
  assert.ok(result.ok, `${what} should verify, got ${result.ok ? '' : `${result.code}: ${result.message}`}`);
}

export function assertCode(result: VerifyResult, code: string, what = 'script'): void {
  assert.equal(result.ok, false, `${what} should fail with ${code}`);
  if (!result.ok) assert.equal(result.code, code, `${what}: ${result.message}`);
}

/** A checker for opcode tests: lock checks succeed, signatures verify iff their first byte is 0x01. */
export const PERMISSIVE_CHECKER: SignatureChecker = {
  checkSig: (sig) => sig.length > 0 && sig[0] === 0x01,
  checkLockTime: () => true,
  checkSequence: () => true,
};

// ---------------------------------------------------------------------------
// Keys and transactions

export interface TestKey {
  privateKey: Buffer;
  pubkey: Buffer;
  pubkeyUncompressed: Buffer;
  hash: Buffer;
}

export function testKey(seed: number, backend: Secp256k1Backend = getBackend('noble')): TestKey {
  const privateKey = Buffer.alloc(32, 0);
  privateKey[31] = seed;
  privateKey[0] = 0x11;
  const pubkey = Buffer.from(backend.publicKeyCreate(privateKey, true));
  const pubkeyUncompressed = Buffer.from(backend.publicKeyCreate(privateKey, false));
  return { privateKey, pubkey, pubkeyUncompressed, hash: hash160(pubkey) };
}

export interface SpendOptions {
  version?: number;
  locktime?: number;
  sequences?: number[];
  outputs?: TxOutput[];
}

/** A transaction spending `inputs` dummy outpoints (scripts filled in later). */
export function spendingTx(inputs = 1, options: SpendOptions = {}): Transaction {
  const ins = Array.from({ length: inputs }, (_, i) => {
    const hash = Buffer.alloc(32, 0xa0 + i);
    return new TxInput(new OutPoint(hash, i), new Script(), options.sequences?.[i] ?? 0xffffffff);
  });
  const outs = options.outputs ?? [new TxOutput(50_000n, Script.fromHex('76a914' + '11'.repeat(20) + '88ac'), Attachment.etp())];
  return new Transaction(options.version ?? 2, ins, outs, options.locktime ?? 0);
}

export function etpOutput(value: bigint, seed = 0x22): TxOutput {
  return new TxOutput(value, Script.fromHex('76a914' + seed.toString(16).padStart(2, '0').repeat(20) + '88ac'), Attachment.etp());
}

/** DER ‖ hashType over `scriptCode` for input `index` (OP_CODESEPARATORs removed, as the clone signs). */
export function sign(tx: Transaction, index: number, scriptCode: Uint8Array, key: TestKey, backend: Secp256k1Backend, hashType: number = SIGHASH.ALL): Buffer {
  const digest = signatureHash(tx, index, withoutCodeSeparators(Buffer.from(scriptCode)), hashType);
  const der = compactToDer(backend.sign(digest, key.privateKey));
  return Buffer.concat([der, Buffer.from([hashType])]);
}

/** Put a scriptSig into input `index` (the signature hash does not cover input scripts). */
export function setScriptSig(tx: Transaction, index: number, scriptSig: Uint8Array): void {
  tx.inputs[index].script = new Script(scriptSig);
  tx.invalidate();
}

export function checkerFor(tx: Transaction, index: number, backend: Secp256k1Backend): TransactionSignatureChecker {
  return new TransactionSignatureChecker(tx, index, backend);
}

/** The backends to run signature tests with; under CI both must be present. */
export function backendsUnderTest(): { name: BackendName; backend: Secp256k1Backend }[] {
  const names = availableBackends();
  if (process.env.CI === 'true') assert.deepEqual([...names].sort(), ['native', 'noble'], 'CI requires both secp256k1 backends');
  return names.map((name) => ({ name, backend: getBackend(name) }));
}
