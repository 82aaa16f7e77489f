import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { makeChain, removeDir, type TestChain } from '../../helpers/chain.js';
import { sharedEthash } from '../../helpers/ethash-cache.js';
import { PooledScriptVerifier } from '../../../src/chain/script-checker.js';
import type { PowVerifier, AddBlockResult } from '../../../src/chain/chain.js';
import { Block } from '../../../src/primitives/block.js';
import { Script, pushOp } from '../../../src/primitives/script.js';
import { OutPoint } from '../../../src/primitives/transaction.js';
import { sealHash, boundary, type Ethash } from '../../../src/consensus/ethash/index.js';
import { realPowFixture, MAIN_LENGTH, REORG_DEPTHS, type RealPowFixture } from './fixture.js';
import { SpendWallet, buildBlocks } from './spend-chain.js';
import { p2pkhSpend } from '../../helpers/signing.js';
import { regtest } from '../../../src/networks/index.js';

/*
 * Project issue #4, criterion 2: a regtest chain of 2,000 blocks sealed with
 * real Ethash and carrying signed P2PKH spends connects through the real
 * Ethash PowVerifier and the real script-verification pool; reorganizations
 * of depth 1, 10 and 100 on it end with a UTXO set byte-identical to the one
 * built by connecting the winning branch from scratch into a fresh store.
 * The mined blocks are cached (fixture.ts), so only the first run mines.
 */

let ethash: Ethash;
let scripts: PooledScriptVerifier;
let pow: PowVerifier;
let fixture: RealPowFixture;
const chains: TestChain[] = [];

after(async () => {
  for (const c of chains) {
    await c.close().catch(() => undefined);
    removeDir(c.dir);
  }
  await scripts?.close();
  await ethash?.close();
});

async function realChain(): Promise<TestChain> {
  const tc = await makeChain({ pow, scripts });
  chains.push(tc);
  return tc;
}

/** Feed blocks with up to `window` addBlock calls outstanding; every one must connect. */
async function connectAll(tc: TestChain, blocks: readonly Block[], window: number): Promise<void> {
  const outstanding: Promise<AddBlockResult>[] = [];
  const check = (r: AddBlockResult) => assert.equal(r.status, 'connected', `block ${r.height}: ${r.status} ${r.error?.code} ${r.error?.message}`);
  for (const b of blocks) {
    outstanding.push(tc.chain.addBlock(b));
    if (outstanding.length >= window) check(await outstanding.shift()!);
  }
  for (const p of outstanding) check(await p);
}

/** The whole coin table: entry count and a digest of every key and value in key order. */
function utxoDigest(tc: TestChain): { count: number; digest: string; keys: string[] } {
  const h = createHash('sha256');
  const keys: string[] = [];
  for (const { key, value } of tc.store.allCoins()) {
    h.update(key).update(value);
    keys.push(key.toString('hex'));
  }
  return { count: keys.length, digest: h.digest('hex'), keys };
}

function assertSameUtxo(a: TestChain, b: TestChain, what: string): void {
  const x = utxoDigest(a);
  const y = utxoDigest(b);
  if (x.digest !== y.digest) {
    const onlyA = x.keys.filter((k) => !y.keys.includes(k)).slice(0, 3);
    const onlyB = y.keys.filter((k) => !x.keys.includes(k)).slice(0, 3);
    assert.fail(`${what}: UTXO sets differ (${x.count} vs ${y.count} coins; only in the reorganized store: ${onlyA.join(', ') || 'none'}; only in the fresh one: ${onlyB.join(', ') || 'none'}; else values differ)`);
  }
  assert.equal(x.count, y.count);
}

async function reseal(block: Block): Promise<void> {
  block.header.merkleRoot = block.computeMerkleRoot();
  block.header.invalidate();
  const r = await ethash.search({ sealHash: sealHash(block.header), boundary: boundary(block.header.bits), epoch: 0, mode: 'light' });
  assert.ok(r.found);
  block.header.nonce = r.nonce;
  block.header.mixHash = r.mixHash;
  block.header.invalidate();
}

