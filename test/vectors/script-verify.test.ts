import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVector } from '../helpers/vectors.js';
import { availableBackends, getBackend, type BackendName, type Secp256k1Backend } from '../../src/crypto/secp256k1/index.js';
import { hash160 } from '../../src/crypto/hash.js';
import { Transaction } from '../../src/primitives/transaction.js';
import { Script, decodeScriptNum, lockHeightScript, p2pkhScript, p2shScript, serializeOps, type ScriptOp } from '../../src/primitives/script.js';
import { OP } from '../../src/primitives/opcodes.js';
import { verifyInput, type TransactionJob } from '../../src/consensus/script/verify.js';
import { MVS_CONSENSUS_FLAGS } from '../../src/consensus/script/flags.js';
import { ScriptVerifierPool } from '../../src/consensus/script/pool.js';
import type { VerifyResult } from '../../src/consensus/script/errors.js';

/**
 * Every signed input of shared/vectors/transactions.json through the full
 * interpreter (VerifyScript with the consensus flags), with both secp256k1
 * backends. Previous output scripts are rebuilt as the vectors' _meta says:
 * P2PKH from the scriptSig key, lock-height from key and pushed height, P2SH
 * from the last push (the redeem script); the one sequence-lock input states
 * its previous script in its checks text.
 */

type Kind = 'p2pkh' | 'lock-height' | 'p2sh-multisig' | 'stated-prevout';

interface SignedInput {
  tx: Transaction;
  txid: string;
  index: number;
  kind: Kind;
  prevScript: Buffer;
  /** Complete = the script must verify; partial multisig (m = 2, one signature) must not. */
  complete: boolean;
  /** Indexes of the scriptSig operations holding signatures. */
  signatureOps: number[];
}

const EXPECTED = {
  signedInputs: 181,
  complete: 168,
  partial: 13,
  signatures: 195,
  byKind: { p2pkh: 138, 'lock-height': 12, 'p2sh-multisig': 30, 'stated-prevout': 1 } as Record<Kind, number>,
  skipped: { coinbase: 9, 'unsigned-or-nonpush': 24 } as Record<string, number>,
};

function collect(vector: any): { inputs: SignedInput[]; skipped: Record<string, number> } {
  const inputs: SignedInput[] = [];
  const skipped: Record<string, number> = {};
  for (const entry of vector.transactions) {
    const checks: string[] = entry.checks?.input_signatures ?? [];
    if (checks.length === 0) continue;
    const tx = Transaction.fromHex(entry.hex);
    checks.forEach((check, index) => {
      if (!check.startsWith('valid')) {
        skipped[check] = (skipped[check] ?? 0) + 1;
        return;
      }
      const ops = tx.inputs[index].script.ops!;
      assert.ok(ops, `${entry.hash}:${index} scriptSig parses`);
      let kind: Kind;
      let prevScript: Buffer;
      let complete = true;
      let signatureOps: number[];
      if (check.startsWith('valid (p2pkh)')) {
        kind = 'p2pkh';
        prevScript = p2pkhScript(hash160(ops[1].data!)).raw;
        signatureOps = [0];
      } else if (check.startsWith('valid (lock-height')) {
        kind = 'lock-height';
        const height = decodeScriptNum(ops[2].data!, 4, false);
        assert.ok(height !== null);
        prevScript = lockHeightScript(hash160(ops[1].data!), Number(height)).raw;
        signatureOps = [0];
      } else if (check.startsWith('valid (p2sh multisig')) {
        kind = 'p2sh-multisig';
        const m = /m=(\d+), sigs present=(\d+)/.exec(check);
        assert.ok(m, check);
        complete = Number(m[2]) >= Number(m[1]);
        prevScript = p2shScript(hash160(ops[ops.length - 1].data!)).raw;
        // OP_0 dummy, signatures, redeem script.
        assert.equal(ops[0].code, OP.ZERO);
        signatureOps = ops.slice(1, -1).flatMap((op, k) => (op.data && op.data.length > 0 ? [k + 1] : []));
        assert.equal(signatureOps.length, Number(m[2]), `${entry.hash}:${index} signature count`);
      } else if (check.includes('prevout script stated in source')) {
        kind = 'stated-prevout';
        const stated = /= ([0-9a-f]+)\)$/.exec(check);
        assert.ok(stated, check);
        prevScript = Script.fromHex(stated[1]).raw;
        signatureOps = [0];
      } else {
        assert.fail(`unrecognized check text: ${check}`);
      }
      inputs.push({ tx, txid: entry.hash, index, kind, prevScript, complete, signatureOps });
    });
  }
  return { inputs, skipped };
}

function backendOrSkip(name: BackendName, t: { skip(msg: string): void }): Secp256k1Backend | null {
  if (availableBackends().includes(name)) return getBackend(name);
  if (process.env.CI === 'true') assert.fail(`${name} secp256k1 backend unavailable under CI`);
  t.skip(`${name} backend unavailable`);
  return null;
}

