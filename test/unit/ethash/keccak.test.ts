import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keccak_256, keccak_512 } from '@noble/hashes/sha3.js';
import { Keccak256, createJsKernel, createWasmKernel, keccak256, kernel } from '../../../src/consensus/ethash/keccak.js';
import type { KeccakKernel } from '../../../src/consensus/ethash/keccak.js';
import { assembleKeccakModule } from '../../../src/consensus/ethash/keccak-wasm.js';

/** Deterministic pseudo-random bytes (xorshift32). */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const SINGLE_BLOCK: Array<{ name: keyof KeccakKernel; inputBytes: number; outputBytes: number; oracle: (b: Uint8Array) => Uint8Array }> = [
  { name: 'keccak512_32', inputBytes: 32, outputBytes: 64, oracle: keccak_512 },
  { name: 'keccak512_40', inputBytes: 40, outputBytes: 64, oracle: keccak_512 },
  { name: 'keccak512_64', inputBytes: 64, outputBytes: 64, oracle: keccak_512 },
  { name: 'keccak256_32', inputBytes: 32, outputBytes: 32, oracle: keccak_256 },
  { name: 'keccak256_96', inputBytes: 96, outputBytes: 32, oracle: keccak_256 },
];

for (const make of [createWasmKernel, createJsKernel]) {
  const k = make();
  test(`${k.name} kernel: single-block hashes equal @noble/hashes`, () => {
    for (const spec of SINGLE_BLOCK) {
      for (let trial = 0; trial < 50; trial++) {
        const input = bytes(spec.inputBytes, trial * 977 + spec.inputBytes);
        // Leave garbage past the input: the functions must not depend on it.
        k.io.fill(-1);
        k.io.set(new Int32Array(input.slice().buffer));
        (k[spec.name] as () => void)();
        const got = Buffer.from(new Uint8Array(k.io.buffer, k.io.byteOffset, spec.outputBytes));
        assert.deepEqual(got, Buffer.from(spec.oracle(input)), `${spec.name} trial ${trial}`);
      }
    }
  });
}

test('WASM and JS permutations agree on arbitrary states', () => {
  const wasm = createWasmKernel();
  const js = createJsKernel();
  for (let trial = 0; trial < 20; trial++) {
    const state = new Int32Array(bytes(200, trial + 1).buffer);
    wasm.io.set(state);
    js.io.set(state);
    wasm.permute();
    js.permute();
    assert.deepEqual([...wasm.io], [...js.io]);
  }
});

test('the assembled WASM module is deterministic and valid', () => {
  const a = assembleKeccakModule();
  const b = assembleKeccakModule();
  assert.deepEqual(Buffer.from(a), Buffer.from(b));
  assert.deepEqual([...a.subarray(0, 8)], [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  assert.equal(kernel.name, process.env.MVS_ETHASH_KECCAK === 'js' ? 'js' : 'wasm');
});

test('streaming keccak256 equals @noble/hashes for every length, split and alignment', () => {
  const data = bytes(1200, 42);
  for (let length = 0; length <= 420; length++) {
    assert.deepEqual(keccak256(data.subarray(0, length)), Buffer.from(keccak_256(data.subarray(0, length))), `length ${length}`);
  }
  // Unaligned views and uneven chunking (exercises the buffered and word-view paths).
  for (const offset of [0, 1, 2, 3, 5]) {
    for (const chunk of [1, 7, 64, 136, 137, 500]) {
      const view = data.subarray(offset, offset + 1000);
      const h = new Keccak256();
      for (let at = 0; at < view.length; at += chunk) h.update(view.subarray(at, at + chunk));
      assert.deepEqual(h.digest(), Buffer.from(keccak_256(view)), `offset ${offset} chunk ${chunk}`);
    }
  }
});

test('a digested Keccak256 starts over', () => {
  const h = new Keccak256();
  h.update(Buffer.from('abc'));
  h.digest();
  assert.deepEqual(h.update(Buffer.from('abc')).digest(), Buffer.from(keccak_256(Buffer.from('abc'))));
  // Original Keccak, not FIPS-202 SHA3: keccak256("") = c5d24601…
  assert.equal(keccak256(new Uint8Array(0)).toString('hex'), 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
});
