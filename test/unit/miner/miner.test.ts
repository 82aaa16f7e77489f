import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeChain, buildBlock, removeDir, T0, type TestChain } from '../../helpers/chain.js';
import { testKey, p2pkhSpend } from '../../helpers/signing.js';
import { sharedEthash } from '../../helpers/ethash-cache.js';
import { PooledScriptVerifier } from '../../../src/chain/script-checker.js';
import { Mempool } from '../../../src/mempool/mempool.js';
import { Miner, MinerError } from '../../../src/miner/miner.js';
import { Ethash, boundaryBytes, sealHash, seedHash } from '../../../src/consensus/ethash/index.js';
import { scriptAddress } from '../../../src/primitives/address.js';
import type { Transaction } from '../../../src/primitives/transaction.js';

/*
 * The CPU miner and the getwork package lifecycle (mvs-consensus §7.2–7.3,
 * mvs-rpc §3) on a regtest chain whose blocks are checked with real Ethash
 * (light verification of every header): a package only turns into a block
 * when its solution is a real seal.
 */

const scripts = new PooledScriptVerifier({ workers: 1 });
let ethash: Ethash;
let tc: TestChain;
let pool: Mempool;
let miner: Miner;
/** The miner's clock (seconds); getwork refreshes packages by it. */
let clock = T0 + 1_000;
const alice = testKey('miner alice');
let aliceAddress: string;
const spendable: Transaction[] = [];

before(async () => {
  ethash = await sharedEthash({ threads: 1 });
  tc = await makeChain({ scripts, pow: { verifyHeaders: (hs) => ethash.verifyHeaders(hs) } });
  pool = new Mempool({ chain: tc.chain, network: tc.network, bus: tc.bus, scripts });
  miner = new Miner({ chain: tc.chain, mempool: pool, network: tc.network, ethash, bus: tc.bus, threads: 1, now: () => clock });
  aliceAddress = scriptAddress(alice.script, tc.network.address)!.toString();
});
after(async () => {
  await miner.close();
  pool.close();
  await tc.close();
  removeDir(tc.dir);
  await ethash.close();
  await scripts.close();
});

const HEX32 = /^0x[0-9a-f]{64}$/;
const bytes = (hex: string) => Buffer.from(hex.slice(2), 'hex');

/** A real Ethash solution of a package (light search from `start`). */
async function solve(work: readonly string[], start = 0n): Promise<{ nonce: bigint; mix: Buffer }> {
  const r = await ethash.search({ sealHash: bytes(work[0]), boundary: bytes(work[2]), epoch: 0, startNonce: start, mode: 'light', threads: 1 });
  assert.ok(r.found, 'search found a nonce');
  return { nonce: r.nonce, mix: r.mixHash };
}

/** A signed spend of one of alice's mature coinbases, paying `fee`. */
function spendOne(fee = 10_000n): Transaction {
  const cb = spendable.shift();
  assert.ok(cb, 'ran out of mature coinbases');
  return p2pkhSpend([{ txid: cb.hash(), index: 0 }], [{ script: alice.script, value: cb.outputs[0].value - fee }], alice);
}

