import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCRIPT_ERROR_CODES, type ScriptErrorCode, type VerifyResult } from '../../../src/consensus/script/errors.js';
import { SCRIPT_VERIFY, MVS_CONSENSUS_FLAGS } from '../../../src/consensus/script/flags.js';
import { NULL_CHECKER, type SignatureChecker } from '../../../src/consensus/script/checker.js';
import { verifyInput, verifyTransactionJob } from '../../../src/consensus/script/verify.js';
import { getBackend } from '../../../src/crypto/secp256k1/index.js';
import { Attachment, ATTACHMENT_TYPE } from '../../../src/primitives/attachment.js';
import { TxOutput } from '../../../src/primitives/transaction.js';
import { Script } from '../../../src/primitives/script.js';
import { hash160 } from '../../../src/crypto/hash.js';
import { OP, OPN, script, raw, num, run, assertCode, assertOk, PERMISSIVE_CHECKER, spendingTx } from './fixtures.js';

/**
 * One case per failure code (each asserts its code), plus a check that the
 * table covers every code the module defines.
 */

const P2SH_ONLY = SCRIPT_VERIFY.P2SH;
const noble = getBackend('noble');
const KEY = Buffer.concat([Buffer.from([0x02]), Buffer.alloc(32, 0x11)]);
// Strict DER with r = s = 1, hash type as given.
const derSig = (hashType: number) => Buffer.from(`3006020101020101${hashType.toString(16).padStart(2, '0')}`, 'hex');
// Strict DER with s = n − 1 (high).
const HIGH_S_SIG = Buffer.from('3026020101022100fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd036414001', 'hex');
const VALID_MODEL = 'PN=0;LH=100;TYPE=1;LQ=9000;LP=300;UN=3';
const INPUT_POINT = Buffer.alloc(36, 0);

const throwingChecker: SignatureChecker = {
  checkSig: () => {
    throw new Error('boom');
  },
  checkLockTime: () => true,
  checkSequence: () => true,
};

interface Case {
  code: ScriptErrorCode;
  name: string;
  run: () => VerifyResult;
}

