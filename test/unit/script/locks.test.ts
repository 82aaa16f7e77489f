import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lockHeightScript, sequenceLockScript } from '../../../src/primitives/script.js';
import { MVS_CONSENSUS_FLAGS, SCRIPT_VERIFY } from '../../../src/consensus/script/flags.js';
import {
  checkLockTime,
  checkSequence,
  lockContextOf,
  LOCKTIME_THRESHOLD,
  RELATIVE_LOCKTIME_DISABLED,
  RELATIVE_LOCKTIME_TIME_LOCKED,
} from '../../../src/consensus/script/lock.js';
import { verifyInput } from '../../../src/consensus/script/verify.js';
import { getBackend } from '../../../src/crypto/secp256k1/index.js';
import { OP, script, raw, num, run, assertOk, assertCode, testKey, spendingTx, sign, setScriptSig, checkerFor, backendsUnderTest } from './fixtures.js';

const noble = getBackend('noble');

/** Run `<operand> OPCODE` as the scriptPubKey of input 0 of a transaction with these lock fields. */
function lockScript(opcode: number, operand: Uint8Array | { raw: Uint8Array }, tx: { version?: number; locktime?: number; sequence?: number }) {
  const spend = spendingTx(1, { version: tx.version ?? 2, locktime: tx.locktime ?? 0, sequences: [tx.sequence ?? 0] });
  return run(script(), script(operand, opcode), MVS_CONSENSUS_FLAGS, checkerFor(spend, 0, noble));
}

const cltv = (operand: Parameters<typeof lockScript>[1], tx: Parameters<typeof lockScript>[2]) => lockScript(OP.CHECKLOCKTIMEVERIFY, operand, tx);
const csv = (operand: Parameters<typeof lockScript>[1], tx: Parameters<typeof lockScript>[2]) => lockScript(OP.CHECKSEQUENCEVERIFY, operand, tx);

test('CLTV: satisfied height and time locks leave the operand on the stack', () => {
  assertOk(cltv(num(100), { locktime: 100 }));
  assertOk(cltv(num(99), { locktime: 100 }));
  assertOk(cltv(num(LOCKTIME_THRESHOLD), { locktime: LOCKTIME_THRESHOLD + 10 }));
  // Operands up to 5 bytes: lock times beyond 2^31.
  assertOk(cltv(num(0xfffffffe), { locktime: 0xffffffff }));
  // CLTV does not pop: `<n> CLTV DROP` with nothing below is an empty stack.
  const spend = spendingTx(1, { locktime: 100, sequences: [0] });
  assertCode(run(script(), script(num(100), OP.CHECKLOCKTIMEVERIFY, OP.DROP), MVS_CONSENSUS_FLAGS, checkerFor(spend, 0, noble)), 'EVAL_FALSE');
});

test('CLTV failures: negative, unsatisfied, height vs time, final sequence', () => {
  assertCode(cltv(num(-1), { locktime: 100 }), 'NEGATIVE_LOCKTIME');
  assertCode(cltv(num(101), { locktime: 100 }), 'UNSATISFIED_LOCKTIME');
  assertCode(cltv(num(LOCKTIME_THRESHOLD), { locktime: 100 }), 'UNSATISFIED_LOCKTIME', 'time operand, height lock time');
  assertCode(cltv(num(100), { locktime: LOCKTIME_THRESHOLD }), 'UNSATISFIED_LOCKTIME', 'height operand, time lock time');
  assertCode(cltv(num(LOCKTIME_THRESHOLD - 1), { locktime: LOCKTIME_THRESHOLD }), 'UNSATISFIED_LOCKTIME', 'threshold boundary');
  assertCode(cltv(num(100), { locktime: 100, sequence: 0xffffffff }), 'UNSATISFIED_LOCKTIME', 'final input');
  assertCode(cltv(raw('06000000000001'), { locktime: 100 }), 'SCRIPTNUM_OVERFLOW', '6-byte operand');
  // Negative zero is zero, not negative: CLTV passes and the script ends on a false-valued top item.
  assertCode(cltv(raw('0180'), { locktime: 0 }), 'EVAL_FALSE', 'negative zero');
});

test('CLTV lock context is pure: tx version, lock time and the input sequence', () => {
  const tx = spendingTx(2, { version: 3, locktime: 1234, sequences: [5, 0xffffffff] });
  assert.deepEqual(lockContextOf(tx, 0), { txVersion: 3, txLockTime: 1234, inputSequence: 5 });
  assert.equal(checkLockTime(lockContextOf(tx, 0), 1234), true);
  assert.equal(checkLockTime(lockContextOf(tx, 1), 1234), false);
});

test('CSV with MVS constants: satisfied height and time locks', () => {
  assertOk(csv(num(10), { sequence: 10 }));
  assertOk(csv(num(10), { sequence: 11 }));
  const time = RELATIVE_LOCKTIME_TIME_LOCKED;
  assertOk(csv(num(time | 5), { sequence: time | 10 }));
  // 20-bit mask: 0xFFFFF is the largest value, compared in full.
  assertOk(csv(num(0xfffff), { sequence: 0xfffff }));
  // Bits outside bit 22 and the 20-bit mask are ignored on both sides.
  assertOk(csv(num(0x00100000 | 10), { sequence: 10 }));
  assertOk(csv(num(10), { sequence: 0x00300000 | 10 }));
  // Operand bit 31 set (needs 5 bytes): a NOP, whatever the transaction.
  assertOk(csv(num(RELATIVE_LOCKTIME_DISABLED), { version: 1, sequence: 0xffffffff }));
});

