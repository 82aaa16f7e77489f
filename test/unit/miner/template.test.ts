import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { makeChain, buildBlock, removeDir, type TestChain } from '../../helpers/chain.js';
import { testKey, p2pkhSpend, type TestKey } from '../../helpers/signing.js';
import { PooledScriptVerifier } from '../../../src/chain/script-checker.js';
import { Mempool } from '../../../src/mempool/mempool.js';
import { buildTemplate, TEMPLATE_MAX_SIZE, type TemplateOptions } from '../../../src/miner/template.js';
import { blockSubsidy, depositReward } from '../../../src/networks/index.js';
import { requiredBits } from '../../../src/consensus/difficulty.js';
import { legacySigops } from '../../../src/consensus/block.js';
import { encodeScriptNum, lockHeightScript, type Script } from '../../../src/primitives/script.js';
import { MAX_BLOCK_SIZE } from '../../../src/primitives/block.js';
import type { Transaction } from '../../../src/primitives/transaction.js';

/*
 * Block templates (mvs-consensus §7.1) on a regtest chain whose PoW is not
 * checked (TestPow) but whose scripts are: every pool transaction is a real
 * signed spend, and each template that should be valid is connected to prove it.
 */

const scripts = new PooledScriptVerifier({ workers: 1 });
let tc: TestChain;
const alice: TestKey = testKey('template alice');
const bob: TestKey = testKey('template bob');
/** Coinbases paying alice, in height order; `nextCoin` hands out each once. */
const coinbases: Transaction[] = [];
let used = 0;

before(async () => {
  tc = await makeChain({ scripts });
  for (let i = 0; i < 40; i++) await connect(buildBlock(tc, { payTo: alice.script }));
});
after(async () => {
  await tc.close();
  removeDir(tc.dir);
  await scripts.close();
});

async function connect(block: ReturnType<typeof buildBlock>): Promise<void> {
  const r = await tc.chain.addBlock(block);
  assert.equal(r.status, 'connected', `block not connected: ${r.error?.code} ${r.error?.message}`);
  coinbases.push(block.txs[0]);
}

/** The next mature coinbase of alice nobody has spent yet. */
function nextCoin(): Transaction {
  const cb = coinbases[used++];
  assert.ok(cb && tc.chain.height - (used) >= tc.network.coinbaseMaturity, 'test ran out of mature coinbases');
  return cb;
}

/** A signed spend of one fresh coinbase: `outputs` equal outputs to bob, the rest minus `fee` as change. */
function spendCoinbase(fee: bigint, outputs = 1, extra: { script: Script; value: bigint }[] = []): Transaction {
  const cb = nextCoin();
  const value = cb.outputs[0].value;
  const pays = Array.from({ length: outputs }, () => ({ script: bob.script, value: 1_000_000n }));
  const spent = pays.reduce((s, o) => s + o.value, 0n) + extra.reduce((s, o) => s + o.value, 0n);
  return p2pkhSpend([{ txid: cb.hash(), index: 0 }], [...extra, ...pays, { script: alice.script, value: value - spent - fee }], alice);
}

/** A signed spend of output `index` of `parent` (owned by alice) back to alice, paying `fee`. */
function spendOutput(parent: Transaction, index: number, fee: bigint): Transaction {
  return p2pkhSpend([{ txid: parent.hash(), index }], [{ script: alice.script, value: parent.outputs[index].value - fee }], alice);
}

function freshPool(t: TestContext): Mempool {
  const pool = new Mempool({ chain: tc.chain, network: tc.network, bus: tc.bus, scripts });
  t.after(() => pool.close());
  return pool;
}

function template(pool: Mempool | undefined, extra: Partial<TemplateOptions> = {}) {
  return buildTemplate({ chain: tc.chain, mempool: pool, network: tc.network, payTo: alice.script, now: () => tc.chain.tip.header.timestamp + 30, ...extra });
}

const ids = (txs: readonly Transaction[]) => txs.map((t) => t.txid());

