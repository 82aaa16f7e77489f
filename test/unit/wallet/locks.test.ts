import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { regtest, depositReward, blockSubsidy } from '../../../src/networks/index.js';
import { createCoinbase } from '../../../src/miner/assemble.js';
import { Address } from '../../../src/primitives/address.js';
import { Attachment } from '../../../src/primitives/attachment.js';
import { lockHeightScript, sequenceLockScript, p2pkhScript } from '../../../src/primitives/script.js';
import { OutPoint, Transaction, TxInput, TxOutput } from '../../../src/primitives/transaction.js';
import { Script } from '../../../src/primitives/script.js';
import { CoinView, selectCoins, type WalletChain, type WalletCoin, type WalletMempool } from '../../../src/wallet/index.js';
import { spendableSequence } from '../../../src/wallet/coins.js';
import { makeWalletFixture, mineTo, expectCode, type WalletFixture } from '../../helpers/wallet.js';
import { buildBlock } from '../../helpers/chain.js';

const PW = 'password-1';
const HASH = Buffer.alloc(20, 0x11);

/** A CoinView over a fixed tip and no pool, for the lock rules alone. */
function viewAt(tip: number, opts: { mtp?: number; stamps?: Record<number, number> } = {}): CoinView {
  const chain = {
    network: regtest,
    height: tip,
    tip: {} as never,
    store: { addressCoins: () => [], getCoin: () => null, addressHistory: () => [] } as never,
    getRecordAt: (h: number) => ({ header: { timestamp: opts.stamps?.[h] ?? 0 } }) as never,
    medianTimePast: () => opts.mtp ?? 0,
  } as unknown as WalletChain;
  const mempool = { all: () => [], spenderOf: () => undefined } as unknown as WalletMempool;
  return new CoinView(chain, mempool);
}

function coin(script: Script, height: number | null, extra: Partial<WalletCoin> = {}): WalletCoin {
  return { outpoint: new OutPoint(Buffer.alloc(32, 1), 0), output: new TxOutput(1000n, script, Attachment.etp(1)), height, coinbase: false, spentInPool: false, ...extra };
}

describe('lock rules (frozen vs available)', () => {
  test('coinbase maturity: spendable once tip − h ≥ maturity (10 on regtest)', () => {
    const c = coin(p2pkhScript(HASH), 90, { coinbase: true });
    assert.equal(viewAt(99).frozenReason(c), 'immature');
    assert.equal(viewAt(100).frozenReason(c), null);
  });

  test('deposit: frozen while lock > tip − h; a deposit still in the pool is frozen', () => {
    const c = coin(lockHeightScript(HASH, 25200), 1000);
    assert.equal(viewAt(1000 + 25199).frozenReason(c), 'deposit');
    assert.equal(viewAt(1000 + 25200).frozenReason(c), null);
    assert.equal(viewAt(5).frozenReason(coin(lockHeightScript(HASH, 25200), null)), 'deposit');
  });

  test('sequence lock by height: the next block must be above h + value − 1', () => {
    const c = coin(sequenceLockScript(HASH, 12), 90);
    assert.equal(viewAt(100).frozenReason(c), 'sequence');
    assert.equal(viewAt(101).frozenReason(c), null);
    assert.equal(viewAt(101).frozenReason(coin(sequenceLockScript(HASH, 12), null)), 'sequence');
  });

  test('sequence lock by time: median time past must exceed ts(h) + 32·value − 1', () => {
    const value = (1 << 22) | 10;
    const c = coin(sequenceLockScript(HASH, value), 50);
    assert.equal(viewAt(60, { mtp: 1_000_000 + 320 - 1, stamps: { 50: 1_000_000 } }).frozenReason(c), 'sequence');
    assert.equal(viewAt(60, { mtp: 1_000_000 + 320, stamps: { 50: 1_000_000 } }).frozenReason(c), null);
  });

  test('spending a sequence-locked coin uses its lock as the input sequence; a lock time excludes it', () => {
    const view = viewAt(200);
    assert.equal(spendableSequence(view, coin(sequenceLockScript(HASH, 12), 90), {}), 12);
    assert.equal(spendableSequence(view, coin(sequenceLockScript(HASH, 12), 90), { locktime: 7 }), null);
    assert.equal(spendableSequence(view, coin(p2pkhScript(HASH), 90), { locktime: 7 }), 0x80000000);
    assert.equal(spendableSequence(view, coin(p2pkhScript(HASH), 90), {}), 0xffffffff);
    assert.equal(spendableSequence(view, coin(p2pkhScript(HASH), 190), { minConfirmations: 12 }), null);
    assert.equal(spendableSequence(view, coin(p2pkhScript(HASH), 189), { minConfirmations: 12 }), 0xffffffff);
    assert.equal(spendableSequence(view, coin(p2pkhScript(HASH), 90), { exclude: [1000n, 1001n] }), null);
    assert.equal(spendableSequence(view, coin(p2pkhScript(HASH), 90, { spentInPool: true }), {}), null);
    const message = coin(p2pkhScript(HASH), 90);
    message.output = new TxOutput(1000n, p2pkhScript(HASH), Attachment.message('hi'));
    assert.equal(spendableSequence(view, message, {}), null, 'only ETP outputs pay');
  });
});

