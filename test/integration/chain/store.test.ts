import { test, after } from 'node:test';
import { Worker } from 'node:worker_threads';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainStore, StoreWrite, StoreError } from '../../../src/chain/store.js';
import { applyOps } from '../../../src/chain/store-writer.js';
import { TABLES } from '../../../src/chain/layout.js';
import { regtest } from '../../../src/networks/index.js';
import { removeDir } from '../../helpers/chain.js';

/*
 * The store's write path below the chain: StoreWrite's in-place buffer and
 * the commit thread (commitAsync), which block connection uses while it
 * validates the next blocks (docs/storage.md).
 */

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));
function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mvs-store-'));
  dirs.push(d);
  return d;
}

const key = (i: number, len = 36) => {
  const b = Buffer.alloc(len, i & 0xff);
  b.writeUInt32LE(i, 0);
  return b;
};

test('StoreWrite keeps every change in order across buffer growth', () => {
  const w = new StoreWrite(16);
  const expected: { table: number; key: string; value: string | null }[] = [];
  for (let i = 0; i < 300; i++) {
    const table = TABLES[i % TABLES.length];
    if (i % 3 === 2) {
      w.remove(table, key(i));
      expected.push({ table: i % TABLES.length, key: key(i).toString('hex'), value: null });
    } else {
      const value = Buffer.alloc(i % 50, i);
      w.put(table, key(i, 20 + (i % 30)), value);
      expected.push({ table: i % TABLES.length, key: key(i, 20 + (i % 30)).toString('hex'), value: value.toString('hex') });
    }
  }
  const got: { table: number; key: string; value: string | null }[] = [];
  const recorders = TABLES.map((_, table) => ({
    putSync: (k: Buffer, v: Buffer) => got.push({ table, key: k.toString('hex'), value: v.toString('hex') }),
    removeSync: (k: Buffer) => got.push({ table, key: k.toString('hex'), value: null }),
  }));
  applyOps(w.bytes.buffer as ArrayBuffer, w.length, recorders);
  assert.deepEqual(got, expected);
});

test('commitAsync: writes commit in order on the commit thread, become visible, and sync writes wait for them', async () => {
  const dir = freshDir();
  const store = new ChainStore({ path: dir, network: regtest });
  const committed: number[] = [];
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 20; i++) {
    const w = new StoreWrite();
    // Each write replaces the previous one's coin (remove + put) and moves the tip record.
    if (i > 0) w.remove('coin', key(i - 1));
    w.put('coin', key(i), Buffer.from([i]));
    w.put('meta', Buffer.from('tip'), key(i, 32));
    w.afterCommit = () => committed.push(i);
    writes.push(store.commitAsync(w));
  }
  assert.equal(store.hasPendingWrites, true);
  assert.throws(() => store.putHeaders([], Buffer.alloc(32)), (e: unknown) => e instanceof StoreError && /pending/.test(e.message));
  await writes[9];
  assert.deepEqual(committed.slice(0, 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'in order, each before its promise resolves');
  // The read snapshot is renewed on each acknowledgement, so it holds at least the last acknowledged
  // commit — possibly a later one the commit thread finished before its reply was handled.
  const seen = store.getTipHash()!.readUInt32LE(0);
  assert.ok(seen >= committed[committed.length - 1] && seen < 20, `this thread sees the last acknowledged commit or a later one (saw ${seen}, acknowledged ${committed[committed.length - 1]})`);
  await store.idle();
  assert.equal(store.hasPendingWrites, false);
  assert.deepEqual(committed, Array.from({ length: 20 }, (_, i) => i));
  assert.deepEqual([...store.allCoins()].map((c) => c.key.toString('hex')), [key(19).toString('hex')]);
  store.putHeaders([], Buffer.alloc(32, 7)); // allowed again
  await store.close();
  // Durable: a new store on the directory reads the same.
  const again = new ChainStore({ path: dir, network: regtest });
  assert.ok(again.getTipHash()!.equals(key(19, 32)));
  assert.equal(again.coinCount(), 1);
  await again.close();
});

test('commitAsync: after a commit fails, the writes queued behind it are refused, not applied on top of it', async () => {
  const dir = freshDir();
  const store = new ChainStore({ path: dir, network: regtest });
  const ok = new StoreWrite();
  ok.put('coin', key(1), Buffer.from([1]));
  // A key beyond LMDB's limit makes the transaction throw, as a full disk or map would.
  const bad = new StoreWrite();
  bad.put('coin', key(2), Buffer.from([2]));
  bad.put('coin', Buffer.alloc(4096, 9), Buffer.from([9]));
  const later = new StoreWrite();
  later.put('coin', key(3), Buffer.from([3]));
  const results = await Promise.allSettled([store.commitAsync(ok), store.commitAsync(bad), store.commitAsync(later)]);
  assert.equal(results[0].status, 'fulfilled');
  assert.equal(results[1].status, 'rejected');
  assert.ok(results[1].status === 'rejected' && results[1].reason instanceof StoreError && results[1].reason.code === 'STORE_IO');
  assert.ok(results[2].status === 'rejected' && /earlier commit failed/.test(String(results[2].reason.message)), 'the write behind the failed one is refused');
  await store.close();
  // Only the first write reached the store; the failed one left nothing behind.
  const again = new ChainStore({ path: dir, network: regtest });
  assert.deepEqual([...again.allCoins()].map((c) => c.key.toString('hex')), [key(1).toString('hex')]);
  await again.close();
});

test('close() waits for commits still on the commit thread', async () => {
  const dir = freshDir();
  const store = new ChainStore({ path: dir, network: regtest });
  for (let i = 0; i < 50; i++) {
    const w = new StoreWrite();
    w.put('coin', key(i), Buffer.alloc(100, i));
    void store.commitAsync(w);
  }
  await store.close();
  const again = new ChainStore({ path: dir, network: regtest });
  assert.equal(again.coinCount(), 50);
  await again.close();
});

test('a worker thread that loads the chain store module is left alone (only the commit thread runs the writer)', async () => {
  // Before the role check, store-writer.js (imported by store.js) took any worker thread for the
  // commit thread and died opening an environment with no init — the RPC bench's client thread did.
  const storeUrl = new URL('../../../src/chain/store.js', import.meta.url).href;
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     import(${JSON.stringify(storeUrl)}).then(() => parentPort.postMessage('loaded'), (e) => parentPort.postMessage('failed: ' + e.message));`,
    { eval: true },
  );
  const errors: Error[] = [];
  worker.on('error', (e) => errors.push(e));
  const message = await new Promise<string>((resolve) => worker.once('message', resolve));
  await worker.terminate();
  assert.equal(message, 'loaded');
  assert.deepEqual(errors, []);
});
