import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVector } from '../helpers/vectors.js';
import { availableBackends, getBackend } from '../../src/crypto/secp256k1/index.js';
import {
  HDKey,
  accountMasterKey,
  decodeWif,
  deriveAccountKey,
  encodeWif,
  entropyToMnemonic,
  mnemonicToEntropy,
  mnemonicToSeed,
  publicKeyAddress,
  validateMnemonic,
} from '../../src/crypto/keys/index.js';
import { Address, P2SH_VERSION } from '../../src/primitives/address.js';
import { multisigScript } from '../../src/primitives/script.js';
import { isCodecError } from '../../src/primitives/errors.js';
import { hash160 } from '../../src/crypto/hash.js';
import { mainnet, testnet } from '../../src/networks/index.js';

// addresses.json: 29 entries holding 71 derived addresses (vectors README §1).
const EXPECTED_ENTRIES = 29;
const EXPECTED_KINDS: Record<string, number> = {
  'hd-account': 12,
  key: 1,
  'hash160-address': 9,
  'special-address': 2,
  'address-validation': 1,
  'multisig-p2sh': 4,
};
const EXPECTED_DERIVED_ADDRESSES = 71;

const hex = (s: string) => Buffer.from(s, 'hex');

// Every value field the vectors carry is checked below; an unknown field fails rather than going unchecked.
const ADDRESS_FIELDS = new Set(['path', 'address', 'testnet_address', 'public_key', 'private_key', 'wif', 'xprv']);
const HD_ENTRY_FIELDS = new Set(['kind', 'name', 'network', 'source', 'sources', 'stated', 'derived_by_researcher', 'checks', 'notes', 'derivation',
  'mnemonic', 'bip39_passphrase', 'seed', 'entropy_ascii', 'entropy_hex', 'root_xprv', 'root_xpub', 'root_wif', 'addresses']);

/** Network whose P2PKH version produced `address` ("M…" mainnet, "t…" testnet). */
function versionsOf(address: string) {
  if (address.startsWith('M')) return mainnet.address;
  if (address.startsWith('t')) return testnet.address;
  throw new Error(`unexpected address prefix: ${address}`);
}

