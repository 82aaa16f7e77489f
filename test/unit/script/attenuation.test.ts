import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseModelParam,
  isValidModelParamFormat,
  immutableSuffixOffset,
  splitCompressed,
  parseModelNumber,
  type AttenuationParamErrorCode,
} from '../../../src/consensus/attenuation.js';
import { evalScript } from '../../../src/consensus/script/interpreter.js';
import { NULL_CHECKER } from '../../../src/consensus/script/checker.js';
import { MVS_CONSENSUS_FLAGS } from '../../../src/consensus/script/flags.js';
import { verifyInput } from '../../../src/consensus/script/verify.js';
import { attenuationScript } from '../../../src/primitives/script.js';
import { OP, script, run, assertOk, assertCode, testKey, spendingTx, sign, setScriptSig, backendsUnderTest } from './fixtures.js';

const TYPE1 = 'PN=0;LH=20000;TYPE=1;LQ=9000;LP=60000;UN=3';
const TYPE2 = 'PN=0;LH=20000;TYPE=2;LQ=9000;LP=60000;UN=3;UC=20000,20000,20000;UQ=3000,3000,3000';
const TYPE3 = 'PN=0;LH=1000;TYPE=3;LQ=20000000;LP=12000;UN=3;IR=8;UC=4000,4000,4000;UQ=6000000,6666666,7333334';
const TYPE3_INITIAL = 'PN=0;LH=1000;TYPE=3;LQ=20000000;LP=12000;UN=12;IR=8';

function expectError(param: string | Uint8Array, code: AttenuationParamErrorCode, options = {}) {
  const r = parseModelParam(param, options);
  assert.equal(r.ok, false, `${String(param)} should fail with ${code}`);
  if (!r.ok) assert.equal(r.code, code, `${String(param)}: ${r.message}`);
}

function model(param: string, options = {}) {
  const r = parseModelParam(param, options);
  assert.ok(r.ok, `${param} should parse: ${r.ok ? '' : r.message}`);
  return r.model;
}

test('attenuation model: valid parameters of each type', () => {
  const m1 = model(TYPE1);
  assert.equal(m1.type, 1);
  assert.equal(m1.periodNumber, 0n);
  assert.equal(m1.latestLockHeight, 20000n);
  assert.equal(m1.lockedQuantity, 9000n);
  assert.equal(m1.lockedPeriod, 60000n);
  assert.equal(m1.unlockNumber, 3n);
  assert.equal(m1.inflationRate, null);
  assert.deepEqual(m1.unlockCycles, []);
  assert.equal(m1.param.toString('ascii'), TYPE1);

  const m2 = model(TYPE2);
  assert.equal(m2.type, 2);
  assert.deepEqual(m2.unlockCycles, [20000n, 20000n, 20000n]);
  assert.deepEqual(m2.unlockedQuantities, [3000n, 3000n, 3000n]);

  const m3 = model(TYPE3);
  assert.equal(m3.type, 3);
  assert.equal(m3.inflationRate, 8n);
  assert.deepEqual(m3.unlockedQuantities, [6000000n, 6666666n, 7333334n]);

  // The wallet's initial fixed-inflation form (IR without lists) parses only in `initial` mode.
  expectError(TYPE3_INITIAL, 'KEY_SET_MISMATCH');
  assert.equal(model(TYPE3_INITIAL, { initial: true }).inflationRate, 8n);
  expectError(TYPE3, 'KEY_SET_MISMATCH', { initial: true });

  // Keys after PN and LH in any order; bytes or string input.
  assert.equal(model('PN=1;LH=2;UN=3;LP=4;LQ=5;TYPE=1').lockedQuantity, 5n);
  assert.equal(parseModelParam(Buffer.from(TYPE1, 'ascii')).ok, true);
  assert.equal(model('PN=0;LH=18446744073709551615;TYPE=1;LQ=1;LP=1;UN=1').latestLockHeight, 2n ** 64n - 1n);
});

