import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockHeader } from '../../../src/primitives/header.js';
import { Ethash, boundary, hashimotoLight, isEthashError, makeCache, sealHash } from '../../../src/consensus/ethash/index.js';
import type { EpochCache } from '../../../src/consensus/ethash/index.js';
import { EthashWorker } from '../../../src/consensus/ethash/worker-client.js';
import type { JobRequest } from '../../../src/consensus/ethash/protocol.js';
import { sharedEpochCache, sharedEthash } from '../../helpers/ethash-cache.js';

function draft(i: number, overrides: Partial<ConstructorParameters<typeof BlockHeader>[0]> = {}): BlockHeader {
  return new BlockHeader({
    version: 1,
    prevHash: Buffer.alloc(32, i & 0xff),
    merkleRoot: Buffer.alloc(32, (i * 3 + 1) & 0xff),
    timestamp: 1_700_000_000 + i,
    bits: 1n,
    nonce: BigInt(i) * 1_000_003n,
    mixHash: Buffer.alloc(32),
    number: 100 + i,
    ...overrides,
  });
}

// One engine (2 workers, shared epoch-0 cache) for the tests that do not break or close it.
let shared: Ethash;
before(async () => {
  shared = await sharedEthash({ threads: 2 });
});
after(() => shared.close());

/** Seal a draft on this thread: find a nonce with final ≤ boundary(bits), set nonce and mix. */
function seal(cache: Pick<EpochCache, 'words' | 'datasetBytes'>, header: BlockHeader): BlockHeader {
  const target = boundary(header.bits);
  const hash = sealHash(header);
  for (let nonce = header.nonce; ; nonce++) {
    const { mixHash, finalHash } = hashimotoLight(cache.words, cache.datasetBytes, hash, nonce);
    if (BigInt('0x' + finalHash.toString('hex')) <= target) {
      header.nonce = nonce;
      header.mixHash = mixHash;
      header.invalidate();
      return header;
    }
  }
}

test('a batch gets one precise result per header, in order', async () => {
  const cache = await sharedEpochCache(0);
  const ethash = shared;
  const valid = seal(cache, draft(1));
  const hard = seal(cache, draft(2, { bits: 12n }));
  const wrongNonce = valid.clone();
  wrongNonce.nonce += 1n; // bits 1: passes the target, so the light hash decides
  const tamperedHard = hard.clone();
  tamperedHard.timestamp += 1;
  const forgedMix = draft(3);
  forgedMix.mixHash = Buffer.alloc(32, 0x5a);
  const zeroBits = valid.clone();
  zeroBits.bits = 0n;
  const farFuture = valid.clone();
  farFuture.number = 61_440_000;
  const lastSupported = draft(4, { number: 61_439_999, bits: 1n << 255n });

  const batch = [valid, wrongNonce, hard, tamperedHard, forgedMix, zeroBits, farFuture, lastSupported];
  const results = await ethash.verifyHeaders(batch);
  assert.deepEqual(results, [
    { ok: true },
    { ok: false, reason: 'MIX_MISMATCH' },
    { ok: true },
    // The quick check (claimed mix + 2 Keccaks) rejects it; a 1-in-12 chance it passes
    // and the light hash then catches it: either way it is not accepted.
    results[3].ok === false && results[3].reason === 'MIX_MISMATCH' ? results[3] : { ok: false, reason: 'ABOVE_TARGET' },
    { ok: false, reason: 'MIX_MISMATCH' },
    { ok: false, reason: 'BAD_BITS' },
    { ok: false, reason: 'EPOCH_OUT_OF_RANGE' },
    // Epoch 2047 is supported, and the quick check rejects it without building that 285 MB cache.
    { ok: false, reason: 'ABOVE_TARGET' },
  ]);
  assert.deepEqual(ethash.caches.heldEpochs(), [0]);
  assert.deepEqual(await ethash.verifyHeader(valid), { ok: true });
  assert.deepEqual(await ethash.verifyHeaders([]), []);
  // Plain field objects work as well as BlockHeader instances.
  assert.deepEqual(await ethash.verifyHeader({ ...valid, prevHash: valid.prevHash }), { ok: true });
});

test('verification runs in the workers, not on the event loop, and uses all of them', async () => {
  const cache = await sharedEpochCache(0);
  const ethash = shared;
  const headers = Array.from({ length: 48 }, (_, i) => seal(cache, draft(100 + i)));
  // Event-loop utilisation stays low while the workers hash (it would be ~1 on the loop itself).
  const before = performance.eventLoopUtilization();
  const started = performance.now();
  const results = await ethash.verifyHeaders(headers);
  const elapsed = performance.now() - started;
  const { utilization } = performance.eventLoopUtilization(before);
  assert.ok(results.every((r) => r.ok));
  assert.equal(ethash.pool.liveWorkers, 2);
  assert.ok(utilization < 0.5, `event loop ${Math.round(utilization * 100)}% busy during ${elapsed.toFixed(0)} ms of verification`);
});