const CASES: Case[] = [
  { code: 'UNKNOWN_ERROR', name: 'an exception inside the checker is contained', run: () => run(script(raw('0101'), KEY), script(OP.CHECKSIG), P2SH_ONLY, throwingChecker) },
  { code: 'EVAL_FALSE', name: 'false on top', run: () => run(script(), script(OP.ZERO)) },
  { code: 'EVAL_FALSE', name: 'empty final stack', run: () => run(script(OP.OP_1), script(OP.DROP)) },
  { code: 'OP_RETURN', name: 'OP_RETURN', run: () => run(script(OP.OP_1), script(OP.RETURN)) },
  { code: 'SCRIPT_SIZE', name: '10,001-byte script', run: () => run(script(), Buffer.alloc(10_001, OP.OP_1)) },
  { code: 'PUSH_SIZE', name: '521-byte push', run: () => run(script(), script(Buffer.alloc(521, 1))) },
  { code: 'PUSH_SIZE', name: '521-byte push in an unexecuted branch', run: () => run(script(), script(OP.ZERO, OP.IF, Buffer.alloc(521, 1), OP.ENDIF, OP.OP_1)) },
  { code: 'OP_COUNT', name: '202 non-push operations', run: () => run(script(OP.OP_1), Buffer.alloc(202, OP.NOP)) },
  { code: 'STACK_SIZE', name: '1001 stack items', run: () => run(script(), Buffer.alloc(1001, OP.OP_1)) },
  { code: 'SIG_COUNT', name: 'more signatures than keys', run: () => run(script(OP.ZERO, OP.ZERO, OP.ZERO), script(OPN(2), KEY, OP.OP_1, OP.CHECKMULTISIG)) },
  { code: 'SIG_COUNT', name: 'negative signature count', run: () => run(script(OP.ZERO), script(OP.NEGATE1, KEY, OP.OP_1, OP.CHECKMULTISIG)) },
  { code: 'PUBKEY_COUNT', name: '21 keys', run: () => run(script(OP.ZERO, OP.ZERO), script(num(21), OP.CHECKMULTISIG)) },
  { code: 'PUBKEY_COUNT', name: 'negative key count', run: () => run(script(OP.ZERO, OP.ZERO), script(OP.NEGATE1, OP.CHECKMULTISIG)) },
  { code: 'VERIFY', name: 'OP_VERIFY on false', run: () => run(script(OP.ZERO), script(OP.VERIFY, OP.OP_1)) },
  { code: 'EQUALVERIFY', name: 'OP_EQUALVERIFY on different items', run: () => run(script(OP.OP_1), script(OPN(2), OP.EQUALVERIFY, OP.OP_1)) },
  {
    code: 'CHECKMULTISIGVERIFY',
    name: 'OP_CHECKMULTISIGVERIFY with a failing signature',
    run: () => run(script(OP.ZERO, OP.ZERO), script(OP.OP_1, KEY, OP.OP_1, OP.CHECKMULTISIGVERIFY, OP.OP_1)),
  },
  { code: 'CHECKSIGVERIFY', name: 'OP_CHECKSIGVERIFY with an empty signature', run: () => run(script(OP.ZERO, KEY), script(OP.CHECKSIGVERIFY, OP.OP_1)) },
  { code: 'NUMEQUALVERIFY', name: 'OP_NUMEQUALVERIFY on different numbers', run: () => run(script(OP.OP_1), script(OPN(2), OP.NUMEQUALVERIFY, OP.OP_1)) },
  { code: 'BAD_OPCODE', name: 'executed unknown opcode 0xba', run: () => run(script(OP.OP_1), script(0xba)) },
  { code: 'BAD_OPCODE', name: 'executed OP_RESERVED', run: () => run(script(OP.OP_1), script(OP.RESERVED)) },
  { code: 'BAD_OPCODE', name: 'executed OP_VER', run: () => run(script(OP.OP_1), script(OP.VER)) },
  { code: 'BAD_OPCODE', name: 'push past the end', run: () => run(script(OP.OP_1), script(raw('4d0500aa'))) },
  { code: 'DISABLED_OPCODE', name: 'OP_CAT', run: () => run(script(OP.OP_1, OP.OP_1), script(OP.CAT)) },
  { code: 'INVALID_STACK_OPERATION', name: 'OP_DUP on an empty stack', run: () => run(script(), script(OP.DUP)) },
  { code: 'INVALID_ALTSTACK_OPERATION', name: 'OP_FROMALTSTACK on an empty altstack', run: () => run(script(OP.OP_1), script(OP.FROMALTSTACK)) },
  { code: 'UNBALANCED_CONDITIONAL', name: 'IF without ENDIF', run: () => run(script(), script(OP.OP_1, OP.IF, OP.OP_1)) },
  { code: 'UNBALANCED_CONDITIONAL', name: 'ENDIF without IF', run: () => run(script(), script(OP.OP_1, OP.ENDIF)) },
  { code: 'UNBALANCED_CONDITIONAL', name: 'ELSE without IF', run: () => run(script(), script(OP.OP_1, OP.ELSE)) },
  { code: 'UNBALANCED_CONDITIONAL', name: 'IF on an empty stack', run: () => run(script(), script(OP.IF, OP.ENDIF, OP.OP_1)) },
  { code: 'UNBALANCED_CONDITIONAL', name: 'IF opened in scriptSig, closed in scriptPubKey', run: () => run(script(OP.OP_1, OP.IF), script(OP.ENDIF, OP.OP_1)) },
  { code: 'NEGATIVE_LOCKTIME', name: 'CLTV with -1', run: () => run(script(), script(OP.NEGATE1, OP.CHECKLOCKTIMEVERIFY), MVS_CONSENSUS_FLAGS, PERMISSIVE_CHECKER) },
  { code: 'UNSATISFIED_LOCKTIME', name: 'CLTV refused by the checker', run: () => run(script(), script(num(10), OP.CHECKLOCKTIMEVERIFY), MVS_CONSENSUS_FLAGS, NULL_CHECKER) },
  {
    code: 'SIG_HASHTYPE',
    name: 'STRICTENC: hash type 0x04',
    run: () => run(script(derSig(0x04), KEY), script(OP.CHECKSIG, OP.OP_1), MVS_CONSENSUS_FLAGS | SCRIPT_VERIFY.STRICTENC, PERMISSIVE_CHECKER),
  },
  { code: 'SIG_DER', name: 'DERSIG: a non-DER signature', run: () => run(script(raw('0101'), KEY), script(OP.CHECKSIG, OP.OP_1)) },
  { code: 'MINIMALDATA', name: 'MINIMALDATA: PUSHDATA1 of one byte', run: () => run(script(), script(raw('4c01aa')), SCRIPT_VERIFY.MINIMALDATA) },
  { code: 'SIG_PUSHONLY', name: 'P2SH with a non-push scriptSig', run: () => p2shWithNopScriptSig() },
  { code: 'SIG_PUSHONLY', name: 'SIGPUSHONLY on a plain spend', run: () => run(script(OP.OP_1, OP.NOP), script(OP.OP_1), SCRIPT_VERIFY.SIGPUSHONLY) },
  {
    code: 'SIG_HIGH_S',
    name: 'LOW_S: s = n − 1',
    run: () => run(script(HIGH_S_SIG, KEY), script(OP.CHECKSIG, OP.OP_1), MVS_CONSENSUS_FLAGS | SCRIPT_VERIFY.LOW_S, PERMISSIVE_CHECKER),
  },
  {
    code: 'SIG_NULLDUMMY',
    name: 'NULLDUMMY: non-empty dummy',
    run: () => run(script(OP.OP_1), script(OP.ZERO, OP.ZERO, OP.CHECKMULTISIG), MVS_CONSENSUS_FLAGS | SCRIPT_VERIFY.NULLDUMMY),
  },
  {
    code: 'PUBKEYTYPE',
    name: 'STRICTENC: key with prefix 05',
    run: () => run(script(derSig(0x01), Buffer.concat([Buffer.from([5]), Buffer.alloc(32)])), script(OP.CHECKSIG), MVS_CONSENSUS_FLAGS | SCRIPT_VERIFY.STRICTENC),
  },
  { code: 'CLEANSTACK', name: 'CLEANSTACK: two items left', run: () => run(script(OP.OP_1, OP.OP_1), script(), SCRIPT_VERIFY.P2SH | SCRIPT_VERIFY.CLEANSTACK) },
  {
    code: 'DISCOURAGE_UPGRADABLE_NOPS',
    name: 'NOP10 under DISCOURAGE_UPGRADABLE_NOPS',
    run: () => run(script(OP.OP_1), script(OP.NOP10), MVS_CONSENSUS_FLAGS | SCRIPT_VERIFY.DISCOURAGE_UPGRADABLE_NOPS),
  },
  {
    code: 'INVALID_MODEL_PARAM',
    name: 'CHECKATTENUATIONVERIFY with TYPE=4',
    run: () => run(script(), script(VALID_MODEL.replace('TYPE=1', 'TYPE=4'), INPUT_POINT, OP.CHECKATTENUATIONVERIFY, OP.OP_1)),
  },
  { code: 'SCRIPTNUM_OVERFLOW', name: '5-byte operand to OP_ADD', run: () => run(script(raw('050000000001'), OP.OP_1), script(OP.ADD)) },
  { code: 'SCRIPTNUM_OVERFLOW', name: '6-byte CLTV operand', run: () => run(script(), script(raw('06000000000001'), OP.CHECKLOCKTIMEVERIFY), MVS_CONSENSUS_FLAGS, PERMISSIVE_CHECKER) },
  { code: 'SCRIPTNUM_MINIMAL', name: 'MINIMALDATA: number 1 as 01 00', run: () => run(script(raw('020100')), script(OP.ONEADD), SCRIPT_VERIFY.MINIMALDATA) },
  { code: 'TX_INVALID', name: 'raw bytes that do not decode', run: () => verifyTransactionJob({ txRaw: Buffer.from('0100', 'hex'), prevScripts: [script(OP.OP_1)], flags: MVS_CONSENSUS_FLAGS }, noble)[0] },
  {
    code: 'TX_INPUT_INVALID',
    name: 'input index out of range',
    run: () => verifyInput({ tx: spendingTx(1), index: 1, prevScript: script(OP.OP_1), flags: MVS_CONSENSUS_FLAGS, backend: noble }),
  },
  {
    code: 'TX_INPUT_INVALID',
    name: 'missing previous output script in a job',
    run: () => verifyTransactionJob({ txRaw: spendingTx(2).toRaw(), prevScripts: [script(OP.OP_1)], flags: MVS_CONSENSUS_FLAGS }, noble)[1],
  },
  { code: 'ETP_AWARD_ROUNDTRIP', name: 'a transaction with an ETP_AWARD output', run: () => etpAwardSpend() },
];

