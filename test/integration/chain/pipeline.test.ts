import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeChain, removeDir, spendTx, type TestChain } from '../../helpers/chain.js';
import type { AddBlockResult } from '../../../src/chain/chain.js';
import { regtest } from '../../../src/networks/index.js';
import type { Block } from '../../../src/primitives/block.js';
import { Script } from '../../../src/primitives/script.js';
import { opTrueChain, tableDigests, buildBlocks } from './spend-chain.js';

/*
 * Block connection as a pipeline (chain.ts: addBlock groups, pipeline(),
 * connectPath() with the store's commit thread) must give exactly what
 * connecting the same blocks one at a time gives: the same verdicts and the
 * same bytes in every table — for runs handed in together, for blocks
 * stored ahead by headers-first sync and connected as a path, across a
 * block that fails in the middle, with orphans, and interleaved with other
 * chain operations.
 */

const chains: TestChain[] = [];
after(() => chains.forEach((c) => removeDir(c.dir)));
async function fresh(): Promise<TestChain> {
  const tc = await makeChain();
  chains.push(tc);
  return tc;
}

/** Hand `blocks` in with up to `window` addBlock calls outstanding; the verdicts in order. */
async function feed(tc: TestChain, blocks: readonly Block[], window: number): Promise<string[]> {
  const pending: Promise<AddBlockResult>[] = [];
  const out: string[] = [];
  const take = async () => {
    const r = await pending.shift()!;
    out.push(r.error ? `${r.status}:${r.error.code}` : r.status);
  };
  for (const b of blocks) {
    pending.push(tc.chain.addBlock(b));
    if (pending.length >= window) await take();
  }
  while (pending.length > 0) await take();
  return out;
}

/** Close the store and digest its tables (`skip`: tables whose content legitimately differs). */
async function digests(tc: TestChain, skip: string[] = []): Promise<Record<string, string>> {
  await tc.close();
  const all = await tableDigests(tc.dir);
  for (const t of skip) delete all[t];
  return all;
}

let chain: Block[];

test('setup: a 150-block chain with spends', async () => {
  chain = await opTrueChain(150);
  assert.equal(chain.length, 150);
});

test('a run handed in together connects byte-identically to one block at a time', async () => {
  const one = await fresh();
  const many = await fresh();
  assert.deepEqual(await feed(one, chain, 1), chain.map(() => 'connected'));
  assert.deepEqual(await feed(many, chain, 16), chain.map(() => 'connected'));
  assert.equal(many.chain.height, 150);
  assert.deepEqual(await digests(many), await digests(one));
});

test('headers first, blocks in reverse order within chunks: stored ahead, then connected as paths', async () => {
  const one = await fresh();
  await feed(one, chain, 1);
  const hf = await fresh();
  const r = await hf.chain.addHeaders(chain.map((b) => b.header));
  assert.equal(r.added.length, 150);
  const statuses: string[] = [];
  for (let start = 0; start < chain.length; start += 25) {
    const chunk = chain.slice(start, start + 25).reverse();
    statuses.push(...(await feed(hf, chunk, 1)));
    assert.equal(hf.chain.height, start + 25, 'the chunk connected when its first block arrived');
  }
  // Per chunk: 24 blocks stored (their parent's block is missing), then the first one connects all 25.
  assert.deepEqual(statuses, chain.map((_, i) => (i % 25 === 24 ? 'connected' : 'stored')));
  // Headers first records the best header in meta; every other table is the same.
  assert.deepEqual(await digests(hf, ['meta']), await digests(one, ['meta']));
});

test('a block failing its scripts inside a run: the same verdicts and state as one at a time', async () => {
  // Block 25 spends the (mature, unspent) coinbase of block 15 with a non-empty script, which the
  // test checker refuses; 26 … 40 build on it.
  const good = chain.slice(0, 24);
  const badSpendOf = (b: Block) => {
    const t = spendTx([{ txid: b.txs[0].hash(), index: 0 }], [b.txs[0].outputs[0].value - 10_000n]);
    t.inputs[0].script = new Script(Buffer.from([0x51]));
    t.invalidate();
    return t;
  };
  const rest = await buildBlocks({
    history: [regtest.genesis.header, ...good.map((b) => b.header)],
    count: 16,
    spacing: 30,
    coinbaseScript: () => chain[0].txs[0].outputs[0].script,
    tag: 'bad branch',
    spends: (h) => (h === 25 ? { txs: [badSpendOf(good[14])], fees: 10_000n } : { txs: [], fees: 0n }),
  });
  const blocks = [...good, ...rest];
  const one = await fresh();
  const many = await fresh();
  const expected = await feed(one, blocks, 1);
  assert.deepEqual(expected.slice(0, 24), good.map(() => 'connected'));
  assert.equal(expected[24], 'invalid:validate_inputs_failed');
  assert.equal(expected[25], 'invalid:previous_block_invalid');
  assert.deepEqual(await feed(many, blocks, 16), expected);
  assert.equal(many.chain.height, 24);
  assert.equal(many.chain.orphanCount(), one.chain.orphanCount());
  assert.deepEqual(await digests(many), await digests(one));
});

test('orphans handed in first are taken into the pipeline when their parent arrives', async () => {
  const tc = await fresh();
  const first = chain.slice(0, 40);
  assert.deepEqual(await feed(tc, first.slice(1), 8), first.slice(1).map(() => 'orphan'));
  assert.equal(tc.chain.orphanCount(), 39);
  const r = await tc.chain.addBlock(first[0]);
  assert.equal(r.status, 'connected');
  assert.equal(tc.chain.height, 40, 'the verdict comes after the orphans it unlocked');
  assert.equal(tc.chain.orphanCount(), 0);
  const one = await fresh();
  await feed(one, first, 1);
  assert.deepEqual(await digests(tc), await digests(one));
});

test('other chain operations keep their place among queued blocks', async () => {
  const tc = await fresh();
  const queued = chain.slice(0, 10).map((b) => tc.chain.addBlock(b));
  const popped = tc.chain.popBlocks(5);
  const later = chain.slice(10, 12).map((b) => tc.chain.addBlock(b));
  assert.deepEqual((await Promise.all(queued)).map((r) => r.status), chain.slice(0, 10).map(() => 'connected'));
  assert.equal(await popped, 5, 'popBlocks ran after the ten blocks handed in before it');
  // Blocks 6 … 10 are still stored: block 11 brings them back as one path.
  assert.deepEqual((await Promise.all(later)).map((r) => r.status), ['connected', 'connected']);
  assert.equal(tc.chain.height, 12);
  const one = await fresh();
  await feed(one, chain.slice(0, 12), 1);
  assert.deepEqual(await digests(tc, ['meta']), await digests(one, ['meta']));
});
