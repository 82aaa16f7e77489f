import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNode, waitFor } from './helpers.js';
import { Transaction, TxInput, TxOutput, OutPoint } from '../../../src/primitives/transaction.js';
import { Script, p2pkhScript } from '../../../src/primitives/script.js';
import { Attachment } from '../../../src/primitives/attachment.js';
import { MIN_TX_FEE } from '../../../src/consensus/tx.js';

test('a transaction added to one mempool reaches the others through a chain of peers', async (t) => {
  // Line topology A — B — C: relay has to go through B.
  const a = await startNode({ blocks: 20 });
  t.after(() => a.stop());
  const b = await startNode({ p2p: { connect: [a.address] } });
  t.after(() => b.stop());
  const c = await startNode({ p2p: { connect: [b.address] } });
  t.after(() => c.stop());
  const tip = a.tc.chain.tip.hash;
  await waitFor(() => c.tc.chain.tip.hash.equals(tip) && b.p2p.isSynced() && c.p2p.isSynced() && a.p2p.isSynced(), 15_000, 'all synced');

  // Spend the (mature) coinbase of block 1 to a standard pay-to-key-hash output.
  const coinbase = a.tc.chain.getBlockAt(1)!.txs[0];
  const value = coinbase.outputs[0].value - MIN_TX_FEE;
  const tx = new Transaction(1, [new TxInput(new OutPoint(coinbase.hash(), 0), new Script(), 0xffffffff)], [new TxOutput(value, p2pkhScript(Buffer.alloc(20, 7)), Attachment.etp(1))], 0);
  await c.mempool.add(tx);
  const txid = tx.hash();
  await waitFor(() => b.mempool.has(txid) && a.mempool.has(txid), 10_000, 'the transaction in B and A');
  assert.equal(a.mempool.size, 1);
  assert.equal(b.mempool.size, 1);

  // A node that connects later gets the pool through `mempool` once it is synced.
  const d = await startNode({ p2p: { connect: [a.address] } });
  t.after(() => d.stop());
  await waitFor(() => d.mempool.has(txid), 15_000, 'the late node to fetch the pool');
});
