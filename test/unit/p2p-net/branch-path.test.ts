import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BranchPath } from '../../../src/p2p/branch-path.js';
import { makeChain, mineEmpty, buildBlock, removeDir, type TestChain } from '../../helpers/chain.js';
import type { BlockHeader } from '../../../src/primitives/header.js';

/** Headers of a branch of `n` blocks on `parentHash` (not stored), built with a scratch chain that mines them. */
async function branchHeaders(tc: TestChain, parentHeight: number, n: number, tag: string): Promise<BlockHeader[]> {
  const out: BlockHeader[] = [];
  let parent = tc.chain.getRecordAt(parentHeight)!;
  for (let i = 0; i < n; i++) {
    const b = buildBlock(tc, { parent: { hash: parent.hash, height: parent.height, timestamp: parent.header.timestamp }, tag: `${tag}${i}` });
    const r = await tc.chain.addHeaders([b.header]);
    assert.equal(r.error, undefined, r.error?.message);
    out.push(b.header);
    parent = tc.chain.getRecord(b.hash())!;
  }
  return out;
}

test('branch path: grows with headers, forks inside itself, advances with the tip', async (t) => {
  const tc = await makeChain();
  t.after(async () => {
    await tc.close();
    removeDir(tc.dir);
  });
  await mineEmpty(tc, 5);
  const chain = tc.chain;
  const path = new BranchPath(chain.tip.height, chain.tip.hash);
  assert.equal(path.length, 0);
  assert.ok(path.lastHash.equals(chain.tip.hash));

  const branch = await branchHeaders(tc, 5, 20, 'a');
  const rec = (h: BlockHeader) => chain.getRecord(h.hash())!;
  assert.equal(path.retarget(chain, rec(branch[9])), false, 'grew');
  assert.equal(path.endHeight, 15);
  assert.equal(path.retarget(chain, rec(branch[19])), false, 'grew again');
  assert.equal(path.endHeight, 25);
  for (let i = 0; i < 20; i++) assert.ok(path.hashAt(6 + i)!.equals(branch[i].hash()));
  assert.equal(path.hashAt(26), null);
  assert.ok(path.hashAt(5)!.equals(chain.tip.hash));
  assert.equal(path.contains(rec(branch[3])), true);

  // A competing branch forking at height 12 (inside the path) with more blocks.
  const fork = [];
  let parent = rec(branch[6]); // height 12
  for (let i = 0; i < 16; i++) {
    const b = buildBlock(tc, { parent: { hash: parent.hash, height: parent.height, timestamp: parent.header.timestamp }, tag: `b${i}` });
    await chain.addHeaders([b.header]);
    fork.push(b.header);
    parent = rec(b.header);
  }
  assert.equal(path.retarget(chain, rec(fork[15])), true, 'heights above 12 replaced');
  assert.equal(path.endHeight, 28);
  assert.ok(path.hashAt(12)!.equals(branch[6].hash()));
  assert.ok(path.hashAt(13)!.equals(fork[0].hash()));

  // The tip moves up along the path (blocks connected): the start follows, hashes above stay.
  path.advanceStart(12);
  assert.equal(path.startHeight, 12);
  assert.equal(path.length, 16);
  assert.ok(path.hashAt(13)!.equals(fork[0].hash()));
  assert.equal(path.hashAt(11), null);

  // A target on a branch off the main chain below the path start: a fresh path from the main chain.
  const side = await branchHeaders(tc, 3, 40, 'c');
  assert.equal(path.retarget(chain, rec(side[39])), true);
  assert.equal(path.startHeight, 3);
  assert.equal(path.endHeight, 43);
});
