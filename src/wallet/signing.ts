import type { Secp256k1Backend } from '../crypto/secp256k1/types.js';
import { compactToDer } from '../crypto/secp256k1/der.js';
import { hash160 } from '../crypto/hash.js';
import { signatureHash, SIGHASH } from '../consensus/sighash.js';
import { verifyInput, MVS_CONSENSUS_FLAGS, TransactionSignatureChecker } from '../consensus/script/index.js';
import { OP } from '../primitives/opcodes.js';
import { Script, classify, encodeScriptNum, parseOps, pushOp, opcode, depositLockHeight, type ScriptOp } from '../primitives/script.js';
import type { Transaction } from '../primitives/transaction.js';
import { walletError } from './errors.js';

/**
 * Signatures as the reference's wallet produces them: SIGHASH_ALL only
 * (mvs-wire §4.6 — other types have no reproducible digest), RFC6979 low-S,
 * strict DER plus the hash-type byte (script::create_endorsement). Scripts:
 *  - P2PKH: `<sig> <pubkey>`; a deposit output adds its lock height
 *    (`<sig> <pubkey> <lock>`, base_transfer_common::sign_tx_inputs);
 *  - multisig P2SH: `zero <sig>… <redeem script>`, signatures in the order of
 *    the redeem script's keys (sendrawtx.cpp sort_multi_sigs).
 */

export function endorse(tx: Transaction, index: number, scriptCode: Script, privateKey: Uint8Array, backend: Secp256k1Backend): Buffer {
  const digest = signatureHash(tx, index, scriptCode.raw, SIGHASH.ALL);
  const der = compactToDer(backend.sign(digest, privateKey));
  return Buffer.concat([der, Buffer.from([SIGHASH.ALL])]);
}

/** The input script spending a P2PKH-family output (plain, deposit or sequence lock). */
export function keyHashScriptSig(endorsement: Buffer, publicKey: Buffer, prevScript: Script): Script {
  const ops: ScriptOp[] = [pushOp(endorsement), pushOp(publicKey)];
  const lock = depositLockHeight(prevScript);
  if (lock !== null) {
    const num = encodeScriptNum(lock);
    ops.push({ code: num.length, data: num });
  }
  return Script.fromOps(ops);
}

/** `zero <sig>… <redeem>` with the redeem script pushed minimally (operation::from_raw_data). */
export function multisigScriptSig(signatures: readonly Buffer[], redeem: Script): Script {
  return Script.fromOps([opcode(OP.ZERO), ...signatures.map((s) => pushOp(s)), pushOp(redeem.raw)]);
}

export interface MultisigRedeem {
  m: number;
  publicKeys: Buffer[];
  script: Script;
}

/** m and the keys of a pay_multisig redeem script, or null when it is not one. */
export function parseMultisigRedeem(script: Script): MultisigRedeem | null {
  const ops = script.ops;
  if (!ops || classify(ops) !== 'pay_multisig') return null;
  return { m: ops[0].code - OP.OP_1 + 1, publicKeys: ops.slice(1, ops.length - 2).map((o) => o.data!), script };
}

/**
 * The signatures and redeem script of a `zero <sig>… <redeem>` input script,
 * or null when the input is not a multisig spend. Throws the reference's
 * 5501–5503 for an empty, unparsable or non-multisig redeem script.
 */
export function readMultisigInput(inputScript: Script): { signatures: Buffer[]; redeem: MultisigRedeem } | null {
  const ops = inputScript.ops;
  if (!ops || classify(ops) !== 'sign_multisig') return null;
  const redeemData = ops[ops.length - 1].data;
  if (!redeemData || redeemData.length === 0) throw walletError('redeem_script_empty', 'empty redeem script.');
  if (!parseOps(redeemData)) throw walletError('redeem_script_data', 'error occured when parse redeem script data.');
  const redeem = parseMultisigRedeem(new Script(redeemData));
  if (!redeem) throw walletError('redeem_script_pattern', 'redeem script is not pay multisig pattern.');
  return { signatures: ops.slice(1, ops.length - 1).map((o) => o.data ?? Buffer.alloc(0)), redeem };
}

/**
 * Keep at most m signatures, one per key, in the redeem script's key order
 * (what OP_CHECKMULTISIG needs): for each key in order, the first signature
 * that verifies against it.
 */
export function orderMultisigSignatures(tx: Transaction, index: number, redeem: MultisigRedeem, signatures: readonly Buffer[], backend: Secp256k1Backend): Buffer[] {
  const checker = new TransactionSignatureChecker(tx, index, backend);
  const used = new Set<number>();
  const ordered: Buffer[] = [];
  for (const key of redeem.publicKeys) {
    if (ordered.length >= redeem.m) break;
    const found = signatures.findIndex((sig, i) => !used.has(i) && sig.length > 0 && checker.checkSig(sig, key, redeem.script.raw));
    if (found >= 0) {
      used.add(found);
      ordered.push(signatures[found]);
    }
  }
  return ordered;
}

/** P2SH address hash of a redeem script. */
export function scriptHash(redeem: Script): Buffer {
  return hash160(redeem.raw);
}

/**
 * Check every input against its previous output script with the consensus
 * flags; returns the first failure. The wallet runs this on what it signs
 * before handing a transaction to the pool.
 */
export function verifyInputs(tx: Transaction, prevScripts: readonly Script[], backend: Secp256k1Backend): { index: number; code: string; message: string } | null {
  for (let i = 0; i < tx.inputs.length; i++) {
    const r = verifyInput({ tx, index: i, prevScript: prevScripts[i].raw, flags: MVS_CONSENSUS_FLAGS, backend });
    if (!r.ok) return { index: i, code: r.code, message: r.message };
  }
  return null;
}