test('attenuation model: reference parsing quirks', () => {
  // stoull after an alphanumeric check: a decimal prefix is enough.
  assert.equal(model('PN=0;LH=12ab;TYPE=1;LQ=9000;LP=60000;UN=3').latestLockHeight, 12n);
  assert.equal(model('PN=0;LH=007;TYPE=1x;LQ=9000;LP=60000;UN=3').latestLockHeight, 7n);
  // TYPE is read as uint8_t.
  const m = model('PN=0;LH=1;TYPE=257;LQ=9000;LP=60000;UN=3');
  assert.equal(m.type, 1);
  assert.equal(m.typeValue, 257n);
  expectError('PN=0;LH=1;TYPE=256;LQ=9000;LP=60000;UN=3', 'BAD_TYPE');
  // Adjacent separators merge.
  assert.equal(model('PN=0;;LH=1;;;TYPE=1;LQ=9;LP=9;UN=3').unlockNumber, 3n);
  assert.equal(model('PN==0;LH=1;TYPE===1;LQ=9;LP=9;UN=3').type, 1);
  // An empty value means unset: the key does not count.
  assert.equal(model('PN=0;LH=1;TYPE=1;LQ=9;LP=9;UN=3;IR=').inflationRate, null);
  expectError('PN=0;LH=1;TYPE=1;LQ=;LP=9;UN=3;XX=1', 'KEY_SET_MISMATCH');
  // …but a repeated key is refused before its empty value is skipped.
  expectError('PN=0;LH=1;TYPE=1;LQ=9;LP=9;UN=3;LQ=', 'DUPLICATE_KEY');
  assert.equal(model('PN=0;LH=1;TYPE=1;LQ=;LP=9;UN=3;LQ=4').lockedQuantity, 4n);
});

test('attenuation model: each parse error', () => {
  expectError('', 'EMPTY');
  expectError('PN=0;LH=1;TYPE=1;LQ=9;LP=9;UN=3 ', 'ILLEGAL_CHARACTER');
  expectError('PN=0;LH=1;TYPE=1;LQ=-9;LP=9;UN=3', 'ILLEGAL_CHARACTER');
  expectError('PN=0;LH=1.5;TYPE=1;LQ=9;LP=9;UN=3', 'ILLEGAL_CHARACTER');
  expectError(Buffer.concat([Buffer.from(TYPE1), Buffer.from([0x00])]), 'ILLEGAL_CHARACTER');
  expectError(Buffer.concat([Buffer.from(TYPE1), Buffer.from([0xc3, 0xa9])]), 'ILLEGAL_CHARACTER');
  expectError('PN=0;LH=1;TYPE=2;LQ=9;LP=9;UN=2;UC=4,,5;UQ=4,5', 'DOUBLE_COMMA');
  expectError('PN=0;LH=1;TYPE=1;LQ=9;LP=9', 'TOO_FEW_ENTRIES');
  expectError('LH=1;PN=0;TYPE=1;LQ=9;LP=9;UN=3', 'FIRST_KEY_NOT_PN');
  expectError(';PN=0;LH=1;TYPE=1;LQ=9;LP=9;UN=3', 'FIRST_KEY_NOT_PN');
  expectError('PN=0;TYPE=1;LH=1;LQ=9;LP=9;UN=3', 'SECOND_KEY_NOT_LH');
  expectError('PN=0;LH=1;TYPE=1;LQ=9;LP=9;UN=3;', 'MALFORMED_ENTRY');
  expectError('PN=0;LH=1;TYPE=1;LQ=9=8;LP=9;UN=3', 'MALFORMED_ENTRY');
  expectError('PN=0;LH=1;TYPE1;LQ=9;LP=9;UN=3', 'MALFORMED_ENTRY');
  expectError('PN=0;LH=1;TYPE=1;=9;LP=9;UN=3', 'EMPTY_KEY');
  expectError('PN=0;LH=1;TYPE=1;LQ=9;LQ=8;UN=3', 'DUPLICATE_KEY');
  expectError('PN=0;LH=1;TYPE=1;LQ=ab9;LP=9;UN=3', 'BAD_NUMBER');
  expectError('PN=0;LH=18446744073709551616;TYPE=1;LQ=9;LP=9;UN=3', 'BAD_NUMBER');
  expectError('PN=0;LH=1;TYPE=1;LQ=9,8;LP=9;UN=3', 'BAD_NUMBER');
  expectError('PN=0;LH=1;TYPE=2;LQ=9;LP=9;UN=2;UC=,4;UQ=4,5', 'BAD_NUMBER');
  expectError('PN=0;LH=1;TYPE=2;LQ=9;LP=9;UN=2;UC=4,;UQ=4,5', 'BAD_NUMBER');
  expectError('PN=0;LH=1;LQ=9;LP=9;UN=3;XX=1', 'BAD_TYPE');
  expectError('PN=0;LH=1;TYPE=0;LQ=9;LP=9;UN=3', 'BAD_TYPE');
  expectError('PN=0;LH=1;TYPE=4;LQ=9;LP=9;UN=3', 'BAD_TYPE');
  expectError('PN=0;LH=1;TYPE=1;LQ=9;LP=9;UN=3;UC=3', 'KEY_SET_MISMATCH');
  expectError('PN=0;LH=1;TYPE=2;LQ=9;LP=9;UN=3;UC=3', 'KEY_SET_MISMATCH');
  expectError('PN=0;LH=1;TYPE=3;LQ=9;LP=9;UN=1;UC=9;UQ=9', 'KEY_SET_MISMATCH');
  expectError('PN=0;LH=1;TYPE=1;LQ=9;LP=9;UN=3;Type=1', 'KEY_SET_MISMATCH');
});