test('setup: Ethash engine, script pool, the mined 2,000-block chain (cached after the first run)', { timeout: 600_000 }, async () => {
  ethash = await sharedEthash({ epochs: [0] });
  scripts = new PooledScriptVerifier({ workers: 2 });
  pow = { verifyHeaders: (hs) => ethash.verifyHeaders(hs) };
  fixture = await realPowFixture(ethash);
  assert.equal(fixture.main.length, MAIN_LENGTH);
  const spends = fixture.main.reduce((n, b) => n + b.txs.length - 1, 0);
  const inputs = fixture.main.reduce((n, b) => n + b.txs.slice(1).reduce((m, t) => m + t.inputs.length, 0), 0);
  assert.ok(fixture.main.filter((b) => b.txs.length > 1).length >= MAIN_LENGTH - 20, 'spends in nearly every block');
  assert.ok(spends > 3000 && inputs > 3500, `${spends} spends, ${inputs} inputs`);
  assert.deepEqual([...fixture.branches.keys()], [...REORG_DEPTHS]);
});

let a: TestChain;
/** Blocks 1 … tip of the chain `a` is on. */
let current: Block[] = [];

test('2,000 real-PoW blocks with signed spends connect through the real verifiers', { timeout: 600_000 }, async () => {
  a = await realChain();
  await connectAll(a, fixture.main, 16);
  current = [...fixture.main];
  assert.equal(a.chain.height, MAIN_LENGTH);
  assert.ok(a.chain.tip.hash.equals(fixture.main[MAIN_LENGTH - 1].hash()));
  // Every output pays a fixture key except the genesis output: the UTXO set is exactly the wallet model's.
  const wallet = new SpendWallet(fixture.keys);
  fixture.main.forEach((b, i) => wallet.apply(b, i + 1));
  assert.equal(a.store.coinCount(), wallet.size + 1);
  const last = fixture.main[MAIN_LENGTH - 1];
  assert.equal(a.store.getTxLocation(last.txs[1].hash())?.height, MAIN_LENGTH);
});

test('a tampered seal and a tampered signature are refused by the real verifiers', { timeout: 120_000 }, async () => {
  // A block on the tip spending a coin the chain holds, correctly signed and sealed …
  const wallet = new SpendWallet(fixture.keys);
  fixture.main.forEach((blk, i) => wallet.apply(blk, i + 1));
  const coin = wallet.spendable(MAIN_LENGTH + 1, 10).find((c) => !c.coinbase)!;
  const spend = p2pkhSpend([coin], [{ script: coin.key.script, value: coin.value - 10_000n }], coin.key);
  const [next] = await buildBlocks({
    history: [regtest.genesis.header, ...fixture.main.map((blk) => blk.header)],
    count: 1,
    spacing: 30,
    coinbaseScript: () => fixture.keys[0].script,
    spends: () => ({ txs: [spend], fees: 10_000n }),
  });
  await reseal(next);
  assert.deepEqual(await ethash.verifyHeaders([next.header]), [{ ok: true }]);

  // … with its nonce changed: the nonce is outside the body, the seal no longer holds.
  const badNonce = Block.fromRaw(next.toRaw());
  badNonce.header.nonce ^= 1n;
  badNonce.header.invalidate();
  const r1 = await a.chain.addBlock(badNonce);
  assert.equal(r1.status, 'invalid');
  assert.equal(r1.error?.code, 'proof_of_work');

  // … with a signature byte changed and the block resealed: the seal holds, the script pool refuses the input.
  const badSig = Block.fromRaw(next.toRaw());
  const input = badSig.txs[1].inputs[0];
  const ops = input.script.ops!;
  const sig = Buffer.from(ops[0].data!);
  sig[10] ^= 0x01;
  input.script = Script.fromOps([pushOp(sig), ops[1]]);
  badSig.txs[1].invalidate();
  await reseal(badSig);
  const r2 = await a.chain.addBlock(badSig);
  assert.equal(r2.status, 'invalid');
  assert.equal(r2.error?.code, 'validate_inputs_failed');
  assert.match(r2.error!.message, /tx 1 input 0/);
  assert.ok(a.chain.tip.hash.equals(fixture.main[MAIN_LENGTH - 1].hash()), 'tip unchanged');
  assert.ok(a.store.getCoin(new OutPoint(coin.txid, coin.index).toKey()), 'the coin is still unspent');
});

