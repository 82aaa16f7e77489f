import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evalScript, MAX_STACK_SIZE } from '../../../src/consensus/script/interpreter.js';
import { NULL_CHECKER, type SignatureChecker } from '../../../src/consensus/script/checker.js';
import { SCRIPT_VERIFY, MVS_CONSENSUS_FLAGS } from '../../../src/consensus/script/flags.js';
import { castToBool, decodeNum, encodeNum } from '../../../src/consensus/script/num.js';
import { findAndDelete, isPushOnly, pushEncoding, withoutCodeSeparators } from '../../../src/consensus/script/script-code.js';
import { ripemd160, sha1, sha256, hash160, sha256d } from '../../../src/crypto/hash.js';
import { OP, OPN, script, raw, num, run, assertOk, PERMISSIVE_CHECKER } from './fixtures.js';

/** Evaluate one script from an empty (or given) stack; returns the failure code or the final stack as hex. */
function evaluate(bytes: Uint8Array, options: { flags?: number; checker?: SignatureChecker; stack?: Buffer[] } = {}) {
  const stack = options.stack ?? [];
  const failure = evalScript(stack, bytes, options.flags ?? MVS_CONSENSUS_FLAGS, options.checker ?? NULL_CHECKER);
  return { code: failure?.code ?? null, stack: stack.map((b) => b.toString('hex')) };
}

function stackOf(bytes: Uint8Array, options: Parameters<typeof evaluate>[1] = {}): string[] {
  const r = evaluate(bytes, options);
  assert.equal(r.code, null, `script ${Buffer.from(bytes).toString('hex')} failed with ${r.code}`);
  return r.stack;
}

const h = (n: number) => encodeNum(n).toString('hex');

test('push opcodes: OP_0, direct pushes, PUSHDATA1/2/4, OP_1NEGATE, OP_1..OP_16', () => {
  assert.deepEqual(stackOf(script(OP.ZERO)), ['']);
  assert.deepEqual(stackOf(script(raw('03abcdef'))), ['abcdef']);
  assert.deepEqual(stackOf(script(raw('4c02abcd'))), ['abcd']);
  assert.deepEqual(stackOf(script(raw('4d0200abcd'))), ['abcd']);
  assert.deepEqual(stackOf(script(raw('4e02000000abcd'))), ['abcd']);
  assert.deepEqual(stackOf(script(OP.NEGATE1)), ['81']);
  const smalls = stackOf(script(...Array.from({ length: 16 }, (_, i) => OP.OP_1 + i)));
  assert.deepEqual(smalls, Array.from({ length: 16 }, (_, i) => h(i + 1)));
  // 520 bytes is the largest element.
  assert.equal(stackOf(script(Buffer.alloc(520, 7)))[0].length, 1040);
});

test('a truncated push fails only when execution reaches it', () => {
  // OP_1 executes, then the PUSHDATA1 length byte is missing.
  assert.equal(evaluate(script(OP.OP_1, raw('4c'))).code, 'BAD_OPCODE');
  assert.equal(evaluate(script(raw('05abcd'))).code, 'BAD_OPCODE');
  // OP_RETURN stops first.
  assert.equal(evaluate(script(OP.RETURN, raw('4d01'))).code, 'OP_RETURN');
});

test('conditionals: IF/NOTIF/ELSE/ENDIF, nesting, and what unexecuted branches still check', () => {
  assert.deepEqual(stackOf(script(OP.OP_1, OP.IF, OPN(2), OP.ELSE, OPN(3), OP.ENDIF)), [h(2)]);
  assert.deepEqual(stackOf(script(OP.ZERO, OP.IF, OPN(2), OP.ELSE, OPN(3), OP.ENDIF)), [h(3)]);
  assert.deepEqual(stackOf(script(OP.ZERO, OP.NOTIF, OPN(2), OP.ENDIF)), [h(2)]);
  // Nested with an outer false branch: the inner IF consumes nothing.
  assert.deepEqual(stackOf(script(OP.ZERO, OP.IF, OP.IF, OPN(5), OP.ENDIF, OP.ELSE, OPN(6), OP.ENDIF)), [h(6)]);
  // Several ELSEs toggle.
  assert.deepEqual(stackOf(script(OP.OP_1, OP.IF, OPN(2), OP.ELSE, OPN(3), OP.ELSE, OPN(4), OP.ENDIF)), [h(2), h(4)]);
  // Unknown opcodes and OP_RETURN are skipped when not executed…
  assert.deepEqual(stackOf(script(OP.ZERO, OP.IF, 0xba, 0xff, OP.RETURN, OP.RESERVED, OP.ENDIF, OP.OP_1)), [h(1)]);
  // …but disabled opcodes and VERIF/VERNOTIF fail even there.
  assert.equal(evaluate(script(OP.ZERO, OP.IF, OP.CAT, OP.ENDIF)).code, 'DISABLED_OPCODE');
  assert.equal(evaluate(script(OP.ZERO, OP.IF, OP.VERIF, OP.ENDIF)).code, 'BAD_OPCODE');
  assert.equal(evaluate(script(OP.ZERO, OP.IF, OP.VERNOTIF, OP.ENDIF)).code, 'BAD_OPCODE');
  // Negative zero is false.
  assert.deepEqual(stackOf(script(raw('0180'), OP.IF, OPN(2), OP.ELSE, OPN(3), OP.ENDIF)), [h(3)]);
});

