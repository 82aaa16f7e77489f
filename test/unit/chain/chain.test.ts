import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeChain, buildBlock, mineEmpty, spendTx, removeDir, T0, type TestChain, REJECT_NONCE } from '../../helpers/chain.js';
import { regtest, blockSubsidy } from '../../../src/networks/index.js';
import { hashToHex } from '../../../src/primitives/hex.js';
import { OutPoint, Transaction, TxOutput } from '../../../src/primitives/transaction.js';
import { Attachment } from '../../../src/primitives/attachment.js';
import { lockHeightScript, Script } from '../../../src/primitives/script.js';

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));
async function fresh(): Promise<TestChain> {
  const tc = await makeChain();
  dirs.push(tc.dir);
  return tc;
}

/** Every coin in the UTXO table, as key:value hex, for byte comparison. */
function utxoSnapshot(tc: TestChain): string[] {
  return [...tc.store.allCoins()].map(({ key, value }) => key.toString('hex') + ':' + value.toString('hex'));
}

describe('chain basics', () => {
  test('genesis connects on an empty store and reopening resumes at the tip', async () => {
    let tc = await fresh();
    assert.equal(tc.chain.height, 0);
    assert.equal(hashToHex(tc.chain.tip.hash), regtest.checkpoints[0].hash);
    assert.equal(tc.store.coinCount(), 1, 'the genesis output is spendable');
    await mineEmpty(tc, 5);
    const tip = tc.chain.tip.hash;
    tc = await tc.reopen();
    assert.equal(tc.chain.height, 5);
    assert.ok(tc.chain.tip.hash.equals(tip));
    await tc.close();
  });

  test('blocks with spends connect; coins, tx index and events follow', async () => {
    const tc = await fresh();
    const connected: number[] = [];
    tc.bus.onAwait('chain:block:connected', (e) => {
      connected.push(e.height);
    });
    const blocks = await mineEmpty(tc, 12);
    const cb1 = blocks[0].txs[0];
    // Regtest coinbase maturity is 10: block 13 may spend block 1's coinbase (13 − 1 ≥ 10).
    const value = cb1.outputs[0].value;
    const tx = spendTx([{ txid: cb1.hash(), index: 0 }], [value - 10_000n]);
    const b = buildBlock(tc, { txs: [tx] }, 10_000n);
    const r = await tc.chain.addBlock(b);
    assert.equal(r.status, 'connected', r.error?.message);
    assert.equal(tc.chain.height, 13);
    assert.equal(tc.store.getCoin(new OutPoint(cb1.hash(), 0).toKey()), null, 'spent coin removed');
    assert.ok(tc.store.getCoin(new OutPoint(tx.hash(), 0).toKey()), 'new coin present');
    const found = tc.store.getTx(tx.hash());
    assert.ok(found && found.tx.hash().equals(tx.hash()));
    assert.equal(found!.location.height, 13);
    assert.deepEqual(connected, Array.from({ length: 13 }, (_, i) => i + 1));
    await tc.close();
  });

  test('intra-block spends in any order are accepted (mvs-consensus §4.6)', async () => {
    const tc = await fresh();
    const blocks = await mineEmpty(tc, 11);
    const cb = blocks[0].txs[0];
    const a = spendTx([{ txid: cb.hash(), index: 0 }], [cb.outputs[0].value - 10_000n]);
    const b = spendTx([{ txid: a.hash(), index: 0 }], [cb.outputs[0].value - 20_000n]);
    // b (spending a) placed before a.
    const r = await tc.chain.addBlock(buildBlock(tc, { txs: [b, a] }, 20_000n));
    assert.equal(r.status, 'connected', r.error?.message);
    assert.equal(tc.store.getCoin(new OutPoint(a.hash(), 0).toKey()), null, 'created and spent in the same block');
    assert.ok(tc.store.getCoin(new OutPoint(b.hash(), 0).toKey()));
    await tc.close();
  });
});

