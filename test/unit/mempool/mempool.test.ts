import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { makeChain, buildBlock, removeDir, type TestChain } from '../../helpers/chain.js';
import { testKey, p2pkhSpend, type TestKey } from '../../helpers/signing.js';
import { PooledScriptVerifier } from '../../../src/chain/script-checker.js';
import { Mempool, MempoolError } from '../../../src/mempool/mempool.js';
import { VerifyError } from '../../../src/consensus/errors.js';
import type { Transaction } from '../../../src/primitives/transaction.js';
import type { Block } from '../../../src/primitives/block.js';
import { Script } from '../../../src/primitives/script.js';
import { buildTemplate } from '../../../src/miner/template.js';

const scripts = new PooledScriptVerifier({ workers: 1 });
const dirs: string[] = [];
after(async () => {
  dirs.forEach(removeDir);
  await scripts.close();
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (err) {
    if (err instanceof MempoolError || err instanceof VerifyError) return err.code;
    throw err;
  }
}

describe('mempool admission', () => {
  let tc: TestChain;
  let pool: Mempool;
  let alice: TestKey;
  let bob: TestKey;
  const coinbases: Transaction[] = [];

  before(async () => {
    tc = await makeChain({ scripts });
    dirs.push(tc.dir);
    pool = new Mempool({ chain: tc.chain, network: tc.network, bus: tc.bus, scripts, maxTxSize: 5_000 });
    alice = testKey('alice');
    bob = testKey('bob');
    for (let i = 0; i < 14; i++) {
      const b = buildBlock(tc, { payTo: alice.script });
      assert.equal((await tc.chain.addBlock(b)).status, 'connected');
      coinbases.push(b.txs[0]);
    }
  });

  const out = (k: TestKey, v: bigint) => ({ script: k.script, value: v });
  const spendCb = (i: number, fee = 10_000n, to = bob) => p2pkhSpend([{ txid: coinbases[i].hash(), index: 0 }], [out(to, coinbases[i].outputs[0].value - fee)], alice);

  test('a valid spend is admitted and announced', async () => {
    const seen: string[] = [];
    tc.bus.on('mempool:tx:added', (e) => seen.push(e.tx.txid()));
    const tx = spendCb(0);
    const e = await pool.add(tx);
    assert.equal(e.fee, 10_000n);
    assert.ok(pool.has(tx.hash()));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [tx.txid()]);
  });

  test('double spend of a pool transaction → mempool_conflict', async () => {
    assert.equal(await codeOf(pool.add(spendCb(0, 20_000n))), 'mempool_conflict');
  });

  test('unknown input → missing_inputs (held as orphan)', async () => {
    const tx = p2pkhSpend([{ txid: Buffer.alloc(32, 5), index: 0 }], [out(bob, 1000n)], alice);
    assert.equal(await codeOf(pool.add(tx)), 'missing_inputs');
    assert.equal(pool.orphanCount(), 1);
  });

  test('spent input (spent in the chain) → double_spend', async () => {
    const tx = spendCb(1);
    const b = buildBlock(tc, { txs: [tx], payTo: alice.script }, 10_000n);
    assert.equal((await tc.chain.addBlock(b)).status, 'connected');
    coinbases.push(b.txs[0]);
    assert.equal(await codeOf(pool.add(spendCb(1, 30_000n))), 'double_spend');
  });

  test('immature coinbase spend → coinbase_maturity', async () => {
    const last = coinbases[coinbases.length - 1];
    const tx = p2pkhSpend([{ txid: last.hash(), index: 0 }], [out(bob, last.outputs[0].value - 10_000n)], alice);
    assert.equal(await codeOf(pool.add(tx)), 'coinbase_maturity');
  });

  test('fee below the flat minimum → fees_out_of_range', async () => {
    assert.equal(await codeOf(pool.add(spendCb(2, 9_999n))), 'fees_out_of_range');
  });

  test('oversize transaction → tx_too_large', async () => {
    const outs = Array.from({ length: 200 }, () => out(bob, 100_000n));
    const tx = p2pkhSpend([{ txid: coinbases[3].hash(), index: 0 }], outs, alice);
    assert.equal(await codeOf(pool.add(tx)), 'tx_too_large');
  });

  test('bad signature → script_verify_failed', async () => {
    const tx = p2pkhSpend([{ txid: coinbases[4].hash(), index: 0 }], [out(bob, coinbases[4].outputs[0].value - 10_000n)], bob);
    assert.equal(await codeOf(pool.add(tx)), 'script_verify_failed');
  });

  test('non-standard output → non_standard', async () => {
    const tx = p2pkhSpend([{ txid: coinbases[4].hash(), index: 0 }], [{ script: new Script(Buffer.from([0x51])), value: 1000n }], alice);
    assert.equal(await codeOf(pool.add(tx)), 'non_standard');
  });

  test('a chain of unconfirmed spends is admitted in order and its orphan child is retried', async () => {
    const parent = spendCb(2, 10_000n, alice);
    const child = p2pkhSpend([{ txid: parent.hash(), index: 0 }], [out(bob, parent.outputs[0].value - 10_000n)], alice);
    const grandchild = p2pkhSpend([{ txid: child.hash(), index: 0 }], [out(alice, child.outputs[0].value - 10_000n)], bob);
    assert.equal(await codeOf(pool.add(grandchild)), 'missing_inputs');
    await pool.add(parent);
    await pool.add(child); // admits the waiting grandchild too
    assert.ok(pool.has(child.hash()));
    assert.ok(pool.has(grandchild.hash()), 'orphan retried when its parent arrived');
    const order = pool.all().map((e) => e.txid.toString('hex'));
    assert.ok(order.indexOf(parent.hash().toString('hex')) < order.indexOf(child.hash().toString('hex')));
  });

  test('a template includes the pool in dependency order and connects', async () => {
    const t = buildTemplate({ chain: tc.chain, mempool: pool, network: tc.network, payTo: alice.script, now: () => tc.chain.tip.header.timestamp + 30 });
    assert.equal(t.block.txs.length, 1 + pool.size);
    const r = await tc.chain.addBlock(t.block);
    assert.equal(r.status, 'connected', r.error?.message);
    assert.equal(pool.size, 0, 'mined transactions leave the pool');
  });
});

