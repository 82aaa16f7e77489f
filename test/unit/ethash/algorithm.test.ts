import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keccak_256, keccak_512 } from '@noble/hashes/sha3.js';
import {
  boundaryWords,
  datasetItemPair,
  fillDatasetItems,
  fnv,
  generateCache,
  hashimotoFullWords,
  hashimotoLightWords,
  isAtOrBelowBoundary,
  modulo,
  wordsToBytes,
} from '../../../src/consensus/ethash/algorithm.js';
import { calcDatasetItem, hashimotoFull, hashimotoLight, isEthashError, quickFinalHash, seedHash } from '../../../src/consensus/ethash/index.js';

/*
 * A deliberately naive reference Ethash (BigInt-free but byte-level, noble
 * Keccak, plain `%`), written from spec §1.6–1.8, to cross-check the
 * optimised typed-array code on odd sizes and indices.
 */
const P = 0x01000193;
const u32 = (b: Uint8Array, i: number) => (b[4 * i] | (b[4 * i + 1] << 8) | (b[4 * i + 2] << 16) | (b[4 * i + 3] << 24)) >>> 0;
const put32 = (b: Uint8Array, i: number, v: number) => {
  b[4 * i] = v;
  b[4 * i + 1] = v >>> 8;
  b[4 * i + 2] = v >>> 16;
  b[4 * i + 3] = v >>> 24;
};
const refFnv = (a: number, b: number) => Number((BigInt(a) * BigInt(P)) % 2n ** 32n) ^ b;

function refCache(seed: Uint8Array, bytes: number): Uint8Array[] {
  const n = bytes / 64;
  const nodes = [keccak_512(seed)];
  for (let i = 1; i < n; i++) nodes.push(keccak_512(nodes[i - 1]));
  for (let r = 0; r < 3; r++) {
    for (let i = 0; i < n; i++) {
      const v = u32(nodes[i], 0) % n;
      const x = nodes[(i - 1 + n) % n].map((byte, k) => byte ^ nodes[v][k]);
      nodes[i] = keccak_512(x);
    }
  }
  return nodes;
}

function refItem(nodes: Uint8Array[], i: number): Uint8Array {
  const n = nodes.length;
  let mix = nodes[i % n].slice();
  put32(mix, 0, u32(mix, 0) ^ i);
  mix = keccak_512(mix);
  for (let j = 0; j < 256; j++) {
    const parent = nodes[(refFnv((i ^ j) >>> 0, u32(mix, j % 16)) >>> 0) % n];
    for (let k = 0; k < 16; k++) put32(mix, k, refFnv(u32(mix, k), u32(parent, k)));
  }
  return keccak_512(mix);
}

function refHashimoto(fullSize: number, page: (p: number) => Uint8Array, header: Uint8Array, nonce: bigint) {
  const seedInput = new Uint8Array(40);
  seedInput.set(header);
  new DataView(seedInput.buffer).setBigUint64(32, nonce, true);
  const s = keccak_512(seedInput);
  const mix = new Uint8Array(128);
  mix.set(s, 0);
  mix.set(s, 64);
  const pages = fullSize / 128;
  for (let i = 0; i < 64; i++) {
    const p = (refFnv((i ^ u32(s, 0)) >>> 0, u32(mix, i % 32)) >>> 0) % pages;
    const data = page(p);
    for (let k = 0; k < 32; k++) put32(mix, k, refFnv(u32(mix, k), u32(data, k)));
  }
  const cmix = new Uint8Array(32);
  for (let w = 0; w < 8; w++) put32(cmix, w, refFnv(refFnv(refFnv(u32(mix, 4 * w), u32(mix, 4 * w + 1)), u32(mix, 4 * w + 2)), u32(mix, 4 * w + 3)) >>> 0);
  const finalInput = new Uint8Array(96);
  finalInput.set(s);
  finalInput.set(cmix, 64);
  return { mix: Buffer.from(cmix), final: Buffer.from(keccak_256(finalInput)) };
}

const joined = (nodes: Uint8Array[]) => Buffer.concat(nodes.map((n) => Buffer.from(n)));

test('fnv multiplies the whole word mod 2^32 (not FNV-1)', () => {
  assert.equal(fnv(0, 0), 0);
  assert.equal(fnv(1, 0), P);
  assert.equal(fnv(0xffffffff, 0), refFnv(0xffffffff, 0) >>> 0);
  for (let i = 0; i < 1000; i++) {
    const a = Math.imul(i, 0x9e3779b1) >>> 0;
    const b = Math.imul(i, 0x85ebca6b) >>> 0;
    assert.equal(fnv(a, b), refFnv(a, b) >>> 0);
  }
});

test('modulo equals integer % at the edges of every quotient', () => {
  const divisors = [1, 2, 3, 7, 1021, 262139, 4_452_893, (1 << 23) - 1, 8_388_593, 142_538_879, 2 ** 31 - 1];
  for (const n of divisors) {
    const inverse = 1 / n;
    const xs = [0, 1, n - 1, n, n + 1, 2 ** 32 - 1, 2 ** 32 - 2, 2 ** 31, 2 ** 31 - 1];
    for (let k = 1; k < 2 ** 32 / n && xs.length < 4000; k = Math.ceil(k * 1.37) + 1) xs.push(k * n - 1, k * n, k * n + 1);
    for (let i = 0; i < 2000; i++) xs.push(Math.imul(i + n, 0x9e3779b1) >>> 0);
    for (const x of xs) if (x >= 0 && x < 2 ** 32) assert.equal(modulo(x, n, inverse), x % n, `${x} mod ${n}`);
  }
});

