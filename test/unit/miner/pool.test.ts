import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeChain, buildBlock, removeDir, type TestChain } from '../../helpers/chain.js';
import { testKey, p2pkhSpend } from '../../helpers/signing.js';
import { PooledScriptVerifier } from '../../../src/chain/script-checker.js';
import { Mempool, MempoolError } from '../../../src/mempool/mempool.js';
import { BinaryHeap } from '../../../src/mempool/heap.js';
import { buildTemplate } from '../../../src/miner/template.js';
import type { Transaction } from '../../../src/primitives/transaction.js';

/*
 * Pool behaviour the miner relies on: the heap behind template selection and
 * eviction; the eviction order under a byte cap (lowest fee rate first among
 * transactions with no in-pool children: a parent goes only once its children
 * are gone); and a pool that is still a valid block's worth after blocks are
 * disconnected (popblock), so templates built from it connect.
 */

describe('BinaryHeap', () => {
  test('pops in order under random pushes and pops (checked against a sorted list)', () => {
    let seed = 12345;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const heap = new BinaryHeap<number>((a, b) => a < b);
    const reference: number[] = [];
    for (let i = 0; i < 5000; i++) {
      if (reference.length > 0 && random() < 0.4) {
        reference.sort((a, b) => a - b);
        assert.equal(heap.peek(), reference[0]);
        assert.equal(heap.pop(), reference.shift());
      } else {
        const v = Math.floor(random() * 1000);
        heap.push(v);
        reference.push(v);
      }
      assert.equal(heap.size, reference.length);
    }
    reference.sort((a, b) => a - b);
    const rest: number[] = [];
    for (let v = heap.pop(); v !== undefined; v = heap.pop()) rest.push(v);
    assert.deepEqual(rest, reference);
    assert.equal(heap.pop(), undefined);
    heap.push(3);
    heap.clear();
    assert.equal(heap.size, 0);
  });
});

