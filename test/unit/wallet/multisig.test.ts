import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hash160 } from '../../../src/crypto/hash.js';
import { Address } from '../../../src/primitives/address.js';
import { Script, multisigScript } from '../../../src/primitives/script.js';
import { makeWalletFixture, mineTo, minePool, expectCode, utxoSum, type WalletFixture } from '../../helpers/wallet.js';

const PW = 'password-1';

describe('2-of-3 multisig', () => {
  let fx: WalletFixture;
  const names = ['anna', 'ben', 'cleo'] as const;
  const keys: Record<string, string> = {};
  let funder: string;
  let dave: string;
  let msAddress: string;
  before(async () => {
    fx = await makeWalletFixture();
    for (const n of names) {
      const a = (await fx.wallet.createAccount(n, PW)).addresses[0];
      keys[n] = (await fx.wallet.getPublicKey(n, PW, a)).public_key;
    }
    funder = (await fx.wallet.createAccount('funder', PW)).addresses[0];
    dave = (await fx.wallet.createAccount('dave', PW)).addresses[0];
    await mineTo(fx, 13, funder);
  });
  after(() => fx.close());

  test('getnewmultisig: every cosigner gets the same P2SH address of the sorted-key redeem script', async () => {
    const infos = [];
    for (const n of names) {
      const others = names.filter((o) => o !== n).map((o) => keys[o]);
      infos.push(await fx.wallet.newMultisig(n, PW, { m: 2, n: 3, selfPublicKey: keys[n], publicKeys: others, description: `shared by ${n}` }));
    }
    const sorted = names.map((n) => keys[n]).sort();
    const redeem = multisigScript(2, sorted.map((k) => Buffer.from(k, 'hex')));
    msAddress = new Address(0x05, hash160(redeem.raw)).toString();
    for (const [i, info] of infos.entries()) {
      assert.equal(info.address, msAddress);
      assert.deepEqual(info.public_keys, sorted);
      assert.equal(info.self_publickey, keys[names[i]]);
      assert.deepEqual([info.index, info.m, info.n], [1, 2, 3]);
      assert.equal(info.multisig_script, `2 [ ${sorted[0]} ]  [ ${sorted[1]} ]  [ ${sorted[2]} ] 3 checkmultisig`);
    }
    assert.deepEqual(await fx.wallet.listMultisig('anna', PW), [infos[0]]);
    assert.ok((await fx.wallet.listAddresses('anna', PW)).includes(msAddress));
  });

  test('getnewmultisig checks its arguments like the reference', async () => {
    const [a, b, c] = names.map((n) => keys[n]);
    await expectCode(fx.wallet.newMultisig('anna', PW, { m: 2, n: 3, selfPublicKey: a, publicKeys: [b, c] }), 5202);
    await expectCode(fx.wallet.newMultisig('anna', PW, { m: 2, n: 3, selfPublicKey: b, publicKeys: [a, c] }), 5231, /not belongs to this account/);
    await expectCode(fx.wallet.newMultisig('anna', PW, { m: 3, n: 2, selfPublicKey: a, publicKeys: [b] }), 5220);
    await expectCode(fx.wallet.newMultisig('anna', PW, { m: 0, n: 2, selfPublicKey: a, publicKeys: [b] }), 5220);
    await expectCode(fx.wallet.newMultisig('anna', PW, { m: 1, n: 21, selfPublicKey: a, publicKeys: [b] }), 5230);
    await expectCode(fx.wallet.newMultisig('anna', PW, { m: 1, n: 3, selfPublicKey: a, publicKeys: [b] }), 5230);
    await expectCode(fx.wallet.newMultisig('anna', PW, { m: 1, n: 2, selfPublicKey: a, publicKeys: [] }), 5201);
    await expectCode(fx.wallet.newMultisig('anna', PW, { m: 1, n: 3, selfPublicKey: a, publicKeys: [b, b] }), 5201);
    await expectCode(fx.wallet.newMultisig('anna', PW, { m: 1, n: 2, selfPublicKey: a, publicKeys: ['02' + '11'.repeat(31)] }), 5204);
  });

  test('receive on the multisig address: every cosigner sees it in getbalance', async () => {
    await fx.wallet.send('funder', PW, msAddress, 500_000_000n);
    await minePool(fx);
    assert.equal(utxoSum(fx, [msAddress]), 500_000_000n);
    for (const n of names) {
      const rows = await fx.wallet.listBalances(n, PW);
      assert.equal(rows.find((r) => r.address === msAddress)?.unspent, 500_000_000n, n);
    }
    // The wallet never spends multisig funds in a plain send.
    await expectCode(fx.wallet.send('anna', PW, dave, 1000n), 5302);
  });

  test('createmultisigtx (cleo) + signmultisigtx (anna) spends it; signatures end up in key order', async () => {
    const partial = await fx.wallet.createMultisigTx('cleo', PW, msAddress, dave, 200_000_000n);
    assert.equal(partial.inputs.length, 1);
    const ops = partial.inputs[0].script.ops!;
    assert.equal(ops.length, 3, 'zero <sig> <redeem>');
    assert.equal(partial.outputs[1].value, 500_000_000n - 200_000_000n - 10_000n);
    assert.ok(partial.outputs[1].script.equals(Address.fromString(msAddress).toScript(fx.tc.network.address)), 'change back to the multisig address');
    // One signature is not enough.
    await expectCode(fx.wallet.sendRawTx(partial), 5304);
    const { tx, complete } = await fx.wallet.signMultisigTx('anna', PW, partial.toHex(), { broadcast: true });
    assert.equal(complete, true);
    assert.equal(tx.inputs[0].script.ops!.length, 4, 'zero <sig> <sig> <redeem>');
    assert.ok(fx.mempool.has(tx.hash()));
    await minePool(fx);
    assert.equal(utxoSum(fx, [dave]), 200_000_000n);
    assert.equal(utxoSum(fx, [msAddress]), 300_000_000n - 10_000n);
  });

  test('signatures in the wrong order are re-ordered by sendrawtx', async () => {
    const partial = await fx.wallet.createMultisigTx('ben', PW, msAddress, dave, 1_000_000n);
    const { tx } = await fx.wallet.signMultisigTx('cleo', PW, partial);
    const ops = tx.inputs[0].script.ops!;
    const swapped = tx.clone();
    swapped.inputs[0].script = Script.fromOps([ops[0], ops[2], ops[1], ops[3]]);
    swapped.invalidate();
    assert.notEqual(swapped.txid(), tx.txid());
    const txid = await fx.wallet.sendRawTx(swapped);
    assert.equal(txid, tx.txid(), 'the re-ordered transaction is the correctly signed one');
    await minePool(fx);
  });

  test('signrawtx with an account on a P2SH input answers the per-key signatures', async () => {
    const partial = await fx.wallet.createMultisigTx('ben', PW, msAddress, dave, 1_000_000n);
    const unsigned = partial.clone();
    unsigned.inputs[0].script = new Script();
    unsigned.invalidate();
    const r = await fx.wallet.signRawTx(unsigned, { name: 'anna', password: PW });
    assert.ok(r.scriptSignatures);
    const sigs = r.scriptSignatures!.get(0)!;
    assert.deepEqual([...sigs.keys()], [keys.anna]);
    await expectCode(fx.wallet.signRawTx(unsigned, { wifs: [fx.wallet.generateKey().wif] }), 2003, /account\/password to sign pay-to-script/);
    // signmultisigtx with a key the account does not own.
    await expectCode(fx.wallet.signMultisigTx('anna', PW, partial, { selfPublicKey: keys.ben }), 5231);
    // An account without the multisig record cannot sign it.
    await expectCode(fx.wallet.signMultisigTx('dave', PW, partial), 5203);
  });

  test('deletemultisig removes the record and its address', async () => {
    const removed = await fx.wallet.deleteMultisig('cleo', PW, msAddress);
    assert.equal(removed.length, 1);
    assert.deepEqual(await fx.wallet.listMultisig('cleo', PW), []);
    assert.ok(!(await fx.wallet.listAddresses('cleo', PW)).includes(msAddress));
    await expectCode(fx.wallet.deleteMultisig('cleo', PW, msAddress), 5203);
    await expectCode(fx.wallet.createMultisigTx('cleo', PW, msAddress, dave, 1000n), 5203);
    await expectCode(fx.wallet.createMultisigTx('anna', PW, dave, dave, 1000n), 4015, /not a script address/);
  });
});