for (const depth of REORG_DEPTHS) {
  test(`reorg of depth ${depth} ends with the UTXO set of the winning branch connected from scratch`, { timeout: 600_000 }, async () => {
    const { forkHeight, blocks } = fixture.branches.get(depth)!;
    const disconnected: number[] = [];
    const reorgs: { disconnected: number; connected: number; forkHeight: number }[] = [];
    const offDisc = a.bus.onAwait('chain:block:disconnected', (e) => void disconnected.push(e.height));
    const offReorg = a.bus.onAwait('chain:reorganized', (e) => void reorgs.push(e));
    const oldTip = a.chain.tip;
    assert.equal(oldTip.height - forkHeight, depth, 'the branch forks `depth` blocks below the tip');
    try {
      for (let i = 0; i < blocks.length; i++) {
        const r = await a.chain.addBlock(blocks[i]);
        const expected = i < depth ? 'stored' : 'reorganized';
        assert.equal(r.status, expected, `branch block ${i}: ${r.status} ${r.error?.code} ${r.error?.message}`);
      }
    } finally {
      offDisc();
      offReorg();
    }
    assert.equal(a.chain.height, forkHeight + depth + 1);
    assert.ok(a.chain.tip.hash.equals(blocks[blocks.length - 1].hash()));
    assert.equal(disconnected.length, depth);
    assert.equal(reorgs.length, 1);
    assert.deepEqual([reorgs[0].forkHeight, reorgs[0].disconnected, reorgs[0].connected], [forkHeight, depth, depth + 1]);

    // The winning chain from scratch: the chain `a` was on up to the fork, then this branch.
    const previous = current;
    const winning = [...previous.slice(0, forkHeight), ...blocks];
    const b = await realChain();
    await connectAll(b, winning, depth === 1 ? 1 : 8);
    assert.ok(b.chain.tip.hash.equals(a.chain.tip.hash));
    assertSameUtxo(a, b, `depth ${depth}`);
    // Transactions of the disconnected blocks left the tx index unless the winning chain has them too.
    const winningTxids = new Set(winning.flatMap((blk) => blk.txs.map((t) => t.hash().toString('hex'))));
    for (let h = forkHeight + 1; h <= oldTip.height; h++) {
      for (const t of previous[h - 1].txs) {
        if (!winningTxids.has(t.hash().toString('hex'))) assert.equal(a.store.getTxLocation(t.hash()), null, `tx of disconnected block ${h}`);
      }
    }
    // Coins spent only by the disconnected blocks are back.
    const spentByWinning = new Set(blocks.flatMap((blk) => blk.txs.flatMap((t) => (t.isCoinbase() ? [] : t.inputs.map((i) => i.prevout.toKey().toString('hex'))))));
    const old = previous[forkHeight];
    for (const t of old.txs.slice(1)) {
      for (const i of t.inputs) {
        const key = i.prevout.toKey();
        if (spentByWinning.has(key.toString('hex')) || old.txs.some((x) => x.hash().equals(i.prevout.hash))) continue;
        assert.ok(a.store.getCoin(key), `coin ${new OutPoint(i.prevout.hash, i.prevout.index)} restored`);
      }
    }
    current = winning;
    await b.close();
  });
}