function verify(input: SignedInput, backend: Secp256k1Backend, tx: Transaction = input.tx): VerifyResult {
  return verifyInput({ tx, index: input.index, prevScript: input.prevScript, flags: MVS_CONSENSUS_FLAGS, backend });
}

/** The transaction with one signature's last S byte flipped (DER stays strict). */
function withFlippedSignature(input: SignedInput, opIndex: number): Transaction {
  const tx = input.tx.clone();
  const ops: ScriptOp[] = tx.inputs[input.index].script.ops!.map((op) => ({ code: op.code, data: op.data ? Buffer.from(op.data) : null }));
  const sig = ops[opIndex].data!;
  sig[sig.length - 2] ^= 0x01;
  tx.inputs[input.index].script = new Script(serializeOps(ops));
  tx.invalidate();
  return tx;
}

test('transactions.json: signed-input inventory', (t) => {
  const vector = loadVector(t, 'transactions.json');
  if (!vector) return;
  const { inputs, skipped } = collect(vector);
  assert.equal(inputs.length, EXPECTED.signedInputs);
  assert.equal(inputs.filter((i) => i.complete).length, EXPECTED.complete);
  assert.equal(inputs.filter((i) => !i.complete).length, EXPECTED.partial);
  assert.equal(inputs.reduce((n, i) => n + i.signatureOps.length, 0), EXPECTED.signatures);
  for (const kind of Object.keys(EXPECTED.byKind) as Kind[]) assert.equal(inputs.filter((i) => i.kind === kind).length, EXPECTED.byKind[kind], kind);
  assert.deepEqual(skipped, EXPECTED.skipped);
});

for (const name of ['native', 'noble'] as BackendName[]) {
  test(`transactions.json [${name}]: all complete inputs verify, partial multisig fails, flipped signatures fail`, (t) => {
    const backend = backendOrSkip(name, t);
    if (!backend) return;
    const vector = loadVector(t, 'transactions.json');
    if (!vector) return;
    const { inputs } = collect(vector);
    let verified = 0;
    let partialRejected = 0;
    let flipped = 0;
    for (const input of inputs) {
      const where = `${input.txid}:${input.index} (${input.kind})`;
      const result = verify(input, backend);
      if (input.complete) {
        assert.ok(result.ok, `${where}: ${result.ok ? '' : `${result.code} ${result.message}`}`);
        verified++;
      } else {
        // 2-of-n with one signature: the OP_0 dummy is taken as the second signature and the stack runs out.
        assert.equal(result.ok, false, `${where} must not verify with one of two signatures`);
        if (!result.ok) assert.equal(result.code, 'INVALID_STACK_OPERATION', where);
        partialRejected++;
      }
      for (const opIndex of input.signatureOps) {
        const bad = verify(input, backend, withFlippedSignature(input, opIndex));
        assert.equal(bad.ok, false, `${where}: flipped signature ${opIndex} must fail`);
        if (!bad.ok && input.complete) assert.equal(bad.code, 'EVAL_FALSE', `${where}: ${bad.message}`);
        flipped++;
      }
    }
    assert.equal(verified, EXPECTED.complete);
    assert.equal(partialRejected, EXPECTED.partial);
    assert.equal(flipped, EXPECTED.signatures);
  });
}

test('transactions.json: the worker pool gives the same verdicts as verifyInput', async (t) => {
  const vector = loadVector(t, 'transactions.json');
  if (!vector) return;
  const { inputs } = collect(vector);
  const byTx = new Map<Transaction, SignedInput[]>();
  for (const input of inputs) byTx.set(input.tx, [...(byTx.get(input.tx) ?? []), input]);
  // Transactions whose every input is a signed one, in vector order.
  const jobs: { job: TransactionJob; inputs: SignedInput[] }[] = [];
  for (const [tx, list] of byTx) {
    if (list.length !== tx.inputs.length) continue;
    jobs.push({ job: { txRaw: tx.toRaw(), prevScripts: list.map((i) => i.prevScript), flags: MVS_CONSENSUS_FLAGS }, inputs: list });
  }
  assert.ok(jobs.length > 80);
  const pool = new ScriptVerifierPool({ size: 2, batchInputs: 16 });
  try {
    const results = await pool.verifyTransactions(jobs.map((j) => j.job));
    const backend = getBackend(availableBackends()[0]);
    jobs.forEach(({ inputs: list }, j) => {
      list.forEach((input, k) => assert.deepEqual(results[j][k], verify(input, backend), `${input.txid}:${input.index}`));
    });
    assert.equal(results.flat().filter((r) => r.ok).length, jobs.flatMap((j) => j.inputs).filter((i) => i.complete).length);
  } finally {
    await pool.close();
  }
});