describe('deposits on a regtest chain', () => {
  let fx: WalletFixture;
  let alice: string;
  let S: bigint;
  before(async () => {
    fx = await makeWalletFixture();
    alice = (await fx.wallet.createAccount('alice', PW)).addresses[0];
    await fx.wallet.createAccount('bobby', PW);
    S = blockSubsidy(fx.tc.network, 1, 1);
    await mineTo(fx, 11, alice);
  });
  after(() => fx.close());

  test('a deposit (and its reward coinbase) is frozen, listed by -d, and never selected', async () => {
    const hash = Address.fromString(alice).hash;
    const spend = fx.wallet.addressUtxos(alice).find((u) => u.frozen === 0n)!;
    const depositValue = S - 1_000_000n;
    const unsigned = new Transaction(
      4,
      [new TxInput(new OutPoint(Buffer.from(spend.utxo_hash, 'hex').reverse(), spend.utxo_index), new Script(), 0xffffffff)],
      [new TxOutput(depositValue, lockHeightScript(hash, 25200), Attachment.etp(1)), new TxOutput(spend.balance - depositValue - 10_000n, p2pkhScript(hash), Attachment.etp(1))],
      0,
    );
    const { tx } = await fx.wallet.signRawTx(unsigned, { name: 'alice', password: PW });
    await fx.wallet.sendRawTx(tx);
    // In the pool: counted as unspent but frozen.
    const pending = fx.wallet.addressUtxos(alice).find((u) => u.utxo_hash === tx.txid() && u.utxo_index === 0)!;
    assert.equal(pending.frozen, depositValue);
    // Mine it with its reward coinbase right after the coinbase (mvs-consensus §3.5).
    const height = fx.tc.chain.height + 1;
    const reward = depositReward(fx.tc.network, 25200, depositValue)!;
    const rewardCoinbase = createCoinbase(height, lockHeightScript(hash, 25200), reward, Buffer.from('reward'));
    const block = buildBlock(fx.tc, { txs: [rewardCoinbase, tx], payTo: Address.fromString(alice).toScript(fx.tc.network.address) }, 10_000n);
    const r = await fx.tc.chain.addBlock(block);
    assert.equal(r.status, 'connected', r.error?.message);
    const deposits = await fx.wallet.listDeposits('alice', PW);
    assert.deepEqual(
      deposits.map((d) => [d.tx_hash, d.deposited_balance, d.deposited_height, d.expiration_height]).sort(),
      [
        [tx.txid(), depositValue, 25200, height + 25200],
        [rewardCoinbase.txid(), reward, 25200, height + 25200],
      ].sort(),
    );
    assert.deepEqual(fx.wallet.addressDeposits(alice).length, 2);
    const b = await fx.wallet.getBalance('alice', PW);
    assert.ok(b.total_frozen >= depositValue + reward);
    // Asking for more than the available balance fails although unspent (with the deposit) would cover it.
    await expectCode(fx.wallet.send('alice', PW, (await fx.wallet.listAddresses('bobby', PW))[0], b.total_available), 3302);
    const paid = await fx.wallet.send('alice', PW, (await fx.wallet.listAddresses('bobby', PW))[0], b.total_available - 10_000n);
    const depositPoints = new Set([`${tx.txid()}:0`, `${rewardCoinbase.txid()}:0`]);
    assert.ok(paid.inputs.every((i) => !depositPoints.has(i.prevout.toString())));
  });

  test('coin selection walks newest confirmed coins first, then pool outputs', async () => {
    await mineTo(fx, 3, alice);
    const view = new CoinView(fx.tc.chain, fx.mempool);
    const coins = view.coins(Address.fromString(alice));
    const heights = coins.map((c) => c.height);
    const confirmed = heights.filter((h): h is number => h !== null);
    assert.deepEqual(confirmed, [...confirmed].sort((a, b) => b - a));
    assert.ok(heights.indexOf(null) === -1 || heights.slice(heights.indexOf(null)).every((h) => h === null));
    const picked = selectCoins(view, [Address.fromString(alice)], 1n);
    assert.equal(picked.coins.length, 1);
    const newestSpendable = coins.find((c) => c.height !== null && !view.frozenReason(c) && !c.spentInPool && c.output.attachment.type === 0)!;
    assert.ok(picked.coins[0].coin.outpoint.toKey().equals(newestSpendable.outpoint.toKey()));
  });
});
