import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createHash } from 'node:crypto';
import { mainnet, testnet, type Network } from '../../src/networks/index.js';
import { Address } from '../../src/primitives/address.js';
import { Script, multisigScript } from '../../src/primitives/script.js';
import { Transaction } from '../../src/primitives/transaction.js';
import { BAD_CREDENTIALS, cryptoJsDecrypt, cryptoJsEncrypt, evpBytesToKey, encryptKeyfileMnemonic } from '../../src/wallet/index.js';
import { loadVector } from '../helpers/vectors.js';
import { makeWalletFixture, expectCode, type WalletFixture } from '../helpers/wallet.js';

const PW = 'A123456';

interface HdAddress {
  path: string;
  address?: string;
  testnet_address?: string;
  public_key?: string;
  private_key?: string;
  wif?: string;
}
interface Entry {
  kind: string;
  name?: string;
  network?: string;
  mnemonic?: string;
  addresses?: HdAddress[];
  [k: string]: unknown;
}

/** Single-level m/i paths are what the reference's accounts derive; others are BIP32 facts tested in the keys module. */
const ACCOUNT_PATH = /^m\/(\d+)$/;

describe('addresses.json reproduced through the wallet', () => {
  const fixtures = new Map<string, WalletFixture>();
  const wallets = async (network: Network) => {
    let fx = fixtures.get(network.name);
    if (!fx) fixtures.set(network.name, (fx = await makeWalletFixture({ network })));
    return fx.wallet;
  };
  after(async () => {
    for (const fx of fixtures.values()) await fx.close();
  });

  test('every HD account: importaccount -i N gives the same addresses, in order, with the same keys', async (t) => {
    const doc = loadVector<{ entries: Entry[] }>(t, 'addresses.json');
    if (!doc) return;
    let checked = 0;
    let accountNo = 0;
    for (const e of doc.entries.filter((x) => x.kind === 'hd-account')) {
      const reproducible = e.addresses!.filter((a) => ACCOUNT_PATH.test(a.path));
      assert.ok(reproducible.length > 0, `${e.name} has account addresses`);
      const count = Math.max(...reproducible.map((a) => Number(ACCOUNT_PATH.exec(a.path)![1]))) + 1;
      const sides: { network: Network; field: 'address' | 'testnet_address' }[] =
        e.network === 'testnet'
          ? [{ network: testnet, field: 'address' }]
          : e.network === 'mainnet'
            ? [{ network: mainnet, field: 'address' }]
            : [
                { network: mainnet, field: 'address' },
                { network: testnet, field: 'testnet_address' },
              ];
      for (const side of sides) {
        const wallet = await wallets(side.network);
        const name = `vector-${accountNo++}`;
        const r = await wallet.importAccount(name, PW, e.mnemonic!, { count, language: 'any' });
        assert.equal(r.addresses.length, count);
        for (const a of reproducible) {
          const i = Number(ACCOUNT_PATH.exec(a.path)![1]);
          const expected = a[side.field];
          if (expected) {
            assert.equal(r.addresses[i], expected, `${e.name} ${a.path} on ${side.network.name}`);
            checked++;
          }
          if (a.public_key) {
            const pk = await wallet.getPublicKey(name, PW, r.addresses[i]);
            assert.equal(pk.public_key, a.public_key, `${e.name} ${a.path} public key`);
          }
          // The private key and WIF stand for the same key and address.
          for (const secret of [a.private_key, a.wif]) {
            if (!secret) continue;
            const converted = await wallet.getPublicKey('', '', secret);
            assert.equal(converted.address, r.addresses[i], `${e.name} ${a.path} secret`);
          }
        }
        // listaddresses answers newest first: the vector's m/0 is last.
        const listed = await wallet.listAddresses(name, PW);
        assert.deepEqual(listed, [...r.addresses].reverse());
      }
    }
    assert.ok(checked >= 71 - 4, `${checked} derived addresses checked`);
  });

  test('plain keys: the secret, WIF and public key convert to the stated addresses on both networks', async (t) => {
    const doc = loadVector<{ entries: Entry[] }>(t, 'addresses.json');
    if (!doc) return;
    for (const e of doc.entries.filter((x) => x.kind === 'key')) {
      for (const [network, field] of [
        [mainnet, 'mainnet_address'],
        [testnet, 'testnet_address'],
      ] as const) {
        const wallet = await wallets(network);
        for (const secret of [e.private_key, e.wif, e.public_key] as string[]) {
          const r = await wallet.getPublicKey('', '', secret);
          assert.equal(r.address, e[field]);
          assert.equal(r.public_key, e.public_key);
        }
      }
    }
  });

  test('hash160 ↔ address, validation cases and multisig P2SH addresses', async (t) => {
    const doc = loadVector<{ entries: Entry[] }>(t, 'addresses.json');
    if (!doc) return;
    const main = await wallets(mainnet);
    const test_ = await wallets(testnet);
    for (const e of doc.entries.filter((x) => x.kind === 'hash160-address' || x.kind === 'special-address')) {
      const address = new Address(e.version as number, Buffer.from(e.hash160 as string, 'hex')).toString();
      assert.equal(address, e.address);
      if (e.version === 0x32) assert.equal(main.addressBalance(address).address, address);
      if (e.version === 0x7f) assert.equal(test_.addressBalance(address).address, address);
      if (e.version === 0x05) for (const w of [main, test_]) assert.equal(w.addressBalance(address).address, address);
    }
    for (const e of doc.entries.filter((x) => x.kind === 'address-validation')) {
      for (const a of e.valid_mainnet as string[]) main.addressBalance(a);
      for (const a of e.valid_testnet as string[]) test_.addressBalance(a);
      for (const a of e.invalid_checksum as string[]) for (const w of [main, test_]) await expectCode(() => w.addressBalance(a), 7006);
      const wrong = e.wrong_network as { mainnet_rejects: string[]; testnet_rejects: string[] };
      for (const a of wrong.mainnet_rejects) await expectCode(() => main.addressBalance(a), 7006);
      for (const a of wrong.testnet_rejects) await expectCode(() => test_.addressBalance(a), 7006);
    }
    await main.createAccount('watcher', PW);
    for (const e of doc.entries.filter((x) => x.kind === 'multisig-p2sh')) {
      // The reference's redeem script takes the keys sorted as hex strings (account_multisig::set_cosigner_pubkeys).
      const sorted = [...(e.public_keys as string[])].sort();
      assert.equal(multisigScript(e.m as number, sorted.map((k) => Buffer.from(k, 'hex'))).toHex(), e.redeem_script_sorted_keys);
      const r = await main.importAddress('watcher', PW, e.redeem_script_sorted_keys as string);
      assert.equal(r.address, e.address);
    }
  });
});

