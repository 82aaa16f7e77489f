import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { VerifyPool } from '../../../src/crypto/verify-pool.js';
import { ScriptVerifierPool } from '../../../src/consensus/script/pool.js';
import { VERIFY_WORKER_NICE, checkedNice, lowerThreadPriority } from '../../../src/util/thread-priority.js';

const LINUX = process.platform === 'linux';
const SKIP = LINUX ? false : 'thread nice values are per thread only on Linux (elsewhere the pools leave priority alone)';

/** Nice value of each thread of this process, by thread id (Linux /proc; field 19 of stat). */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
      // Fields after the parenthesized name start at field 3 (state): nice is field 19.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(fields[16]));
    } catch {
      // The thread ended while listing.
    }
  }
  return out;
}

function countAt(nice: number): number {
  let n = 0;
  for (const v of threadNices().values()) if (v === nice) n++;
  return n;
}

/** Wait (bounded) until `count` threads run at `nice`: workers lower themselves as they start. */
async function waitForThreadsAt(nice: number, count: number): Promise<number> {
  const deadline = Date.now() + 15_000;
  let seen = countAt(nice);
  while (seen < count && Date.now() < deadline) {
    await sleep(20);
    seen = countAt(nice);
  }
  return seen;
}

test('checkedNice accepts 0..19 and refuses anything else', () => {
  for (const ok of [0, 1, 10, 19]) assert.equal(checkedNice(ok), ok);
  for (const bad of [-1, 20, 1.5, Number.NaN]) assert.throws(() => checkedNice(bad), RangeError);
  assert.throws(() => new VerifyPool({ workers: 1, nice: 20 }), RangeError);
  assert.throws(() => new ScriptVerifierPool({ size: 1, nice: -1 }), RangeError);
  assert.equal(lowerThreadPriority(0), false, 'nice 0 changes nothing');
});

test('verification workers run at VERIFY_WORKER_NICE, the main thread keeps its priority', { skip: SKIP, timeout: 30_000 }, async () => {
  assert.equal(countAt(VERIFY_WORKER_NICE), 0, 'no thread starts lowered');
  const scripts = new ScriptVerifierPool({ size: 2 });
  const verify = new VerifyPool({ workers: 1 });
  try {
    await answered(scripts);
    assert.equal(await waitForThreadsAt(VERIFY_WORKER_NICE, 3), 3, 'two script workers and one verify worker lowered');
    assert.equal(threadNices().get(process.pid), 0, 'main thread unchanged');
  } finally {
    await Promise.all([scripts.close(), verify.close()]);
  }
});

test('a pool with nice 0 leaves its workers at the process priority', { skip: SKIP, timeout: 30_000 }, async () => {
  const pool = new ScriptVerifierPool({ size: 2, nice: 0, batchInputs: 1 });
  try {
    // A reply from each worker means each has run its start-up (where it would lower itself).
    await answered(pool);
    assert.equal(countAt(VERIFY_WORKER_NICE), 0);
  } finally {
    await pool.close();
  }
});

/** One undecodable transaction per worker: each worker answers (with a failure verdict or an error). */
async function answered(pool: ScriptVerifierPool): Promise<void> {
  const job = { txRaw: Buffer.from([1, 2, 3]), prevScripts: [Buffer.alloc(0)], flags: 0 };
  await pool.verifyTransactions(Array.from({ length: pool.size * 2 }, () => job)).catch(() => undefined);
}