describe('CPU miner', () => {
  test('generate mines blocks with real seals, paying the address', async () => {
    const start = tc.chain.height;
    const blocks = await miner.generate(40, aliceAddress);
    assert.equal(blocks.length, 40);
    assert.equal(tc.chain.height, start + 40);
    for (const [i, b] of blocks.entries()) {
      assert.equal(b.header.number, start + 1 + i);
      assert.ok(tc.chain.getRecordAt(start + 1 + i)!.hash.equals(b.hash()), 'each block is on the main chain');
      assert.ok(b.txs[0].outputs[0].script.raw.equals(alice.script.raw));
      const [check] = await ethash.verifyHeaders([b.header]);
      assert.deepEqual(check, { ok: true });
    }
    // Coinbases 1..30 are mature for the next block at height 41 (maturity 10).
    spendable.push(...blocks.slice(0, 30).map((b) => b.txs[0]));
  });

  test('generate rejects an address of another network or garbage', async () => {
    await assert.rejects(miner.generate(1, 'tPd41bKLJGf1C5RRvaiV2mytqZB6WfM1vR'), (e: unknown) => e instanceof MinerError && e.code === 'BAD_ADDRESS');
    await assert.rejects(miner.generate(1, 'nonsense'), (e: unknown) => e instanceof MinerError && e.code === 'BAD_ADDRESS');
  });

  test('start mines until stopped; stop ends the search promptly; a block count stops it by itself', async () => {
    const start = tc.chain.height;
    await miner.start(aliceAddress, 0);
    assert.equal(miner.isMining(), true);
    await assert.rejects(miner.start(aliceAddress, 0), (e: unknown) => e instanceof MinerError && e.code === 'ALREADY_MINING');
    const until = Date.now() + 60_000;
    while (tc.chain.height < start + 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.ok(tc.chain.height >= start + 3, 'mined while running');
    assert.ok(miner.hashRate() > 0, 'reports a hash rate while mining');
    assert.equal(miner.paymentAddress(), aliceAddress);
    await miner.stop();
    assert.equal(miner.isMining(), false);
    assert.equal(miner.hashRate(), 0);
    const stoppedAt = tc.chain.height;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(tc.chain.height, stoppedAt, 'no block after stop() resolved');

    await miner.start(aliceAddress, 2);
    const until2 = Date.now() + 60_000;
    while (miner.isMining() && Date.now() < until2) await new Promise((r) => setTimeout(r, 20));
    assert.equal(miner.isMining(), false, 'stopped by itself');
    assert.equal(tc.chain.height, stoppedAt + 2);
    await miner.stop(); // stopping an idle miner is a no-op
  });
});

describe('getwork packages', () => {
  test('the fixture chain checks seals: an unsealed block is refused', async () => {
    const r = await tc.chain.addBlock(buildBlock(tc, { payTo: alice.script }));
    assert.equal(r.status, 'invalid');
  });

  test('no package without a payout address; a bad address is refused', async () => {
    const fresh = new Miner({ chain: tc.chain, network: tc.network, ethash, bus: tc.bus });
    try {
      await assert.rejects(fresh.getWork(), (e: unknown) => e instanceof MinerError && e.code === 'NO_ADDRESS' && /setminingaccount/.test(e.message));
      assert.throws(() => fresh.setPaymentAddress('MxNotAnAddress'), (e: unknown) => e instanceof MinerError && e.code === 'BAD_ADDRESS');
      assert.equal(fresh.paymentAddress(), null);
    } finally {
      await fresh.close();
    }
  });

  test('a package is [seal hash, seed hash, boundary]; its solution becomes the next block', async () => {
    miner.setPaymentAddress(aliceAddress);
    const work = await miner.getWork();
    assert.equal(work.length, 3);
    for (const w of work) assert.match(w, HEX32);
    assert.equal(work[1], '0x' + seedHash(0).toString('hex'));
    assert.equal(work[1], '0x' + '00'.repeat(32), 'epoch 0 seed');
    assert.equal(work[2], '0x' + boundaryBytes(10n).toString('hex'));
    assert.deepEqual(await miner.getWork(), work, 'the same package while nothing changes');

    const tipBefore = tc.chain.tip;
    const { nonce, mix } = await solve(work);
    assert.equal(await miner.submitWork(nonce, work[0], mix), true);
    const tip = tc.chain.tip;
    assert.equal(tip.height, tipBefore.height + 1);
    assert.ok(tip.header.prevHash.equals(tipBefore.hash));
    assert.equal('0x' + sealHash(tip.header).toString('hex'), work[0], 'the block is the package');
    assert.equal(tip.header.nonce, nonce);
    assert.ok(tip.header.mixHash.equals(mix));
    assert.equal(await miner.submitWork(nonce, work[0], mix), false, 'a package is used up by its block');
  });

  test('several packages stay valid until the tip moves; then all are stale', async () => {
    const a = await miner.getWork();
    const tx = spendOne();
    await pool.add(tx);
    assert.deepEqual(await miner.getWork(), a, 'a pool change alone does not replace a fresh package');
    clock += 10;
    const b = await miner.getWork();
    assert.notEqual(b[0], a[0], 'a newer package once the pool changed and 10 s passed');
    assert.deepEqual(await miner.getWork(), b);

    const solA = await solve(a);
    const solB = await solve(b);
    assert.equal(await miner.submitWork(solA.nonce, a[0], solA.mix), true, 'the older package is still good');
    const mined = tc.chain.tip;
    assert.equal(await miner.submitWork(solB.nonce, b[0], solB.mix), false, 'the newer one is stale now');
    assert.ok(tc.chain.tip.hash.equals(mined.hash));
    assert.ok(pool.has(tx.hash()), 'package A was built before the transaction');

    const c = await miner.getWork();
    assert.ok(c[0] !== a[0] && c[0] !== b[0]);
    const solC = await solve(c);
    assert.equal(await miner.submitWork(solC.nonce, c[0], solC.mix), true);
    assert.ok(!pool.has(tx.hash()), 'the new tip’s package carried the transaction');
  });

  test('a block from elsewhere invalidates every package', async () => {
    const work = await miner.getWork();
    const sol = await solve(work);
    await miner.generate(1, aliceAddress); // any tip change: here the CPU miner's own block
    assert.equal(await miner.submitWork(sol.nonce, work[0], sol.mix), false);
    const next = await miner.getWork();
    assert.notEqual(next[0], work[0]);
  });

  test('at most 16 packages are kept: the oldest goes first', async () => {
    const packages: string[][] = [];
    for (let i = 0; i < 17; i++) {
      if (i > 0) {
        await pool.add(spendOne());
        clock += 10;
      }
      packages.push(await miner.getWork());
    }
    assert.equal(new Set(packages.map((p) => p[0])).size, 17);
    const oldest = await solve(packages[0]);
    assert.equal(await miner.submitWork(oldest.nonce, packages[0][0], oldest.mix), false, 'the 17th package pushed the first out');
    const second = await solve(packages[1]);
    assert.equal(await miner.submitWork(second.nonce, packages[1][0], second.mix), true);
  });

  test('a wrong mix or nonce is refused and the package stays usable', async () => {
    const work = await miner.getWork();
    const { nonce, mix } = await solve(work);
    const badMix = Buffer.from(mix);
    badMix[31] ^= 1;
    const height = tc.chain.height;
    assert.equal(await miner.submitWork(nonce, work[0], badMix), false);
    assert.equal(await miner.submitWork(nonce, work[0], Buffer.alloc(32)), false);
    // A nonce that misses the target (bits 10: most do) with the mix it really yields.
    let miss = nonce + 1n;
    for (;;) {
      const r = await ethash.search({ sealHash: bytes(work[0]), boundary: (1n << 256n) - 1n, epoch: 0, startNonce: miss, maxHashes: 1, mode: 'light', threads: 1 });
      assert.ok(r.found);
      const target = BigInt(work[2]);
      if (BigInt('0x' + r.finalHash.toString('hex')) > target) {
        assert.equal(await miner.submitWork(r.nonce, work[0], r.mixHash), false, 'above the boundary');
        break;
      }
      miss++;
    }
    assert.equal(await miner.submitWork(nonce, '0x' + '11'.repeat(32), mix), false, 'unknown header hash');
    assert.equal(tc.chain.height, height);
    assert.equal(await miner.submitWork(nonce, work[0], mix), true, 'the right solution still works');
  });

  test('two solutions of one package submitted at once make exactly one block', async () => {
    const work = await miner.getWork();
    const first = await solve(work);
    const second = await solve(work, first.nonce + 1n);
    const height = tc.chain.height;
    const results = await Promise.all([miner.submitWork(first.nonce, work[0], first.mix), miner.submitWork(second.nonce, work[0], second.mix)]);
    assert.equal(results.filter(Boolean).length, 1, `results ${results}`);
    assert.equal(tc.chain.height, height + 1);
    const winner = results[0] ? first : second;
    assert.equal(tc.chain.tip.header.nonce, winner.nonce, 'the block carries the accepted solution');
    assert.ok(tc.chain.tip.header.mixHash.equals(winner.mix));
    const [check] = await ethash.verifyHeaders([tc.chain.tip.header]);
    assert.deepEqual(check, { ok: true });
  });
});

describe('a chain that refuses the mined blocks', () => {
  test('generate fails instead of mining the same refused block forever; stop() cuts the back-off short', async () => {
    // Every header fails the PoW check, so each block the miner finds is refused as invalid.
    let refused = 0;
    const refuseAll = async (hs: readonly unknown[]) => hs.map(() => (refused++, { ok: false as const, reason: 'MIX_MISMATCH' }));
    const refusing = await makeChain({ scripts, pow: { verifyHeaders: refuseAll } });
    // A minute's back-off after a failed round: stop() must not wait for it.
    const m = new Miner({ chain: refusing.chain, network: refusing.network, ethash, bus: refusing.bus, threads: 1, retryDelayMs: 60_000, now: () => clock });
    try {
      await assert.rejects(m.generate(1, aliceAddress), (e: unknown) => e instanceof MinerError && e.code === 'REJECTED' && /refused/.test(e.message));
      assert.equal(refused, 1, 'refused by the PoW check');
      assert.equal(refusing.chain.height, 0);
      await m.start(aliceAddress, 0);
      // Let the loop fail a round (its block refused) and enter the back-off, then stop it.
      const until = Date.now() + 60_000;
      while (refused < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.equal(refused, 2, 'the loop mined a block and had it refused');
      await new Promise((r) => setTimeout(r, 50));
      const asked = Date.now();
      await m.stop();
      assert.ok(Date.now() - asked < 30_000, `stop took ${Date.now() - asked} ms`);
      assert.equal(m.isMining(), false);
    } finally {
      await m.close();
      await refusing.close();
      removeDir(refusing.dir);
    }
  });
});
