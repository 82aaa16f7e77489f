import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyInput, verifyTransactionInputs, verifyTransactionsSync, hasEtpAwardOutput } from '../../../src/consensus/script/verify.js';
import { verifyScript } from '../../../src/consensus/script/interpreter.js';
import { SCRIPT_VERIFY, MVS_CONSENSUS_FLAGS, ALL_SCRIPT_FLAGS } from '../../../src/consensus/script/flags.js';
import { SCRIPT_ERROR_CODES } from '../../../src/consensus/script/errors.js';
import { NULL_CHECKER, TransactionSignatureChecker } from '../../../src/consensus/script/checker.js';
import { Attachment, ATTACHMENT_TYPE } from '../../../src/primitives/attachment.js';
import { TxOutput } from '../../../src/primitives/transaction.js';
import { Script, p2pkhScript } from '../../../src/primitives/script.js';
import { hash160 } from '../../../src/crypto/hash.js';
import { OP, script, raw, num, run, assertOk, assertCode, PERMISSIVE_CHECKER, testKey, spendingTx, etpOutput, sign, setScriptSig, backendsUnderTest } from './fixtures.js';

test('flags are an explicit bitmask with the reference bit values', () => {
  assert.equal(SCRIPT_VERIFY.P2SH, 1);
  assert.equal(SCRIPT_VERIFY.DERSIG, 4);
  assert.equal(SCRIPT_VERIFY.CHECKLOCKTIMEVERIFY, 1 << 9);
  assert.equal(SCRIPT_VERIFY.CHECKATTENUATIONVERIFY, 1 << 10);
  assert.equal(SCRIPT_VERIFY.CHECKSEQUENCEVERIFY, 1 << 11);
  assert.equal(MVS_CONSENSUS_FLAGS, 1 | 4 | (1 << 9) | (1 << 10) | (1 << 11));
  for (const off of ['STRICTENC', 'LOW_S', 'NULLDUMMY', 'SIGPUSHONLY', 'MINIMALDATA', 'DISCOURAGE_UPGRADABLE_NOPS', 'CLEANSTACK'] as const) {
    assert.equal(MVS_CONSENSUS_FLAGS & SCRIPT_VERIFY[off], 0, `${off} is not consensus on MVS`);
  }
  assert.equal(ALL_SCRIPT_FLAGS, 0xfff);
});

test('each consensus flag changes a verdict on its own', () => {
  const p2shOfReturn = script(OP.HASH160, hash160(Buffer.from([OP.RETURN])), OP.EQUAL);
  const cases: [keyof typeof SCRIPT_VERIFY, Buffer, Buffer][] = [
    // P2SH: the redeem script OP_RETURN runs only with the flag.
    ['P2SH', script(raw('016a')), p2shOfReturn],
    // DERSIG: a non-DER signature is an error only with the flag (else a false CHECKSIG, then NOT).
    ['DERSIG', script(raw('0101'), Buffer.alloc(33, 2)), script(OP.CHECKSIG, OP.NOT)],
    // CLTV / CAV / CSV: enabled, they need a stack item; disabled, NOPs.
    ['CHECKLOCKTIMEVERIFY', script(), script(OP.CHECKLOCKTIMEVERIFY, OP.OP_1)],
    ['CHECKATTENUATIONVERIFY', script(), script(OP.CHECKATTENUATIONVERIFY, OP.OP_1)],
    ['CHECKSEQUENCEVERIFY', script(), script(OP.CHECKSEQUENCEVERIFY, OP.OP_1)],
  ];
  for (const [flag, sig, pub] of cases) {
    assertOk(run(sig, pub, MVS_CONSENSUS_FLAGS & ~SCRIPT_VERIFY[flag], NULL_CHECKER), `${flag} off`);
    assert.equal(run(sig, pub, MVS_CONSENSUS_FLAGS, NULL_CHECKER).ok, false, `${flag} on`);
  }
});

