import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { sha256Short, sha256dShort, sha256Of32, sha256dPair, MAX_SHORT } from '../../../src/crypto/sha256-short.js';
import { sha256, sha256d, hash160 } from '../../../src/crypto/hash.js';
import { merkleRoot } from '../../../src/primitives/merkle.js';
import { ripemd160Short, MAX_RIPEMD_SHORT } from '../../../src/crypto/ripemd160-short.js';
import { ripemd160 as nobleRipemd160 } from '@noble/hashes/legacy.js';

const openssl = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

test('sha256-short: the FIPS 180-2 examples', () => {
  assert.equal(sha256Short(Buffer.alloc(0)).toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(sha256Short(Buffer.from('abc')).toString('hex'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  // 56 bytes: two blocks, so through hash.ts (OpenSSL); the short kernel refuses it.
  assert.equal(
    sha256(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toString('hex'),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  );
  assert.throws(() => sha256Short(Buffer.alloc(MAX_SHORT + 1)), RangeError);
  assert.throws(() => sha256dShort(Buffer.alloc(MAX_SHORT + 1)), RangeError);
  assert.throws(() => ripemd160Short(Buffer.alloc(MAX_RIPEMD_SHORT + 1)), RangeError);
});

test('sha256-short: every length 0..MAX_SHORT equals OpenSSL, single and double', () => {
  for (let n = 0; n <= MAX_SHORT; n++) {
    for (let r = 0; r < 20; r++) {
      const data = randomBytes(n);
      assert.deepEqual(sha256Short(data), openssl(data), `sha256 of ${n} bytes`);
      assert.deepEqual(sha256dShort(data), openssl(openssl(data)), `sha256d of ${n} bytes`);
    }
  }
  // All-ones bytes: sign bits set in every word.
  for (let n = 0; n <= MAX_SHORT; n++) assert.deepEqual(sha256Short(Buffer.alloc(n, 0xff)), openssl(Buffer.alloc(n, 0xff)));
});

test('sha256-short: second rounds and merkle pairs equal OpenSSL; results are independent buffers', () => {
  for (let r = 0; r < 2000; r++) {
    const a = randomBytes(32);
    const b = randomBytes(32);
    assert.deepEqual(sha256Of32(a), openssl(a));
    assert.deepEqual(sha256dPair(a, b), openssl(openssl(Buffer.concat([a, b]))));
  }
  const x = sha256Short(Buffer.from('x'));
  const y = sha256Short(Buffer.from('y'));
  assert.notDeepEqual(x, y);
  assert.deepEqual(x, openssl(Buffer.from('x')));
});

test('hash.ts: sha256, sha256d and hash160 agree with OpenSSL on both sides of the one-block cut', () => {
  for (const n of [0, 1, 32, 33, 55, 56, 63, 64, 65, 80, 119, 120, 190, 1000, 70000]) {
    const data = randomBytes(n);
    assert.deepEqual(sha256(data), openssl(data), `sha256 ${n}`);
    assert.deepEqual(sha256d(data), openssl(openssl(data)), `sha256d ${n}`);
    assert.deepEqual(hash160(data), Buffer.from(nobleRipemd160(openssl(data))), `hash160 ${n}`);
  }
});

test('merkleRoot: equals the root built with OpenSSL for 1..40 leaves (odd levels duplicate the last)', () => {
  const reference = (hashes: Buffer[]): Buffer => {
    let level = hashes;
    while (level.length > 1) {
      const next: Buffer[] = [];
      for (let i = 0; i < level.length; i += 2) next.push(openssl(openssl(Buffer.concat([level[i], level[i + 1] ?? level[i]]))));
      level = next;
    }
    return level[0];
  };
  for (let n = 1; n <= 40; n++) {
    const leaves = Array.from({ length: n }, () => randomBytes(32));
    assert.deepEqual(merkleRoot(leaves), reference(leaves), `${n} leaves`);
  }
});

test('ripemd160-short: the published examples, and every length 0..55 equals @noble/hashes', () => {
  assert.equal(ripemd160Short(Buffer.alloc(0)).toString('hex'), '9c1185a5c5e9fc54612808977ee8f548b2258d31');
  assert.equal(ripemd160Short(Buffer.from('abc')).toString('hex'), '8eb208f7e05d987a9b044a8e98c6b087f15a0bfc');
  assert.equal(ripemd160Short(Buffer.from('message digest')).toString('hex'), '5d0689ef49d2fae572b881b123a85ffa21595f36');
  assert.equal(ripemd160Short(Buffer.from('abcdefghijklmnopqrstuvwxyz')).toString('hex'), 'f71c27109c692c1b56bbdceb5b9d2865b3708dbc');
  for (let n = 0; n <= MAX_RIPEMD_SHORT; n++) {
    for (let r = 0; r < 20; r++) {
      const data = randomBytes(n);
      assert.deepEqual(ripemd160Short(data), Buffer.from(nobleRipemd160(data)), `ripemd160 of ${n} bytes`);
    }
    assert.deepEqual(ripemd160Short(Buffer.alloc(n, 0xff)), Buffer.from(nobleRipemd160(Buffer.alloc(n, 0xff))));
  }
});
