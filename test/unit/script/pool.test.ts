import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptVerifierPool, ScriptPoolError } from '../../../src/consensus/script/pool.js';
import { verifyTransactionsSync, type TransactionJob } from '../../../src/consensus/script/verify.js';
import { MVS_CONSENSUS_FLAGS } from '../../../src/consensus/script/flags.js';
import { packBatch, unpackBatch, batchResponse } from '../../../src/consensus/script/wire.js';
import { VERIFY_OK, scriptError } from '../../../src/consensus/script/errors.js';
import { getBackend } from '../../../src/crypto/secp256k1/index.js';
import { p2pkhScript } from '../../../src/primitives/script.js';
import { script, testKey, spendingTx, sign, setScriptSig } from './fixtures.js';
import { POISON_FLAG } from './crash-worker.js';

const noble = getBackend('noble');
const CRASH_WORKER = new URL('./crash-worker.js', import.meta.url);

/**
 * `count` signed P2PKH transactions with 1..3 inputs each; every fifth input
 * gets the wrong previous script so results are mixed.
 */
function makeJobs(count: number): TransactionJob[] {
  const key = testKey(42, noble);
  const other = testKey(43, noble);
  const prev = p2pkhScript(key.hash).raw;
  const wrongPrev = p2pkhScript(other.hash).raw;
  const jobs: TransactionJob[] = [];
  let n = 0;
  for (let t = 0; t < count; t++) {
    const inputs = 1 + (t % 3);
    const tx = spendingTx(inputs, { locktime: t });
    const prevScripts: Buffer[] = [];
    for (let i = 0; i < inputs; i++) {
      setScriptSig(tx, i, script(sign(tx, i, prev, key, noble), key.pubkey));
      prevScripts.push(n++ % 5 === 4 ? wrongPrev : prev);
    }
    jobs.push({ txRaw: tx.toRaw(), prevScripts, flags: MVS_CONSENSUS_FLAGS });
  }
  return jobs;
}

const JOBS = makeJobs(24);
const EXPECTED = verifyTransactionsSync(JOBS, noble);

test('batch packing: one transferable buffer of words and bytes, no objects; views restored exactly', () => {
  const request = packBatch(7, JOBS.slice(0, 3));
  assert.deepEqual(Object.keys(request).sort(), ['batchId', 'buffer']);
  const total = JOBS.slice(0, 3).reduce((n, j) => n + j.txRaw.length + j.prevScripts.reduce((m, s) => m + (s?.length ?? 0), 0), 0);
  const words = 1 + JOBS.slice(0, 3).reduce((n, j) => n + 3 + j.prevScripts.length, 0);
  assert.equal(request.buffer.byteLength, words * 4 + total);
  const back = unpackBatch(request);
  back.forEach((job, i) => {
    assert.deepEqual(Buffer.from(job.txRaw), Buffer.from(JOBS[i].txRaw));
    const hexOf = (s: Uint8Array | null | undefined) => (s ? Buffer.from(s).toString('hex') : null);
    assert.deepEqual(job.prevScripts.map(hexOf), JOBS[i].prevScripts.map(hexOf));
    assert.equal(job.flags, JOBS[i].flags);
  });
});

test('batch packing: a missing previous script survives; a truncated or lying buffer throws instead of reading past its end', () => {
  const job = { ...JOBS[0], prevScripts: [null, ...JOBS[0].prevScripts.slice(1)] };
  const back = unpackBatch(packBatch(1, [job]));
  assert.equal(back[0].prevScripts[0], null);
  const whole = packBatch(2, JOBS.slice(0, 2)).buffer;
  for (const cut of [0, 3, 8, whole.byteLength - 1]) assert.throws(() => unpackBatch({ batchId: 2, buffer: whole.slice(0, cut) }), RangeError, `cut at ${cut}`);
  const lying = packBatch(3, JOBS.slice(0, 1)).buffer;
  new DataView(lying).setInt32(8, 1 << 30, true); // tx length far past the end
  assert.throws(() => unpackBatch({ batchId: 3, buffer: lying }), RangeError);
  const manyInputs = packBatch(4, JOBS.slice(0, 1)).buffer;
  new DataView(manyInputs).setInt32(12, 0x7fffffff, true); // an input count no buffer holds
  assert.throws(() => unpackBatch({ batchId: 4, buffer: manyInputs }), RangeError);
});