function p2shWithNopScriptSig(): VerifyResult {
  // Redeem script OP_1; the scriptSig pushes it after a NOP, which evaluation tolerates but P2SH refuses.
  const redeem = script(OP.OP_1);
  const p2sh = script(OP.HASH160, hash160(redeem), OP.EQUAL);
  // Sanity: the push-only form verifies.
  assertOk(run(script(redeem), p2sh));
  return run(script(OP.NOP, redeem), p2sh);
}

function etpAwardSpend(): VerifyResult {
  const award = new TxOutput(0n, Script.fromHex('76a914' + '33'.repeat(20) + '88ac'), new Attachment(1, ATTACHMENT_TYPE.ETP_AWARD, { kind: 'etp_award', height: 1234n }));
  const tx = spendingTx(1);
  tx.outputs.push(award);
  tx.invalidate();
  tx.inputs[0].script = new Script(script(OP.OP_1));
  tx.invalidate();
  // The same spend without the award output verifies.
  const plain = spendingTx(1);
  plain.inputs[0].script = new Script(script(OP.OP_1));
  plain.invalidate();
  assertOk(verifyInput({ tx: plain, index: 0, prevScript: script(), flags: MVS_CONSENSUS_FLAGS, backend: noble }));
  return verifyInput({ tx, index: 0, prevScript: script(), flags: MVS_CONSENSUS_FLAGS, backend: noble });
}