test('cache generation equals the reference on odd sizes', () => {
  for (const [epoch, bytes] of [
    [0, 64],
    [1, 64 * 7],
    [5, 64 * 1021],
  ] as const) {
    const cache = new Int32Array(bytes / 4);
    let lastFraction = 0;
    generateCache(seedHash(epoch), cache, (f) => {
      assert.ok(f > lastFraction && f <= 1);
      lastFraction = f;
    });
    assert.deepEqual(wordsToBytes(cache), joined(refCache(seedHash(epoch), bytes)), `epoch ${epoch}, ${bytes} bytes`);
  }
});

test('dataset items (in pairs) equal the reference, including huge indices', () => {
  const nodes = refCache(seedHash(3), 64 * 1021);
  const cache = new Int32Array(new Uint8Array(joined(nodes)).buffer);
  const out = new Int32Array(32);
  for (const item of [0, 2, 1020, 1022, 123456, 2 ** 24, 2 ** 28 + 6, 2 ** 31 - 2, 2 ** 31, 2 ** 32 - 2]) {
    datasetItemPair(cache, item, out, 0);
    assert.deepEqual(wordsToBytes(out, 0, 16), Buffer.from(refItem(nodes, item)), `item ${item}`);
    assert.deepEqual(wordsToBytes(out, 16, 16), Buffer.from(refItem(nodes, item + 1)), `item ${item + 1}`);
    assert.deepEqual(calcDatasetItem(cache, item + 1), Buffer.from(refItem(nodes, item + 1)));
  }
});

test('hashimoto light and full equal the reference and each other', () => {
  const nodes = refCache(seedHash(0), 64 * 61);
  const cache = new Int32Array(new Uint8Array(joined(nodes)).buffer);
  const fullSize = 128 * 127; // 127 pages (prime), 254 items
  const dataset = new Int32Array(fullSize / 4);
  fillDatasetItems(cache, dataset, 0, fullSize / 64);
  const page = (p: number) => Buffer.concat([refItem(nodes, 2 * p), refItem(nodes, 2 * p + 1)]);
  for (let trial = 0; trial < 6; trial++) {
    const header = keccak_256(new Uint8Array([trial]));
    const nonce = BigInt(trial) * 0x0123456789abcdefn % (1n << 64n);
    const ref = refHashimoto(fullSize, page, header, nonce);
    const light = hashimotoLight(cache, fullSize, header, nonce);
    const full = hashimotoFull(dataset, header, nonce);
    assert.deepEqual(light.mixHash, ref.mix);
    assert.deepEqual(light.finalHash, ref.final);
    assert.deepEqual(full, light);
    assert.deepEqual(quickFinalHash(header, nonce, light.mixHash), light.finalHash);
    assert.notDeepEqual(quickFinalHash(header, nonce + 1n, light.mixHash), light.finalHash);
  }
});

test('the boundary comparison reads the final hash big-endian', () => {
  const finalBytes = Buffer.alloc(32);
  finalBytes[0] = 0x01;
  const final = new Int32Array(new Uint8Array(finalBytes).buffer);
  const at = (hex: string) => boundaryWords(Buffer.from(hex.padEnd(64, '0'), 'hex'));
  assert.equal(isAtOrBelowBoundary(final, 0, at('01')), true); // equal passes
  assert.equal(isAtOrBelowBoundary(final, 0, at('00ff')), false);
  assert.equal(isAtOrBelowBoundary(final, 0, at('0100000000000001')), true);
  finalBytes[31] = 0x01;
  const final2 = new Int32Array(new Uint8Array(finalBytes).buffer);
  assert.equal(isAtOrBelowBoundary(final2, 0, at('01')), false); // 0x01…01 > 0x01…00
  assert.equal(isAtOrBelowBoundary(final2, 0, boundaryWords(Buffer.alloc(32, 0xff))), true);
});

test('bad sizes and buffers give typed errors, not crashes', () => {
  const isBadInput = (err: unknown) => isEthashError(err) && err.code === 'BAD_INPUT';
  assert.throws(() => generateCache(Buffer.alloc(31), new Int32Array(16)), isBadInput);
  assert.throws(() => generateCache(seedHash(0), new Int32Array(15)), isBadInput);
  assert.throws(() => generateCache(seedHash(0), new Int32Array(0)), isBadInput);
  const cache = new Int32Array(64);
  const out = new Int32Array(16);
  assert.throws(() => hashimotoLightWords(cache, 1000, new Int32Array(8), 0, 0, 0, out, 0), isBadInput);
  assert.throws(() => hashimotoLightWords(cache, 1024, new Int32Array(7), 0, 0, 0, out, 0), isBadInput);
  assert.throws(() => hashimotoLightWords(cache, 1024, new Int32Array(8), 0, 0, 0, new Int32Array(15), 0), isBadInput);
  assert.throws(() => hashimotoFullWords(new Int32Array(31), new Int32Array(8), 0, 0, 0, out, 0), isBadInput);
  assert.throws(() => hashimotoLight(cache, 1024, Buffer.alloc(31), 0n), isBadInput);
  assert.throws(() => datasetItemPair(cache, -2, new Int32Array(32), 0), isBadInput);
  assert.throws(() => datasetItemPair(cache, 2 ** 32 - 1, new Int32Array(32), 0), isBadInput);
  assert.throws(() => fillDatasetItems(cache, new Int32Array(64), 1, 2), isBadInput);
  assert.throws(() => fillDatasetItems(cache, new Int32Array(64), 0, 6), isBadInput);
  assert.throws(() => quickFinalHash(Buffer.alloc(32), 0n, Buffer.alloc(3)), isBadInput);
  assert.throws(() => boundaryWords(Buffer.alloc(31)), isBadInput);
});
