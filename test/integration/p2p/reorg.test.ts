import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNode, waitFor } from './helpers.js';
import { mineEmpty } from '../../helpers/chain.js';

test('split network: A|B and C mine competing branches; after rejoining all converge on the longer (C)', async (t) => {
  const a = await startNode({ blocks: 20 });
  t.after(() => a.stop());
  const b = await startNode({ p2p: { connect: [a.address] } });
  t.after(() => b.stop());
  const c = await startNode({ p2p: { addnode: [a.address] } });
  t.after(() => c.stop());
  const common = a.tc.chain.tip.hash;
  await waitFor(() => b.tc.chain.tip.hash.equals(common) && c.tc.chain.tip.hash.equals(common), 10_000, 'everyone on the common chain');

  // Split: C forgets A (and A has no way to call C).
  assert.equal(c.p2p.addNode(a.address, 'remove'), true);
  await waitFor(() => c.p2p.connectionCount() === 0 && a.p2p.connectionCount() === 1, 5000, 'C cut off');

  await mineEmpty(a.tc, 5, { tag: 'AB' });
  await mineEmpty(c.tc, 8, { tag: 'C' });
  const abTip = a.tc.chain.tip.hash;
  await waitFor(() => b.tc.chain.tip.hash.equals(abTip), 10_000, 'B to follow A on the A|B side');
  assert.equal(b.tc.chain.height, 25);
  assert.equal(c.tc.chain.height, 28);
  const cTip = c.tc.chain.tip.hash;
  assert.ok(!cTip.equals(abTip));

  let reorgs = 0;
  a.tc.bus.on('chain:reorganized', () => reorgs++);
  // Rejoin.
  c.p2p.addNode(a.address, 'add');
  await waitFor(
    () => a.tc.chain.tip.hash.equals(cTip) && b.tc.chain.tip.hash.equals(cTip),
    15_000,
    "A and B to reorganize onto C's branch",
  );
  assert.equal(a.tc.chain.height, 28);
  assert.equal(b.tc.chain.height, 28);
  assert.equal(reorgs, 1);
  // The A|B branch is gone from the main chain everywhere.
  for (const n of [a, b, c]) assert.equal(n.tc.chain.getRecordAt(21)!.hash.equals(c.tc.chain.getRecordAt(21)!.hash), true);
});