test('NOP, NOP1 and NOP5..NOP10 do nothing; DISCOURAGE_UPGRADABLE_NOPS makes them fail', () => {
  for (const op of [OP.NOP, OP.NOP1, OP.NOP5, OP.NOP6, OP.NOP7, OP.NOP8, OP.NOP9, OP.NOP10]) {
    assert.deepEqual(stackOf(script(OP.OP_1, op)), [h(1)], `opcode ${op}`);
  }
  for (const op of [OP.NOP1, OP.NOP5, OP.NOP10]) {
    assert.equal(evaluate(script(OP.OP_1, op), { flags: MVS_CONSENSUS_FLAGS | SCRIPT_VERIFY.DISCOURAGE_UPGRADABLE_NOPS }).code, 'DISCOURAGE_UPGRADABLE_NOPS');
  }
  // OP_NOP itself is never discouraged, nor an unexecuted NOPx.
  assert.equal(evaluate(script(OP.OP_1, OP.NOP), { flags: SCRIPT_VERIFY.DISCOURAGE_UPGRADABLE_NOPS }).code, null);
  assert.equal(evaluate(script(OP.ZERO, OP.IF, OP.NOP1, OP.ENDIF), { flags: SCRIPT_VERIFY.DISCOURAGE_UPGRADABLE_NOPS }).code, null);
});

test('CLTV, CHECKATTENUATIONVERIFY and CSV are NOPs when their flag is off', () => {
  for (const op of [OP.CHECKLOCKTIMEVERIFY, OP.CHECKATTENUATIONVERIFY, OP.CHECKSEQUENCEVERIFY]) {
    // An empty stack would fail each of them when enabled.
    assert.equal(evaluate(script(op, OP.OP_1), { flags: SCRIPT_VERIFY.P2SH }).code, null);
    assert.equal(evaluate(script(op), { flags: MVS_CONSENSUS_FLAGS }).code, 'INVALID_STACK_OPERATION');
    assert.equal(evaluate(script(op), { flags: SCRIPT_VERIFY.DISCOURAGE_UPGRADABLE_NOPS }).code, 'DISCOURAGE_UPGRADABLE_NOPS');
  }
});

