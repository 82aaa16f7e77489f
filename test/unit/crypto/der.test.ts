import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CURVE_ORDER,
  availableBackends,
  blockSignatureToCompact,
  compactToBlockSignature,
  compactToDer,
  getBackend,
  isStrictDerSignature,
  parseDerLax,
  signBlockHash,
  splitEndorsement,
  verifyBlockSignature,
} from '../../../src/crypto/secp256k1/index.js';
import { scalarToBytes, bytesToScalar } from '../../../src/crypto/secp256k1/scalar.js';
import { sha256 } from '../../../src/crypto/hash.js';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// A real endorsement (signing.json, mvs-rawsign case 3): 33-byte R (padded), 32-byte S, SIGHASH_ALL.
const REAL =
  '3045022100f7a4206cb41b8852ec0ebf3fe0755dcc733d99ee2ce486d253a04ae55dfdc1c402201318a2520a1316c95d292e8994c7a9cfcbbc7486db5c99010d3d3f133bfdc04f01';

test('isStrictDerSignature accepts BIP66-valid encodings', () => {
  assert.ok(isStrictDerSignature(h(REAL)));
  assert.ok(isStrictDerSignature(h('30 06 02 01 01 02 01 01 01')), 'smallest: 9 bytes');
  assert.ok(isStrictDerSignature(h('30 06 02 01 00 02 01 00 01')), 'zero values encode as one 0x00 byte');
  assert.ok(isStrictDerSignature(h('30 07 02 02 00 80 02 01 01 01')), 'a 0x00 pad before a high bit is required, not excess');
  const max = Buffer.concat([h('30 46 02 21 00'), Buffer.alloc(32, 0x80), h('02 21 00'), Buffer.alloc(32, 0x80), h('01')]);
  assert.equal(max.length, 73);
  assert.ok(isStrictDerSignature(max), 'largest: 73 bytes');
  assert.ok(isStrictDerSignature(h('30 06 02 01 01 02 01 01 ff')), 'any hashtype byte (STRICTENC is not enforced)');
});

test('isStrictDerSignature rejects each BIP66 violation', () => {
  const cases: [string, string][] = [
    ['empty', ''],
    ['shorter than 9 bytes', '30 05 02 01 01 02 00 01'],
    ['no hashtype byte (8 bytes)', '30 06 02 01 01 02 01 01'],
    ['not a compound (0x31)', '31 06 02 01 01 02 01 01 01'],
    ['sequence length too large', '30 07 02 01 01 02 01 01 01'],
    ['sequence length too small', '30 05 02 01 01 02 01 01 01'],
    ['R length runs past the end', '30 06 02 05 01 02 01 01 01'],
    ['lengths do not add up (extra byte)', '30 07 02 01 01 02 01 01 00 01'],
    ['R is not an integer', '30 06 03 01 01 02 01 01 01'],
    ['R has zero length', '30 05 02 00 02 01 01 01'],
    ['R is negative', '30 06 02 01 81 02 01 01 01'],
    ['R has excess padding', '30 07 02 02 00 01 02 01 01 01'],
    ['S is not an integer', '30 06 02 01 01 03 01 01 01'],
    ['S has zero length', '30 05 02 01 01 02 00 01'],
    ['S is negative', '30 06 02 01 01 02 01 81 01'],
    ['S has excess padding', '30 07 02 01 01 02 02 00 01 01'],
  ];
  for (const [what, sig] of cases) assert.equal(isStrictDerSignature(h(sig)), false, what);
  const tooLong = Buffer.concat([h('30 47 02 22 00 00'), Buffer.alloc(32, 0x80), h('02 21 00'), Buffer.alloc(32, 0x80), h('01')]);
  assert.equal(tooLong.length, 74);
  assert.equal(isStrictDerSignature(tooLong), false, 'longer than 73 bytes');
});

test('parseDerLax reads strict DER exactly', () => {
  const { der, hashType } = splitEndorsement(h(REAL))!;
  assert.equal(hashType, 1);
  const compact = parseDerLax(der)!;
  assert.equal(compact.toString('hex'), 'f7a4206cb41b8852ec0ebf3fe0755dcc733d99ee2ce486d253a04ae55dfdc1c4' + '1318a2520a1316c95d292e8994c7a9cfcbbc7486db5c99010d3d3f133bfdc04f');
  assert.deepEqual(compactToDer(compact), der, 'compactToDer is the inverse');
  for (let i = 0; i < 64; i++) {
    // Values of every length 1..32 bytes and with/without high bits round-trip.
    const r = sha256(Buffer.from([i])).subarray(0, 1 + (i % 32));
    const s = sha256(Buffer.from([i, 1])).subarray(0, 32 - (i % 32));
    const sig = Buffer.concat([Buffer.alloc(32 - r.length), r, Buffer.alloc(32 - s.length), s]);
    if (bytesToScalar(sig.subarray(0, 32)) >= CURVE_ORDER || bytesToScalar(sig.subarray(32)) >= CURVE_ORDER) continue;
    const der2 = compactToDer(sig);
    assert.ok(isStrictDerSignature(Buffer.concat([der2, Buffer.from([1])])), `strict DER for case ${i}`);
    assert.deepEqual(parseDerLax(der2), sig, `round trip ${i}`);
  }
  assert.deepEqual(compactToDer(Buffer.alloc(64)), h('30 06 02 01 00 02 01 00'));
  assert.throws(() => compactToDer(Buffer.alloc(63)), RangeError);
  assert.equal(splitEndorsement(Buffer.alloc(0)), null);
});