for (const backendName of ['native', 'noble'] as const) {
  test(`addresses.json reproduces with the ${backendName} backend`, (t) => {
    if (!availableBackends().includes(backendName)) {
      if (process.env.CI === 'true') assert.fail(`${backendName} backend unavailable under CI`);
      t.skip(`${backendName} backend unavailable`);
      return;
    }
    const backend = getBackend(backendName);
    const v = loadVector(t, 'addresses.json');
    if (!v) return;
    assert.equal(v.entries.length, EXPECTED_ENTRIES);

    const kinds: Record<string, number> = {};
    let derivedAddresses = 0;
    let checks = 0;
    const check = (actual: unknown, expected: unknown, what: string) => {
      assert.deepEqual(actual, expected, what);
      checks++;
    };

    for (const e of v.entries) {
      kinds[e.kind] = (kinds[e.kind] ?? 0) + 1;
      const label = `${e.kind} ${e.name ?? e.address ?? ''}`;
      switch (e.kind) {
        case 'hd-account': {
          for (const field of Object.keys(e)) assert.ok(HD_ENTRY_FIELDS.has(field), `${label}: unchecked field ${field}`);
          check(validateMnemonic(e.mnemonic, 'en'), true, `${label}: mnemonic checksum`);
          const seed = mnemonicToSeed(e.mnemonic, e.bip39_passphrase ?? '');
          if (e.seed) check(seed.toString('hex'), e.seed, `${label}: seed`);
          if (e.entropy_hex) {
            check(entropyToMnemonic(hex(e.entropy_hex), 'en'), e.mnemonic, `${label}: entropy → mnemonic`);
            check(mnemonicToEntropy(e.mnemonic).entropy.toString('hex'), e.entropy_hex, `${label}: mnemonic → entropy`);
            check(Buffer.from(e.entropy_ascii, 'ascii').toString('hex'), e.entropy_hex, `${label}: entropy text`);
          }
          const master = HDKey.fromSeed(seed, backend);
          check(accountMasterKey(e.mnemonic, '', backend).toXprv(), master.toXprv(), `${label}: accountMasterKey`);
          if (e.root_xprv) {
            check(master.toXprv(), e.root_xprv, `${label}: root xprv`);
            check(HDKey.fromExtendedKey(e.root_xprv, undefined, backend).toXprv(), e.root_xprv, `${label}: root xprv round trip`);
          }
          if (e.root_xpub) {
            check(master.toXpub(), e.root_xpub, `${label}: root xpub`);
            check(HDKey.fromExtendedKey(e.root_xpub, undefined, backend).publicKey, master.publicKey, `${label}: root xpub parse`);
          }
          if (e.root_wif) check(encodeWif(master.privateKey!, true), e.root_wif, `${label}: root WIF`);
          const neutered = master.neuter();

          for (const [i, a] of e.addresses.entries()) {
            derivedAddresses++;
            for (const field of Object.keys(a)) assert.ok(ADDRESS_FIELDS.has(field), `${label}: unchecked address field ${field}`);
            const where = `${label} ${a.path}`;
            const key = master.derivePath(a.path);
            const accountIndex = /^m\/(\d+)$/.exec(a.path);
            // The reference wallet lists m/0, m/1, … in order.
            if (e.name?.startsWith('mvsd test account')) check(a.path, `m/${i}`, `${where}: address order`);
            if (accountIndex) {
              const account = deriveAccountKey(master, Number(accountIndex[1]), a.address ? versionsOf(a.address) : mainnet.address);
              check(account.publicKey, key.publicKey, `${where}: account key = m/i`);
              if (a.address) check(account.address.toString(), a.address, `${where}: account address`);
            }
            if (!/'|h/.test(a.path)) {
              // Public (xpub) derivation reaches the same key along non-hardened paths.
              check(neutered.derivePath(a.path).publicKey, key.publicKey, `${where}: public derivation`);
            }
            if (a.public_key) check(key.publicKey.toString('hex'), a.public_key, `${where}: public key`);
            if (a.private_key) {
              check(key.privateKey!.toString('hex'), a.private_key, `${where}: private key`);
              check(Buffer.from(backend.publicKeyCreate(hex(a.private_key), true)), key.publicKey, `${where}: publicKeyCreate`);
            }
            if (a.wif) {
              check(encodeWif(key.privateKey!, true), a.wif, `${where}: WIF`);
              const decoded = decodeWif(a.wif);
              check([decoded.privateKey, decoded.compressed, decoded.prefix], [key.privateKey, true, 0x80], `${where}: WIF decode`);
            }
            if (a.xprv) check(key.toXprv(), a.xprv, `${where}: xprv`);
            if (a.address) check(publicKeyAddress(key.publicKey, versionsOf(a.address)).toString(), a.address, `${where}: address`);
            if (a.testnet_address) check(publicKeyAddress(key.publicKey, testnet.address).toString(), a.testnet_address, `${where}: testnet address`);
          }
          break;
        }
        case 'key': {
          const priv = hex(e.private_key);
          check(Buffer.from(e.input_string, 'ascii'), priv, `${label}: key = ASCII bytes`);
          check(encodeWif(priv, true), e.wif, `${label}: WIF`);
          check(decodeWif(e.wif).privateKey, priv, `${label}: WIF decode`);
          const pub = Buffer.from(backend.publicKeyCreate(priv, true));
          check(pub.toString('hex'), e.public_key, `${label}: public key`);
          check(publicKeyAddress(pub, mainnet.address).toString(), e.mainnet_address, `${label}: mainnet address`);
          check(publicKeyAddress(pub, testnet.address).toString(), e.testnet_address, `${label}: testnet address`);
          break;
        }
        case 'hash160-address':
        case 'special-address': {
          check(new Address(e.version, hex(e.hash160)).toString(), e.address, `${label}: encode`);
          const parsed = Address.fromString(e.address);
          check([parsed.version, parsed.hash.toString('hex')], [e.version, e.hash160], `${label}: decode`);
          if (e.kind === 'special-address') {
            const versions = e.network === 'testnet' ? testnet.address : mainnet.address;
            check(Address.parse(e.address, versions)?.kind(versions), 'p2pkh', `${label}: valid on ${e.network}`);
          }
          break;
        }
        case 'address-validation': {
          for (const a of e.valid_mainnet) check(Address.parse(a, mainnet.address) !== null, true, `${a} valid on mainnet`);
          for (const a of e.valid_testnet) check(Address.parse(a, testnet.address) !== null, true, `${a} valid on testnet`);
          for (const a of e.invalid_checksum) {
            assert.throws(() => Address.fromString(a), (err) => isCodecError(err) && err.code === 'BAD_CHECKSUM', `${a} has a bad checksum`);
            check(Address.parse(a, mainnet.address), null, `${a} rejected on mainnet`);
            check(Address.parse(a, testnet.address), null, `${a} rejected on testnet`);
          }
          for (const a of e.wrong_network.mainnet_rejects) {
            check(Address.parse(a, mainnet.address), null, `${a} rejected on mainnet`);
            check(Address.parse(a, testnet.address) !== null, true, `${a} is a valid testnet address`);
          }
          for (const a of e.wrong_network.testnet_rejects) {
            check(Address.parse(a, testnet.address), null, `${a} rejected on testnet`);
            check(Address.parse(a, mainnet.address) !== null, true, `${a} is a valid mainnet address`);
          }
          break;
        }
        case 'multisig-p2sh': {
          const keys: Buffer[] = e.public_keys.map(hex);
          check(keys.length, e.n, `${label}: n`);
          // The vector's note: keys sorted lexicographically by hex.
          const sorted = [...keys].sort((x, y) => x.toString('hex').localeCompare(y.toString('hex')));
          const redeem = multisigScript(e.m, sorted);
          check(redeem.toHex(), e.redeem_script_sorted_keys, `${label}: redeem script`);
          check(new Address(P2SH_VERSION, hash160(redeem.raw)).toString(), e.address, `${label}: P2SH address`);
          const givenOrder = new Address(P2SH_VERSION, hash160(multisigScript(e.m, keys).raw)).toString();
          check(givenOrder === e.address, e.checks.address_from_redeem_with_keys_in_given_order, `${label}: given key order`);
          break;
        }
        default:
          assert.fail(`unhandled addresses.json kind '${e.kind}'`);
      }
    }
    assert.deepEqual(kinds, EXPECTED_KINDS);
    assert.equal(derivedAddresses, EXPECTED_DERIVED_ADDRESSES);
    t.diagnostic(`${v.entries.length} entries, ${derivedAddresses} derived addresses, ${checks} checks`);
  });
}
