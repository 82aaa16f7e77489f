import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VerifyPool, VerifyPoolError, type VerifyItem } from '../../../src/crypto/verify-pool.js';
import { getSecp256k1, getBackend } from '../../../src/crypto/secp256k1/index.js';
import { sha256 } from '../../../src/crypto/hash.js';

const backend = getSecp256k1();
const FIXTURES = new URL('./fixtures/', import.meta.url);
const TIMEOUT = { timeout: 20_000 };

/** Items i = 0..count-1; every third has a wrong digest, every fifth a malformed field. */
function makeItems(count: number, seed = 'pool'): { items: VerifyItem[]; expected: boolean[] } {
  const items: VerifyItem[] = [];
  const expected: boolean[] = [];
  for (let i = 0; i < count; i++) {
    const k = sha256(Buffer.from(`${seed} key ${i}`));
    const m = sha256(Buffer.from(`${seed} msg ${i}`));
    const signature = backend.sign(m, k);
    const publicKey = backend.publicKeyCreate(k, i % 2 === 0);
    if (i % 5 === 4) {
      const malformed = [
        { signature: signature.subarray(1), message: m, publicKey },
        { signature, message: m.subarray(0, 31), publicKey },
        { signature, message: m, publicKey: publicKey.subarray(1) },
      ][i % 3];
      items.push(malformed);
      expected.push(false);
    } else if (i % 3 === 0) {
      items.push({ signature, message: sha256(m), publicKey });
      expected.push(false);
    } else {
      items.push({ signature, message: m, publicKey });
      expected.push(true);
    }
  }
  return { items, expected };
}

test('results come back in input order across many batches and workers', TIMEOUT, async () => {
  const pool = new VerifyPool({ workers: 2, batchSize: 4 });
  try {
    const { items, expected } = makeItems(61);
    assert.deepEqual(await pool.verifyBatch(items), expected);
    assert.deepEqual(await pool.verifyBatch([]), []);
    // Concurrent calls interleave batches on the same workers without mixing results.
    const sets = [makeItems(9, 'a'), makeItems(17, 'b'), makeItems(30, 'c')];
    const out = await Promise.all(sets.map((s) => pool.verifyBatch(s.items)));
    out.forEach((r, i) => assert.deepEqual(r, sets[i].expected));
    assert.equal(pool.size, 2);
    assert.equal(pool.backend, backend.name);
  } finally {
    await pool.close();
  }
});

test('a noble pool gives the same answers', TIMEOUT, async () => {
  const pool = new VerifyPool({ workers: 1, backend: 'noble' });
  try {
    const { items, expected } = makeItems(12, 'noble');
    assert.deepEqual(await pool.verifyBatch(items), expected);
    assert.deepEqual(
      items.map((it) => getBackend('noble').verify(it.signature, it.message, it.publicKey)),
      expected,
    );
  } finally {
    await pool.close();
  }
});

test('close(): pending batches reject, later calls reject, close is idempotent', TIMEOUT, async () => {
  const pool = new VerifyPool({ workers: 1, batchSize: 8, backend: 'noble' });
  const pending = assert.rejects(pool.verifyBatch(makeItems(200, 'slow').items), VerifyPoolError);
  await pool.close();
  await pending;
  await assert.rejects(pool.verifyBatch(makeItems(2).items), VerifyPoolError);
  await pool.close();
});

test('a worker dying mid-batch fails its batches and is replaced', TIMEOUT, async () => {
  const pool = new VerifyPool({ workers: 1, workerUrl: new URL('flaky-verify-worker.js', FIXTURES) });
  try {
    const ok = makeItems(5, 'before');
    assert.deepEqual(await pool.verifyBatch(ok.items), ok.expected);
    // Three packable items: the fixture exits on exactly this batch size.
    const crash = makeItems(3, 'crash');
    await assert.rejects(pool.verifyBatch(crash.items), (err) => err instanceof VerifyPoolError && /died/.test(err.message));
    const after = makeItems(6, 'after');
    assert.deepEqual(await pool.verifyBatch(after.items), after.expected, 'the replacement worker answers');
    assert.equal(pool.liveWorkers, 1);
  } finally {
    await pool.close();
  }
});

test('workers that cannot start make the pool fail fast instead of hanging', TIMEOUT, async () => {
  const pool = new VerifyPool({ workers: 2, workerUrl: new URL('broken-verify-worker.js', FIXTURES) });
  try {
    await assert.rejects(pool.verifyBatch(makeItems(4).items), VerifyPoolError);
    await assert.rejects(pool.verifyBatch(makeItems(4).items), VerifyPoolError);
    assert.equal(pool.liveWorkers, 0);
  } finally {
    await pool.close();
  }
});

test('options are validated', () => {
  assert.throws(() => new VerifyPool({ workers: 0 }), RangeError);
  assert.throws(() => new VerifyPool({ batchSize: 1.5 }), RangeError);
  assert.throws(() => new VerifyPool({ inFlightPerWorker: -1 }), RangeError);
});