test('parseDerLax accepts the violations libsecp256k1 lax parsing allows', () => {
  const one = (r: number, s: number) => Buffer.concat([scalarToBytes(BigInt(r)), scalarToBytes(BigInt(s))]);
  const lax: [string, string, Buffer][] = [
    ['negative R read as its magnitude', '30 06 02 01 81 02 01 01', one(0x81, 1)],
    ['excess zero padding', '30 09 02 03 00 00 05 02 02 00 07', one(5, 7)],
    ['long-form sequence length', '30 81 06 02 01 05 02 01 07', one(5, 7)],
    ['long-form integer lengths with zero length bytes', '30 0a 02 82 00 01 05 02 81 01 07', one(5, 7)],
    ['wrong sequence length', '30 00 02 01 05 02 01 07', one(5, 7)],
    ['trailing garbage', '30 06 02 01 05 02 01 07 de ad be ef', one(5, 7)],
    ['zero-length integers', '30 04 02 00 02 00', Buffer.alloc(64)],
  ];
  for (const [what, der, expected] of lax) assert.deepEqual(parseDerLax(h(der)), expected, what);
});

test('parseDerLax: overflow gives the all-zero signature, structure errors give null', () => {
  const big = Buffer.concat([h('30 27 02 21 01'), Buffer.alloc(32, 0), h('02 01 01')]);
  assert.deepEqual(parseDerLax(big), Buffer.alloc(64), 'R with 33 significant bytes');
  const rIsN = Buffer.concat([h('30 26 02 21 00'), scalarToBytes(CURVE_ORDER), h('02 01 01')]);
  assert.deepEqual(parseDerLax(rIsN), Buffer.alloc(64), 'R = n');
  const sIsN = Buffer.concat([h('30 26 02 01 01 02 21 00'), scalarToBytes(CURVE_ORDER)]);
  assert.deepEqual(parseDerLax(sIsN), Buffer.alloc(64), 'S = n');
  const nulls: [string, string][] = [
    ['empty', ''],
    ['not a sequence', '31 06 02 01 01 02 01 01'],
    ['only the tag', '30'],
    ['long sequence length past the end', '30 84 00 00'],
    ['R tag missing', '30 06 03 01 01 02 01 01'],
    ['R truncated', '30 06 02 05 01'],
    ['R long length past the end', '30 06 02 84 00 00'],
    ['length of 8 significant bytes (size_t overflow)', '30 10 02 88 01 00 00 00 00 00 00 00 01 02 01 01'],
    ['S missing', '30 03 02 01 01'],
    ['S truncated', '30 06 02 01 01 02 03 01'],
  ];
  for (const [what, der] of nulls) assert.equal(parseDerLax(h(der)), null, what);
});

for (const name of availableBackends()) {
  test(`block signature layout and verification (${name})`, () => {
    const backend = getBackend(name);
    const priv = sha256(Buffer.from('staker'));
    const pub = backend.publicKeyCreate(priv, true);
    const blockHash = sha256(Buffer.from('block'));
    const stored = signBlockHash(blockHash, priv, backend);
    const compact = backend.sign(blockHash, priv);
    assert.deepEqual(blockSignatureToCompact(stored), compact);
    assert.deepEqual(compactToBlockSignature(compact), stored);
    assert.deepEqual(stored.subarray(0, 32), Buffer.from(compact.subarray(0, 32)).reverse(), 'r little-endian');
    assert.ok(verifyBlockSignature(stored, blockHash, pub, backend));
    // High S is normalized first.
    const highS = Buffer.from(compact);
    scalarToBytes(CURVE_ORDER - bytesToScalar(compact.subarray(32))).copy(highS, 32);
    assert.ok(verifyBlockSignature(compactToBlockSignature(highS), blockHash, pub, backend), 'high-S block signature');
    assert.equal(verifyBlockSignature(stored, sha256(Buffer.from('other')), pub, backend), false);
    assert.equal(verifyBlockSignature(stored.subarray(1), blockHash, pub, backend), false, '63 bytes');
    assert.equal(verifyBlockSignature(stored, blockHash.subarray(1), pub, backend), false, '31-byte hash');
    assert.equal(verifyBlockSignature(Buffer.alloc(64, 0xff), blockHash, pub, backend), false, 'r, s ≥ n');
    assert.equal(blockSignatureToCompact(Buffer.alloc(65)), null);
  });
}