test('stack operations', () => {
  const a = raw('01aa');
  const b = raw('01bb');
  const c = raw('01cc');
  const d = raw('01dd');
  const e = raw('01ee');
  const f = raw('01ff');
  assert.deepEqual(stackOf(script(a, OP.TOALTSTACK, b, OP.FROMALTSTACK)), ['bb', 'aa']);
  assert.deepEqual(stackOf(script(a, b, c, OP.TWODROP)), ['aa']);
  assert.deepEqual(stackOf(script(a, b, OP.TWODUP)), ['aa', 'bb', 'aa', 'bb']);
  assert.deepEqual(stackOf(script(a, b, c, OP.THREEDUP)), ['aa', 'bb', 'cc', 'aa', 'bb', 'cc']);
  assert.deepEqual(stackOf(script(a, b, c, d, OP.TWOOVER)), ['aa', 'bb', 'cc', 'dd', 'aa', 'bb']);
  assert.deepEqual(stackOf(script(a, b, c, d, e, f, OP.TWOROT)), ['cc', 'dd', 'ee', 'ff', 'aa', 'bb']);
  assert.deepEqual(stackOf(script(a, b, c, d, OP.TWOSWAP)), ['cc', 'dd', 'aa', 'bb']);
  assert.deepEqual(stackOf(script(a, OP.IFDUP)), ['aa', 'aa']);
  assert.deepEqual(stackOf(script(OP.ZERO, OP.IFDUP)), ['']);
  assert.deepEqual(stackOf(script(a, b, OP.DEPTH)), ['aa', 'bb', h(2)]);
  assert.deepEqual(stackOf(script(OP.DEPTH)), ['']);
  assert.deepEqual(stackOf(script(a, b, OP.DROP)), ['aa']);
  assert.deepEqual(stackOf(script(a, OP.DUP)), ['aa', 'aa']);
  assert.deepEqual(stackOf(script(a, b, OP.NIP)), ['bb']);
  assert.deepEqual(stackOf(script(a, b, OP.OVER)), ['aa', 'bb', 'aa']);
  assert.deepEqual(stackOf(script(a, b, c, OPN(2), OP.PICK)), ['aa', 'bb', 'cc', 'aa']);
  assert.deepEqual(stackOf(script(a, b, c, OPN(2), OP.ROLL)), ['bb', 'cc', 'aa']);
  assert.deepEqual(stackOf(script(a, b, c, OP.ZERO, OP.ROLL)), ['aa', 'bb', 'cc']);
  assert.deepEqual(stackOf(script(a, b, c, OP.ROT)), ['bb', 'cc', 'aa']);
  assert.deepEqual(stackOf(script(a, b, OP.SWAP)), ['bb', 'aa']);
  assert.deepEqual(stackOf(script(a, b, OP.TUCK)), ['bb', 'aa', 'bb']);
  assert.deepEqual(stackOf(script(raw('03010203'), OP.SIZE)), ['010203', h(3)]);
  assert.deepEqual(stackOf(script(OP.ZERO, OP.SIZE)), ['', '']);
  // PICK/ROLL index out of range or negative.
  assert.equal(evaluate(script(a, OP.OP_1, OP.PICK)).code, 'INVALID_STACK_OPERATION');
  assert.equal(evaluate(script(a, OP.NEGATE1, OP.ROLL)).code, 'INVALID_STACK_OPERATION');
});

test('EQUAL compares bytes exactly; EQUALVERIFY consumes on success', () => {
  assert.deepEqual(stackOf(script(raw('01aa'), raw('01aa'), OP.EQUAL)), ['01']);
  assert.deepEqual(stackOf(script(raw('01aa'), raw('01ab'), OP.EQUAL)), ['']);
  // Numerically equal, byte-wise different: not EQUAL.
  assert.deepEqual(stackOf(script(raw('0101'), raw('020100'), OP.EQUAL)), ['']);
  assert.deepEqual(stackOf(script(raw('01aa'), raw('01aa'), OP.EQUALVERIFY)), []);
});

test('numeric operations on 4-byte numbers, non-minimal operands accepted without MINIMALDATA', () => {
  const cases: [Buffer, string[]][] = [
    [script(num(5), OP.ONEADD), [h(6)]],
    [script(num(5), OP.ONESUB), [h(4)]],
    [script(num(5), OP.NEGATE), [h(-5)]],
    [script(num(-5), OP.ABS), [h(5)]],
    [script(num(0), OP.NOT), [h(1)]],
    [script(num(7), OP.NOT), [h(0)]],
    [script(num(7), OP.ZERONOTEQUAL), [h(1)]],
    [script(num(0), OP.ZERONOTEQUAL), [h(0)]],
    [script(num(2), num(3), OP.ADD), [h(5)]],
    [script(num(2), num(3), OP.SUB), [h(-1)]],
    [script(num(2), num(0), OP.BOOLAND), [h(0)]],
    [script(num(2), num(0), OP.BOOLOR), [h(1)]],
    [script(num(3), num(3), OP.NUMEQUAL), [h(1)]],
    [script(num(3), num(4), OP.NUMNOTEQUAL), [h(1)]],
    [script(num(3), num(4), OP.LESSTHAN), [h(1)]],
    [script(num(3), num(4), OP.GREATERTHAN), [h(0)]],
    [script(num(4), num(4), OP.LESSTHANOREQUAL), [h(1)]],
    [script(num(3), num(4), OP.GREATERTHANOREQUAL), [h(0)]],
    [script(num(3), num(-4), OP.MIN), [h(-4)]],
    [script(num(3), num(-4), OP.MAX), [h(3)]],
    [script(num(3), num(3), num(5), OP.WITHIN), [h(1)]],
    [script(num(5), num(3), num(5), OP.WITHIN), [h(0)]],
    [script(num(3), num(3), OP.NUMEQUALVERIFY), []],
    // Results may exceed 4 bytes; they are only invalid as later operands.
    [script(num(0x7fffffff), num(0x7fffffff), OP.ADD), [h(0xfffffffe)]],
    // Non-minimal 1 (01 00) and negative zero (80) are plain numbers here.
    [script(raw('020100'), OP.ONEADD), [h(2)]],
    [script(raw('0180'), OP.NOT), [h(1)]],
    [script(raw('0400000080'), OP.ZERONOTEQUAL), [h(0)]],
  ];
  for (const [bytes, expected] of cases) assert.deepEqual(stackOf(bytes), expected, bytes.toString('hex'));
  // The same non-minimal operand fails under MINIMALDATA.
  assert.equal(evaluate(script(raw('020100'), OP.ONEADD), { flags: SCRIPT_VERIFY.MINIMALDATA }).code, 'SCRIPTNUM_MINIMAL');
  // A 5-byte operand is an overflow.
  assert.equal(evaluate(script(raw('050000000001'), OP.ONEADD)).code, 'SCRIPTNUM_OVERFLOW');
  assert.equal(evaluate(script(num(0x7fffffff), num(1), OP.ADD, OP.ONEADD)).code, 'SCRIPTNUM_OVERFLOW');
});