describe('block rules, each invalid case with its reason code', () => {
  const cases: { name: string; code: string; make: (tc: TestChain, ctx: { cb: Transaction }) => ReturnType<typeof buildBlock> }[] = [
    { name: 'bad merkle root', code: 'merkle_mismatch', make: (tc) => buildBlock(tc, { mutate: (b) => (b.header.merkleRoot = Buffer.alloc(32, 1)) }) },
    { name: 'no coinbase first', code: 'first_not_coinbase', make: (tc, { cb }) => {
      const blk = buildBlock(tc, { txs: [spendTx([{ txid: cb.hash(), index: 0 }], [1n])] });
      blk.txs.reverse();
      blk.header.merkleRoot = blk.computeMerkleRoot();
      blk.header.invalidate();
      return blk;
    } },
    { name: 'second coinbase after an ordinary tx', code: 'extra_coinbases', make: (tc, { cb }) => {
      const blk = buildBlock(tc, { txs: [spendTx([{ txid: cb.hash(), index: 0 }], [cb.outputs[0].value - 10_000n])] }, 10_000n);
      blk.txs.push(buildBlock(tc, { tag: 'x' }).txs[0]);
      blk.header.merkleRoot = blk.computeMerkleRoot();
      blk.header.invalidate();
      return blk;
    } },
    { name: 'duplicate transaction', code: 'duplicate', make: (tc, { cb }) => {
      const t = spendTx([{ txid: cb.hash(), index: 0 }], [cb.outputs[0].value - 10_000n]);
      const blk = buildBlock(tc, { txs: [t, t] }, 20_000n);
      return blk;
    } },
    { name: 'wrong bits', code: 'incorrect_proof_of_work', make: (tc) => buildBlock(tc, { bits: 11n }) },
    { name: 'timestamp before the parent', code: 'timestamp_too_early', make: (tc) => buildBlock(tc, { spacing: -1 }) },
    { name: 'timestamp too far ahead', code: 'futuristic_timestamp', make: (tc) => buildBlock(tc, { timestamp: T0 + 10_000_000 + 25 }) },
    { name: 'coinbase without the height prefix', code: 'coinbase_height_mismatch', make: (tc) => buildBlock(tc, { mutate: (b) => {
      b.txs[0].inputs[0].script = new Script(Buffer.from([0x01, 0x7f]));
      b.txs[0].invalidate();
      b.header.merkleRoot = b.computeMerkleRoot();
    } }) },
    { name: 'coinbase claims more than subsidy + fees', code: 'coinbase_too_large', make: (tc) => buildBlock(tc, { coinbaseValue: blockSubsidy(regtest, tc.chain.height + 1, 1) + 1n }) },
    { name: 'immature coinbase spend', code: 'coinbase_maturity', make: (tc) => {
      const last = tc.chain.getBlockAt(tc.chain.height)!.txs[0];
      return buildBlock(tc, { txs: [spendTx([{ txid: last.hash(), index: 0 }], [1n])] }, last.outputs[0].value - 1n);
    } },
    { name: 'unknown input', code: 'input_not_found', make: (tc) => buildBlock(tc, { txs: [spendTx([{ txid: Buffer.alloc(32, 7), index: 0 }], [1n])] }) },
    { name: 'double spend inside the block', code: 'double_spend', make: (tc, { cb }) => {
      const v = cb.outputs[0].value;
      const t1 = spendTx([{ txid: cb.hash(), index: 0 }], [v - 10_000n]);
      const t2 = spendTx([{ txid: cb.hash(), index: 0 }], [v - 20_000n]);
      return buildBlock(tc, { txs: [t1, t2] }, 30_000n);
    } },
    { name: 'fee below the flat minimum', code: 'fees_out_of_range', make: (tc, { cb }) =>
      buildBlock(tc, { txs: [spendTx([{ txid: cb.hash(), index: 0 }], [cb.outputs[0].value - 9_999n])] }, 9_999n) },
    { name: 'outputs exceed inputs', code: 'spend_exceeds_value', make: (tc, { cb }) =>
      buildBlock(tc, { txs: [spendTx([{ txid: cb.hash(), index: 0 }], [cb.outputs[0].value + 1n])] }) },
    { name: 'header number differs from height', code: 'header_number_mismatch', make: (tc) => buildBlock(tc, { mutate: (b) => (b.header.number += 1) }) },
    { name: 'transaction version 5', code: 'transaction_version_error', make: (tc, { cb }) =>
      buildBlock(tc, { txs: [spendTx([{ txid: cb.hash(), index: 0 }], [cb.outputs[0].value - 10_000n], 5)] }, 10_000n) },
    { name: 'non-standard output in a version-2 tx', code: 'script_not_standard', make: (tc, { cb }) => {
      // A lone OP_1 counts as standard (the "sign" patterns do, [Q]); a lone DUP does not.
      const t = spendTx([{ txid: cb.hash(), index: 0 }], [cb.outputs[0].value - 10_000n], 2);
      t.outputs[0] = new TxOutput(t.outputs[0].value, new Script(Buffer.from([0x76])), Attachment.etp(1));
      t.invalidate();
      return buildBlock(tc, { txs: [t] }, 10_000n);
    } },
    { name: 'same outpoint twice in one tx', code: 'duplicate_input', make: (tc, { cb }) =>
      buildBlock(tc, { txs: [spendTx([{ txid: cb.hash(), index: 0 }, { txid: cb.hash(), index: 0 }], [1n])] }) },
    { name: 'output above max_money', code: 'output_value_overflow', make: (tc, { cb }) =>
      buildBlock(tc, { txs: [spendTx([{ txid: cb.hash(), index: 0 }], [10n ** 16n + 1n])] }) },
    { name: 'deposit without its reward coinbase', code: 'invalid_coinage_reward_coinbase', make: (tc, { cb }) => {
      const t = spendTx([{ txid: cb.hash(), index: 0 }], [cb.outputs[0].value - 10_000n]);
      t.outputs[0] = new TxOutput(t.outputs[0].value, lockHeightScript(Buffer.alloc(20, 3), 25200), Attachment.etp(1));
      t.invalidate();
      return buildBlock(tc, { txs: [t] }, 10_000n);
    } },
    { name: 'deposit with an unlisted lock height', code: 'invalid_output_script_lock_height', make: (tc, { cb }) => {
      const t = spendTx([{ txid: cb.hash(), index: 0 }], [cb.outputs[0].value - 10_000n]);
      t.outputs[0] = new TxOutput(t.outputs[0].value, lockHeightScript(Buffer.alloc(20, 3), 25201), Attachment.etp(1));
      t.invalidate();
      return buildBlock(tc, { txs: [t] }, 10_000n);
    } },
    { name: 'spend rejected by the script checker', code: 'validate_inputs_failed', make: (tc, { cb }) => {
      const t = spendTx([{ txid: cb.hash(), index: 0 }], [cb.outputs[0].value - 10_000n]);
      t.inputs[0].script = new Script(Buffer.from([0x51]));
      t.invalidate();
      return buildBlock(tc, { txs: [t] }, 10_000n);
    } },
    { name: 'proof of work rejected', code: 'proof_of_work', make: (tc) => buildBlock(tc, { mutate: (b) => (b.header.nonce = REJECT_NONCE) }) },
  ];

  let tc: TestChain;
  let cb: Transaction;
  test('setup: a chain past coinbase maturity', async () => {
    tc = await fresh();
    const blocks = await mineEmpty(tc, 12);
    cb = blocks[0].txs[0];
  });
  for (const c of cases) {
    test(`${c.name} → ${c.code}`, async () => {
      const before = tc.chain.tip.hash;
      const blk = c.make(tc, { cb });
      const r = await tc.chain.addBlock(blk);
      assert.equal(r.status, 'invalid', `expected rejection, got ${r.status}`);
      assert.equal(r.error?.code, c.code, r.error?.message);
      assert.ok(tc.chain.tip.hash.equals(before), 'tip unchanged');
    });
  }
  test('a valid block still connects after all the rejections', async () => {
    const v = cb.outputs[0].value;
    const r = await tc.chain.addBlock(buildBlock(tc, { txs: [spendTx([{ txid: cb.hash(), index: 0 }], [v - 10_000n])] }, 10_000n));
    assert.equal(r.status, 'connected', r.error?.message);
    await tc.close();
  });
});

