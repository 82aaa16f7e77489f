import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { BufferReader } from '../../../src/primitives/reader.js';
import { BufferWriter } from '../../../src/primitives/writer.js';
import { CodecError } from '../../../src/primitives/errors.js';
import {
  Script,
  parseOps,
  hasRawDataOpcode,
  countSigops,
  countOps,
  isPayKeyHashBytes,
  encodeScriptNum,
  decodeScriptNum,
  attenuationScript,
  lockHeightScript,
  sequenceLockScript,
  multisigScript,
  p2pkhScript,
  p2shScript,
  nullDataScript,
  depositLockHeight,
} from '../../../src/primitives/script.js';
import { OP } from '../../../src/primitives/opcodes.js';
import { Address, scriptAddress, BLACKHOLE_ADDRESS } from '../../../src/primitives/address.js';
import { Transaction, TxInput, TxOutput, OutPoint, outpointKeyText } from '../../../src/primitives/transaction.js';
import { Attachment } from '../../../src/primitives/attachment.js';
import { BlockHeader } from '../../../src/primitives/header.js';
import { mainnet } from '../../../src/networks/index.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof CodecError) return err.code;
    throw err;
  }
  return 'ok';
};

describe('bounded reader', () => {
  test('truncation, trailing bytes and oversize counts are typed errors', () => {
    assert.equal(codeOf(() => new BufferReader(Buffer.from([1, 2, 3])).u32le()), 'TRUNCATED');
    const r = new BufferReader(Buffer.from([1, 2]));
    r.u8();
    assert.equal(codeOf(() => r.assertEnd()), 'TRAILING_BYTES');
    // A count of 2^32 items cannot fit in 5 remaining bytes: refused before any allocation.
    assert.equal(codeOf(() => new BufferReader(Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0, 0])).count(1, 'item')), 'OVERSIZE');
    assert.equal(codeOf(() => new BufferReader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).varint()), 'OVERSIZE');
  });

  test('non-minimal varints are refused in chain data and accepted where the reference is lenient', () => {
    const nonMinimal = Buffer.from([0xfd, 0x05, 0x00]);
    assert.equal(codeOf(() => new BufferReader(nonMinimal).varint()), 'NON_MINIMAL_VARINT');
    assert.equal(new BufferReader(nonMinimal, 0, 3, { allowNonMinimalVarint: true }).varint(), 5);
    for (const n of [0, 0xfc, 0xfd, 0xffff, 0x10000, 0xffffffff, 2 ** 40]) {
      const b = new BufferWriter().varint(n).finish();
      assert.equal(new BufferReader(b).varint(), n);
    }
  });

  test('strings with NUL are refused (the reference truncates them and hashes differently)', () => {
    assert.equal(codeOf(() => new BufferReader(Buffer.from([3, 0x61, 0x00, 0x62])).varString()), 'NUL_IN_STRING');
    assert.equal(new BufferReader(Buffer.from([3, 0x61, 0x00, 0x62])).varStringLenient(), 'a');
  });
});