test('flags outside consensus can each be exercised', () => {
  const cases: [keyof typeof SCRIPT_VERIFY, Buffer, Buffer, string][] = [
    ['MINIMALDATA', script(raw('4c01aa')), script(OP.DROP, OP.OP_1), 'MINIMALDATA'],
    ['SIGPUSHONLY', script(OP.OP_1, OP.NOP), script(), 'SIG_PUSHONLY'],
    ['CLEANSTACK', script(OP.OP_1, OP.OP_1), script(), 'CLEANSTACK'],
    ['NULLDUMMY', script(OP.OP_1), script(OP.ZERO, OP.ZERO, OP.CHECKMULTISIG), 'SIG_NULLDUMMY'],
    ['DISCOURAGE_UPGRADABLE_NOPS', script(OP.OP_1), script(OP.NOP5), 'DISCOURAGE_UPGRADABLE_NOPS'],
  ];
  for (const [flag, sig, pub, code] of cases) {
    assertOk(run(sig, pub, MVS_CONSENSUS_FLAGS, PERMISSIVE_CHECKER), `${flag} off`);
    assertCode(run(sig, pub, MVS_CONSENSUS_FLAGS | SCRIPT_VERIFY[flag], PERMISSIVE_CHECKER), code, `${flag} on`);
  }
});

for (const { name, backend } of backendsUnderTest()) {
  const key = testKey(31, backend);

  test(`[${name}] verifyInput / verifyTransactionInputs on a multi-input transaction`, () => {
    const prev = p2pkhScript(key.hash).raw;
    const tx = spendingTx(3, { outputs: [etpOutput(1n), etpOutput(2n, 0x44)] });
    for (let i = 0; i < 3; i++) setScriptSig(tx, i, script(sign(tx, i, prev, key, backend), key.pubkey));
    for (let i = 0; i < 3; i++) assertOk(verifyInput({ tx, index: i, prevScript: prev, prevValue: 1000n, flags: MVS_CONSENSUS_FLAGS, backend }), `input ${i}`);
    // Input 1's signature placed in input 2 signs the wrong index.
    const swapped = tx.clone();
    setScriptSig(swapped, 2, tx.inputs[1].script.raw);
    const results = verifyTransactionInputs(swapped, [prev, prev, prev], MVS_CONSENSUS_FLAGS, backend);
    assert.deepEqual(results.map((r) => (r.ok ? 'ok' : r.code)), ['ok', 'ok', 'EVAL_FALSE']);
    assert.deepEqual(verifyTransactionsSync([{ txRaw: tx.toRaw(), prevScripts: [prev, prev, prev], flags: MVS_CONSENSUS_FLAGS }], backend)[0].map((r) => r.ok), [true, true, true]);
    assertCode(verifyInput({ tx, index: -1, prevScript: prev, flags: MVS_CONSENSUS_FLAGS, backend }), 'TX_INPUT_INVALID');
  });

  test(`[${name}] ETP_AWARD quirk: every input of a transaction with an ETP_AWARD output fails`, () => {
    const prev = p2pkhScript(key.hash).raw;
    const award = new TxOutput(0n, Script.fromHex('76a914' + '55'.repeat(20) + '88ac'), new Attachment(1, ATTACHMENT_TYPE.ETP_AWARD, { kind: 'etp_award', height: 7n }));
    const tx = spendingTx(2, { outputs: [etpOutput(5n), award] });
    for (let i = 0; i < 2; i++) setScriptSig(tx, i, script(sign(tx, i, prev, key, backend), key.pubkey));
    assert.equal(hasEtpAwardOutput(tx), true);
    // The signatures are good: the interpreter alone accepts them.
    for (let i = 0; i < 2; i++) assertOk(verifyScript(tx.inputs[i].script.raw, prev, MVS_CONSENSUS_FLAGS, new TransactionSignatureChecker(tx, i, backend)));
    for (const r of verifyTransactionInputs(tx, [prev, prev], MVS_CONSENSUS_FLAGS, backend)) assertCode(r, 'ETP_AWARD_ROUNDTRIP');
    assertCode(verifyInput({ tx, index: 1, prevScript: prev, flags: MVS_CONSENSUS_FLAGS, backend }), 'ETP_AWARD_ROUNDTRIP');
    // The raw path decodes the award body and applies the same rule.
    const [fromRaw] = verifyTransactionsSync([{ txRaw: tx.toRaw(), prevScripts: [prev, prev], flags: MVS_CONSENSUS_FLAGS }], backend);
    assert.deepEqual(fromRaw.map((r) => (r.ok ? 'ok' : r.code)), ['ETP_AWARD_ROUNDTRIP', 'ETP_AWARD_ROUNDTRIP']);
  });
}