describe('reorganizations', () => {
  for (const depth of [1, 10, 100]) {
    test(`reorg of depth ${depth} ends with the UTXO set of the winning branch built from scratch`, async () => {
      const a = await fresh();
      const base = await mineEmpty(a, 15);
      // Main branch with spends.
      const cb = base[0].txs[0];
      const spend = spendTx([{ txid: cb.hash(), index: 0 }], [cb.outputs[0].value - 10_000n]);
      const mainBlocks = [buildBlock(a, { txs: [spend] }, 10_000n)];
      assert.equal((await a.chain.addBlock(mainBlocks[0])).status, 'connected');
      mainBlocks.push(...(await mineEmpty(a, depth - 1)));
      const forkParent = base[base.length - 1];
      // Competing branch from the fork, one block longer, spending a different coin.
      const branch: ReturnType<typeof buildBlock>[] = [];
      let parent = { hash: forkParent.hash(), height: 15, timestamp: forkParent.header.timestamp };
      const cb2 = base[1].txs[0];
      for (let i = 0; i < depth + 1; i++) {
        const txs = i === 0 ? [spendTx([{ txid: cb2.hash(), index: 0 }], [cb2.outputs[0].value - 20_000n])] : [];
        const blk = buildBlock(a, { parent, tag: 'branch', txs, spacing: 20 }, i === 0 ? 20_000n : 0n);
        // Feed the branch to chain A, storing side blocks until the branch wins.
        const r = await a.chain.addBlock(blk);
        assert.ok(['stored', 'reorganized', 'connected'].includes(r.status), `${r.status} ${r.error?.message}`);
        branch.push(blk);
        parent = { hash: blk.hash(), height: parent.height + 1, timestamp: blk.header.timestamp };
      }
      assert.ok(a.chain.tip.hash.equals(branch[branch.length - 1].hash()), 'switched to the longer branch');
      assert.equal(a.chain.height, 15 + depth + 1);

      // From scratch: genesis + base + branch only.
      const b = await fresh();
      for (const blk of [...base, ...branch]) assert.equal((await b.chain.addBlock(blk)).status, 'connected');
      assert.deepEqual(utxoSnapshot(a), utxoSnapshot(b));
      assert.ok(a.chain.tip.hash.equals(b.chain.tip.hash));
      // The main branch's spend is undone, the branch's spend applied.
      assert.ok(a.store.getCoin(new OutPoint(cb.hash(), 0).toKey()), 'undone spend restored');
      assert.equal(a.store.getCoin(new OutPoint(spend.hash(), 0).toKey()), null);
      assert.equal(a.store.getTxLocation(spend.hash()), null, 'tx index entry of the disconnected tx removed');
      await a.close();
      await b.close();
    });
  }

  test('an invalid block in a longer branch cuts it; the chain stays on the valid one', async () => {
    const a = await fresh();
    const base = await mineEmpty(a, 12);
    await mineEmpty(a, 2);
    const fork = base[base.length - 1];
    let parent = { hash: fork.hash(), height: 12, timestamp: fork.header.timestamp };
    const b1 = buildBlock(a, { parent, tag: 'b' });
    assert.equal((await a.chain.addBlock(b1)).status, 'stored');
    parent = { hash: b1.hash(), height: 13, timestamp: b1.header.timestamp };
    // b2 spends an unknown coin: invalid only when connected.
    const b2 = buildBlock(a, { parent, tag: 'b', txs: [spendTx([{ txid: Buffer.alloc(32, 9), index: 0 }], [1n])] });
    assert.equal((await a.chain.addBlock(b2)).status, 'stored');
    parent = { hash: b2.hash(), height: 14, timestamp: b2.header.timestamp };
    const b3 = buildBlock(a, { parent, tag: 'b' });
    const r = await a.chain.addBlock(b3);
    assert.equal(a.chain.height, 14);
    assert.ok(!a.chain.tip.hash.equals(b3.hash()));
    assert.ok(a.chain.getRecord(b2.hash())!.invalid, 'b2 marked invalid');
    assert.ok(a.chain.getRecord(b3.hash())!.invalid, 'its descendant marked invalid');
    assert.equal(r.status, 'invalid');
    // Retrying the invalid block is refused without revalidation.
    const again = await a.chain.addBlock(b3);
    assert.equal(again.status, 'invalid');
    await a.close();
  });

  test('blocks arriving out of order wait as orphans and connect when the parent arrives', async () => {
    const a = await fresh();
    const b = await fresh();
    const blocks = await mineEmpty(b, 5);
    for (const blk of [blocks[2], blocks[4], blocks[3], blocks[1]]) assert.equal((await a.chain.addBlock(blk)).status, 'orphan');
    assert.equal(a.chain.orphanCount(), 4);
    const r = await a.chain.addBlock(blocks[0]);
    assert.equal(r.status, 'connected');
    assert.equal(a.chain.height, 5);
    assert.equal(a.chain.orphanCount(), 0);
    await a.close();
    await b.close();
  });

  test('invalidateBlock rewinds and popBlocks disconnects', async () => {
    const a = await fresh();
    const blocks = await mineEmpty(a, 6);
    await a.chain.invalidateBlock(blocks[3].hash());
    assert.equal(a.chain.height, 3);
    assert.ok(a.chain.getRecord(blocks[5].hash())!.invalid);
    const n = await a.chain.popBlocks(1);
    assert.equal(n, 2);
    assert.equal(a.chain.height, 1);
    await a.close();
  });
});

describe('headers first', () => {
  test('headers are validated and stored before blocks; bad proof of work stops the batch', async () => {
    const src = await fresh();
    const blocks = await mineEmpty(src, 8);
    const dst = await fresh();
    const r = await dst.chain.addHeaders(blocks.map((b) => b.header));
    assert.equal(r.added.length, 8);
    assert.equal(r.error, undefined);
    assert.equal(dst.chain.bestHeader.height, 8);
    assert.equal(dst.chain.height, 0);
    for (const b of blocks) await dst.chain.addBlock(b);
    assert.equal(dst.chain.height, 8);
    // A header with rejected PoW in a batch: prefix kept, error reported.
    const more = await mineEmpty(src, 3);
    const bad = more[1].header.clone();
    bad.nonce = REJECT_NONCE;
    bad.invalidate();
    const r2 = await dst.chain.addHeaders([more[0].header, bad, more[2].header]);
    assert.equal(r2.error?.code, 'proof_of_work');
    assert.equal(r2.added.length, 1);
    const r3 = await dst.chain.addHeaders([src.chain.tip.header]);
    assert.equal(r3.error?.code, 'orphan_block', 'a header whose parent is unknown');
    await src.close();
    await dst.close();
  });
});