describe('mempool across a reorg', () => {
  test('disconnected transactions return to the pool; ones made invalid are dropped', async () => {
    const tc = await makeChain({ scripts });
    dirs.push(tc.dir);
    const pool = new Mempool({ chain: tc.chain, network: tc.network, bus: tc.bus, scripts });
    const alice = testKey('alice2');
    const cbs: Block[] = [];
    for (let i = 0; i < 12; i++) {
      const b = buildBlock(tc, { payTo: alice.script });
      await tc.chain.addBlock(b);
      cbs.push(b);
    }
    const fork = cbs[cbs.length - 1];
    // Main branch block 13 confirms tx A (spends coinbase 1) and tx B (spends coinbase 3, mined at height 3 → fine).
    const a = p2pkhSpend([{ txid: cbs[0].txs[0].hash(), index: 0 }], [{ script: alice.script, value: cbs[0].txs[0].outputs[0].value - 10_000n }], alice);
    const b13 = buildBlock(tc, { txs: [a], payTo: alice.script }, 10_000n);
    assert.equal((await tc.chain.addBlock(b13)).status, 'connected');
    // A tx spending block 13's coinbase cannot exist yet (immature) — instead spend A's output.
    const c = p2pkhSpend([{ txid: a.hash(), index: 0 }], [{ script: alice.script, value: a.outputs[0].value - 10_000n }], alice);
    await pool.add(c);
    assert.equal(pool.size, 1);

    // Competing branch of two blocks from height 12 that double-spends coinbase 1 differently.
    let parent = { hash: fork.hash(), height: 12, timestamp: fork.header.timestamp };
    const rival = p2pkhSpend([{ txid: cbs[0].txs[0].hash(), index: 0 }], [{ script: alice.script, value: cbs[0].txs[0].outputs[0].value - 50_000n }], alice);
    const r1 = buildBlock(tc, { parent, txs: [rival], tag: 'r', payTo: alice.script }, 50_000n);
    assert.equal((await tc.chain.addBlock(r1)).status, 'stored');
    parent = { hash: r1.hash(), height: 13, timestamp: r1.header.timestamp };
    const removed: string[] = [];
    tc.bus.on('mempool:tx:removed', (e) => removed.push(`${e.txid.toString('hex')}:${e.reason}`));
    const r2 = buildBlock(tc, { parent, tag: 'r', payTo: alice.script });
    assert.equal((await tc.chain.addBlock(r2)).status, 'reorganized');
    await new Promise((r) => setImmediate(r));
    // A conflicts with the confirmed rival → not re-admitted; C depended on A → dropped.
    assert.ok(!pool.has(a.hash()));
    assert.ok(!pool.has(c.hash()));
    assert.ok(removed.some((x) => x.startsWith(c.hash().toString('hex'))), 'C announced as removed');

    // And a plain disconnect (popblock) returns confirmed transactions to the pool.
    const d = p2pkhSpend([{ txid: cbs[1].txs[0].hash(), index: 0 }], [{ script: alice.script, value: cbs[1].txs[0].outputs[0].value - 10_000n }], alice);
    const b15 = buildBlock(tc, { txs: [d], payTo: alice.script }, 10_000n);
    assert.equal((await tc.chain.addBlock(b15)).status, 'connected');
    assert.ok(!pool.has(d.hash()));
    await tc.chain.popBlocks(tc.chain.height - 1);
    assert.ok(pool.has(d.hash()), 'disconnected tx re-admitted');
    pool.close();
    await tc.close();
  });
});
