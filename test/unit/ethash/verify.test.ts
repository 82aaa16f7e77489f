import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockHeader } from '../../../src/primitives/header.js';
import { hashimotoLight, isEthashError, precheckHeader, sealHash, verifyHeaderWithCache } from '../../../src/consensus/ethash/index.js';
import { sharedEpochCache } from '../../helpers/ethash-cache.js';

function header(overrides: Partial<ConstructorParameters<typeof BlockHeader>[0]> = {}): BlockHeader {
  return new BlockHeader({
    version: 1,
    prevHash: Buffer.alloc(32, 0x31),
    merkleRoot: Buffer.alloc(32, 0x32),
    timestamp: 1_650_000_000,
    bits: 1n,
    nonce: 99n,
    mixHash: Buffer.alloc(32),
    number: 4242,
    ...overrides,
  });
}

test('synchronous verification: each reason, cheapest check first', async () => {
  const cache = await sharedEpochCache(0);
  const valid = header();
  valid.mixHash = hashimotoLight(cache.words, cache.datasetBytes, sealHash(valid), valid.nonce).mixHash;
  assert.deepEqual(verifyHeaderWithCache(valid, cache), { ok: true });

  const wrongMix = header({ mixHash: Buffer.alloc(32, 7) });
  assert.deepEqual(verifyHeaderWithCache(wrongMix, cache), { ok: false, reason: 'MIX_MISMATCH' });
  // Impossible target: the quick check rejects without the light hash.
  const hard = header({ bits: (1n << 256n) - 1n, mixHash: valid.mixHash });
  assert.deepEqual(verifyHeaderWithCache(hard, cache), { ok: false, reason: 'ABOVE_TARGET' });
  assert.deepEqual(precheckHeader(hard).result, { ok: false, reason: 'ABOVE_TARGET' });
  assert.deepEqual(verifyHeaderWithCache(header({ bits: 0n }), cache), { ok: false, reason: 'BAD_BITS' });
  assert.deepEqual(verifyHeaderWithCache(header({ number: 61_440_000 }), cache), { ok: false, reason: 'EPOCH_OUT_OF_RANGE' });
  assert.deepEqual(verifyHeaderWithCache(header({ number: 0xffffffff }), cache), { ok: false, reason: 'EPOCH_OUT_OF_RANGE' });
  // Passing the quick check needs the cache of the header's own epoch.
  const pre = precheckHeader(valid);
  assert.equal(pre.seal?.epoch, 0);
  assert.throws(
    () => verifyHeaderWithCache(header({ number: 30_000 }), cache),
    (err: unknown) => isEthashError(err) && err.code === 'BAD_INPUT',
  );
});