test('CSV failures: disabled input, version < 2, type mismatch, unsatisfied, 20-bit values', () => {
  assertCode(csv(num(10), { sequence: RELATIVE_LOCKTIME_DISABLED | 10 }), 'UNSATISFIED_LOCKTIME', 'input bit 31');
  assertCode(csv(num(10), { version: 1, sequence: 10 }), 'UNSATISFIED_LOCKTIME', 'version 1');
  assertCode(csv(num(10), { version: 0, sequence: 10 }), 'UNSATISFIED_LOCKTIME', 'version 0');
  assertOk(csv(num(10), { version: 0x80000000, sequence: 10 }), 'version compared as uint32');
  const time = RELATIVE_LOCKTIME_TIME_LOCKED;
  assertCode(csv(num(time | 5), { sequence: 10 }), 'UNSATISFIED_LOCKTIME', 'time operand, height input');
  assertCode(csv(num(5), { sequence: time | 10 }), 'UNSATISFIED_LOCKTIME', 'height operand, time input');
  assertCode(csv(num(11), { sequence: 10 }), 'UNSATISFIED_LOCKTIME', 'unsatisfied height');
  assertCode(csv(num(time | 11), { sequence: time | 10 }), 'UNSATISFIED_LOCKTIME', 'unsatisfied time');
  // Bitcoin's 16-bit mask would ignore bit 16; MVS compares it.
  assertCode(csv(num(0x10000), { sequence: 0xffff }), 'UNSATISFIED_LOCKTIME', 'bit 16 counts on MVS');
  assertCode(csv(num(-1), { sequence: 10 }), 'NEGATIVE_LOCKTIME');
  assertCode(csv(raw('06000000000001'), { sequence: 10 }), 'SCRIPTNUM_OVERFLOW');
});

test('checkSequence on the pure lock context', () => {
  const ctx = { txVersion: 2, txLockTime: 0, inputSequence: 0x000fffff };
  assert.equal(checkSequence(ctx, 0x000fffff), true);
  assert.equal(checkSequence(ctx, 0x00100000), true, 'bit 20 is outside the mask');
  assert.equal(checkSequence({ ...ctx, inputSequence: 0x0000ffff }, 0x00010000), false);
  // A 5-byte operand: only its masked low bits matter.
  assert.equal(checkSequence(ctx, 2 ** 32 + 5), true);
});

for (const { name, backend } of backendsUnderTest()) {
  const key = testKey(9, backend);

  test(`[${name}] lock-height deposit: <sig> <pubkey> <height> against <height> NUMEQUALVERIFY DUP HASH160 … CHECKSIG`, () => {
    const height = 25_200;
    const prev = lockHeightScript(key.hash, height).raw;
    const tx = spendingTx(1);
    const sig = sign(tx, 0, prev, key, backend);
    const spend = (scriptSig: Buffer) => {
      setScriptSig(tx, 0, scriptSig);
      return verifyInput({ tx, index: 0, prevScript: prev, flags: MVS_CONSENSUS_FLAGS, backend });
    };
    assertOk(spend(script(sig, key.pubkey, num(height))));
    assertCode(spend(script(sig, key.pubkey, num(height + 1))), 'NUMEQUALVERIFY', 'other height');
    assertCode(spend(script(sig, testKey(10, backend).pubkey, num(height))), 'EQUALVERIFY', 'other key');
    assertCode(spend(script(sig.subarray(0, -1), key.pubkey, num(height))), 'SIG_DER', 'broken signature');
    // MINIMALDATA is off: a padded height compares numerically equal.
    assertOk(spend(script(sig, key.pubkey, raw('03706200'))), 'non-minimal height');
    // [Q] mvs-consensus §3.5: an extra leading push still evaluates true (no CLEANSTACK).
    assertOk(spend(script(OP.OP_1, sig, key.pubkey, num(height))), 'extra leading push');
    // Height missing: NUMEQUALVERIFY reads the 33-byte key as a number.
    assertCode(spend(script(sig, key.pubkey)), 'SCRIPTNUM_OVERFLOW', 'height missing');
  });

  test(`[${name}] sequence-lock output: <seq> CHECKSEQUENCEVERIFY DROP DUP HASH160 … CHECKSIG`, () => {
    const sequence = 20;
    const prev = sequenceLockScript(key.hash, sequence).raw;
    const spend = (version: number, inputSequence: number) => {
      const tx = spendingTx(1, { version, sequences: [inputSequence] });
      setScriptSig(tx, 0, script(sign(tx, 0, prev, key, backend), key.pubkey));
      return verifyInput({ tx, index: 0, prevScript: prev, flags: MVS_CONSENSUS_FLAGS, backend });
    };
    assertOk(spend(2, 20));
    assertOk(spend(4, 25));
    assertCode(spend(2, 19), 'UNSATISFIED_LOCKTIME', 'too early');
    assertCode(spend(1, 20), 'UNSATISFIED_LOCKTIME', 'version 1');
    assertCode(spend(2, 0xffffffff), 'UNSATISFIED_LOCKTIME', 'disabled input sequence');
    assertCode(spend(2, RELATIVE_LOCKTIME_TIME_LOCKED | 20), 'UNSATISFIED_LOCKTIME', 'time-typed input');
    // With CSV off the opcode is a NOP and the signature decides.
    const tx = spendingTx(1, { version: 1, sequences: [0] });
    setScriptSig(tx, 0, script(sign(tx, 0, prev, key, backend), key.pubkey));
    assertOk(verifyInput({ tx, index: 0, prevScript: prev, flags: MVS_CONSENSUS_FLAGS & ~SCRIPT_VERIFY.CHECKSEQUENCEVERIFY, backend }));
  });
}