test('a crashed worker fails its job with WORKER_CRASHED and the pool carries on', async (t) => {
  const cache = await sharedEpochCache(0);
  const ethash = await sharedEthash({ threads: 2 });
  t.after(() => ethash.close());
  const headers = Array.from({ length: 32 }, (_, i) => seal(cache, draft(200 + i)));

  // An uncaught exception inside a worker.
  const crash = await ethash.pool.crashWorkerForTesting(0);
  assert.ok(isEthashError(crash) && crash.code === 'WORKER_CRASHED', String(crash));

  // A worker killed while it holds part of a batch.
  const batch = ethash.verifyHeaders(headers);
  batch.catch(() => undefined);
  while (ethash.pool.queuedJobs === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  await ethash.pool.killWorkerForTesting(0);
  await assert.rejects(batch, (err: unknown) => isEthashError(err) && err.code === 'WORKER_CRASHED');

  // Replacement workers pick up new work (and re-attach the cache).
  const again = await ethash.verifyHeaders(headers.slice(0, 8));
  assert.ok(again.every((r) => r.ok));
});

test('a job that cannot be posted to a worker is refused and forgotten; the worker still serves the next one', async (t) => {
  const worker = new EthashWorker();
  t.after(() => worker.terminate());
  const uncloneable = { type: 'warm-up', extra: () => undefined } as unknown as JobRequest;
  await assert.rejects(worker.request(uncloneable), (err: unknown) => err instanceof Error && err.name === 'DataCloneError');
  assert.equal(worker.pending, 0);
  assert.equal(await worker.request({ type: 'warm-up' }), null);
});

test('close() fails pending work with CLOSED and refuses new work', async () => {
  const cache = await sharedEpochCache(0);
  const ethash = await sharedEthash({ threads: 1 });
  const headers = Array.from({ length: 16 }, (_, i) => seal(cache, draft(300 + i)));
  const pending = ethash.verifyHeaders(headers);
  pending.catch(() => undefined);
  while (ethash.pool.queuedJobs === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  await ethash.close();
  await assert.rejects(pending, (err: unknown) => isEthashError(err) && err.code === 'CLOSED');
  await assert.rejects(ethash.verifyHeaders(headers), (err: unknown) => isEthashError(err) && err.code === 'CLOSED');
  await assert.rejects(ethash.getCache(0), (err: unknown) => isEthashError(err) && err.code === 'CLOSED');
  await ethash.close(); // idempotent
});

test('verifying near the end of an epoch prefetches the next epoch', async (t) => {
  const tiny = { cacheBytes: 1024, datasetBytes: 32768 };
  const ethash = new Ethash({ threads: 1, sizeOverride: tiny });
  t.after(() => ethash.close());
  const view = { words: makeCache(0, tiny.cacheBytes), datasetBytes: tiny.datasetBytes };
  const early = seal(view, draft(1, { number: 1000 }));
  assert.deepEqual(await ethash.verifyHeader(early), { ok: true });
  assert.deepEqual(ethash.caches.heldEpochs(), [0]);
  const late = seal(view, draft(2, { number: 29_990 }));
  assert.deepEqual(await ethash.verifyHeader(late), { ok: true });
  await ethash.getCache(1);
  assert.deepEqual(ethash.caches.heldEpochs().sort(), [0, 1]);
  assert.equal(ethash.caches.stats.generated, 2);
});

test('headers spanning several epochs get each epoch\'s cache', async (t) => {
  const tiny = { cacheBytes: 1024, datasetBytes: 32768 };
  const ethash = new Ethash({ threads: 2, sizeOverride: tiny, maxCachedEpochs: 2, autoPrefetch: false });
  t.after(() => ethash.close());
  const headers = [0, 1, 2, 3].map((epoch) => {
    const view = { words: makeCache(epoch, tiny.cacheBytes), datasetBytes: tiny.datasetBytes };
    return seal(view, draft(epoch, { number: epoch * 30_000 + 5 }));
  });
  const wrongEpoch = headers[3].clone();
  wrongEpoch.number = 5; // sealed with epoch 3's cache, claims epoch 0
  const results = await ethash.verifyHeaders([headers[3], headers[0], wrongEpoch, headers[2], headers[1]]);
  assert.deepEqual(results.map((r) => r.ok), [true, true, false, true, true]);
  assert.equal(ethash.caches.heldEpochs().length, 2);
});

test('bad pool options are typed errors', () => {
  assert.throws(() => new Ethash({ threads: 0 }), (err: unknown) => isEthashError(err) && err.code === 'BAD_INPUT');
  assert.throws(() => new Ethash({ maxCachedEpochs: 0 }), (err: unknown) => isEthashError(err) && err.code === 'BAD_INPUT');
  assert.throws(() => new Ethash({ sizeOverride: { cacheBytes: 100, datasetBytes: 128 } }), (err: unknown) => isEthashError(err) && err.code === 'BAD_INPUT');
});
