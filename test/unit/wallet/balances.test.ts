import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Address } from '../../../src/primitives/address.js';
import type { WalletSession } from '../../../src/wallet/index.js';
import { expectCode, pendingSum, makeWalletFixture, mineTo, minePool, utxoSum, type WalletFixture } from '../../helpers/wallet.js';
import { buildBlock } from '../../helpers/chain.js';

const PW = 'password-1';

/** xorshift32: a fixed seed makes the run reproducible. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

describe('balances after 300 random sends among 5 accounts', () => {
  let fx: WalletFixture;
  const accounts: { name: string; addresses: string[]; session: WalletSession }[] = [];
  before(async () => {
    fx = await makeWalletFixture();
    for (let i = 0; i < 5; i++) {
      const name = `acct${i}`;
      const first = (await fx.wallet.createAccount(name, PW)).addresses;
      const more = await fx.wallet.newAddresses(name, PW, 2);
      // One KDF per account: the 300 sends go through an unlocked session.
      accounts.push({ name, addresses: [...first, ...more], session: await fx.wallet.openSession(name, PW) });
    }
  });
  after(() => fx.close());

  function available(a: { addresses: string[] }): bigint {
    return a.addresses.reduce((s, addr) => s + fx.wallet.addressBalance(addr).available, 0n);
  }

  async function checkAgainstUtxoSet(label: string): Promise<void> {
    for (const a of accounts) {
      for (const addr of a.addresses) {
        const b = fx.wallet.addressBalance(addr);
        assert.equal(b.confirmed, utxoSum(fx, [addr]), `${label}: ${addr} confirmed = UTXO sum`);
        assert.equal(b.unspent, pendingSum(fx, [addr]), `${label}: ${addr} unspent = UTXO sum with the pool applied`);
      }
    }
  }

  test('300 sends, mined in batches; confirmed and unspent equal the UTXO set', async () => {
    const random = rng(20240601);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    // Coinbases to every account, then enough blocks for them to mature.
    for (let i = 0; i < 25; i++) await mineTo(fx, 1, pick(pick(accounts).addresses));
    await mineTo(fx, 10);
    let sent = 0;
    let skipped = 0;
    let kinds = { send: 0, sendfrom: 0, sendmore: 0 };
    while (sent < 300) {
      const from = pick(accounts);
      const to = pick(accounts);
      const budget = available(from) - 30_000n;
      if (budget < 100_000n) {
        skipped++;
        if (skipped > 1000) throw new Error('the accounts ran dry');
        continue;
      }
      const amount = 1n + BigInt(Math.floor(random() * Number(budget / 3n)));
      const kind = random();
      if (kind < 0.6) {
        await from.session.send(pick(to.addresses), amount, { fee: 10_000n + BigInt(Math.floor(random() * 5) * 1000) });
        kinds.send++;
      } else if (kind < 0.8) {
        // sendfrom needs a source address that can pay alone.
        const source = from.addresses.find((a) => fx.wallet.addressBalance(a).available > amount + 20_000n);
        if (!source) continue;
        await from.session.sendFrom(source, pick(to.addresses), amount);
        kinds.sendfrom++;
      } else {
        const half = amount / 2n + 1n;
        await from.session.sendMore([`${pick(to.addresses)}:${half}`, `${pick(pick(accounts).addresses)}:${half}`]);
        kinds.sendmore++;
      }
      sent++;
      if (sent % 25 === 0) {
        await checkAgainstUtxoSet(`before mining #${sent}`);
        await minePool(fx, { payTo: Address.fromString(pick(pick(accounts).addresses)).toScript(fx.tc.network.address) });
        assert.equal(fx.mempool.size, 0);
        await checkAgainstUtxoSet(`after mining #${sent}`);
      }
    }
    await minePool(fx);
    await checkAgainstUtxoSet('final');
    for (const a of accounts) {
      const total = await fx.wallet.getBalance(a.name, PW);
      const utxo = utxoSum(fx, a.addresses);
      assert.equal(total.total_confirmed, utxo, a.name);
      assert.equal(total.total_unspent, utxo, a.name);
      assert.equal(total.total_available + total.total_frozen, utxo);
      const rows = await fx.wallet.listBalances(a.name, PW);
      assert.deepEqual(
        rows.map((r) => r.address),
        a.addresses,
      );
      assert.equal(
        rows.reduce((s, r) => s + r.unspent, 0n),
        utxo,
      );
    }
    assert.ok(kinds.send > 100 && kinds.sendfrom > 20 && kinds.sendmore > 20, JSON.stringify(kinds));
    // A session ends with a password change (and with close()).
    const s = accounts[4].session;
    assert.equal((await s.getBalance()).total_unspent, utxoSum(fx, accounts[4].addresses));
    await fx.wallet.changePassword(accounts[4].name, PW, 'another-password');
    await expectCode(s.getBalance(), 1000);
    accounts[3].session.close();
    await expectCode(accounts[3].session.newAddresses(1), 1000);
  });

  test('listbalances -n / -g / -l filter on the unspent amount', async () => {
    const a = accounts[0];
    const [empty] = await a.session.newAddresses(1);
    const all = await fx.wallet.listBalances(a.name, PW);
    assert.ok(all.some((r) => r.address === empty && r.unspent === 0n));
    const nonzero = await fx.wallet.listBalances(a.name, PW, { nozero: true });
    assert.ok(!nonzero.some((r) => r.unspent === 0n));
    const amounts = nonzero.map((r) => r.unspent).sort((x, y) => (x < y ? -1 : 1));
    const mid = amounts[Math.floor(amounts.length / 2)];
    const ge = await fx.wallet.listBalances(a.name, PW, { greaterEqual: mid });
    assert.ok(ge.every((r) => r.unspent >= mid) && ge.length >= 1);
    const le = await fx.wallet.listBalances(a.name, PW, { lesserEqual: mid });
    assert.ok(le.every((r) => r.unspent <= mid));
  });
});

describe('balances across a reorganization', () => {
  let fx: WalletFixture;
  before(async () => {
    fx = await makeWalletFixture();
  });
  after(() => fx.close());

  test('a reorg that drops a payment: balances follow, the payment returns to the pool', async () => {
    const alice = (await fx.wallet.createAccount('alice', PW)).addresses[0];
    const bob = (await fx.wallet.createAccount('bobby', PW)).addresses[0];
    await mineTo(fx, 12, alice);
    const payment = await fx.wallet.send('alice', PW, bob, 100_000_000n);
    const forkParent = fx.tc.chain.tip;
    await minePool(fx);
    assert.equal((await fx.wallet.getBalance('bobby', PW)).total_confirmed, 100_000_000n);
    // A competing branch of two empty blocks from the fork point wins.
    const b1 = buildBlock(fx.tc, { parent: { hash: forkParent.hash, height: forkParent.height, timestamp: forkParent.header.timestamp }, tag: 'fork' });
    await fx.tc.chain.addBlock(b1);
    const b2 = buildBlock(fx.tc, { parent: { hash: b1.hash(), height: forkParent.height + 1, timestamp: b1.header.timestamp }, tag: 'fork' });
    const r = await fx.tc.chain.addBlock(b2);
    assert.equal(r.status, 'reorganized');
    assert.ok(fx.mempool.has(payment.hash()), 'the mempool re-admitted the disconnected payment');
    const bobAfter = await fx.wallet.getBalance('bobby', PW);
    assert.equal(bobAfter.total_confirmed, 0n, 'no longer confirmed');
    assert.equal(bobAfter.total_unspent, 100_000_000n, 'still pending in the pool');
    assert.equal((await fx.wallet.getBalance('alice', PW)).total_confirmed, utxoSum(fx, [alice]));
    // Mining it again confirms it on the new branch.
    await minePool(fx);
    assert.equal((await fx.wallet.getBalance('bobby', PW)).total_confirmed, 100_000_000n);
    assert.equal(utxoSum(fx, [bob]), 100_000_000n);
  });
});