describe('pool eviction under the byte cap', () => {
  const scripts = new PooledScriptVerifier({ workers: 1 });
  const alice = testKey('eviction alice');
  let tc: TestChain;
  const coinbases: Transaction[] = [];

  before(async () => {
    tc = await makeChain({ scripts });
    for (let i = 0; i < 30; i++) {
      const b = buildBlock(tc, { payTo: alice.script });
      assert.equal((await tc.chain.addBlock(b)).status, 'connected');
      coinbases.push(b.txs[0]);
    }
  });
  after(async () => {
    await tc.close();
    removeDir(tc.dir);
    await scripts.close();
  });

  let used = 0;
  const spend = (fee: bigint) => {
    const cb = coinbases[used++];
    return p2pkhSpend([{ txid: cb.hash(), index: 0 }], [{ script: alice.script, value: cb.outputs[0].value - fee }], alice);
  };
  const spendOf = (parent: Transaction, fee: bigint) => p2pkhSpend([{ txid: parent.hash(), index: 0 }], [{ script: alice.script, value: parent.outputs[0].value - fee }], alice);

  test('the lowest fee-rate leaf goes first; a parent only after its child; a newcomer too cheap is refused', async () => {
    const a = spend(30_000n);
    const b = spend(12_000n);
    const parent = spend(10_000n); // the cheapest, but it will have a child
    const child = spendOf(parent, 90_000n);
    const sizes = [a, b, parent, child].map((t) => t.size());
    // Room for these four and a little more, but not a fifth transaction.
    const pool = new Mempool({ chain: tc.chain, network: tc.network, bus: tc.bus, scripts, maxBytes: sizes.reduce((x, y) => x + y, 0) + 50 });
    try {
      const evicted: string[] = [];
      tc.bus.on('mempool:tx:removed', (e) => {
        if (e.reason === 'evicted') evicted.push(e.tx.txid());
      });
      for (const tx of [a, b, parent, child]) await pool.add(tx);
      assert.equal(pool.size, 4);

      // Over the cap: b is the cheapest leaf (parent has a child, so it stays).
      const c = spend(40_000n);
      await pool.add(c);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(evicted, [b.txid()]);
      assert.ok(pool.has(parent.hash()) && pool.has(child.hash()));

      // The child leaves (mined elsewhere, say): the parent is a leaf again and next in line.
      await pool.removeTx(child.hash());
      const d = spend(50_000n);
      await pool.add(d);
      const e = spend(60_000n);
      await pool.add(e);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(evicted.slice(1), [parent.txid()], 'then the parent, once childless');
      assert.ok(pool.has(a.hash()) && pool.has(c.hash()) && pool.has(d.hash()) && pool.has(e.hash()));

      // A newcomer with the lowest fee rate of all is refused outright.
      const cheap = spend(10_000n);
      await assert.rejects(pool.add(cheap), (err: unknown) => err instanceof MempoolError && err.code === 'pool_full');
      assert.ok(!pool.has(cheap.hash()));
      assert.ok(pool.totalBytes <= sizes.reduce((x, y) => x + y, 0) + 50);
    } finally {
      pool.close();
    }
  });

  test('eviction stays correct after long churn (stale and repeated entries in the eviction order)', async () => {
    const [x, y] = [spend(20_000n), spend(21_000n)];
    const pool = new Mempool({ chain: tc.chain, network: tc.network, bus: tc.bus, scripts, maxBytes: x.size() + y.size() + 60 });
    try {
      const evicted: string[] = [];
      tc.bus.on('mempool:tx:removed', (e) => {
        if (e.reason === 'evicted') evicted.push(e.tx.txid());
      });
      // More removals than the order's compaction threshold, without ever filling the pool.
      for (let round = 0; round < 700; round++) {
        await pool.add(x);
        await pool.add(y);
        await pool.removeTx(x.hash());
        await pool.removeTx(y.hash());
      }
      assert.equal(pool.size, 0);
      assert.equal(pool.totalBytes, 0);
      await pool.add(y);
      await pool.add(x);
      const z = spend(45_000n);
      await pool.add(z);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(evicted, [x.txid()], 'the cheapest of the three, nothing else');
      assert.ok(pool.has(y.hash()) && pool.has(z.hash()));
    } finally {
      pool.close();
    }
  });

  test('after a popblock the pool is re-checked: children follow their re-admitted parent, invalid spends leave', async () => {
    const pool = new Mempool({ chain: tc.chain, network: tc.network, bus: tc.bus, scripts });
    try {
      const removed: string[] = [];
      tc.bus.on('mempool:tx:removed', (e) => removed.push(`${e.tx.txid()}:${e.reason}`));
      // P is confirmed in the tip block; C spends it from the pool, paying more.
      const parent = spend(10_000n);
      const tipBlock = buildBlock(tc, { txs: [parent], payTo: alice.script }, 10_000n);
      assert.equal((await tc.chain.addBlock(tipBlock)).status, 'connected');
      const child = spendOf(parent, 80_000n);
      await pool.add(child);
      // D spends the coinbase exactly 10 blocks below the tip: mature now, immature one block lower.
      const height = tc.chain.height;
      const edge = coinbases[height - 10 - 1];
      const immatureSoon = p2pkhSpend([{ txid: edge.hash(), index: 0 }], [{ script: alice.script, value: edge.outputs[0].value - 30_000n }], alice);
      await pool.add(immatureSoon);
      assert.equal(pool.size, 2);

      await tc.chain.popBlocks(height - 1);
      await new Promise((r) => setImmediate(r));
      assert.ok(pool.has(parent.hash()), 'the disconnected transaction is back');
      assert.ok(pool.has(child.hash()));
      assert.ok(!pool.has(immatureSoon.hash()), 'a spend of a now-immature coinbase is dropped');
      assert.ok(removed.includes(`${immatureSoon.txid()}:reorg-invalid`));
      assert.ok(pool.get(child.hash())!.parents.has(parent.hash().toString('latin1')), 'the child is linked to its parent again');

      // So the template puts the parent first, though the child pays more, and it connects.
      const tpl = buildTemplate({ chain: tc.chain, mempool: pool, network: tc.network, payTo: alice.script, now: () => tc.chain.tip.header.timestamp + 30 });
      assert.deepEqual(tpl.block.txs.slice(1).map((t) => t.txid()), [parent.txid(), child.txid()]);
      const r = await tc.chain.addBlock(tpl.block);
      assert.equal(r.status, 'connected', r.error?.message);
      assert.equal(pool.size, 0);
    } finally {
      pool.close();
    }
  });
});