describe('script', () => {
  test('parse → serialize is exact, and a short attenuation param keeps its PUSHDATA2', () => {
    const s = attenuationScript(Buffer.alloc(20, 1), 'PN=0;LH=20000;TYPE=1;LQ=9000;LP=60000;UN=3', Buffer.concat([Buffer.alloc(32), Buffer.from([0xff, 0xff, 0xff, 0xff])]));
    assert.equal(s.raw[0], OP.PUSHDATA2);
    assert.equal(s.pattern(), 'pay_key_hash_with_attenuation_model');
    const again = Script.fromOps(s.ops!);
    assert.ok(again.raw.equals(s.raw));
    // The same param with a direct push is a different, non-standard script.
    const direct = Script.fromAsm(s.toAsm());
    assert.notEqual(direct.pattern(), 'pay_key_hash_with_attenuation_model');
  });

  test('disassembly uses the reference words; unparseable scripts print as one raw push', () => {
    assert.equal(p2pkhScript(Buffer.alloc(20, 0xab)).toAsm(), `dup hash160 [ ${'ab'.repeat(20)} ] equalverify checksig`);
    assert.equal(new Script(Buffer.from([0x00, 0x4c, 0x00, 0x51, 0x60, 0xb1, 0xb2, 0xb3, 0xbc])).toAsm(), 'zero pushdata1 1 16 checklocktimeverify checkattenuationverify checksequenceverify <none 188>');
    const truncated = new Script(Buffer.from([0x05, 0x01, 0x02]));
    assert.equal(truncated.ops, null);
    assert.equal(truncated.toAsm(), '[ 050102 ]');
    assert.equal(truncated.pattern(), 'non_standard');
  });

  test('an opcode byte 0xbb outside push data makes a transaction undecodable', () => {
    const txHex = '01000000' + '01' + '11'.repeat(32) + '00000000' + '01' + 'bb' + 'ffffffff' + '01' + '0000000000000000' + '00' + '0100000000000000' + '00000000';
    assert.equal(codeOf(() => Transaction.fromHex(txHex)), 'BAD_ENCODING');
    assert.equal(parseOps(Buffer.from([0x01, 0xbb]))![0].data![0], 0xbb, 'inside a push it is data');
  });

  test('the byte scans (0xbb, sigops, P2PKH) agree with parsing the script, on 20,000 random scripts', () => {
    // Biased towards push, signature and raw-data opcodes so every branch of the walks occurs.
    const pick = [0x01, 0x02, 0x05, 0x14, 0x4b, 0x4c, 0x4d, 0x4e, 0xbb, 0xbb, 0x76, 0xac, 0xad, 0xae, 0xaf, 0x52, 0x60, 0x00];
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    let withRawData = 0;
    for (let n = 0; n < 20_000; n++) {
      const bytes = Buffer.alloc(Math.floor(rand() * 24));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rand() < 0.6 ? pick[Math.floor(rand() * pick.length)] : Math.floor(rand() * 256);
      const ops = parseOps(bytes);
      const expected = ops !== null && ops.some((op) => op.code === 0xbb);
      if (expected) withRawData++;
      assert.equal(hasRawDataOpcode(bytes), expected, bytes.toString('hex'));
      assert.equal(new Script(bytes).hasUnserializableOpcode(), expected, bytes.toString('hex'));
      const parsed = new Script(bytes);
      void parsed.ops; // from here on its methods read the op list
      for (const accurate of [true, false]) assert.equal(countSigops(bytes, accurate), parsed.sigopCount(accurate), bytes.toString('hex'));
      assert.equal(new Script(bytes).pattern(), parsed.pattern(), bytes.toString('hex'));
      assert.equal(new Script(bytes).opCount(), ops === null ? null : ops.length, bytes.toString('hex'));
      assert.equal(countOps(bytes), ops === null ? null : ops.length, bytes.toString('hex'));
    }
    const p2pkh = p2pkhScript(Buffer.alloc(20, 0x88));
    assert.ok(isPayKeyHashBytes(p2pkh.raw));
    assert.equal(new Script(p2pkh.raw).pattern(), 'pay_key_hash');
    assert.equal(new Script(p2pkh.raw).sigopCount(true), 1);
    assert.ok(!isPayKeyHashBytes(p2pkh.raw.subarray(0, 24)));
    assert.ok(withRawData > 400, `only ${withRawData} scripts held 0xbb`);
  });

  test('patterns as the reference classifies them', () => {
    const pk = Buffer.concat([Buffer.from([0x02]), Buffer.alloc(32, 7)]);
    assert.equal(p2shScript(Buffer.alloc(20)).pattern(), 'pay_script_hash');
    assert.equal(multisigScript(2, [pk, pk, pk]).pattern(), 'pay_multisig');
    assert.equal(nullDataScript(Buffer.from('hi')).pattern(), 'null_data');
    assert.equal(lockHeightScript(Buffer.alloc(20), 25200).pattern(), 'pay_key_hash_with_lock_height');
    assert.equal(depositLockHeight(lockHeightScript(Buffer.alloc(20), 25200)), 25200);
    assert.equal(lockHeightScript(Buffer.alloc(20), 25200).raw.subarray(0, 3).toString('hex'), '027062');
    assert.equal(sequenceLockScript(Buffer.alloc(20), 20).pattern(), 'pay_key_hash_with_sequence_lock');
    assert.equal(Script.fromAsm('return').pattern(), 'pay_blackhole_address');
    // [Q] input patterns count as standard outputs too.
    assert.equal(Script.fromAsm('1').pattern(), 'sign_public_key');
    assert.equal(Script.fromAsm('dup').pattern(), 'non_standard');
  });

  test('script numbers: minimal little-endian sign-magnitude', () => {
    for (const [n, hex] of [[0, ''], [1, '01'], [127, '7f'], [128, '8000'], [-1, '81'], [25200, '7062'], [108000, 'e0a501'], [1019574, 'b68e0f']] as const) {
      assert.equal(encodeScriptNum(n).toString('hex'), hex);
      assert.equal(decodeScriptNum(Buffer.from(hex, 'hex')), BigInt(n));
    }
    assert.equal(decodeScriptNum(Buffer.from('0100', 'hex')), null, 'non-minimal');
    assert.equal(decodeScriptNum(Buffer.from('0100', 'hex'), 4, false), 1n);
    assert.equal(decodeScriptNum(Buffer.from('0102030405', 'hex')), null, 'longer than 4 bytes');
  });
});