test('batch replies: the short form only when every input passed with one verdict per previous script', () => {
  const jobs = JOBS.slice(0, 4);
  const ok = jobs.map((j) => j.prevScripts.map(() => VERIFY_OK));
  assert.deepEqual(batchResponse(5, jobs, ok), { batchId: 5, ok: true });
  const failed = ok.map((r) => r.slice());
  failed[2][0] = scriptError('EQUALVERIFY');
  const long = batchResponse(5, jobs, failed);
  assert.ok('results' in long);
  assert.deepEqual(long.results[2][0], ['EQUALVERIFY', failed[2][0].ok ? '' : failed[2][0].message]);
  assert.equal(long.results[1][0], null);
  // A job whose verdict count differs from its previous scripts (bytes that decode to fewer inputs) is sent in full.
  const short = ok.map((r) => r.slice());
  short[1] = short[1].slice(1);
  assert.ok('results' in batchResponse(5, jobs, short));
});

test('pool results equal the in-thread results, in job and input order, across many batches', async () => {
  assert.equal(EXPECTED.flat().filter((r) => r.ok).length, 39);
  assert.equal(EXPECTED.flat().filter((r) => !r.ok && r.code === 'EQUALVERIFY').length, 9);
  const pool = new ScriptVerifierPool({ size: 2, backend: 'noble', batchInputs: 3 });
  try {
    assert.deepEqual(await pool.verifyTransactions(JOBS), EXPECTED);
    // Concurrent calls do not mix their results.
    const [a, b] = await Promise.all([pool.verifyTransactions(JOBS.slice(0, 10)), pool.verifyTransactions(JOBS.slice(10))]);
    assert.deepEqual([...a, ...b], EXPECTED);
    assert.deepEqual(await pool.verifyTransactions([]), []);
    assert.equal(pool.pendingBatches, 0);
  } finally {
    await pool.close();
  }
});

test('pool: undecodable transactions and missing previous scripts are verdicts, not failures', async () => {
  const pool = new ScriptVerifierPool({ size: 1, backend: 'noble' });
  try {
    const [garbage, short] = await pool.verifyTransactions([
      { txRaw: Buffer.from('deadbeef', 'hex'), prevScripts: [Buffer.alloc(0), Buffer.alloc(0)], flags: MVS_CONSENSUS_FLAGS },
      { txRaw: JOBS[1].txRaw, prevScripts: JOBS[1].prevScripts.slice(0, 1), flags: MVS_CONSENSUS_FLAGS },
    ]);
    assert.deepEqual(garbage.map((r) => (r.ok ? 'ok' : r.code)), ['TX_INVALID', 'TX_INVALID']);
    assert.deepEqual(short.map((r) => (r.ok ? 'ok' : r.code)), ['ok', 'TX_INPUT_INVALID']);
    // A sparse prevScripts array (an input left out) fails only that input, in the pool and in-thread.
    const three = JOBS[2];
    const sparse: (Uint8Array | undefined)[] = new Array(3);
    sparse[0] = three.prevScripts[0]!;
    sparse[2] = three.prevScripts[2]!;
    const job = { txRaw: three.txRaw, prevScripts: sparse, flags: MVS_CONSENSUS_FLAGS };
    const [pooled] = await pool.verifyTransactions([job]);
    assert.deepEqual(pooled.map((r) => (r.ok ? 'ok' : r.code)), [EXPECTED[2][0].ok ? 'ok' : 'x', 'TX_INPUT_INVALID', EXPECTED[2][2].ok ? 'ok' : 'x']);
    assert.deepEqual(verifyTransactionsSync([job], noble), [pooled]);
    // Malformed jobs are a programming error: TypeError, and the pool keeps working.
    await assert.rejects(pool.verifyTransactions([{ txRaw: '00' as unknown as Uint8Array, prevScripts: [], flags: 0 }]), TypeError);
    assert.deepEqual(await pool.verifyTransactions(JOBS.slice(0, 1)), EXPECTED.slice(0, 1));
  } finally {
    await pool.close();
  }
});

test('pool: small calls can run in-thread', async () => {
  const pool = new ScriptVerifierPool({ size: 1, backend: 'noble', inlineMaxInputs: 4 });
  try {
    const promise = pool.verifyTransactions(JOBS.slice(0, 2));
    // Nothing was queued for a worker.
    assert.equal(pool.pendingBatches, 0);
    assert.deepEqual(await promise, EXPECTED.slice(0, 2));
    assert.deepEqual(pool.verifySync(JOBS.slice(0, 1)), EXPECTED.slice(0, 1));
  } finally {
    await pool.close();
  }
});

