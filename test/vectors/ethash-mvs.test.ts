import { after, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { keccak_256, keccak_512 } from '@noble/hashes/sha3.js';
import { loadVector } from '../helpers/vectors.js';
import { sharedEpochCache, sharedEthash } from '../helpers/ethash-cache.js';
import { BlockHeader } from '../../src/primitives/header.js';
import {
  MAX_BLOCK_NUMBER,
  boundary,
  boundaryBytes,
  cacheSize,
  datasetSize,
  epochOf,
  hashimotoLight,
  sealHash,
  sealPreimage,
  seedHash,
} from '../../src/consensus/ethash/index.js';
import type { Ethash, VerifyResult } from '../../src/consensus/ethash/index.js';

/*
 * shared/vectors/mvs-pow.json: three real MVS headers (mainnet #2,200,000 in
 * epoch 73, testnet #625,776 in epoch 20, a bits = 1 dev-chain #1 in epoch 0)
 * and every single-bit flip of their fields.
 */
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

let engine: Ethash | null = null;
async function ethash(): Promise<Ethash> {
  engine ??= await sharedEthash({ epochs: [0, 20, 73] });
  return engine;
}
after(() => engine?.close());

function entries(t: TestContext): any[] | null {
  const v = loadVector(t, 'mvs-pow.json');
  if (!v) return null;
  assert.equal(v.entries.length, 3);
  return v.entries;
}

test('MVS headers: decoding, seal preimage and hash, epoch, seed, sizes, boundary', (t) => {
  const list = entries(t);
  if (!list) return;
  for (const e of list) {
    const h = BlockHeader.fromHex(e.header_hex);
    assert.equal(h.hashHex(), e.block_hash, e.name);
    assert.equal(h.number, e.number);
    assert.equal(h.nonce, BigInt(e.nonce));
    assert.equal(hex(h.mixHash), e.mixhash_hex);
    assert.equal(epochOf(h.number), e.epoch);
    assert.equal(hex(seedHash(e.epoch)), e.seed_hash);
    assert.equal(cacheSize(e.epoch), e.cache_size);
    assert.equal(datasetSize(e.epoch), e.full_size);
    assert.equal(hex(sealPreimage(h)), e.pow_header_preimage, e.name);
    assert.equal(hex(sealHash(h)), e.pow_header_hash, e.name);
    assert.equal(hex(boundaryBytes(h.bits)), e.boundary, e.name);
  }
});

test('MVS headers: the light hash reproduces the on-chain mixhash and a final hash under the boundary', async (t) => {
  const list = entries(t);
  if (!list) return;
  for (const e of list) {
    const h = BlockHeader.fromHex(e.header_hex);
    const cache = await sharedEpochCache(e.epoch);
    const out = hashimotoLight(cache.words, cache.datasetBytes, sealHash(h), h.nonce);
    assert.equal(hex(out.mixHash), e.mixhash_hex, e.name);
    assert.equal(hex(out.finalHash), e.ethash_result, e.name);
    assert.ok(BigInt('0x' + e.ethash_result) <= boundary(h.bits));
  }
});

test('MVS headers verify through the engine', async (t) => {
  const list = entries(t);
  if (!list) return;
  const headers = list.map((e) => BlockHeader.fromHex(e.header_hex));
  assert.deepEqual(await (await ethash()).verifyHeaders(headers), [{ ok: true }, { ok: true }, { ok: true }]);
  for (const h of headers) assert.deepEqual(await (await ethash()).verifyHeader(h), { ok: true });
});

type Field = 'version' | 'prevHash' | 'merkleRoot' | 'timestamp' | 'bits' | 'nonce' | 'mixHash' | 'number';
const FIELD_BITS: Record<Field, number> = { version: 32, prevHash: 256, merkleRoot: 256, timestamp: 32, bits: 256, nonce: 64, mixHash: 256, number: 32 };

function flip(h: BlockHeader, field: Field, bit: number): BlockHeader {
  const c = h.clone();
  switch (field) {
    case 'version':
    case 'timestamp':
    case 'number':
      c[field] = (c[field] ^ (1 << bit)) >>> 0;
      break;
    case 'bits':
      c.bits ^= 1n << BigInt(bit);
      break;
    case 'nonce':
      c.nonce ^= 1n << BigInt(bit);
      break;
    default: {
      const bytes = Buffer.from(c[field]);
      bytes[bit >> 3] ^= 1 << (bit & 7);
      c[field] = bytes;
    }
  }
  c.invalidate();
  return c;
}

/**
 * The reason a tampered header must get, derived independently of the engine:
 * noble Keccak over the (vector-checked) preimage, the quick final hash from
 * the claimed mix, and otherwise a mix mismatch (the claimed mix is the
 * original one, which the light hash of anything else misses with
 * probability 1 − 2^-256).
 */
function expectedReason(h: BlockHeader): VerifyResult {
  if (h.bits === 0n) return { ok: false, reason: 'BAD_BITS' };
  if (h.number >= MAX_BLOCK_NUMBER) return { ok: false, reason: 'EPOCH_OUT_OF_RANGE' };
  const seed = new Uint8Array(40);
  seed.set(keccak_256(sealPreimage(h)));
  new DataView(seed.buffer).setBigUint64(32, h.nonce, true);
  const final = keccak_256(new Uint8Array([...keccak_512(seed), ...h.mixHash]));
  if (BigInt('0x' + hex(final)) > boundary(h.bits)) return { ok: false, reason: 'ABOVE_TARGET' };
  return { ok: false, reason: 'MIX_MISMATCH' };
}

test('every single-bit flip of nonce, mixhash, bits and each sealed field fails with the right reason', async (t) => {
  const list = entries(t);
  if (!list) return;
  const engine = await ethash();
  const tally: Record<string, number> = {};
  let skipped = 0;
  for (const e of list) {
    const original = BlockHeader.fromHex(e.header_hex);
    const flipped: BlockHeader[] = [];
    for (const field of Object.keys(FIELD_BITS) as Field[]) {
      for (let bit = 0; bit < FIELD_BITS[field]; bit++) {
        const h = flip(original, field, bit);
        // A flip that moves the bits=1 dev header into another (supported) epoch passes the
        // target trivially and would need that epoch's cache (up to 150 MB): those 11 number
        // bits are covered by the two real-difficulty headers, where the quick check decides.
        if (expectedReason(h).ok === false && (expectedReason(h) as { reason: string }).reason === 'MIX_MISMATCH' && epochOf(h.number) !== e.epoch) {
          skipped++;
          continue;
        }
        flipped.push(h);
      }
    }
    const results = await engine.verifyHeaders(flipped);
    results.forEach((result, i) => {
      const expected = expectedReason(flipped[i]);
      assert.deepEqual(result, expected, `${e.name}: flip #${i}`);
      const reason = result.ok ? 'ok' : result.reason;
      tally[reason] = (tally[reason] ?? 0) + 1;
    });
  }
  t.diagnostic(`flip results: ${JSON.stringify(tally)}; ${skipped} dev-header number flips into other epochs skipped`);
  assert.equal(tally.ok, undefined);
  assert.ok(tally.ABOVE_TARGET > 2000 && tally.MIX_MISMATCH > 900 && tally.BAD_BITS === 1 && tally.EPOCH_OUT_OF_RANGE > 0);
});