/** Deterministic xorshift32. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

test('hostile scripts: random bytes and random opcode soups never throw and always give a known code', () => {
  const next = rng(0x5eed);
  const known = new Set<string>(SCRIPT_ERROR_CODES);
  const interesting = [OP.IF, OP.NOTIF, OP.ELSE, OP.ENDIF, OP.DUP, OP.TWODUP, OP.THREEDUP, OP.PICK, OP.ROLL, OP.TOALTSTACK, OP.FROMALTSTACK, OP.CHECKSIG, OP.CHECKMULTISIG, OP.CHECKLOCKTIMEVERIFY, OP.CHECKATTENUATIONVERIFY, OP.CHECKSEQUENCEVERIFY, OP.CODESEPARATOR, OP.ADD, OP.NEGATE1, OP.OP_16, OP.ZERO, OP.PUSHDATA1, OP.PUSHDATA2, OP.PUSHDATA4, OP.SIZE, OP.DEPTH, OP.HASH256];
  const started = performance.now();
  let failures = 0;
  for (let n = 0; n < 3000; n++) {
    const length = next() % 300;
    const bytes = Buffer.alloc(length);
    for (let i = 0; i < length; i++) bytes[i] = n % 2 ? next() & 0xff : interesting[next() % interesting.length];
    const sigLength = next() % 40;
    const sig = Buffer.alloc(sigLength);
    for (let i = 0; i < sigLength; i++) sig[i] = next() % 3 === 0 ? OP.OP_1 + (next() % 16) : next() & 0xff;
    for (const flags of [MVS_CONSENSUS_FLAGS, ALL_SCRIPT_FLAGS]) {
      const r = verifyScript(sig, bytes, flags, PERMISSIVE_CHECKER);
      if (!r.ok) {
        failures++;
        assert.ok(known.has(r.code), r.code);
      }
    }
  }
  assert.ok(failures > 1000);
  assert.ok(performance.now() - started < 20_000);
});

test('hostile scripts: the expensive shapes stay bounded', () => {
  // 10,000 bytes of 520-byte pushes with 2DUP/3DUP duplicating them up to the stack limit.
  const pushes = Array.from({ length: 18 }, () => script(Buffer.alloc(520, 1)));
  const dups = Buffer.alloc(10_000 - 18 * 523, OP.THREEDUP);
  const started = performance.now();
  const r = run(script(), Buffer.concat([...pushes, dups]));
  assert.equal(r.ok, false);
  // 201 ops of CHECKMULTISIG with 20 keys each is cut off by the op count.
  const multisig = script(OP.ZERO, OP.ZERO, ...Array.from({ length: 20 }, () => Buffer.alloc(33, 2)), num(20), OP.CHECKMULTISIG, OP.DROP);
  const many = Buffer.concat(Array.from({ length: 12 }, () => multisig));
  assertCode(run(script(), many, MVS_CONSENSUS_FLAGS, PERMISSIVE_CHECKER), 'OP_COUNT');
  assert.ok(performance.now() - started < 2000);
});
