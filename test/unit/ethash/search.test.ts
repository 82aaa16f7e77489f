import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockHeader } from '../../../src/primitives/header.js';
import {
  Ethash,
  boundary,
  bytesToU256,
  hashimotoFull,
  hashimotoLight,
  isEthashError,
  makeCache,
  sealHash,
} from '../../../src/consensus/ethash/index.js';
import { fillDatasetItems } from '../../../src/consensus/ethash/algorithm.js';
import { sharedEpochCache, sharedEthash } from '../../helpers/ethash-cache.js';

const TINY = { cacheBytes: 1024, datasetBytes: 32768 };

// One engine (2 workers, shared epoch-0 cache) for the tests that need no special setup.
let ethash: Ethash;
before(async () => {
  ethash = await sharedEthash();
});
after(() => ethash.close());

function template(bits: bigint, number = 7): BlockHeader {
  return new BlockHeader({
    version: 1,
    prevHash: Buffer.alloc(32, 0x42),
    merkleRoot: Buffer.alloc(32, 0x17),
    timestamp: 1_700_000_123,
    bits,
    nonce: 0n,
    mixHash: Buffer.alloc(32),
    number,
  });
}

test('light search at regtest difficulty finds a nonce that verifies', async () => {
  const header = template(10n);
  const progress: number[] = [];
  const result = await ethash.search({
    sealHash: sealHash(header),
    boundary: boundary(header.bits),
    epoch: 0,
    startNonce: 0xfffffffffffffff0n, // also crosses the u64 wrap with some luck; nonces are mod 2^64
    onProgress: (p) => progress.push(p.hashes),
  });
  assert.equal(result.found, true);
  if (!result.found) return;
  assert.ok(result.hashes >= 1 && result.hashRate > 0 && result.elapsedMs > 0);
  assert.ok(progress.length >= 1 && progress[progress.length - 1] === result.hashes);
  assert.ok(bytesToU256(result.finalHash) <= boundary(10n));
  header.nonce = result.nonce;
  header.mixHash = result.mixHash;
  header.invalidate();
  assert.deepEqual(await ethash.verifyHeader(header), { ok: true });
});

test('with one thread the search returns the first solution at or after startNonce', async () => {
  const cache = await sharedEpochCache(0);
  const header = template(6n, 123);
  const hash = sealHash(header);
  const start = 1000n;
  const result = await ethash.search({ sealHash: hash, boundary: boundary(6n), epoch: 0, startNonce: start, threads: 1 });
  assert.equal(result.found, true);
  if (!result.found) return;
  assert.equal(result.hashes, Number(result.nonce - start) + 1);
  for (let nonce = start; nonce < result.nonce; nonce++) {
    assert.ok(bytesToU256(hashimotoLight(cache.words, cache.datasetBytes, hash, nonce).finalHash) > boundary(6n), `nonce ${nonce}`);
  }
  assert.deepEqual(hashimotoLight(cache.words, cache.datasetBytes, hash, result.nonce).mixHash, result.mixHash);
});

test('maxHashes bounds the search; an impossible target is exhausted, not an error', async () => {
  const result = await ethash.search({ sealHash: Buffer.alloc(32, 1), boundary: 0n, epoch: 0, startNonce: (1n << 64n) - 3n, maxHashes: 21 });
  assert.deepEqual([result.found, result.aborted, result.hashes], [false, false, 21]);
  const none = await ethash.search({ sealHash: Buffer.alloc(32, 1), boundary: 0n, epoch: 0, maxHashes: 0 });
  assert.equal(none.hashes, 0);
});

