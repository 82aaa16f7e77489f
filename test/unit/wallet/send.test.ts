import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { blockSubsidy } from '../../../src/networks/index.js';
import { ATTACHMENT_TYPE } from '../../../src/primitives/attachment.js';
import { Address } from '../../../src/primitives/address.js';
import { OutPoint } from '../../../src/primitives/transaction.js';
import { MIN_FEE, MAX_FEE } from '../../../src/wallet/index.js';
import { makeWalletFixture, mineTo, minePool, expectCode, utxoSum, type WalletFixture } from '../../helpers/wallet.js';

const PW = 'password-1';
const FEE = MIN_FEE;

describe('sending ETP', () => {
  let fx: WalletFixture;
  let alice: string;
  let bob: string;
  let S: bigint;
  before(async () => {
    fx = await makeWalletFixture();
    alice = (await fx.wallet.createAccount('alice', PW)).addresses[0];
    bob = (await fx.wallet.createAccount('bobby', PW)).addresses[0];
    S = blockSubsidy(fx.tc.network, 1, 1);
    // 12 coinbases to alice: with maturity 10 only those of heights 1 and 2 are spendable at tip 12.
    await mineTo(fx, 12, alice);
  });
  after(() => fx.close());

  test('immature coinbase outputs are frozen, not available', async () => {
    const b = await fx.wallet.getBalance('alice', PW);
    assert.deepEqual(b, { total_confirmed: 12n * S, total_received: 12n * S, total_unspent: 12n * S, total_available: 2n * S, total_frozen: 10n * S });
    const utxos = fx.wallet.addressUtxos(alice);
    assert.equal(utxos.length, 12);
    assert.equal(utxos.filter((u) => u.frozen === 0n).length, 2);
    assert.deepEqual(fx.wallet.addressBalance(alice), { address: alice, confirmed: 12n * S, received: 12n * S, unspent: 12n * S, available: 2n * S, frozen: 10n * S });
  });

  test('send: only mature coins pay; the tx has the reference layout and the pool admits it', async () => {
    const amount = S + S / 2n;
    const tx = await fx.wallet.send('alice', PW, bob, amount);
    assert.equal(tx.version, 4, 'nova is always active on regtest: version 4');
    assert.equal(tx.inputs.length, 2);
    for (const input of tx.inputs) {
      const coin = fx.tc.store.getCoin(input.prevout.toKey())!;
      assert.ok(coin.coinbase && fx.tc.chain.height - coin.height >= 10, 'spends a mature coinbase');
      assert.equal(input.sequence, 0xffffffff);
    }
    assert.equal(tx.outputs.length, 2);
    assert.equal(tx.outputs[0].value, amount);
    assert.equal(Address.fromString(bob).toScript(fx.tc.network.address).toHex(), tx.outputs[0].script.toHex());
    assert.equal(tx.outputs[1].value, 2n * S - amount - FEE, 'change');
    for (const o of tx.outputs) assert.deepEqual([o.attachment.version, o.attachment.type], [1, ATTACHMENT_TYPE.ETP]);
    assert.ok(fx.mempool.has(tx.hash()));
    // Pending: confirmed ignores the pool, unspent follows it.
    const a = await fx.wallet.getBalance('alice', PW);
    assert.equal(a.total_confirmed, 12n * S);
    assert.equal(a.total_unspent, 12n * S - amount - FEE);
    const b = await fx.wallet.getBalance('bobby', PW);
    assert.deepEqual(b, { total_confirmed: 0n, total_received: amount, total_unspent: amount, total_available: amount, total_frozen: 0n });
  });

  test('a second send before mining spends the pending change, never a coin the pool already spends', async () => {
    const tx = await fx.wallet.send('alice', PW, bob, S / 4n);
    assert.equal(tx.inputs.length, 1);
    const first = fx.mempool.all()[0].tx;
    assert.ok(tx.inputs[0].prevout.hash.equals(first.hash()), 'the unconfirmed change of the first send');
    assert.equal(fx.mempool.size, 2);
    await expectCode(fx.wallet.send('alice', PW, bob, S), 3302, /^not enough balance, unspent = \d+, payment = \d+$/);
  });

  test('mined: a real script check accepts both, balances equal the UTXO set', async () => {
    const before = fx.scripts.checked;
    await minePool(fx);
    assert.equal(fx.mempool.size, 0);
    assert.ok(fx.scripts.checked >= before + 3, 'every input script verified in the block');
    const a = await fx.wallet.getBalance('alice', PW);
    const b = await fx.wallet.getBalance('bobby', PW);
    assert.equal(a.total_unspent, utxoSum(fx, await fx.wallet.listAddresses('alice', PW)));
    assert.equal(b.total_unspent, utxoSum(fx, [bob]));
    assert.equal(b.total_confirmed, S + S / 2n + S / 4n);
    assert.equal(a.total_confirmed, a.total_unspent);
  });

  test('fee bounds [10,000, 10^10] → 5005; zero amount → 2003; unknown receiver → 7006', async () => {
    await expectCode(fx.wallet.send('alice', PW, bob, 1000n, { fee: MIN_FEE - 1n }), 5005, /^fee must in \[10000, 10000000000\]$/);
    await expectCode(fx.wallet.send('alice', PW, bob, 1000n, { fee: MAX_FEE + 1n }), 5005);
    await expectCode(fx.wallet.send('alice', PW, bob, 0n), 2003);
    await expectCode(fx.wallet.send('alice', PW, 'not-an-address', 1000n), 7006);
    await expectCode(fx.wallet.send('alice', PW, 'tFHAbEiLQi3Tdw94Xf9Y5Xkj39CrCMXZFz', 1000n), 7006, /does not exist/);
    // A fee above the minimum goes to the miner.
    const tx = await fx.wallet.send('alice', PW, bob, 1000n, { fee: 50_000n });
    assert.equal(fx.mempool.get(tx.hash())!.fee, 50_000n);
  });

  test('--memo adds a 0-value message output to the receiver; --change picks the change address', async () => {
    const [changeTo] = await fx.wallet.newAddresses('alice', PW, 1);
    const tx = await fx.wallet.send('alice', PW, bob, 5000n, { memo: 'thanks for lunch', change: changeTo });
    assert.equal(tx.outputs.length, 3);
    assert.equal(tx.outputs[1].value, 0n);
    assert.equal(tx.outputs[1].attachment.type, ATTACHMENT_TYPE.MESSAGE);
    assert.equal(tx.outputs[1].attachment.body.kind === 'message' && tx.outputs[1].attachment.body.content.toString(), 'thanks for lunch');
    assert.ok(tx.outputs[1].script.equals(tx.outputs[0].script), 'the memo goes to the receiver');
    assert.ok(tx.outputs[2].script.equals(Address.fromString(changeTo).toScript(fx.tc.network.address)));
    await expectCode(fx.wallet.send('alice', PW, bob, 5000n, { memo: 'x'.repeat(253) }), 2002);
  });

  test('--locktime makes inputs non-final (sequence 2^31) and sets the lock time', async () => {
    const tx = await fx.wallet.send('alice', PW, bob, 7000n, { locktime: 5 });
    assert.equal(tx.locktime, 5);
    assert.ok(tx.inputs.every((i) => i.sequence === 0x80000000));
    assert.ok(fx.mempool.has(tx.hash()));
  });

  test('--exclude skips coins valued in [a, b)', async () => {
    await minePool(fx);
    const values = fx.wallet.addressUtxos(alice).filter((u) => u.frozen === 0n).map((u) => u.balance);
    const largest = values[0];
    const tx = await fx.wallet.send('alice', PW, bob, 1000n, { exclude: [largest, largest + 1n] });
    for (const input of tx.inputs) {
      const coin = fx.tc.store.getCoin(input.prevout.toKey());
      assert.notEqual(coin?.value ?? 0n, largest);
    }
  });

  test('sendfrom: coins only from FROM, change back to FROM; foreign FROM → 5302, empty own FROM → 3302', async () => {
    await minePool(fx);
    const [spare] = await fx.wallet.newAddresses('alice', PW, 1);
    const fund = await fx.wallet.send('alice', PW, spare, 100_000n);
    await minePool(fx);
    const tx = await fx.wallet.sendFrom('alice', PW, spare, bob, 40_000n);
    assert.equal(tx.inputs.length, 1);
    assert.ok(tx.inputs[0].prevout.hash.equals(fund.hash()));
    assert.ok(tx.outputs[1].script.equals(Address.fromString(spare).toScript(fx.tc.network.address)));
    assert.equal(tx.outputs[1].value, 100_000n - 40_000n - FEE);
    await expectCode(fx.wallet.sendFrom('alice', PW, bob, alice, 1000n), 5302, /do not own the from address/);
    const [empty] = await fx.wallet.newAddresses('alice', PW, 1);
    await expectCode(fx.wallet.sendFrom('alice', PW, empty, bob, 1000n), 3302);
  });

  test('sendmore: several receivers; the memo goes to --mychange, else the first receiver', async () => {
    const carol = (await fx.wallet.createAccount('carol', PW)).addresses[0];
    const tx = await fx.wallet.sendMore('alice', PW, [`${bob}:1000`, `${carol}:2000`], { memo: 'split' });
    assert.deepEqual(
      tx.outputs.slice(0, 3).map((o) => o.value),
      [1000n, 2000n, 0n],
    );
    assert.ok(tx.outputs[2].script.equals(tx.outputs[0].script));
    const [mine] = await fx.wallet.newAddresses('alice', PW, 1);
    const tx2 = await fx.wallet.sendMore('alice', PW, [`${carol}:3000`], { memo: 'to me', change: mine });
    const mineScript = Address.fromString(mine).toScript(fx.tc.network.address);
    assert.ok(tx2.outputs[1].script.equals(mineScript) && tx2.outputs[1].attachment.type === ATTACHMENT_TYPE.MESSAGE);
    assert.ok(tx2.outputs[2].script.equals(mineScript) && tx2.outputs[2].value > 0n);
    await expectCode(fx.wallet.sendMore('alice', PW, [`${carol}:0`]), 2003);
    await expectCode(fx.wallet.sendMore('alice', PW, [`${carol}`]), 2003);
    await expectCode(fx.wallet.sendMore('alice', PW, []), 4011);
  });

  test('an account without coins → 5302; a wrong password → 1000 before anything else', async () => {
    await fx.wallet.createAccount('pauper', PW);
    await expectCode(fx.wallet.send('pauper', PW, bob, 1000n), 5302);
    await expectCode(fx.wallet.send('pauper', 'nope-nope', bob, 0n), 1000);
  });

  test('a pool output that is spent is not offered again after a restart of the view', async () => {
    const tx = await fx.wallet.send('alice', PW, bob, 1234n);
    for (const input of tx.inputs) assert.ok(fx.mempool.spenderOf(new OutPoint(input.prevout.hash, input.prevout.index)));
    const next = await fx.wallet.send('alice', PW, bob, 1234n);
    const spent = new Set(tx.inputs.map((i) => i.prevout.toString()));
    assert.ok(next.inputs.every((i) => !spent.has(i.prevout.toString())));
    await minePool(fx);
  });
});