describe('reference keyfiles (CryptoJS AES, EVP_BytesToKey MD5)', () => {
  let fx: WalletFixture;
  before(async () => {
    fx = await makeWalletFixture({ network: mainnet });
  });
  after(() => fx.close());

  const ALICE = 'notice judge certain company novel quality plunge list blind library ride uncover fold wink biology original aim whale stand coach hire clinic fame robot';
  const SALT = Buffer.from('0102030405060708', 'hex');

  test('known answer: OpenSSL `enc -aes-256-cbc -md md5 -S 0102030405060708 -pass pass:A123456`', () => {
    // Computed with OpenSSL 3.0 (which omits the "Salted__" header when -S is given) for the quoted mnemonic.
    const opensslKey = '03745884e979329779a9b22e1c26b041eb11828270630ec9504b64b514d38ed6';
    const opensslIv = 'd54541264dbe10722f41b3068a1e7537';
    const opensslBody =
      'ivK35xqjUVSzbLFXBGZrjbGaQ5hxU67cG3ZQefRsBMgUrHnx6K+YW1IzlsY5oA3CBtFnjMzZfdQ1ib7hrVbusNkvSPvB2U3BT59/kpSG1QlPpdmcey/zI/TaPbnweNsIyKrSDQJkSS97ndLA5x9pU3ULEZhRAefA41wouDx7QNHHfLH7mpD8F+CXZ14gvR8EBS2fwXVn7vqPvJBV+jLmvA==';
    const { key, iv } = evpBytesToKey(Buffer.from(PW), SALT);
    assert.equal(key.toString('hex'), opensslKey);
    assert.equal(iv.toString('hex'), opensslIv);
    const expected = Buffer.concat([Buffer.from('Salted__'), SALT, Buffer.from(opensslBody, 'base64')]);
    assert.equal(cryptoJsEncrypt(`"${ALICE}"`, PW, SALT).toString('hex'), expected.toString('hex'));
    assert.equal(encryptKeyfileMnemonic(ALICE, PW, SALT), expected.toString('base64'));
    assert.equal(cryptoJsDecrypt(expected, PW), `"${ALICE}"`);
    assert.equal(cryptoJsDecrypt(expected, 'A123457'), null);
  });

  /** EVP_BytesToKey and AES-256-CBC written out with node:crypto alone, independent of the wallet's code. */
  function independentDecrypt(field: string, password: string): string {
    const raw = Buffer.from(field, 'base64');
    assert.equal(raw.subarray(0, 8).toString('latin1'), 'Salted__');
    const salt = raw.subarray(8, 16);
    const d1 = createHash('md5').update(Buffer.from(password)).update(salt).digest();
    const d2 = createHash('md5').update(d1).update(Buffer.from(password)).update(salt).digest();
    const d3 = createHash('md5').update(d2).update(Buffer.from(password)).update(salt).digest();
    const decipher = createDecipheriv('aes-256-cbc', Buffer.concat([d1, d2]), d3);
    return Buffer.concat([decipher.update(raw.subarray(16)), decipher.final()]).toString('utf8');
  }

  test('dumpkeyfile → importkeyfile round-trips: same addresses, multisig and watched scripts', async (t) => {
    const doc = loadVector<{ entries: Entry[] }>(t, 'addresses.json');
    if (!doc) return;
    const alice = doc.entries.find((e) => e.name === 'mvsd test account Alice')!;
    const bob = doc.entries.find((e) => e.name === 'mvsd test account Bob')!;
    const r = await fx.wallet.importAccount('Alice', PW, alice.mnemonic!, { count: 10 });
    const selfKey = alice.addresses![0].public_key!;
    const ms = await fx.wallet.newMultisig('Alice', PW, { m: 1, n: 2, selfPublicKey: selfKey, publicKeys: [bob.addresses![0].public_key!], description: 'with bob' });
    await fx.wallet.importAddress('Alice', PW, '36ogHBUc4d3SZBAtXWX2xYg7dRYLR3K8DY', 'watched');
    const keyfile = await fx.wallet.exportKeyfile('Alice', PW, 'robot');
    assert.equal(keyfile.version, '0.2.1');
    assert.equal(keyfile.algo, 'aes');
    assert.equal(keyfile.index, 10);
    assert.deepEqual(keyfile.multisigs, [{ d: 'with bob', k: ms.public_keys, m: 1, n: 2, s: selfKey }]);
    assert.deepEqual(keyfile.scripts, [{ address: '36ogHBUc4d3SZBAtXWX2xYg7dRYLR3K8DY', script: '', description: 'watched' }]);
    assert.equal(independentDecrypt(keyfile.mnemonic, PW), `"${alice.mnemonic}"`);
    const imported = await fx.wallet.importKeyfile('Alice2', PW, { content: JSON.stringify(keyfile) });
    assert.deepEqual(imported.addresses, r.addresses);
    assert.deepEqual(await fx.wallet.listAddresses('Alice2', PW), await fx.wallet.listAddresses('Alice', PW));
    assert.deepEqual(await fx.wallet.listMultisig('Alice2', PW), [ms]);
    // The file form too.
    const path = await fx.wallet.dumpKeyfile('Alice', PW, 'robot', fx.dir);
    assert.match(path, /mvs_keystore_Alice\.json$/);
    const fromFile = await fx.wallet.importKeyfile('Alice3', PW, { file: path });
    assert.deepEqual(fromFile.addresses, r.addresses);
  });

  test('a keyfile written by the reference (or the light wallet) imports with the same addresses', async (t) => {
    const doc = loadVector<{ entries: Entry[] }>(t, 'addresses.json');
    if (!doc) return;
    const bob = doc.entries.find((e) => e.name === 'mvsd test account Bob')!;
    // What dumpkeyfile.cpp writes: jsoncpp styled output, `multisigs: null` without multisig, no `scripts`.
    const content = `{\n   "algo" : "aes",\n   "index" : 10,\n   "mnemonic" : "${cryptoJsEncrypt(`"${bob.mnemonic}"`, PW).toString('base64')}",\n   "multisigs" : null,\n   "version" : "0.2.1"\n}\n`;
    const r = await fx.wallet.importKeyfile('Bob', PW, { content });
    assert.deepEqual(
      r.addresses,
      bob.addresses!.map((a) => a.address),
    );
  });

  test('wrong passwords: keyfile 6001, account 1000 with the reference text', async (t) => {
    const doc = loadVector<{ entries: Entry[] }>(t, 'addresses.json');
    if (!doc) return;
    const cindy = doc.entries.find((e) => e.name === 'mvsd test account Cindy')!;
    const content = JSON.stringify({ algo: 'aes', index: 1, mnemonic: encryptKeyfileMnemonic(cindy.mnemonic!, PW), multisigs: [], version: '0.2.1' });
    await expectCode(fx.wallet.importKeyfile('Cindy', 'A1234567', { content }), 6001);
    await expectCode(fx.wallet.importKeyfile('Cindy', PW, { content: content.replace(/"mnemonic":"[^"]+"/, '"mnemonic":"@@@"') }), 6001);
    await fx.wallet.importKeyfile('Cindy', PW, { content });
    await expectCode(fx.wallet.getAccount('Cindy', 'A1234567', 'fame'), 1000, new RegExp(`^${BAD_CREDENTIALS}$`));
    await expectCode(fx.wallet.dumpKeyfile('Cindy', 'A1234567', 'x'), 1000);
    await expectCode(fx.wallet.importKeyfile('Cindy', PW, { content }), 3001);
  });
});

describe('signing.json: unsigned transactions signed with --wif give the exact signed bytes', () => {
  let fx: WalletFixture;
  before(async () => {
    fx = await makeWalletFixture({ network: testnet });
  });
  after(() => fx.close());

  test('signrawtx -o -w reproduces every deterministic signature', async (t) => {
    const doc = loadVector<{ entries: Entry[] }>(t, 'signing.json');
    if (!doc) return;
    const cases = doc.entries.filter((e) => e.kind === 'deterministic-signature');
    assert.ok(cases.length >= 4);
    for (const e of cases) {
      const tx = Transaction.fromHex(e.unsigned_tx_hex as string);
      // createrawtx -p form: the previous output script in the input, as offline signing reads it.
      tx.inputs[e.input_index as number].script = Script.fromHex(e.prevout_script as string);
      tx.invalidate();
      for (const key of [e.wif, e.private_key] as string[]) {
        const { tx: signed, scriptSignatures } = await fx.wallet.signRawTx(tx.toHex(), { wifs: [key], offline: true });
        assert.equal(scriptSignatures, null);
        assert.equal(signed.toHex(), e.signed_tx_hex, e.name);
        assert.equal(signed.txid(), e.signed_tx_hash);
      }
    }
  });

  test('the lunar m/0 signing key is the wallet’s m/0 of the lunar mnemonic', async (t) => {
    const signing = loadVector<{ entries: Entry[] }>(t, 'signing.json');
    const addresses = loadVector<{ entries: Entry[] }>(t, 'addresses.json');
    if (!signing || !addresses) return;
    const lunar = addresses.entries.find((e) => e.name?.startsWith('"lunar"'))!;
    const sig = signing.entries.find((e) => (e.name ?? '').startsWith('lunar m/0'))!;
    const r = await fx.wallet.importAccount('lunar', PW, lunar.mnemonic!);
    assert.equal((await fx.wallet.getPublicKey('lunar', PW, r.addresses[0])).public_key, sig.public_key);
  });
});
