import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { BlockHeader } from '../../../src/primitives/header.js';
import {
  boundary,
  boundaryBytes,
  bytesToU256,
  isEthashError,
  nonceFromHalves,
  nonceHalves,
  sealHash,
  sealPreimage,
  u256ToBytes,
} from '../../../src/consensus/ethash/index.js';

const MAX = (1n << 256n) - 1n;

function header(overrides: Partial<ConstructorParameters<typeof BlockHeader>[0]> = {}): BlockHeader {
  return new BlockHeader({
    version: 1,
    prevHash: Buffer.alloc(32, 0x11),
    merkleRoot: Buffer.alloc(32, 0x22),
    timestamp: 1557259171,
    bits: 10350982311247n,
    nonce: 0x3440601f66682062n,
    mixHash: Buffer.alloc(32),
    number: 2200000,
    ...overrides,
  });
}

test('seal preimage: RLP integers, byte lists, no outer list (spec §2.2 worked example)', () => {
  const prev = Buffer.alloc(32);
  prev[0] = 0x00; // → 80
  prev[1] = 0x7f; // → 7f
  prev[2] = 0x80; // → 81 80
  prev[3] = 0xff; // → 81 ff
  const merkle = Buffer.alloc(32, 0x01);
  const h = header({ prevHash: prev, merkleRoot: merkle });
  const pre = sealPreimage(h);
  const expected = Buffer.concat([
    Buffer.from('01', 'hex'), // version 1
    Buffer.from('86096a069fad4f', 'hex'), // bits 10350982311247
    Buffer.from('832191c0', 'hex'), // number 2200000
    Buffer.from([0xc0 + 32, ...Array(32).fill(0x01)]), // merkle: 32 single-byte items
    Buffer.from([0xc0 + 34, 0x80, 0x7f, 0x81, 0x80, 0x81, 0xff, ...Array(28).fill(0x80)]), // prev
    Buffer.from('845cd1e3a3', 'hex'), // timestamp 1557259171
  ]);
  assert.equal(pre.toString('hex'), expected.toString('hex'));
  assert.deepEqual(sealHash(h), Buffer.from(keccak_256(pre)));
});

test('seal preimage: long byte lists use the f8 prefix and small integers their own byte', () => {
  const h = header({ prevHash: Buffer.alloc(32, 0xab), version: 0, number: 0, timestamp: 127, bits: 128n });
  const pre = sealPreimage(h);
  // version 0 → 80, bits 128 → 81 80, number 0 → 80, merkle (0x22…) → e0 + 32 bytes,
  // prev (0xab…) → f8 40 + 32 × (81 ab), timestamp 127 → 7f
  const expected =
    '80' + '8180' + '80' + 'e0' + '22'.repeat(32) + 'f840' + '81ab'.repeat(32) + '7f';
  assert.equal(pre.toString('hex'), expected);
});

test('nonce, mixhash and the block hash are not sealed; every sealed field is', () => {
  const base = header();
  const same = header({ nonce: 1n, mixHash: Buffer.alloc(32, 9) });
  assert.deepEqual(sealHash(same), sealHash(base));
  const changed = [
    header({ version: 2 }),
    header({ bits: 10350982311248n }),
    header({ number: 2200001 }),
    header({ timestamp: 1557259172 }),
    header({ prevHash: Buffer.alloc(32, 0x12) }),
    header({ merkleRoot: Buffer.alloc(32, 0x23) }),
  ];
  for (const h of changed) assert.notDeepEqual(sealHash(h), sealHash(base));
});

test('boundary = floor((2^256 - 1) / bits), 0 for bits 0', () => {
  assert.equal(boundary(1n), MAX);
  assert.equal(boundary(2n), MAX / 2n);
  assert.equal(boundary(0n), 0n);
  assert.equal(boundary(MAX), 1n);
  // Differs from Ethereum's 2^256 / d exactly when d is a power of two.
  assert.equal(boundary(1n << 20n), (1n << 236n) - 1n);
  assert.equal(boundaryBytes(10n).length, 32);
  assert.equal(bytesToU256(boundaryBytes(10350982311247n)), MAX / 10350982311247n);
  assert.equal(boundaryBytes(0n).toString('hex'), '00'.repeat(32));
  assert.equal(u256ToBytes(MAX).toString('hex'), 'ff'.repeat(32));
  for (const bad of [-1n, 1n << 256n]) {
    assert.throws(() => boundary(bad), (err: unknown) => isEthashError(err) && err.code === 'BAD_INPUT');
  }
});

test('nonce halves: the u64 is fed little-endian (low word first)', () => {
  const { low, high } = nonceHalves(0x3440601f66682062n);
  assert.equal(low >>> 0, 0x66682062);
  assert.equal(high >>> 0, 0x3440601f);
  assert.equal(nonceFromHalves(low, high), 0x3440601f66682062n);
  assert.equal(nonceFromHalves(-1, -1), (1n << 64n) - 1n);
  assert.throws(() => nonceHalves(1n << 64n), (err: unknown) => isEthashError(err) && err.code === 'BAD_INPUT');
});

test('bad seal fields give typed errors', () => {
  const h = header();
  assert.throws(() => sealPreimage({ ...h, prevHash: Buffer.alloc(31) }), (err: unknown) => isEthashError(err) && err.code === 'BAD_INPUT');
  assert.throws(() => sealPreimage({ ...h, number: -1 }), (err: unknown) => isEthashError(err) && err.code === 'BAD_INPUT');
  assert.throws(() => sealPreimage({ ...h, bits: 1n << 256n }), (err: unknown) => isEthashError(err) && err.code === 'BAD_INPUT');
});