test('script-number codec and CastToBool', () => {
  for (const v of [0, 1, -1, 127, 128, -128, 255, 256, -255, 0x7fffffff, -0x7fffffff, 2 ** 39 - 1]) {
    assert.equal(decodeNum(encodeNum(v), true, 5), v, `round trip ${v}`);
  }
  assert.equal(encodeNum(128).toString('hex'), '8000');
  assert.equal(encodeNum(-128).toString('hex'), '8080');
  assert.equal(decodeNum(Buffer.from('ffffffff', 'hex'), false), -0x7fffffff);
  assert.equal(castToBool(Buffer.from('000080', 'hex')), false);
  assert.equal(castToBool(Buffer.from('008000', 'hex')), true);
  assert.equal(castToBool(Buffer.alloc(0)), false);
});

test('hash operations', () => {
  const data = Buffer.from('mvs script', 'ascii');
  const push = script(data);
  assert.deepEqual(stackOf(Buffer.concat([push, Buffer.from([OP.RIPEMD160])])), [ripemd160(data).toString('hex')]);
  assert.deepEqual(stackOf(Buffer.concat([push, Buffer.from([OP.SHA1])])), [sha1(data).toString('hex')]);
  assert.deepEqual(stackOf(Buffer.concat([push, Buffer.from([OP.SHA256])])), [sha256(data).toString('hex')]);
  assert.deepEqual(stackOf(Buffer.concat([push, Buffer.from([OP.HASH160])])), [hash160(data).toString('hex')]);
  assert.deepEqual(stackOf(Buffer.concat([push, Buffer.from([OP.HASH256])])), [sha256d(data).toString('hex')]);
});

test('the 201-op limit counts non-push opcodes, executed or not, and CHECKMULTISIG keys', () => {
  const nops = (n: number) => Buffer.alloc(n, OP.NOP);
  assert.equal(evaluate(Buffer.concat([script(OP.OP_1), nops(201)])).code, null);
  assert.equal(evaluate(Buffer.concat([script(OP.OP_1), nops(202)])).code, 'OP_COUNT');
  // Pushes and OP_1..OP_16 are free, OP_RESERVED too (it only fails when executed).
  assert.equal(evaluate(Buffer.concat([Buffer.alloc(300, OP.OP_1), nops(201)])).code, null);
  assert.equal(evaluate(Buffer.concat([script(OP.ZERO, OP.IF), Buffer.alloc(10, OP.RESERVED), nops(199), script(OP.ENDIF)])).code, null);
  // Unexecuted NOPs count.
  assert.equal(evaluate(Buffer.concat([script(OP.ZERO, OP.IF), nops(201), script(OP.ENDIF)])).code, 'OP_COUNT');
  // 20 keys of CHECKMULTISIG count as 20 ops: 181 NOPs + CHECKMULTISIG + 20 = 202.
  const multisig = script(OP.ZERO, OP.ZERO, ...Array.from({ length: 20 }, () => raw('0102')), num(20), OP.CHECKMULTISIG);
  assert.equal(evaluate(Buffer.concat([nops(180), multisig])).code, null);
  assert.equal(evaluate(Buffer.concat([nops(181), multisig])).code, 'OP_COUNT');
});