describe('addresses', () => {
  test('payment addresses round-trip and scripts map to them', () => {
    const a = Address.fromString('MGqHvbaH9wzdr6oUDFz4S1HptjoKQcjRve');
    assert.equal(a.hash.toString('hex'), '61fde3bd4e6955c99b16de2d71e2a369888a1c0b');
    assert.equal(a.toString(), 'MGqHvbaH9wzdr6oUDFz4S1HptjoKQcjRve');
    assert.equal(scriptAddress(a.toScript(mainnet.address), mainnet.address)!.toString(), a.toString());
    assert.equal(scriptAddress(Script.fromAsm('return'), mainnet.address)!.toString(), BLACKHOLE_ADDRESS);
    assert.equal(Address.parse('MGqHvbaH9wzdr6oUDFz4S1HptjoKQcjRvf', mainnet.address), null, 'bad checksum');
    assert.equal(Address.parse('tFrjjxXTpqg6pUY96ZdbmfFQMadx7wGWdn', mainnet.address), null, 'testnet address on mainnet');
  });
});

describe('header', () => {
  test('bits, nonce and mixhash are big-endian; number is the height', () => {
    const h = new BlockHeader({ version: 1, prevHash: Buffer.alloc(32, 1), merkleRoot: Buffer.alloc(32, 2), timestamp: 7, bits: 0x0102n, nonce: 0x0a0bn, mixHash: Buffer.alloc(32, 3), number: 9 });
    const raw = h.toRaw();
    assert.equal(raw.length, 148);
    assert.equal(raw.subarray(72, 104).toString('hex'), '00'.repeat(30) + '0102');
    assert.equal(raw.subarray(104, 112).toString('hex'), '0000000000000a0b');
    assert.equal(raw.readUInt32LE(144), 9);
    assert.ok(BlockHeader.fromRaw(raw).hash().equals(h.hash()));
    assert.equal(codeOf(() => BlockHeader.fromRaw(raw.subarray(0, 147))), 'TRUNCATED');
  });
});

describe('outpoint and txid key strings', () => {
  test('outpointKeyText equals OutPoint.keyString() for small, byte-boundary and large indexes', () => {
    const txid = Buffer.from('f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff', 'hex');
    for (const index of [0, 1, 127, 128, 255, 256, 257, 65535, 65536, 0x01020304, 0xfffffffe, 0xffffffff]) {
      const op = new OutPoint(txid, index);
      assert.equal(outpointKeyText(txid.toString('latin1'), index), op.keyString(), `index ${index}`);
      assert.equal(Buffer.from(op.keyString(), 'latin1').compare(op.toKey()), 0);
      assert.equal(op.hashKey(), txid.toString('latin1'));
    }
  });

  test('Transaction.hashKey() is hash() as latin1 and follows invalidate()', () => {
    const tx = new Transaction(2, [new TxInput(OutPoint.null(), new Script(Buffer.from([0x51])), 0xffffffff)], [new TxOutput(5000n, new Script(Buffer.from([0x51])), Attachment.etp())], 0);
    assert.equal(tx.hashKey(), tx.hash().toString('latin1'));
    const before = tx.hashKey();
    tx.locktime = 7;
    tx.invalidate();
    assert.notEqual(tx.hashKey(), before);
    assert.equal(tx.hashKey(), tx.hash().toString('latin1'));
  });
});

test('BufferWriter.range copies [start, end) of its source like bytes(subarray), short and long, and refuses ranges outside it', () => {
  const src = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff));
  for (const [start, end] of [[0, 0], [0, 1], [5, 41], [0, 64], [10, 75], [0, 300], [299, 300]]) {
    const a = new BufferWriter(4).u8(0xaa).range(src, start, end).u8(0xbb).finish();
    const b = new BufferWriter(4).u8(0xaa).bytes(src.subarray(start, end)).u8(0xbb).finish();
    assert.deepEqual(a, b, `[${start}, ${end})`);
  }
  for (const [start, end] of [[-1, 3], [5, 4], [0, 301]]) assert.throws(() => new BufferWriter().range(src, start, end), RangeError);
});