test('an AbortSignal stops the search promptly (tip changed) and verification is not starved meanwhile', async () => {
  const cache = await sharedEpochCache(0);
  const controller = new AbortController();
  const search = ethash.search({ sealHash: Buffer.alloc(32, 2), boundary: 0n, epoch: 0, signal: controller.signal });
  await new Promise((resolve) => setTimeout(resolve, 150));

  const header = template(1n, 55);
  header.mixHash = hashimotoLight(cache.words, cache.datasetBytes, sealHash(header), 0n).mixHash;
  const verifyStarted = performance.now();
  assert.deepEqual(await ethash.verifyHeader(header), { ok: true });
  assert.ok(performance.now() - verifyStarted < 2_000, 'verification waited behind the search');

  const abortedAt = performance.now();
  controller.abort();
  const result = await search;
  assert.equal(result.found, false);
  assert.equal(result.found === false && result.aborted, true);
  assert.ok(result.hashes > 0);
  assert.ok(performance.now() - abortedAt < 1_000, 'abort took too long');

  const already = await ethash.search({ sealHash: Buffer.alloc(32, 2), boundary: 0n, epoch: 0, signal: AbortSignal.abort() });
  assert.deepEqual([already.found, already.found === false && already.aborted, already.hashes], [false, true, 0]);
});

test('full-mode search builds the DAG in the workers, persists it, and agrees with light hashing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mvs-ethash-dag-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cache = makeCache(0, TINY.cacheBytes);
  const expected = new Int32Array(TINY.datasetBytes / 4);
  fillDatasetItems(cache, expected, 0, TINY.datasetBytes / 64);

  const first = new Ethash({ dataDir: dir, threads: 2, sizeOverride: TINY });
  const dag = await first.prepareDataset(0);
  assert.equal(dag.source, 'generated');
  assert.deepEqual(Buffer.from(dag.buffer), Buffer.from(expected.buffer));
  const dagFile = readdirSync(join(dir, 'ethash')).find((f) => f.startsWith('full-R23-'));
  assert.ok(dagFile, 'DAG file written');
  assert.equal(statSync(join(dir, 'ethash', dagFile)).size, 64 + TINY.datasetBytes);

  const hash = sealHash(template(3n));
  const full = await first.search({ sealHash: hash, boundary: boundary(3n), epoch: 0, startNonce: 77n, mode: 'full', threads: 1 });
  const light = await first.search({ sealHash: hash, boundary: boundary(3n), epoch: 0, startNonce: 77n, mode: 'light', threads: 1 });
  assert.equal(full.found && light.found, true);
  if (!full.found || !light.found) return;
  assert.equal(full.nonce, light.nonce);
  assert.deepEqual(full.mixHash, light.mixHash);
  assert.deepEqual(hashimotoFull(expected, hash, full.nonce), { mixHash: full.mixHash, finalHash: full.finalHash });
  await first.close();

  const restarted = new Ethash({ dataDir: dir, threads: 1, sizeOverride: TINY });
  t.after(() => restarted.close());
  const reloaded = await restarted.prepareDataset(0);
  assert.equal(reloaded.source, 'disk');
  assert.equal(restarted.datasets.stats.generated, 0);
  assert.deepEqual(Buffer.from(reloaded.buffer), Buffer.from(expected.buffer));
});

test('bad search options are typed errors', async () => {
  const base = { sealHash: Buffer.alloc(32), boundary: 1n, epoch: 0 };
  const isCode = (code: string) => (err: unknown) => isEthashError(err) && err.code === code;
  await assert.rejects(ethash.search({ ...base, sealHash: Buffer.alloc(31) }), isCode('BAD_INPUT'));
  await assert.rejects(ethash.search({ ...base, epoch: 2048 }), isCode('EPOCH_OUT_OF_RANGE'));
  await assert.rejects(ethash.search({ ...base, boundary: Buffer.alloc(31) }), isCode('BAD_INPUT'));
  await assert.rejects(ethash.search({ ...base, boundary: -1n }), isCode('BAD_INPUT'));
  await assert.rejects(ethash.search({ ...base, startNonce: 1n << 64n }), isCode('BAD_INPUT'));
  await assert.rejects(ethash.search({ ...base, maxHashes: -1 }), isCode('BAD_INPUT'));
  await assert.rejects(ethash.search({ ...base, mode: 'fast' as 'light' }), isCode('BAD_INPUT'));
});
