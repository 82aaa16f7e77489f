import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { validateMnemonic, decodeWif } from '../../../src/crypto/keys/index.js';
import { getSecp256k1 } from '../../../src/crypto/secp256k1/index.js';
import { Address } from '../../../src/primitives/address.js';
import { Wallet, BAD_CREDENTIALS } from '../../../src/wallet/index.js';
import { makeWalletFixture, expectCode, TEST_KDF, type WalletFixture } from '../../helpers/wallet.js';

const PASSWORD = 'correct horse 42';

describe('wallet accounts', () => {
  let fx: WalletFixture;
  before(async () => {
    fx = await makeWalletFixture();
  });
  after(() => fx.close());

  test('getnewaccount makes a 24-word account with one M address at m/0', async () => {
    const r = await fx.wallet.createAccount('alice', PASSWORD);
    assert.equal(r.name, 'alice');
    assert.equal(r.mnemonic.split(' ').length, 24);
    assert.ok(validateMnemonic(r.mnemonic, 'en'));
    assert.equal(r.addresses.length, 1);
    assert.ok(Address.parse(r.addresses[0], fx.tc.network.address), 'a regtest (M…) address');
    // The same words imported elsewhere give the same first address.
    const again = await fx.wallet.importAccount('alice-copy', PASSWORD, r.mnemonic, { count: 1 });
    assert.deepEqual(again.addresses, r.addresses);
    await expectCode(fx.wallet.createAccount('alice', PASSWORD), 3001);
  });

  test('mnemonic languages: generated words validate in their list; "any" generates English', async () => {
    for (const language of ['es', 'ja', 'zh_Hans', 'zh_Hant'] as const) {
      const r = await fx.wallet.createAccount(`lang-${language}`, PASSWORD, language);
      assert.ok(validateMnemonic(r.mnemonic, language), language);
      const imported = await fx.wallet.importAccount(`lang-${language}-copy`, PASSWORD, r.mnemonic, { language });
      assert.deepEqual(imported.addresses, r.addresses);
    }
    const k = fx.wallet.generateKey('any');
    assert.ok(validateMnemonic(k.mnemonic, 'en'));
  });

  test('stateless key generation stores nothing and returns a consistent key', async () => {
    const before = fx.wallet.accountCount();
    const k = fx.wallet.generateKey();
    assert.equal(fx.wallet.accountCount(), before);
    const backend = getSecp256k1();
    const wif = decodeWif(k.wif);
    assert.equal(wif.privateKey.toString('hex'), k.private_key);
    assert.equal(Buffer.from(backend.publicKeyCreate(wif.privateKey, true)).toString('hex'), k.public_key);
    const imported = await fx.wallet.importAccount('from-generated', PASSWORD, k.mnemonic);
    assert.deepEqual(imported.addresses, [k.address]);
  });

  test('getnewaddress derives m/1, m/2 … and listaddresses answers newest first', async () => {
    const created = await fx.wallet.createAccount('bob', PASSWORD);
    const more = await fx.wallet.newAddresses('bob', PASSWORD, 3);
    assert.equal(more.length, 3);
    const all = await fx.wallet.listAddresses('bob', PASSWORD);
    assert.deepEqual(all, [...more].reverse().concat(created.addresses));
    const account = await fx.wallet.getAccount('bob', PASSWORD, created.mnemonic.split(' ').at(-1)!);
    assert.deepEqual(account, { name: 'bob', mnemonic: created.mnemonic, address_count: 4 });
    // Importing the mnemonic with -i 4 reproduces them in derivation order.
    const copy = await fx.wallet.importAccount('bob-copy', PASSWORD, created.mnemonic.split(' '), { count: 4 });
    assert.deepEqual(copy.addresses, [...all].reverse());
    await expectCode(fx.wallet.newAddresses('bob', PASSWORD, 0), 4004);
    await expectCode(fx.wallet.newAddresses('bob', PASSWORD, 0x100000), 4004);
  });

  test('wrong password and unknown account give the same 1000 error', async () => {
    await fx.wallet.createAccount('carol', PASSWORD);
    await expectCode(fx.wallet.getBalance('carol', 'wrong password'), 1000, new RegExp(`^${BAD_CREDENTIALS}$`));
    await expectCode(fx.wallet.getBalance('nobody', PASSWORD), 1000, new RegExp(`^${BAD_CREDENTIALS}$`));
    await expectCode(fx.wallet.newAddresses('carol', PASSWORD.toUpperCase()), 1000);
  });

  test('name and password rules: 3..128 and 6..128 bytes (getnewaccount 2003, importaccount 2001)', async () => {
    const words = fx.wallet.generateKey().mnemonic;
    await expectCode(fx.wallet.createAccount('ab', PASSWORD), 2003, /name length in \[3, 128\]/);
    await expectCode(fx.wallet.createAccount('abc', '12345'), 2003);
    await expectCode(fx.wallet.createAccount('x'.repeat(129), PASSWORD), 2003);
    await expectCode(fx.wallet.createAccount('abc', 'p'.repeat(129)), 2003);
    await expectCode(fx.wallet.importAccount('ab', PASSWORD, words), 2001);
    await expectCode(fx.wallet.importAccount('abcd', '12345', words), 2001);
    // Limits are bytes, as the reference's std::string length: two 2-byte characters are 4 bytes.
    const r = await fx.wallet.createAccount('éé', '123456');
    assert.equal(r.name, 'éé');
    assert.equal((await fx.wallet.createAccount('x'.repeat(128), 'p'.repeat(128))).addresses.length, 1);
  });

  test('importaccount validates the words (9201 count, 9202 word or checksum)', async () => {
    const words = fx.wallet.generateKey().mnemonic.split(' ');
    await expectCode(fx.wallet.importAccount('bad1', PASSWORD, words.slice(0, 23)), 9201);
    await expectCode(fx.wallet.importAccount('bad2', PASSWORD, [...words.slice(0, 23), 'notaword']), 9202);
    const swapped = [...words.slice(0, 22), words[23], words[22]];
    if (!validateMnemonic(swapped)) await expectCode(fx.wallet.importAccount('bad3', PASSWORD, swapped), 9202);
    await expectCode(fx.wallet.importAccount('bad4', PASSWORD, words, { language: 'es' }), 9202);
    await expectCode(fx.wallet.importAccount('bad5', PASSWORD, []), 9206);
  });

  test('changepasswd: the old password stops working, the new one works, the keys are unchanged', async () => {
    const r = await fx.wallet.createAccount('dave', PASSWORD);
    const lastWord = r.mnemonic.split(' ').at(-1)!;
    assert.deepEqual(await fx.wallet.changePassword('dave', PASSWORD, 'new password 7'), { name: 'dave', status: 'changed successfully' });
    await expectCode(fx.wallet.getAccount('dave', PASSWORD, lastWord), 1000);
    const account = await fx.wallet.getAccount('dave', 'new password 7', lastWord);
    assert.equal(account.mnemonic, r.mnemonic);
    assert.deepEqual(await fx.wallet.listAddresses('dave', 'new password 7'), r.addresses);
    await expectCode(fx.wallet.changePassword('dave', 'new password 7', 'short'), 2003);
  });

  test('deleteaccount needs the last word and removes the account and its addresses', async () => {
    const r = await fx.wallet.createAccount('erin', PASSWORD);
    const words = r.mnemonic.split(' ');
    await expectCode(fx.wallet.deleteAccount('erin', PASSWORD, words[0] === words[23] ? 'zzz' : words[0]), 1000, /^last word not matching\.$/);
    await expectCode(fx.wallet.getAccount('erin', PASSWORD, 'wrong'), 1000, /last word/);
    assert.deepEqual(await fx.wallet.deleteAccount('erin', PASSWORD, words[23]), { name: 'erin', status: 'removed successfully' });
    await expectCode(fx.wallet.listAddresses('erin', PASSWORD), 1000, new RegExp(BAD_CREDENTIALS));
    // The name is free again; a re-import gives the same addresses.
    const again = await fx.wallet.importAccount('erin', PASSWORD, r.mnemonic);
    assert.deepEqual(again.addresses, r.addresses);
  });

  test('getpublickey: own addresses need the account, keys are converted without it', async () => {
    const r = await fx.wallet.createAccount('frank', PASSWORD);
    const own = await fx.wallet.getPublicKey('frank', PASSWORD, r.addresses[0]);
    assert.equal(own.address, r.addresses[0]);
    assert.equal(own.public_key.length, 66);
    const k = fx.wallet.generateKey();
    for (const key of [k.wif, k.private_key, k.public_key]) {
      assert.deepEqual(await fx.wallet.getPublicKey('', '', key), { public_key: k.public_key, address: k.address });
    }
    const foreign = fx.wallet.generateKey().address;
    await expectCode(fx.wallet.getPublicKey('frank', PASSWORD, foreign), 4003);
    await expectCode(fx.wallet.getPublicKey('frank', 'bad password', r.addresses[0]), 1000);
  });

  test('importaddress watches a redeem script or a script address; listaddresses -s lists them', async () => {
    await fx.wallet.createAccount('gina', PASSWORD);
    const redeem = '5221035451cebcc2a7fd1058c90ab6df818f083d72362682350b80827037ab3aec70e321036f5cd17f3c6ed0968d248366e90c03ffb8ceb1c86df2c91d1ec7ee78f7e5b18d21037bfb27945a6e40e3621f2559f8a8fc3c4317f5d48dc61ec02fcbd7e8a52c079c53ae';
    const a = await fx.wallet.importAddress('gina', PASSWORD, redeem, 'shared');
    assert.equal(a.address, '3HvBi1ecp1yep6geL91pPDHgREFnNcSJTh');
    assert.match(a.script!, /^2 \[ 035451/);
    const b = await fx.wallet.importAddress('gina', PASSWORD, '36ogHBUc4d3SZBAtXWX2xYg7dRYLR3K8DY');
    assert.deepEqual(b, { address: '36ogHBUc4d3SZBAtXWX2xYg7dRYLR3K8DY' });
    const scripts = await fx.wallet.listScriptAddresses('gina', PASSWORD);
    assert.deepEqual(
      scripts.map((s) => [s.address, s.description, s.script === '']),
      [
        ['36ogHBUc4d3SZBAtXWX2xYg7dRYLR3K8DY', '', true],
        ['3HvBi1ecp1yep6geL91pPDHgREFnNcSJTh', 'shared', false],
      ],
    );
    await expectCode(fx.wallet.importAddress('gina', PASSWORD, redeem), 2003);
    await expectCode(fx.wallet.importAddress('gina', PASSWORD, 'zz'), 5502);
  });

  test('the store survives a restart and refuses another network', async () => {
    const r = await fx.wallet.createAccount('henry', PASSWORD);
    await fx.wallet.close();
    fx.wallet = new Wallet({ path: fx.walletPath, chain: fx.tc.chain, mempool: fx.mempool, kdf: TEST_KDF, noSync: true });
    assert.deepEqual(await fx.wallet.listAddresses('henry', PASSWORD), r.addresses);
    const { testnet } = await import('../../../src/networks/index.js');
    assert.throws(() => new Wallet({ path: fx.walletPath, chain: { ...fx.tc.chain, network: testnet, height: 0 } as never, mempool: fx.mempool, kdf: TEST_KDF }), /belongs to network/);
  });

  test('the KDF cost floor is 2^14', () => {
    assert.throws(() => new Wallet({ path: null, chain: fx.tc.chain, mempool: fx.mempool, kdf: { N: 1 << 13 } }), /power of two/);
  });

  test('--no-wallet: account methods answer 1000, key conversion still works', async () => {
    const off = new Wallet({ path: null, chain: fx.tc.chain, mempool: fx.mempool, kdf: TEST_KDF });
    assert.equal(off.enabled, false);
    assert.equal(off.accountCount(), 0);
    await expectCode(off.createAccount('ivan', PASSWORD), 1000, /disabled/);
    await expectCode(off.getBalance('ivan', PASSWORD), 1000, /disabled/);
    const k = off.generateKey();
    assert.equal((await off.getPublicKey('', '', k.wif)).address, k.address);
    await off.close();
  });
});