test('pool: the main thread stays responsive while workers verify', async () => {
  const pool = new ScriptVerifierPool({ size: 2, backend: 'noble', batchInputs: 4 });
  try {
    await pool.verifyTransactions(JOBS.slice(0, 2)); // workers started
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    const results = await pool.verifyTransactions(JOBS);
    const elapsed = performance.now() - started;
    clearInterval(timer);
    assert.deepEqual(results, EXPECTED);
    // ~48 noble verifications take tens of milliseconds; a blocked loop would see no tick at all.
    assert.ok(ticks >= 3, `only ${ticks} timer ticks in ${elapsed.toFixed(0)} ms`);
  } finally {
    await pool.close();
  }
});

test('pool: a call\'s batches go to the least-loaded workers, and idle time counts only workers with nothing in flight', async () => {
  const pool = new ScriptVerifierPool({ size: 2, backend: 'noble', batchInputs: 1 });
  const slots = (pool as unknown as { slots: { inFlight: Map<number, unknown> }[] }).slots;
  const busyWait = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };
  try {
    // Both workers idle: idle time grows at two milliseconds per millisecond.
    const t0 = performance.now();
    const i0 = pool.idleMilliseconds();
    busyWait(20);
    const i1 = pool.idleMilliseconds();
    const t1 = performance.now();
    assert.ok(i1 - i0 >= 2 * 20 && i1 - i0 <= 2 * (t1 - t0), `idle grew ${(i1 - i0).toFixed(2)} ms in ${(t1 - t0).toFixed(2)} ms`);

    // Two single-input batches: one per worker (the first worker does not take both).
    const promise = pool.verifyTransactions(JOBS.slice(0, 2).map((j) => ({ ...j, prevScripts: j.prevScripts.slice(0, 1) })));
    assert.deepEqual(
      slots.map((s) => s.inFlight.size),
      [1, 1],
    );
    // Both busy until this thread handles their replies, which it cannot while it spins.
    const i2 = pool.idleMilliseconds();
    busyWait(10);
    assert.ok(pool.idleMilliseconds() - i2 < 1, 'busy workers counted as idle');
    await promise;
    // Idle again once the replies are in, and the counter never goes back.
    const i3 = pool.idleMilliseconds();
    busyWait(5);
    assert.ok(pool.idleMilliseconds() >= i3 + 2 * 5 && i3 >= i2);
  } finally {
    await pool.close();
  }
});

test('pool: close() rejects pending and later calls with ScriptPoolError', async () => {
  const pool = new ScriptVerifierPool({ size: 1, backend: 'noble', batchInputs: 1 });
  const pending = assert.rejects(pool.verifyTransactions(JOBS), ScriptPoolError);
  await pool.close();
  await pending;
  await assert.rejects(pool.verifyTransactions(JOBS), ScriptPoolError);
  await pool.close(); // idempotent
});

test('pool: a dying worker fails its calls instead of hanging, and is replaced', async () => {
  const pool = new ScriptVerifierPool({ size: 2, backend: 'noble', batchInputs: 2, workerUrl: CRASH_WORKER });
  try {
    assert.deepEqual(await pool.verifyTransactions(JOBS.slice(0, 6)), EXPECTED.slice(0, 6), 'the test worker verifies normally');
    const poisoned = JOBS.map((job, i) => (i === 5 ? { ...job, flags: job.flags | POISON_FLAG } : job));
    await assert.rejects(pool.verifyTransactions(poisoned), (e: unknown) => e instanceof ScriptPoolError && /exited with code 7/.test(e.message));
    // The replacement worker serves the next call.
    assert.deepEqual(await pool.verifyTransactions(JOBS), EXPECTED);
    assert.equal(pool.size, 2);
  } finally {
    await pool.close();
  }
});

test('pool: a worker file that keeps dying breaks the pool instead of respawning forever', async () => {
  const pool = new ScriptVerifierPool({ size: 1, backend: 'noble', workerUrl: CRASH_WORKER });
  const poisoned = JOBS.slice(0, 1).map((job) => ({ ...job, flags: job.flags | POISON_FLAG }));
  try {
    let failures = 0;
    for (let i = 0; i < 10; i++) {
      await assert.rejects(pool.verifyTransactions(poisoned), ScriptPoolError);
      failures++;
    }
    assert.equal(failures, 10);
    await assert.rejects(pool.verifyTransactions(JOBS.slice(0, 1)), /broken/);
  } finally {
    await pool.close();
  }
});

test('pool: invalid size and unavailable backends fail at construction', () => {
  assert.throws(() => new ScriptVerifierPool({ size: 0 }), RangeError);
  assert.throws(() => new ScriptVerifierPool({ size: 1.5 }), RangeError);
});
