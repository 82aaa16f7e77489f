import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { blockSubsidy } from '../../../src/networks/index.js';
import { Address } from '../../../src/primitives/address.js';
import { Attachment, ATTACHMENT_TYPE } from '../../../src/primitives/attachment.js';
import { Script, lockHeightScript } from '../../../src/primitives/script.js';
import { Wallet, type WalletChain } from '../../../src/wallet/index.js';
import { OutPoint, Transaction, TxInput, TxOutput } from '../../../src/primitives/transaction.js';
import { makeWalletFixture, mineTo, minePool, expectCode, TEST_KDF, type WalletFixture } from '../../helpers/wallet.js';

const PW = 'password-1';

describe('raw transactions', () => {
  let fx: WalletFixture;
  let alice: string;
  let aliceWif: string;
  let bob: string;
  let S: bigint;
  before(async () => {
    fx = await makeWalletFixture();
    // An account whose first key we know as WIF, to sign without the account.
    const key = fx.wallet.generateKey();
    aliceWif = key.wif;
    alice = (await fx.wallet.importAccount('alice', PW, key.mnemonic)).addresses[0];
    bob = (await fx.wallet.createAccount('bobby', PW)).addresses[0];
    S = blockSubsidy(fx.tc.network, 1, 1);
    await mineTo(fx, 14, alice);
  });
  after(() => fx.close());

  test('createrawtx → signrawtx (account) → sendrawtx', async () => {
    const unsigned = await fx.wallet.createRawTx({ type: 0, senders: [alice], receivers: [`${bob}:${S}`] });
    assert.ok(unsigned.inputs.every((i) => i.script.length === 0), 'unsigned');
    assert.equal(unsigned.version, 4);
    assert.equal(unsigned.outputs[0].value, S);
    // -c 3 (default): only coins with ≥ 3 confirmations, and only mature ones; change to the sender.
    assert.ok(unsigned.outputs[1].script.equals(Address.fromString(alice).toScript(fx.tc.network.address)));
    const signed = await fx.wallet.signRawTx(unsigned.toHex(), { name: 'alice', password: PW });
    assert.equal(signed.scriptSignatures, null);
    assert.ok(signed.tx.inputs.every((i) => i.script.pattern() === 'sign_key_hash'));
    const txid = await fx.wallet.sendRawTx(signed.tx.toHex());
    assert.equal(txid, signed.tx.txid());
    assert.ok(fx.mempool.has(signed.tx.hash()));
  });

  test('createrawtx -p copies previous output scripts; signrawtx -o --wif signs without the chain or the account', async () => {
    const unsigned = await fx.wallet.createRawTx({ type: 0, senders: [alice], receivers: [`${bob}:1000`], putscript: true, message: 'hello' });
    for (const input of unsigned.inputs) {
      const coin = fx.tc.store.getCoin(input.prevout.toKey())!;
      assert.ok(input.script.equals(coin.script));
    }
    // The message follows the change (base_transaction_constructor::populate_change).
    const last = unsigned.outputs[unsigned.outputs.length - 1];
    assert.equal(last.attachment.type, ATTACHMENT_TYPE.MESSAGE);
    assert.equal(last.value, 0n);
    const signed = await fx.wallet.signRawTx(unsigned, { wifs: [aliceWif], offline: true });
    // The same signatures as signing with the account against the chain's scripts.
    const viaAccount = await fx.wallet.signRawTx(unsigned, { name: 'alice', password: PW });
    assert.equal(signed.tx.toHex(), viaAccount.tx.toHex());
    await fx.wallet.sendRawTx(signed.tx);
    await minePool(fx);
  });

  test('createrawtx -u uses the given outputs (with a sequence) and checks them', async () => {
    const coin = fx.wallet.addressUtxos(alice).find((u) => u.frozen === 0n)!;
    const unsigned = await fx.wallet.createRawTx({ type: 0, utxos: [`${coin.utxo_hash}:${coin.utxo_index}:7`], receivers: [`${bob}:5000`], mychange: bob });
    assert.equal(unsigned.inputs.length, 1);
    assert.equal(unsigned.inputs[0].sequence, 7);
    assert.ok(unsigned.outputs[1].script.equals(Address.fromString(bob).toScript(fx.tc.network.address)), '--mychange');
    await expectCode(fx.wallet.createRawTx({ type: 0, utxos: [`${'00'.repeat(32)}:0`], receivers: [`${bob}:1`] }), 5306);
    await expectCode(fx.wallet.createRawTx({ type: 0, utxos: [`${coin.utxo_hash}:99`], receivers: [`${bob}:1`] }), 5306);
    await expectCode(fx.wallet.createRawTx({ type: 0, utxos: ['nonsense'], receivers: [`${bob}:1`] }), 2003);
    await expectCode(fx.wallet.createRawTx({ type: 0, receivers: [`${bob}:1`] }), 4015);
    await expectCode(fx.wallet.createRawTx({ type: 7, senders: [alice], receivers: [`${bob}:1`] }), 2003);
    await expectCode(fx.wallet.createRawTx({ type: 0, senders: [alice], receivers: [] }), 4012);
    await expectCode(fx.wallet.createRawTx({ type: 0, senders: [alice], receivers: [`${bob}:1`], fee: 1n }), 5005);
    await expectCode(fx.wallet.createRawTx({ type: 0, senders: [bob], receivers: [`${alice}:1`] }), 5302);
  });

  test('signrawtx refuses keys that do not match and offline signing without scripts', async () => {
    const unsigned = await fx.wallet.createRawTx({ type: 0, senders: [alice], receivers: [`${bob}:1000`] });
    const other = fx.wallet.generateKey();
    await expectCode(fx.wallet.signRawTx(unsigned, { wifs: [other.wif] }), 2003, /No private key matches address/);
    await expectCode(fx.wallet.signRawTx(unsigned, { wifs: [aliceWif], offline: true }), 2003, /offline/);
    await expectCode(fx.wallet.signRawTx(unsigned, { name: 'bobby', password: PW }), 2003, /is not owned/);
    await expectCode(fx.wallet.signRawTx(unsigned, {}), 2003, /Missing account\/password or private key/);
    // An invalid key is reported without echoing it.
    await expectCode(fx.wallet.signRawTx(unsigned, { wifs: ['not-a-key-at-all'] }), 2003, /^invalid private key/);
  });

  test('sendrawtx: fee window 5005, inputs ≤ outputs 5304, unknown inputs 5304, bad hex 1021', async () => {
    const coin = fx.wallet.addressUtxos(alice).find((u) => u.frozen === 0n)!;
    const build = (fee: bigint) =>
      fx.wallet.createRawTx({ type: 0, utxos: [`${coin.utxo_hash}:${coin.utxo_index}`], receivers: [`${bob}:${coin.balance - fee}`], fee: 10_000n });
    const exact = await build(10_000n);
    assert.equal(exact.outputs.length, 1, 'no change when the fee takes the rest');
    // Hand-edit the value to make the fee 9,999 and 0.
    for (const [fee, code] of [
      [9_999n, 5005],
      [0n, 5304],
    ] as const) {
      const tx = exact.clone();
      tx.outputs[0].value = coin.balance - fee;
      tx.invalidate();
      const signed = await fx.wallet.signRawTx(tx, { name: 'alice', password: PW });
      await expectCode(fx.wallet.sendRawTx(signed.tx), code);
    }
    const orphan = new Transaction(4, [new TxInput(new OutPoint(Buffer.alloc(32, 7), 0), new Script(), 0xffffffff)], [new TxOutput(1n, Address.fromString(bob).toScript(fx.tc.network.address), Attachment.etp(1))], 0);
    await expectCode(fx.wallet.sendRawTx(orphan), 5304, /inputs etp value/);
    await expectCode(fx.wallet.sendRawTx('00zz'), 1021);
    // An unsigned transaction fails validation.
    await expectCode(fx.wallet.sendRawTx(exact), 5304, /validate transaction failure/);
  });

  test('sendrawtx refuses deposit outputs once PoS is active (check_forbidden_transaction)', async () => {
    const pos = { ...fx.tc.network, posEnabledHeight: 10 };
    const chain = { network: pos, height: 20, tip: fx.tc.chain.tip, store: fx.tc.chain.store, getRecordAt: () => null, medianTimePast: () => 0 } as unknown as WalletChain;
    const afterPos = new Wallet({ path: null, chain, mempool: fx.mempool, kdf: TEST_KDF });
    const deposit = new Transaction(4, [new TxInput(new OutPoint(Buffer.alloc(32, 9), 0), new Script(), 0xffffffff)], [new TxOutput(1000n, lockHeightScript(Buffer.alloc(20, 1), 25200), Attachment.etp(1))], 0);
    await expectCode(afterPos.sendRawTx(deposit), 5304, /^deposit is forbidden after PoS enabled\.$/);
    // Before PoS the same transaction gets past that check (and fails on its unknown input).
    await expectCode(fx.wallet.sendRawTx(deposit), 5304, /inputs etp value/);
    await afterPos.close();
  });

  test('decoderawtx round-trips the bytes', async () => {
    const unsigned = await fx.wallet.createRawTx({ type: 0, senders: [alice], receivers: [`${bob}:1000`] });
    assert.equal(fx.wallet.decodeRawTx(unsigned.toHex()).toHex(), unsigned.toHex());
    await expectCode(() => fx.wallet.decodeRawTx('01'), 1021, /for option '--TRANSACTION' is invalid/);
  });
});
