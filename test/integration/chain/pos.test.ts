import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeChain, removeDir, TestPow, type TestChain } from '../../helpers/chain.js';
import { PooledScriptVerifier } from '../../../src/chain/script-checker.js';
import type { AddBlockResult, PowVerifier, PowResult } from '../../../src/chain/chain.js';
import { Block } from '../../../src/primitives/block.js';
import { BLOCK_VERSION, type BlockHeader } from '../../../src/primitives/header.js';
import { OutPoint } from '../../../src/primitives/transaction.js';
import { blockSubsidy } from '../../../src/networks/index.js';
import { POS_PARAMS, POS_GENESIS_REWARD, checkKernel, stakeMaturity, hasStakeCapability } from '../../../src/consensus/pos.js';
import { MIN_TX_FEE } from '../../../src/consensus/tx.js';
import {
  POS_NET,
  KEYS,
  P,
  FIRST_POS_HEIGHT,
  FUNDING_HEIGHT,
  DEPOSIT_HEIGHT,
  buildPosBase,
  builderAt,
  coinOf,
  type PosBase,
  type PosChainBuilder,
} from './pos-chain.js';

/*
 * A real proof-of-stake chain (pos-chain.ts): regtest with PoS from height
 * 2,348, a staker holding a 24,000-block height-locked 1000-ETP deposit and
 * four 1000-ETP stake coins exactly 250 blocks old at the first PoS block
 * (2,598), signed P2PKH everywhere, checked by the real script pool. Each
 * test works on its own copy of the base chain's store (built and validated
 * once), so verdicts never depend on test order.
 */

let base: PosBase;
let scripts: PooledScriptVerifier;
let baseDir: string;
const dirs: string[] = [];
const open: TestChain[] = [];

before(async () => {
  base = buildPosBase();
  scripts = new PooledScriptVerifier({ workers: 2 });
  const tc = await makeChain({ network: POS_NET, scripts });
  baseDir = tc.dir;
  dirs.push(tc.dir);
  const outstanding: Promise<AddBlockResult>[] = [];
  const check = (r: AddBlockResult) => assert.equal(r.status, 'connected', `base block ${r.height}: ${r.status} ${r.error?.code} ${r.error?.message}`);
  // The snapshot stops one block short, so a test can also build at FIRST_POS_HEIGHT − 1.
  for (const b of base.blocks.slice(0, -1)) {
    outstanding.push(tc.chain.addBlock(b));
    if (outstanding.length >= 16) check(await outstanding.shift()!);
  }
  for (const p of outstanding) check(await p);
  assert.equal(tc.chain.height, FIRST_POS_HEIGHT - 2);
  await tc.close();
});

after(async () => {
  for (const tc of open) await tc.close().catch(() => undefined);
  for (const d of dirs) removeDir(d);
  await scripts?.close();
});

/**
 * A chain on a copy of the base store and a builder on the same tip:
 * FIRST_POS_HEIGHT − 1 (the last base block connected), or one block lower
 * with `short`.
 */
async function freshChain(pow: PowVerifier = new TestPow(), short = false): Promise<{ tc: TestChain; b: PosChainBuilder }> {
  const dir = mkdtempSync(join(tmpdir(), 'mvs-pos-'));
  dirs.push(dir);
  cpSync(baseDir, dir, { recursive: true });
  const tc = await makeChain({ dir, network: POS_NET, pow, scripts });
  open.push(tc);
  assert.equal(tc.chain.height, FIRST_POS_HEIGHT - 2);
  const b = builderAt(base);
  const last = base.blocks[base.blocks.length - 1];
  if (short) b.headers.pop();
  else {
    const r = await tc.chain.addBlock(last);
    assert.equal(r.status, 'connected', `last base block: ${r.status} ${r.error?.code} ${r.error?.message}`);
  }
  assert.ok(tc.chain.tip.hash.equals(b.tip.hash()));
  return { tc, b };
}

const describe = (r: AddBlockResult) => `${r.status} ${r.error?.code ?? ''} ${r.error?.message ?? ''}`;

async function connect(tc: TestChain, b: PosChainBuilder, block: Block, what: string): Promise<void> {
  const r = await tc.chain.addBlock(block);
  assert.equal(r.status, 'connected', `${what} (height ${block.header.number}): ${describe(r)}`);
  assert.ok(tc.chain.tip.hash.equals(block.hash()), `${what}: the tip is the block`);
  b.push(block);
}