test('attenuation helpers: compressed split, stoull-like numbers, immutable suffix', () => {
  assert.deepEqual(splitCompressed('a;;b', ';'), ['a', 'b']);
  assert.deepEqual(splitCompressed(';a;', ';'), ['', 'a', '']);
  assert.deepEqual(splitCompressed('', ';'), ['']);
  assert.equal(parseModelNumber('12ab'), 12n);
  assert.equal(parseModelNumber('ab'), null);
  assert.equal(parseModelNumber(''), null);
  assert.equal(immutableSuffixOffset(Buffer.from(TYPE1)), TYPE1.indexOf(';TYPE'));
  assert.equal(immutableSuffixOffset(Buffer.from('PN=0;LH=1')), 9);
  assert.equal(isValidModelParamFormat(TYPE2), true);
  assert.equal(isValidModelParamFormat('PN=0'), false);
});

const POINT = Buffer.alloc(36, 0xee);

test('CHECKATTENUATIONVERIFY: needs two items, checks the one at depth 2, pops both', () => {
  for (const param of [TYPE1, TYPE2, TYPE3]) {
    const stack: Buffer[] = [Buffer.from('keep')];
    const failure = evalScript(stack, script(param, POINT, OP.CHECKATTENUATIONVERIFY), MVS_CONSENSUS_FLAGS, NULL_CHECKER);
    assert.equal(failure, null, param);
    assert.deepEqual(stack, [Buffer.from('keep')], `${param}: both operands popped`);
  }
  // The input point is not examined: any bytes, even none.
  assertOk(run(script(), script(OP.OP_1, TYPE1, OP.ZERO, OP.CHECKATTENUATIONVERIFY)));
  // The parameter pushed with PUSHDATA2, as on chain.
  const pushdata2 = Buffer.concat([Buffer.from([OP.PUSHDATA2, TYPE1.length, 0]), Buffer.from(TYPE1)]);
  assertOk(run(script(), Buffer.concat([script(OP.OP_1), pushdata2, script(POINT, OP.CHECKATTENUATIONVERIFY)])));
  assertCode(run(script(), script(TYPE1, OP.CHECKATTENUATIONVERIFY, OP.OP_1)), 'INVALID_STACK_OPERATION', 'one item');
  assertCode(run(script(), script(TYPE1.replace('TYPE=1', 'TYPE=0'), POINT, OP.CHECKATTENUATIONVERIFY, OP.OP_1)), 'INVALID_MODEL_PARAM', 'TYPE=0');
  assertCode(run(script(), script(TYPE3_INITIAL, POINT, OP.CHECKATTENUATIONVERIFY, OP.OP_1)), 'INVALID_MODEL_PARAM', 'initial-form TYPE 3');
  // Operands swapped: the top item is not what is checked.
  assertCode(run(script(), script(POINT, TYPE1, OP.CHECKATTENUATIONVERIFY, OP.OP_1)), 'INVALID_MODEL_PARAM', 'swapped');
  assertCode(run(script(), script(OP.ZERO, POINT, OP.CHECKATTENUATIONVERIFY, OP.OP_1)), 'INVALID_MODEL_PARAM', 'empty parameter');
});

for (const { name, backend } of backendsUnderTest()) {
  test(`[${name}] spending an attenuation-model output with a signature`, () => {
    const key = testKey(21, backend);
    const spend = (param: string) => {
      const prev = attenuationScript(key.hash, param, POINT).raw;
      const tx = spendingTx(1);
      setScriptSig(tx, 0, script(sign(tx, 0, prev, key, backend), key.pubkey));
      return verifyInput({ tx, index: 0, prevScript: prev, flags: MVS_CONSENSUS_FLAGS, backend });
    };
    assertOk(spend(TYPE1));
    assertOk(spend(TYPE2));
    assertOk(spend(TYPE3));
    assertCode(spend('PN=0;LH=1;TYPE=9;LQ=9;LP=9;UN=3'), 'INVALID_MODEL_PARAM');
  });
}