test('stack + altstack limit of 1000 items', () => {
  const ok = Buffer.concat([Buffer.alloc(999, OP.OP_1), script(OP.TOALTSTACK)]);
  assert.equal(evaluate(ok).code, null);
  assert.equal(evaluate(Buffer.alloc(MAX_STACK_SIZE, OP.OP_1)).code, null);
  assert.equal(evaluate(Buffer.alloc(MAX_STACK_SIZE + 1, OP.OP_1)).code, 'STACK_SIZE');
  // Altstack items count too.
  const withAlt = Buffer.concat([Buffer.alloc(900, OP.OP_1), Buffer.alloc(100, OP.TOALTSTACK), Buffer.alloc(101, OP.OP_1)]);
  assert.equal(evaluate(withAlt).code, 'STACK_SIZE');
  // 2DUP past the limit.
  assert.equal(evaluate(Buffer.concat([Buffer.alloc(999, OP.OP_1), script(OP.TWODUP)])).code, 'STACK_SIZE');
});

test('OP_CODESEPARATOR and FindAndDelete shape the scriptCode handed to the checker', () => {
  const seen: string[] = [];
  const recorder: SignatureChecker = {
    checkSig: (_sig, _key, scriptCode) => {
      seen.push(scriptCode.toString('hex'));
      return true;
    },
    checkLockTime: () => true,
    checkSequence: () => true,
  };
  const sig = Buffer.from('3006020101020101' + '01', 'hex');
  const key = Buffer.alloc(33, 2);
  // <sig> <key> | NOP CODESEPARATOR <sig> DROP CHECKSIG: the separator cuts the prefix, the sig push is removed.
  const pubKeyScript = script(OP.NOP, OP.CODESEPARATOR, sig, OP.DROP, OP.CHECKSIG);
  assertOk(run(script(sig, key), pubKeyScript, MVS_CONSENSUS_FLAGS, recorder));
  assert.deepEqual(seen, [script(OP.DROP, OP.CHECKSIG).toString('hex')]);
  // An unexecuted separator does not move the start.
  seen.length = 0;
  const branchy = script(OP.ZERO, OP.IF, OP.CODESEPARATOR, OP.ENDIF, OP.CHECKSIG);
  assertOk(run(script(sig, key), branchy, MVS_CONSENSUS_FLAGS, recorder));
  assert.deepEqual(seen, [branchy.toString('hex')]);
  // The serializer drops separators that remain in the scriptCode.
  assert.equal(withoutCodeSeparators(script(OP.DUP, OP.CODESEPARATOR, OP.CHECKSIG, raw('01ab'))).toString('hex'), script(OP.DUP, OP.CHECKSIG, raw('01ab')).toString('hex'));
  // …but not 0xab bytes inside pushes.
  assert.equal(withoutCodeSeparators(script(raw('01ab'))).toString('hex'), '01ab');
});

test('FindAndDelete matches whole pushes at operation boundaries only, repeatedly', () => {
  const sig = Buffer.from('aabb', 'hex');
  const pattern = pushEncoding(sig); // 02aabb
  assert.equal(findAndDelete(script(raw('02aabb'), OP.DUP, raw('02aabb02aabb')), pattern).toString('hex'), '76');
  // Inside another push it is data, not an operation: kept.
  assert.equal(findAndDelete(script(raw('0402aabb00')), pattern).toString('hex'), '0402aabb00');
  // A non-minimal push of the same bytes is a different encoding: kept.
  assert.equal(findAndDelete(script(raw('4c02aabb')), pattern).toString('hex'), '4c02aabb');
  // An empty signature's CScript is OP_0: OP_0 operations are removed.
  assert.equal(findAndDelete(script(OP.ZERO, OP.OP_1, OP.ZERO), pushEncoding(Buffer.alloc(0))).toString('hex'), '51');
  assert.equal(pushEncoding(Buffer.alloc(80, 1)).subarray(0, 2).toString('hex'), '4c50');
});

test('IsPushOnly treats OP_RESERVED as a push and rejects anything above OP_16 or unparseable', () => {
  assert.equal(isPushOnly(script(OP.ZERO, raw('01aa'), OP.NEGATE1, OP.RESERVED, OP.OP_16)), true);
  assert.equal(isPushOnly(script(OP.NOP)), false);
  assert.equal(isPushOnly(script(raw('4c'))), false);
  assert.equal(isPushOnly(Buffer.alloc(0)), true);
});

test('PERMISSIVE_CHECKER sanity: CHECKSIG consumes two items and pushes the verdict', () => {
  // Without DERSIG any bytes reach the checker.
  const options = { checker: PERMISSIVE_CHECKER, flags: SCRIPT_VERIFY.P2SH };
  assert.deepEqual(stackOf(script(raw('0101'), raw('0102'), OP.CHECKSIG), options), ['01']);
  assert.deepEqual(stackOf(script(raw('0102'), raw('0102'), OP.CHECKSIG), options), ['']);
  assert.deepEqual(stackOf(script(raw('0101'), raw('0102'), OP.CHECKSIGVERIFY), options), []);
});