async function refuse(tc: TestChain, block: Block, code: string, what: string): Promise<void> {
  const tip = tc.chain.tip.hash;
  const height = tc.chain.height;
  const r = await tc.chain.addBlock(block);
  assert.equal(r.error?.code, code, `${what}: expected ${code}, got ${describe(r)}`);
  assert.equal(r.status, 'invalid', `${what}: ${describe(r)}`);
  assert.ok(tc.chain.tip.hash.equals(tip), `${what}: the tip moved`);
  assert.equal(tc.chain.height, height);
}

test('fixture: the base chain is what the PoS rules need', () => {
  const n = POS_NET;
  assert.equal(n.posEnabledHeight, P);
  // Stake coins: ≥ 1000 ETP, exactly stakeMaturity(bits) old at the first PoS block.
  for (const s of base.stakes) {
    assert.equal(s.value, POS_PARAMS.stakeMinValue);
    assert.equal(s.height, FUNDING_HEIGHT);
    assert.equal(s.height + stakeMaturity(n.minPosDifficulty), FIRST_POS_HEIGHT);
  }
  assert.equal(base.small.value, POS_PARAMS.stakeMinValue - 1n);
  assert.equal(base.lonelyCoin.value, POS_PARAMS.stakeMinValue);
  // The deposit satisfies check_pos_capability at best = h − 1 (what pos.ts reads) …
  const deposit = { outpoint: base.deposit.outpoint, value: base.deposit.value, height: DEPOSIT_HEIGHT, script: base.deposit.script, coinbase: false };
  assert.ok(hasStakeCapability([deposit], FIRST_POS_HEIGHT - 1, n));
  // … and the lonely key's plain coin does not.
  const lonely = { outpoint: base.lonelyCoin.outpoint, value: base.lonelyCoin.value, height: FUNDING_HEIGHT, script: base.lonelyCoin.script, coinbase: false };
  assert.ok(!hasStakeCapability([lonely], FIRST_POS_HEIGHT - 1, n));
  assert.equal(base.blocks.length, FIRST_POS_HEIGHT - 1);
});

test('the first PoS block (with the PoS genesis tx) connects, then three more PoS blocks alternating with PoW blocks', { timeout: 120_000 }, async () => {
  const { tc, b } = await freshChain();
  const pos: ReturnType<PosChainBuilder['posBlock']>[] = [];
  const first = b.posBlock({ stake: base.stakes[0] });
  assert.ok(first.genesisTx, 'the first PoS block carries the PoS genesis tx');
  assert.equal(first.block.txs.indexOf(first.genesisTx!), 2);
  assert.equal(first.block.header.bits, POS_NET.minPosDifficulty);
  await connect(tc, b, first.block, 'first PoS block');
  pos.push(first);
  for (let k = 1; k < 4; k++) {
    await connect(tc, b, b.powBlock(), `PoW block after PoS block ${k}`);
    const next = b.posBlock({ stake: base.stakes[k] });
    assert.equal(next.genesisTx, null, 'only the first PoS block carries the genesis tx');
    await connect(tc, b, next.block, `PoS block ${k + 1}`);
    pos.push(next);
  }
  assert.equal(tc.chain.height, FIRST_POS_HEIGHT + 6);
  assert.ok(tc.chain.tip.hash.equals(pos[3].block.hash()));
  // The PoS difficulty track moved off its floor once two PoS blocks existed.
  assert.ok(pos[3].block.header.bits > POS_NET.minPosDifficulty, `bits ${pos[3].block.header.bits}`);
  // The grinding did real work somewhere (weight 30,000 against bits ≥ 120,000).
  assert.ok(pos.some((p) => p.grindSteps > 0));

  for (let k = 0; k < 4; k++) {
    const { block, coinstake } = pos[k];
    const height = FIRST_POS_HEIGHT + 2 * k;
    const rec = tc.chain.getRecordAt(height)!;
    assert.ok(rec.hash.equals(block.hash()));
    assert.equal(rec.header.version, BLOCK_VERSION.POS);
    // The stake coin is spent; the coinstake returns it whole at this height.
    assert.equal(tc.store.getCoin(base.stakes[k].outpoint.toKey()), null, `stake ${k} spent`);
    const back = tc.store.getCoin(new OutPoint(coinstake!.hash(), 1).toKey());
    assert.ok(back, `coinstake ${k} output 1 unspent`);
    assert.equal(back.value, POS_PARAMS.stakeMinValue);
    assert.equal(back.height, height);
    assert.ok(back.script.equals(KEYS.staker.script));
    // The coinbase paid the PoS subsidy.
    const cb = tc.store.getCoin(new OutPoint(block.txs[0].hash(), 0).toKey());
    assert.ok(cb);
    assert.equal(cb.value, blockSubsidy(POS_NET, height, BLOCK_VERSION.POS));
    // The stored block keeps its signature.
    const stored = tc.chain.getBlockAt(height)!;
    assert.ok(stored.blockSig && stored.blockSig.equals(block.blockSig!));
  }
  // The PoS genesis tx's 24 outputs are in the UTXO set.
  const g = pos[0].genesisTx!;
  const g0 = tc.store.getCoin(new OutPoint(g.hash(), 0).toKey());
  assert.ok(g0);
  assert.equal(g0.value, POS_GENESIS_REWARD);
  assert.equal(g0.height, FIRST_POS_HEIGHT);
  for (let i = 1; i < 24; i++) {
    const c = tc.store.getCoin(new OutPoint(g.hash(), i).toKey());
    assert.ok(c, `PoS genesis output ${i}`);
    assert.equal(c.output.attachment.body.kind, 'cert');
  }
  // The capability deposit is untouched.
  assert.ok(tc.store.getCoin(base.deposit.outpoint.toKey()));
});

