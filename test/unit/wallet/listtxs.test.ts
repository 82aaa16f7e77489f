import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../../src/rpc/registry.js';
import { Wallet, registerWalletMethods } from '../../../src/wallet/index.js';
import { Attachment, ATTACHMENT_TYPE } from '../../../src/primitives/attachment.js';
import { OutPoint, Transaction, TxInput, TxOutput } from '../../../src/primitives/transaction.js';
import { Script } from '../../../src/primitives/script.js';
import type { Block } from '../../../src/primitives/block.js';
import { buildBlock } from '../../helpers/chain.js';
import { makeWalletFixture, mineTo, minePool, expectCode, p2pkhOf, TEST_KDF, type WalletFixture } from '../../helpers/wallet.js';

const PW = 'A123456';
const META = { apiVersion: 3 as const, path: '/rpc/v3' };

interface Row {
  hash: string;
  height: number;
  timestamp: number;
  direction: string;
  inputs: { address: string | null; script: string }[];
  outputs: { address: string | null; own: boolean; script: string; locked_height_range: number; etp_value: number; attachment: Record<string, unknown> }[];
}
interface Page {
  total_page: number;
  current_page: number;
  transaction_count: number;
  transactions: Row[];
}

describe('listtxs: an account or an address, from the address index and the pool', () => {
  let fx: WalletFixture;
  let registry: Registry<null>;
  const call = (method: string, ...tokens: string[]) => registry.invoke(method, tokens, null, META) as Promise<any>;
  const list = (...tokens: string[]) => call('listtxs', ...tokens) as Promise<Page>;
  let alice: string[];
  let bob: string;
  /** Coinbase blocks paying alice, in height order. */
  const coinbaseBlocks: Block[] = [];
  /** Blocks whose coinbases pay the helper's OP_TRUE script (spendable with an empty input script). */
  const anyoneBlocks: Block[] = [];

  before(async () => {
    fx = await makeWalletFixture();
    registry = new Registry<null>();
    registerWalletMethods(registry, fx.wallet);
    alice = [...(await fx.wallet.createAccount('alice', PW)).addresses, ...(await fx.wallet.newAddresses('alice', PW, 1))];
    bob = (await fx.wallet.createAccount('bobby', PW)).addresses[0];
    await fx.wallet.createAccount('empty', PW);
    coinbaseBlocks.push(...(await mineTo(fx, 3, alice[0])), ...(await mineTo(fx, 1, alice[1])));
    // Coinbase maturity (10 on regtest); these pay the helper's OP_TRUE script.
    anyoneBlocks.push(...(await mineTo(fx, 10)));
  });
  after(() => fx.close());

  test('coinbases: newest first, v3 row shape, own outputs, direction receive', async () => {
    const page = await list('alice', PW);
    assert.deepEqual(Object.keys(page), ['current_page', 'total_page', 'transaction_count', 'transactions']);
    assert.equal(page.transaction_count, 4);
    assert.equal(page.total_page, 1);
    assert.equal(page.current_page, 1);
    assert.deepEqual(
      page.transactions.map((t) => t.hash),
      [...coinbaseBlocks].reverse().map((b) => b.txs[0].txid()),
    );
    assert.deepEqual(
      page.transactions.map((t) => t.height),
      [4, 3, 2, 1],
    );
    const top = page.transactions[0];
    assert.deepEqual(Object.keys(top), ['direction', 'hash', 'height', 'inputs', 'outputs', 'timestamp']);
    assert.equal(top.timestamp, coinbaseBlocks[3].header.timestamp);
    assert.equal(top.direction, 'receive');
    assert.equal(top.inputs.length, 1);
    assert.equal(top.inputs[0].address, null, 'a coinbase input has no address');
    assert.deepEqual(Object.keys(top.outputs[0]), ['address', 'attachment', 'etp_value', 'locked_height_range', 'own', 'script']);
    assert.equal(top.outputs[0].address, alice[1]);
    assert.equal(top.outputs[0].own, true);
    assert.equal(BigInt(top.outputs[0].etp_value), coinbaseBlocks[3].txs[0].outputs[0].value);
    assert.equal(top.outputs[0].locked_height_range, 0);
    assert.match(top.outputs[0].script, /^dup hash160 \[ [0-9a-f]{40} \] equalverify checksig$/);
    assert.deepEqual(top.outputs[0].attachment, { type: 'etp' });
    // An account without transactions has no page 1 (the reference's 2003).
    await expectCode(list('empty', PW), 2003, /^no record in this page$/);
  });

  let payment: string;
  test('a pool transaction is listed at height 0, after the confirmed ones, for sender and receiver', async () => {
    const txb = await call('send', 'alice', PW, bob, '150000000', '-m', 'for bob');
    payment = txb.hash;
    const entry = fx.mempool.get(Buffer.from(payment, 'hex').reverse())!;
    const mine = await list('alice', PW);
    assert.equal(mine.transaction_count, 5);
    const last = mine.transactions.at(-1)!;
    assert.equal(last.hash, payment);
    assert.equal(last.height, 0);
    assert.equal(last.timestamp, entry.time);
    assert.equal(last.direction, 'send');
    assert.ok(last.inputs.every((i) => alice.includes(i.address!)));
    const theirs = await list('bobby', PW);
    assert.equal(theirs.transaction_count, 1);
    const seen = theirs.transactions[0];
    assert.equal(seen.hash, payment);
    assert.equal(seen.direction, 'receive');
    assert.deepEqual(
      seen.outputs.map((o) => [o.address, o.own]),
      txb.outputs.map((o: { address: string }) => [o.address, o.address === bob]),
    );
    assert.deepEqual(seen.outputs[1].attachment, { content: 'for bob', type: 'message' });
    assert.equal(seen.outputs[1].etp_value, 0);
    // -e from a height above 0 leaves the pool out.
    await expectCode(list('bobby', PW, '-e', '1:0'), 2003, /no record in this page/);
  });

  let paymentHeight: number;
  test('after mining: the payment at its block height, first; -e selects [from, to)', async () => {
    const block = await minePool(fx);
    paymentHeight = fx.tc.chain.height;
    const mine = await list('alice', PW);
    assert.equal(mine.transactions[0].hash, payment);
    assert.equal(mine.transactions[0].height, paymentHeight);
    assert.equal(mine.transactions[0].timestamp, block.header.timestamp);
    assert.deepEqual(
      (await list('alice', PW, '-e', `${paymentHeight}:${paymentHeight + 1}`)).transactions.map((t) => t.hash),
      [payment],
    );
    assert.deepEqual(
      (await list('alice', PW, '-e', '2:4')).transactions.map((t) => t.height),
      [3, 2],
    );
    assert.deepEqual(
      (await list('alice', PW, '--height', '0:2')).transactions.map((t) => t.height),
      [1],
    );
    assert.equal((await list('alice', PW, '-e', '3:0')).transaction_count, 3, 'to = 0 has no upper bound');
    await expectCode(list('alice', PW, '-e', '4:2'), 5103, /invalid height option/);
    await expectCode(list('alice', PW, '-e', '4:4'), 5103);
    await expectCode(list('alice', PW, '-e', 'four'), 1021, /--height/);
  });

  test('paging: -l and -i split the same order; out-of-range pages and bad limits are 2003', async () => {
    const all = (await list('alice', PW)).transactions.map((t) => t.hash);
    assert.equal(all.length, 5);
    const pages = [];
    for (let i = 1; i <= 3; i++) pages.push(await list('alice', PW, '-l', '2', '-i', String(i)));
    assert.deepEqual(
      pages.map((p) => [p.total_page, p.current_page, p.transaction_count]),
      [
        [3, 1, 2],
        [3, 2, 2],
        [3, 3, 1],
      ],
    );
    assert.deepEqual(
      pages.flatMap((p) => p.transactions.map((t) => t.hash)),
      all,
    );
    assert.equal((await list('alice', PW, '--limit', '5')).total_page, 1);
    assert.equal((await list('alice', PW, '--limit', '100', '--index', '1')).transaction_count, 5);
    await expectCode(list('alice', PW, '-l', '2', '-i', '4'), 2003, /^no record in this page$/);
    await expectCode(list('alice', PW, '-i', '0'), 2003, /page index parameter cannot be zero/);
    await expectCode(list('alice', PW, '-l', '0'), 2003, /page record limit parameter cannot be zero/);
    await expectCode(list('alice', PW, '-l', '101'), 2003, /cannot be bigger than 100/);
  });

  test('-a: one address, with or without an account; spends count as records', async () => {
    // alice[1]'s only coin pays this sendfrom; its change goes to alice[0], so alice[1] appears only as a spender.
    const from = await call('sendfrom', 'alice', PW, alice[1], bob, '1000', '-c', alice[0]);
    await minePool(fx);
    const spender = await list('-a', alice[1]);
    assert.deepEqual(
      spender.transactions.map((t) => t.hash),
      [from.hash, coinbaseBlocks[3].txs[0].txid()],
    );
    assert.ok(from.outputs.every((o: { address: string }) => o.address !== alice[1]), 'the spend has no output to alice[1]');
    // Without an account nothing is owned, so every row reads as received.
    assert.ok(spender.transactions.every((t) => t.direction === 'receive' && t.outputs.every((o) => !o.own)));
    // With the account, ownership is the account's.
    const owned = await list('alice', PW, '-a', alice[1]);
    assert.equal(owned.transactions[0].direction, 'send');
    assert.deepEqual(
      owned.transactions[0].outputs.map((o) => o.own),
      from.outputs.map((o: { address: string }) => alice.includes(o.address)),
    );
    const bobView = await list('bobby', PW, '-a', alice[1]);
    assert.equal(bobView.transactions[0].direction, 'receive');
    assert.deepEqual(
      bobView.transactions[0].outputs.map((o) => o.own),
      from.outputs.map((o: { address: string }) => o.address === bob),
    );
    // bob's own listing: the payment, then this one, newest first.
    assert.deepEqual(
      (await list('bobby', PW)).transactions.map((t) => t.hash),
      [from.hash, payment],
    );
  });

  test('argument and account errors', async () => {
    await expectCode(list('-a', 'not-an-address'), 4010, /invalid address parameter/);
    await expectCode(list('alice', 'wrong-password'), 1000, /account not found or incorrect password/);
    await expectCode(list('alice', 'wrong-password', '-a', alice[0]), 1000);
    await expectCode(list(), 1000, /account not found or incorrect password/);
    await expectCode(list('alice', PW, '-s', 'NOSUCH'), 5010, /NOSUCH not exist!/);
  });

  test('-s: outputs of one issued asset; asset-transfer rows get its decimal number', async () => {
    // An issue to alice[0] and a transfer to bob, paid from a mature OP_TRUE coinbase.
    const coinbase = anyoneBlocks[0].txs[0];
    const issue = new Attachment(1, ATTACHMENT_TYPE.ASSET, {
      kind: 'asset_issue',
      symbol: Buffer.from('GOLD.COIN'),
      maximumSupply: 1_000_000n,
      decimalNumber: 4,
      secondaryIssueThreshold: 0,
      unused2: 0,
      unused3: 0,
      issuer: Buffer.from('alice'),
      address: Buffer.from(alice[0]),
      description: Buffer.from('test asset'),
    });
    const tx = new Transaction(
      4,
      [new TxInput(new OutPoint(coinbase.hash(), 0), new Script(), 0xffffffff)],
      [
        new TxOutput(0n, p2pkhOf(fx, alice[0]), issue),
        new TxOutput(0n, p2pkhOf(fx, bob), Attachment.assetTransfer('GOLD.COIN', 500n)),
        new TxOutput(coinbase.outputs[0].value - 10_000n, p2pkhOf(fx, bob), Attachment.etp(1)),
      ],
      0,
    );
    const block = buildBlock(fx.tc, { txs: [tx] }, 10_000n);
    const r = await fx.tc.chain.addBlock(block);
    assert.equal(r.status, 'connected', `${r.error?.code} ${r.error?.message}`);
    const gold = await list('alice', PW, '-s', 'gold.coin');
    assert.deepEqual(
      gold.transactions.map((t) => t.hash),
      [tx.txid()],
    );
    const row = gold.transactions[0];
    assert.equal(row.outputs[0].attachment.type, 'asset-issue');
    assert.deepEqual(row.outputs[1].attachment, { decimal_number: 4, quantity: 500, symbol: 'GOLD.COIN', type: 'asset-transfer' });
    // bob holds the transfer output; his ETP-only transactions carry no GOLD.COIN.
    assert.deepEqual(
      (await list('bobby', PW, '--symbol', 'GOLD.COIN')).transactions.map((t) => t.hash),
      [tx.txid()],
    );
    assert.equal((await list('bobby', PW)).transaction_count, 3);
  });

  test('a reorg that drops the payment block returns it to height 0', async () => {
    // A longer branch from below the payment block, without the payment.
    const forkParent = fx.tc.chain.getRecordAt(paymentHeight - 1)!;
    let parent = { hash: forkParent.hash, height: forkParent.height, timestamp: forkParent.header.timestamp };
    const depth = fx.tc.chain.height - paymentHeight + 2;
    for (let i = 0; i < depth; i++) {
      const b = buildBlock(fx.tc, { parent, tag: `fork-${i}` });
      await fx.tc.chain.addBlock(b);
      parent = { hash: b.header.hash(), height: parent.height + 1, timestamp: b.header.timestamp };
    }
    assert.equal(fx.tc.chain.tip.hash.equals(parent.hash), true, 'the fork is the best chain');
    assert.ok(fx.mempool.has(Buffer.from(payment, 'hex').reverse()), 'the pool re-admitted the payment');
    const rows = (await list('bobby', PW)).transactions;
    const back = rows.find((t) => t.hash === payment);
    assert.ok(back, 'the payment is listed again');
    assert.equal(back.height, 0);
    assert.equal(back.timestamp, fx.mempool.get(Buffer.from(payment, 'hex').reverse())!.time);
    // Nothing from the dropped blocks keeps a height: every row is in the pool now.
    assert.ok(rows.every((t) => t.height === 0), JSON.stringify(rows.map((t) => t.height)));
    assert.ok(rows.every((t) => fx.mempool.has(Buffer.from(t.hash, 'hex').reverse())));
  });

  test('--no-wallet: listtxs -a works, an account is refused', async () => {
    const off = new Wallet({ path: null, chain: fx.tc.chain, mempool: fx.mempool, kdf: TEST_KDF });
    const r = new Registry<null>();
    registerWalletMethods(r, off);
    const page = (await r.invoke('listtxs', ['-a', alice[0]], null, META)) as Page;
    assert.ok(page.transaction_count > 0);
    await expectCode(r.invoke('listtxs', ['alice', PW], null, META), 1000, /disabled/);
    await off.close();
  });
});