describe('block template', () => {
  test('an empty pool gives a coinbase-only block on the tip that pays the subsidy', async (t) => {
    const tip = tc.chain.tip;
    const now = tip.header.timestamp + 45;
    const tpl = template(freshPool(t), { now: () => now });
    const { header } = tpl.block;
    assert.equal(tpl.height, tip.height + 1);
    assert.equal(header.number, tip.height + 1);
    assert.equal(header.version, 1);
    assert.ok(header.prevHash.equals(tip.hash));
    assert.ok(tpl.prevHash.equals(tip.hash));
    assert.equal(header.timestamp, now);
    assert.equal(header.nonce, 0n);
    const lookup = (h: number) => tc.chain.getRecordAt(h)?.header ?? null;
    assert.equal(header.bits, requiredBits(tc.network, tpl.height, { version: 1, timestamp: now, bits: 0n, number: tpl.height }, lookup));
    assert.equal(tpl.txCount, 1);
    assert.equal(tpl.fees, 0n);
    const [coinbase] = tpl.block.txs;
    assert.ok(coinbase.isCoinbase());
    assert.equal(coinbase.version, 1);
    assert.equal(coinbase.inputs[0].sequence, 0);
    const heightPush = encodeScriptNum(tpl.height);
    assert.ok(coinbase.inputs[0].script.raw.equals(Buffer.concat([Buffer.from([heightPush.length]), heightPush])), 'coinbase script is the height push alone');
    assert.equal(coinbase.outputs.length, 1);
    assert.ok(coinbase.outputs[0].script.raw.equals(alice.script.raw));
    assert.equal(coinbase.outputs[0].value, blockSubsidy(tc.network, tpl.height, 1));
    await connect(tpl.block);
  });

  test('the timestamp is the clock, but never below the parent’s', async (t) => {
    const parentTime = tc.chain.tip.header.timestamp;
    const behind = template(freshPool(t), { now: () => parentTime - 600 });
    assert.equal(behind.block.header.timestamp, parentTime);
    await connect(behind.block); // a block at the parent's timestamp is valid
    const ahead = template(freshPool(t), { now: () => parentTime + 100 });
    assert.equal(ahead.block.header.timestamp, parentTime + 100);
  });

  test('the coinbase pays subsidy + the fees of the included transactions', async (t) => {
    const pool = freshPool(t);
    const fees = [10_000n, 25_000n, 47_000n];
    const txs = fees.map((f) => spendCoinbase(f));
    for (const tx of txs) await pool.add(tx);
    const tpl = template(pool);
    assert.deepEqual(new Set(ids(tpl.block.txs.slice(1))), new Set(ids(txs)));
    assert.equal(tpl.fees, 82_000n);
    assert.equal(tpl.block.txs[0].outputs[0].value, blockSubsidy(tc.network, tpl.height, 1) + 82_000n);
    await connect(tpl.block);
    assert.equal(pool.size, 0, 'mined transactions leave the pool');
  });

  test('parents come before children; otherwise higher fee rate first', async (t) => {
    const pool = freshPool(t);
    const parent = spendCoinbase(10_000n);
    const child = spendOutput(parent, 1, 90_000n);
    const grandchild = spendOutput(child, 0, 200_000n);
    const independent = spendCoinbase(50_000n);
    const richer = spendCoinbase(70_000n);
    // Arrival order scrambled on purpose (the child needs its parent in the pool first).
    for (const tx of [independent, parent, child, grandchild, richer]) await pool.add(tx);
    const rate = (tx: Transaction) => pool.get(tx.hash())!.feeRate;
    assert.ok(rate(grandchild) > rate(child) && rate(child) > rate(richer), 'a fee-rate-only order would put the descendants first');
    const tpl = template(pool);
    assert.deepEqual(ids(tpl.block.txs.slice(1)), ids([richer, independent, parent, child, grandchild]));
    await connect(tpl.block);
  });

  test('the size budget: best fee rates that fit, and never a child of a transaction left out', async (t) => {
    const pool = freshPool(t);
    const best = spendCoinbase(60_000n);
    const second = spendCoinbase(40_000n);
    const third = spendCoinbase(20_000n);
    // A large parent (fee rate below `third`) whose small child pays the most of all.
    const big = spendCoinbase(25_000n, 30);
    const child = spendOutput(big, big.outputs.length - 1, 300_000n);
    for (const tx of [best, second, third, big, child]) await pool.add(tx);
    assert.ok(big.size() > 3 * best.size(), 'the parent is the largest');

    const base = template(undefined).block.toRaw().length + 8; // the budget counts a 9-byte tx count
    // Room for best, second and the child — but the child cannot come without its parent, which
    // does not fit, and the third-best (one output more than the child) does not fit after two.
    const room = best.size() + second.size() + child.size() + 10;
    assert.ok(third.size() >= child.size() + 10);
    const tpl = template(pool, { maxSize: base + room });
    assert.deepEqual(ids(tpl.block.txs.slice(1)), ids([best, second]));
    assert.ok(tpl.block.toRaw().length < base + room);
    assert.equal(tpl.fees, 100_000n);

    // With the whole block allowed everything fits, the parent before its child.
    const all = template(pool, { maxSize: MAX_BLOCK_SIZE });
    const order = ids(all.block.txs.slice(1));
    assert.equal(order.length, 5);
    assert.ok(order.indexOf(big.txid()) < order.indexOf(child.txid()));
    assert.equal(TEMPLATE_MAX_SIZE, MAX_BLOCK_SIZE / 2, 'the default budget is the reference miner’s half block');
  });

  test('the sigop budget: a transaction that would reach it is left out', async (t) => {
    const pool = freshPool(t);
    // Each P2PKH output is one legacy sigop; the coinbase has one too.
    const heavy = spendCoinbase(90_000n, 5); // 6 sigops, best fee rate
    const light = spendCoinbase(30_000n, 1); // 2 sigops
    const lighter = spendCoinbase(20_000n, 1); // 2 sigops
    for (const tx of [heavy, light, lighter]) await pool.add(tx);
    assert.deepEqual([heavy, light, lighter].map((tx) => pool.get(tx.hash())!.sigops), [6, 2, 2]);
    const coinbaseSigops = legacySigops(template(undefined).block.txs[0]);
    assert.equal(coinbaseSigops, 1);
    // 1 + 2 + 2 = 5 < 6: the two light ones fit; heavy would make 7 ≥ 6.
    const tpl = template(pool, { maxSigops: 6 });
    assert.deepEqual(ids(tpl.block.txs.slice(1)), ids([light, lighter]));
    // Budget 7: heavy (1 + 6 = 7) reaches it too — the bound is strict, as the reference's.
    assert.deepEqual(ids(template(pool, { maxSigops: 7 }).block.txs.slice(1)), ids([light, lighter]));
    assert.deepEqual(ids(template(pool, { maxSigops: 8 }).block.txs.slice(1)), ids([heavy]));
    const full = template(pool);
    assert.equal(full.txCount, 4);
    await connect(full.block);
  });

  test('each deposit output gets its reward coinbase right after the coinbase, in output order', async (t) => {
    const pool = freshPool(t);
    const [lockA, lockB] = tc.network.lockHeights;
    const deposits = [
      { script: lockHeightScript(alice.hash, lockA), value: 200_000_000n },
      { script: lockHeightScript(bob.hash, lockB), value: 50_000_000n },
    ];
    const depositing = spendCoinbase(10_000n, 0, deposits);
    const plain = spendCoinbase(80_000n);
    await pool.add(plain);
    await pool.add(depositing);
    const tpl = template(pool);
    const txs = tpl.block.txs;
    assert.equal(txs.length, 5, 'coinbase, two reward coinbases, two transactions');
    for (const [i, d] of deposits.entries()) {
      const reward = txs[1 + i];
      assert.ok(reward.isCoinbase(), `tx ${1 + i} is a reward coinbase`);
      assert.equal(reward.outputs.length, 1);
      assert.ok(reward.outputs[0].script.raw.equals(d.script.raw), 'paid to the deposit’s own address and lock');
      assert.equal(reward.outputs[0].value, depositReward(tc.network, i === 0 ? lockA : lockB, d.value));
      assert.ok(reward.outputs[0].value > 0n);
    }
    assert.deepEqual(ids(txs.slice(3)), ids([plain, depositing]));
    assert.equal(txs[0].outputs[0].value, blockSubsidy(tc.network, tpl.height, 1) + 90_000n, 'rewards are not fees');
    await connect(tpl.block);
  });

  test('two identical deposits cannot share a block (their reward coinbases would share a txid)', async (t) => {
    const pool = freshPool(t);
    const lock = tc.network.lockHeights[0];
    const deposit = () => spendCoinbase(10_000n, 0, [{ script: lockHeightScript(alice.hash, lock), value: 100_000_000n }]);
    const first = deposit();
    const second = deposit();
    await pool.add(first);
    await pool.add(second);
    const one = template(pool);
    assert.equal(one.txCount, 3, 'coinbase, one reward coinbase, one deposit');
    await connect(one.block);
    const next = template(pool);
    assert.equal(next.txCount, 3, 'the other deposit follows in the next block');
    assert.notDeepEqual(ids(one.block.txs.slice(2)), ids(next.block.txs.slice(2)));
    await connect(next.block);
    assert.equal(pool.size, 0);
  });

  test('the same pool and clock give the same template; an extra nonce changes only the coinbase', async (t) => {
    const pool = freshPool(t);
    for (const f of [11_000n, 12_000n, 13_000n]) await pool.add(spendCoinbase(f));
    const a = template(pool);
    const b = template(pool);
    assert.equal(a.block.hashHex(), b.block.hashHex());
    const c = template(pool, { extraNonce: Buffer.from('x1') });
    assert.notEqual(c.block.hashHex(), a.block.hashHex());
    assert.deepEqual(ids(c.block.txs.slice(1)), ids(a.block.txs.slice(1)));
    assert.equal(c.block.txs[0].outputs[0].value, a.block.txs[0].outputs[0].value);
    await connect(c.block);
  });
});