test('invalid PoS blocks are refused with their codes and leave the tip unchanged', { timeout: 120_000 }, async () => {
  const { tc, b } = await freshChain(new TestPow(), true);
  const stake = base.stakes[0];
  const staker = [{ outpoint: base.deposit.outpoint, value: base.deposit.value, height: DEPOSIT_HEIGHT, script: base.deposit.script, coinbase: false }];

  // One block early, the stake coins are 249 blocks old: everything else holds (capability, kernel), maturity does not.
  assert.equal(b.height + 1, FIRST_POS_HEIGHT - 1);
  assert.ok(hasStakeCapability(staker, FIRST_POS_HEIGHT - 2, POS_NET));
  const early = b.posBlock({ stake });
  assert.ok(early.genesisTx, 'it would be the first PoS block');
  assert.ok(stake.height + stakeMaturity(early.block.header.bits) > FIRST_POS_HEIGHT - 1);
  await refuse(tc, early.block, 'proof_of_stake', 'stake one block younger than the stake maturity');
  await connect(tc, b, base.blocks[base.blocks.length - 1], 'the last PoW block before PoS');
  assert.equal(b.height + 1, FIRST_POS_HEIGHT);

  // At the first PoS height (the variants differ from each other by a coinbase tag, so each is its own block).
  const noGenesis = b.posBlock({ stake, genesis: false, tag: 'no-genesis' });
  assert.equal(noGenesis.genesisTx, null);
  await refuse(tc, noGenesis.block, 'proof_of_stake', 'first PoS block without the PoS genesis tx');

  const noCoinstake = b.posBlock({ stake, noCoinstake: true, tag: 'no-coinstake' });
  await refuse(tc, noCoinstake.block, 'miss_coinstake', 'PoS block without a coinstake');

  const badSig = b.posBlock({ stake, tag: 'bad-sig' });
  badSig.block.blockSig![7] ^= 0x01;
  await refuse(tc, badSig.block, 'block_signature_invalid', 'PoS block with a flipped signature byte');

  const stranger = b.posBlock({ stake, signer: KEYS.stranger, tag: 'stranger' });
  await refuse(tc, stranger.block, 'block_signature_invalid', 'PoS block signed by a key other than the stake key');

  // The staker holds the deposit: only the value is wrong.
  assert.ok(hasStakeCapability(staker, FIRST_POS_HEIGHT - 1, POS_NET));
  const small = b.posBlock({ stake: base.small, tag: 'small' });
  assert.ok(checkKernel(small.block.header, base.small.outpoint, base.small.value));
  assert.ok(base.small.height + stakeMaturity(small.block.header.bits) <= FIRST_POS_HEIGHT);
  await refuse(tc, small.block, 'proof_of_stake', 'stake of 1000 ETP − 1 unit');

  // A mature 1000-ETP coin whose kernel passes, of an address without any sequence-locked deposit.
  const lonely = b.posBlock({ stake: base.lonelyCoin, tag: 'lonely' });
  assert.ok(checkKernel(lonely.block.header, base.lonelyCoin.outpoint, base.lonelyCoin.value));
  assert.ok(lonely.block.blockSig && lonely.coinstake!.inputs[0].script.ops!.at(-1)!.data!.equals(KEYS.lonely.pub));
  await refuse(tc, lonely.block, 'proof_of_stake', 'staker without a locked deposit');

  const fee = b.posBlock({ stake, coinstakeFee: MIN_TX_FEE, tag: 'fee' });
  await refuse(tc, fee.block, 'fees_out_of_range', 'coinstake paying a fee');

  const kernel = b.posBlock({ stake, kernel: 'fail', tag: 'kernel' });
  assert.ok(!checkKernel(kernel.block.header, stake.outpoint, stake.value));
  await refuse(tc, kernel.block, 'proof_of_stake', 'stake kernel above the target');

  // The well-formed first PoS block still connects after all of that.
  const first = b.posBlock({ stake });
  await connect(tc, b, first.block, 'first PoS block');

  // A stake younger than the maturity: the coinstake output just created (1000 ETP, 1 block old).
  const young = coinOf(first.coinstake!, 1, FIRST_POS_HEIGHT, KEYS.staker);
  const youngBlock = b.posBlock({ stake: young, tag: 'young' });
  assert.equal(youngBlock.genesisTx, null);
  assert.ok(young.value >= POS_PARAMS.stakeMinValue);
  await refuse(tc, youngBlock.block, 'proof_of_stake', 'stake coin younger than the stake maturity');

  // A second genesis tx is not wanted either once a PoS block exists: the next valid PoS block connects without one.
  const second = b.posBlock({ stake: base.stakes[1] });
  assert.equal(second.genesisTx, null);
  await connect(tc, b, second.block, 'second PoS block (directly on the first)');
  assert.equal(tc.chain.height, FIRST_POS_HEIGHT + 1);
});