for (const c of CASES) {
  test(`${c.code}: ${c.name}`, () => {
    assertCode(c.run(), c.code, c.name);
  });
}

test('every disabled opcode fails, executed or not', () => {
  const disabled = [OP.CAT, OP.SUBSTR, OP.LEFT, OP.RIGHT, OP.INVERT, OP.AND, OP.OR, OP.XOR, OP.TWOMUL, OP.TWODIV, OP.MUL, OP.DIV, OP.MOD, OP.LSHIFT, OP.RSHIFT];
  for (const op of disabled) {
    assertCode(run(script(OP.OP_1, OP.OP_1), script(op)), 'DISABLED_OPCODE', `opcode ${op}`);
    assertCode(run(script(), script(OP.ZERO, OP.IF, op, OP.ENDIF, OP.OP_1)), 'DISABLED_OPCODE', `unexecuted opcode ${op}`);
  }
});

test('every stack-consuming opcode reports underflow as INVALID_STACK_OPERATION', () => {
  const needs: [number, number][] = [
    [OP.TOALTSTACK, 1],
    [OP.TWODROP, 2],
    [OP.TWODUP, 2],
    [OP.THREEDUP, 3],
    [OP.TWOOVER, 4],
    [OP.TWOROT, 6],
    [OP.TWOSWAP, 4],
    [OP.IFDUP, 1],
    [OP.DROP, 1],
    [OP.DUP, 1],
    [OP.NIP, 2],
    [OP.OVER, 2],
    [OP.PICK, 2],
    [OP.ROLL, 2],
    [OP.ROT, 3],
    [OP.SWAP, 2],
    [OP.TUCK, 2],
    [OP.SIZE, 1],
    [OP.EQUAL, 2],
    [OP.EQUALVERIFY, 2],
    [OP.ONEADD, 1],
    [OP.ONESUB, 1],
    [OP.NEGATE, 1],
    [OP.ABS, 1],
    [OP.NOT, 1],
    [OP.ZERONOTEQUAL, 1],
    [OP.ADD, 2],
    [OP.SUB, 2],
    [OP.BOOLAND, 2],
    [OP.BOOLOR, 2],
    [OP.NUMEQUAL, 2],
    [OP.NUMEQUALVERIFY, 2],
    [OP.NUMNOTEQUAL, 2],
    [OP.LESSTHAN, 2],
    [OP.GREATERTHAN, 2],
    [OP.LESSTHANOREQUAL, 2],
    [OP.GREATERTHANOREQUAL, 2],
    [OP.MIN, 2],
    [OP.MAX, 2],
    [OP.WITHIN, 3],
    [OP.RIPEMD160, 1],
    [OP.SHA1, 1],
    [OP.SHA256, 1],
    [OP.HASH160, 1],
    [OP.HASH256, 1],
    [OP.CHECKSIG, 2],
    [OP.CHECKSIGVERIFY, 2],
    [OP.CHECKMULTISIG, 1],
    [OP.VERIFY, 1],
    [OP.CHECKLOCKTIMEVERIFY, 1],
    [OP.CHECKATTENUATIONVERIFY, 2],
    [OP.CHECKSEQUENCEVERIFY, 1],
  ];
  for (const [op, items] of needs) {
    const pushes = Array.from({ length: items - 1 }, () => OP.OP_1);
    assertCode(run(script(), script(...pushes, op), MVS_CONSENSUS_FLAGS, PERMISSIVE_CHECKER), 'INVALID_STACK_OPERATION', `opcode 0x${op.toString(16)} with ${items - 1} items`);
  }
  // CHECKMULTISIG: missing keys, missing signatures, missing dummy.
  assertCode(run(script(), script(OPN(2), OP.CHECKMULTISIG)), 'INVALID_STACK_OPERATION', 'keys missing');
  assertCode(run(script(), script(OP.OP_1, KEY, OP.OP_1, OP.CHECKMULTISIG)), 'INVALID_STACK_OPERATION', 'signature missing');
  assertCode(run(script(), script(OP.ZERO, OP.ZERO, OP.CHECKMULTISIG)), 'INVALID_STACK_OPERATION', 'no room for the dummy');
});

test('the table covers every script error code', () => {
  const covered = new Set(CASES.map((c) => c.code));
  assert.deepEqual([...SCRIPT_ERROR_CODES].filter((c) => !covered.has(c)), []);
});

test('scripts of exactly 10,000 bytes are allowed', () => {
  // 19 pushes of 520 bytes (3 + 520 each) plus 63 OP_1: 10,000 bytes.
  const big = Buffer.concat([...Array.from({ length: 19 }, () => script(Buffer.alloc(520, 9))), Buffer.alloc(63, OP.OP_1)]);
  assert.equal(big.length, 10_000);
  assertOk(run(script(), big));
});
