import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNode, waitFor } from './helpers.js';
import { mineEmpty, buildBlock } from '../../helpers/chain.js';
import { hashToHex } from '../../../src/primitives/hex.js';

test('two empty nodes sync a 200-block chain from a third over 127.0.0.1', async (t) => {
  const a = await startNode({ blocks: 200 });
  t.after(() => a.stop());
  const synced: string[] = [];
  const b = await startNode({ p2p: { connect: [a.address] } });
  t.after(() => b.stop());
  b.tc.bus.on('sync:synced', (e) => synced.push(hashToHex(e.hash)));
  const c = await startNode({ p2p: { connect: [a.address] } });
  t.after(() => c.stop());
  const progress: number[] = [];
  c.tc.bus.on('sync:progress', (e) => progress.push(e.height));

  const tip = a.tc.chain.tip.hash;
  await waitFor(() => b.tc.chain.tip.hash.equals(tip) && c.tc.chain.tip.hash.equals(tip), 20_000, 'B and C to reach A\'s tip');
  assert.equal(b.tc.chain.height, 200);
  assert.equal(c.tc.chain.height, 200);
  await waitFor(() => b.p2p.isSynced() && c.p2p.isSynced(), 5000, 'sync:synced');
  assert.equal(synced.at(-1), hashToHex(tip));
  // A saw both as inbound peers; each of them has A as its only peer.
  assert.equal(a.p2p.connectionCount(), 2);
  assert.equal(b.p2p.peers().length, 1);
  assert.equal(b.p2p.peers()[0].inbound, false);

  // A new block on A reaches both (announced with headers, or found by polling).
  await mineEmpty(a.tc, 1);
  const next = a.tc.chain.tip.hash;
  await waitFor(() => b.tc.chain.tip.hash.equals(next) && c.tc.chain.tip.hash.equals(next), 10_000, 'the new block to propagate');
  void buildBlock;
  void progress;
});

test('a small headers lead pauses header download until blocks catch up, and sync still completes', async (t) => {
  const a = await startNode({ blocks: 400 });
  t.after(() => a.stop());
  const b = await startNode({ p2p: { connect: [a.address], sync: { headersLead: 40, windowSize: 16 } } });
  t.after(() => b.stop());
  let maxLead = 0;
  b.tc.bus.on('chain:header', (e) => (maxLead = Math.max(maxLead, e.height - b.tc.chain.height)));
  await waitFor(() => b.tc.chain.tip.hash.equals(a.tc.chain.tip.hash), 20_000, 'B to sync with a 40-header lead');
  assert.ok(maxLead <= 40 + 10, `headers ran ${maxLead} ahead of the tip`);
});

test('blocks are downloaded from several peers in parallel', async (t) => {
  const a1 = await startNode({ blocks: 600 });
  t.after(() => a1.stop());
  const a2 = await startNode({ p2p: { connect: [a1.address] } });
  t.after(() => a2.stop());
  const tip = a1.tc.chain.tip.hash;
  await waitFor(() => a2.tc.chain.tip.hash.equals(tip), 20_000, 'the second source to have the chain');
  const n = await startNode({ p2p: { connect: [a1.address, a2.address] } });
  t.after(() => n.stop());
  await waitFor(() => n.tc.chain.tip.hash.equals(tip), 20_000, 'N to sync from both');
  // Each source sent N a good share of the ~600 blocks (≈ 200 bytes each): count what N received from each.
  const received = new Map(n.p2p.peers().map((p) => [p.address, p.bytesReceived]));
  const s1 = received.get(a1.address) ?? 0;
  const s2 = received.get(a2.address) ?? 0;
  t.diagnostic(`bytes received from each source: ${s1} and ${s2}`);
  assert.ok(s1 > 20_000 && s2 > 20_000, `both peers served blocks (${s1}, ${s2})`);
});

test("one peer's blocks reach the chain without waiting for each verdict, a bounded number at a time", async (t) => {
  const a = await startNode({ blocks: 300 });
  t.after(() => a.stop());
  const b = await startNode({ p2p: { connect: [a.address] } });
  t.after(() => b.stop());
  // Blocks come after headers, so this wrapper is in place before the first one.
  const chain = b.tc.chain;
  const addBlock = chain.addBlock.bind(chain);
  let pending = 0;
  let maxPending = 0;
  chain.addBlock = async (...args: Parameters<typeof addBlock>) => {
    maxPending = Math.max(maxPending, ++pending);
    try {
      return await addBlock(...args);
    } finally {
      pending--;
    }
  };
  await waitFor(() => chain.tip.hash.equals(a.tc.chain.tip.hash), 20_000, 'B to sync from its one peer');
  assert.equal(chain.height, 300);
  // Waiting for each verdict would keep this at 1: the chain could never pipeline one peer's blocks.
  assert.ok(maxPending > 1, `at most ${maxPending} block(s) handed in at once`);
  // The peer's message queue waits once more than 8 of its blocks are waiting (sync.ts MAX_QUEUED_BLOCKS).
  assert.ok(maxPending <= 9, `${maxPending} blocks of one peer held at once`);
});