/** Records every header the chain asks to have its Ethash checked. */
class RecordingPow implements PowVerifier {
  readonly seen: BlockHeader[] = [];
  async verifyHeaders(headers: readonly BlockHeader[]): Promise<PowResult[]> {
    this.seen.push(...headers);
    return headers.map(() => ({ ok: true as const }));
  }
}

test('a PoS block header is not sent to the Ethash verifier', { timeout: 120_000 }, async () => {
  const pow = new RecordingPow();
  const { tc, b } = await freshChain(pow);
  const lastBase = base.blocks[base.blocks.length - 1];
  const first = b.posBlock({ stake: base.stakes[0] });
  await connect(tc, b, first.block, 'first PoS block');
  const pow1 = b.powBlock();
  await connect(tc, b, pow1, 'PoW block');
  // Headers first: a PoS header is checked without Ethash too.
  const second = b.posBlock({ stake: base.stakes[1] });
  const hr = await tc.chain.addHeaders([second.block.header]);
  assert.equal(hr.error, undefined, `addHeaders: ${hr.error?.code} ${hr.error?.message}`);
  assert.equal(hr.added.length, 1);
  await connect(tc, b, second.block, 'second PoS block');
  const pow2 = b.powBlock();
  await connect(tc, b, pow2, 'PoW block');

  assert.deepEqual(
    pow.seen.map((h) => h.hashHex()),
    [lastBase.hashHex(), pow1.hashHex(), pow2.hashHex()],
    'exactly the PoW headers were sent to Ethash',
  );
  assert.ok(pow.seen.every((h) => h.version === BLOCK_VERSION.POW));
});

test('a PoS block relayed with a corrupted signature does not poison the correctly signed block (the signature is outside the hash)', { timeout: 120_000 }, async () => {
  const { tc, b } = await freshChain();
  const good = b.posBlock({ stake: base.stakes[0] });
  const bad = Block.fromRaw(good.block.toRaw());
  bad.blockSig![0] ^= 0xff;
  assert.ok(bad.hash().equals(good.block.hash()), 'same block hash');
  await refuse(tc, bad, 'block_signature_invalid', 'corrupted signature');
  await connect(tc, b, good.block, 'the same block, correctly signed');
});

test('PoS blocks handed in together go through the pipeline with the same verdicts: a stake created by a block still in flight is refused, not an internal error', async () => {
  const { tc, b } = await freshChain();
  const first = b.posBlock({ stake: base.stakes[0] });
  b.push(first.block);
  const second = b.posBlock({ stake: base.stakes[1], tag: 'second' });
  b.push(second.block);
  // Stakes the coinstake output of `first`, which is still in flight when this block is checked.
  const young = b.posBlock({ stake: coinOf(first.coinstake!, 1, FIRST_POS_HEIGHT, KEYS.staker), tag: 'young in flight' });
  const [r1, r2, r3] = await Promise.all([tc.chain.addBlock(first.block), tc.chain.addBlock(second.block), tc.chain.addBlock(young.block)]);
  assert.equal(r1.status, 'connected', describe(r1));
  assert.equal(r2.status, 'connected', describe(r2));
  assert.equal(r3.status, 'invalid', describe(r3));
  assert.equal(r3.error?.code, 'proof_of_stake');
  assert.match(r3.error!.message, /not mature/);
  assert.ok(tc.chain.tip.hash.equals(second.block.hash()));
});
