import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BIP32_VERSIONS,
  HDKey,
  KeyError,
  MNEMONIC_LANGUAGES,
  decodeWif,
  encodeWif,
  entropyToMnemonic,
  generateMnemonic,
  messageDigest,
  mnemonicToEntropy,
  mnemonicToSeed,
  mnemonicToSeedAsync,
  recoverMessagePublicKey,
  signMessage,
  signMessageRaw,
  splitMnemonic,
  validateMnemonic,
  verifyMessage,
  wordlist,
  type KeyErrorCode,
} from '../../../src/crypto/keys/index.js';
import { availableBackends, getBackend, CURVE_ORDER } from '../../../src/crypto/secp256k1/index.js';
import { scalarToBytes } from '../../../src/crypto/secp256k1/scalar.js';
import { base58CheckDecode, base58CheckEncode } from '../../../src/primitives/base58.js';
import { publicKeyAddress } from '../../../src/crypto/keys/account.js';
import { mainnet } from '../../../src/networks/index.js';
import { sha256 } from '../../../src/crypto/hash.js';

const keyError = (code: KeyErrorCode) => (err: unknown) => err instanceof KeyError && err.code === code;
const backends = availableBackends().map((n) => getBackend(n));

test('WIF: round trips, prefixes and typed errors', () => {
  const k = sha256(Buffer.from('wif'));
  for (const compressed of [true, false]) {
    const wif = encodeWif(k, compressed);
    assert.match(wif, compressed ? /^[KL]/ : /^5/);
    assert.deepEqual(decodeWif(wif), { privateKey: k, compressed, prefix: 0x80 });
  }
  const mutated = (text: string) => text.slice(0, 10) + (text[10] === 'a' ? 'b' : 'a') + text.slice(11);
  assert.throws(() => decodeWif(mutated(encodeWif(k))), keyError('BAD_CHECKSUM'));
  assert.throws(() => decodeWif('not base58 0OIl'), keyError('BAD_ENCODING'));
  const testnetStyle = encodeWif(k, true, 0xef);
  assert.throws(() => decodeWif(testnetStyle), keyError('BAD_VERSION'), 'metaversejs testnet prefix 0xef is not the node’s');
  assert.equal(decodeWif(testnetStyle, null).prefix, 0xef);
  const badFlag = base58CheckEncode(Buffer.concat([Buffer.from([0x80]), k, Buffer.from([0x02])]));
  assert.throws(() => decodeWif(badFlag), keyError('BAD_ENCODING'));
  const short = base58CheckEncode(Buffer.concat([Buffer.from([0x80]), k.subarray(1)]));
  assert.throws(() => decodeWif(short), keyError('BAD_ENCODING'));
  const zero = base58CheckEncode(Buffer.concat([Buffer.from([0x80]), Buffer.alloc(32), Buffer.from([1])]));
  assert.throws(() => decodeWif(zero), keyError('BAD_KEY'));
  const overN = base58CheckEncode(Buffer.concat([Buffer.from([0x80]), scalarToBytes(CURVE_ORDER), Buffer.from([1])]));
  assert.throws(() => decodeWif(overN), keyError('BAD_KEY'));
  assert.throws(() => encodeWif(Buffer.alloc(32)), keyError('BAD_KEY'));
  assert.deepEqual(base58CheckDecode(encodeWif(k)).subarray(1, 33), k);
});

test('BIP39: published seed vectors (English/TREZOR, Japanese NFKD)', () => {
  const en = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
  assert.equal(
    mnemonicToSeed(en, 'TREZOR').toString('hex'),
    'c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04',
  );
  assert.equal(entropyToMnemonic(Buffer.alloc(16)), en);
  // bip32JP vector: ideographic spaces and a passphrase that only matches after NFKD.
  const ja = 'あいこくしん　あいこくしん　あいこくしん　あいこくしん　あいこくしん　あいこくしん　あいこくしん　あいこくしん　あいこくしん　あいこくしん　あいこくしん　あおぞら';
  const jaSeed = 'a262d6fb6122ecf45be09c50492b31f92e9beb7d9a845987a02cefda57a15f9c467a17872029a9e92299b5cbdf306e3a0ee620245cbd508959b6cb7ca637bd55';
  assert.equal(mnemonicToSeed(ja, '㍍ガバヴァぱばぐゞちぢ十人十色').toString('hex'), jaSeed);
  assert.deepEqual(mnemonicToEntropy(ja), { entropy: Buffer.alloc(16), language: 'ja' });
  assert.equal(entropyToMnemonic(Buffer.alloc(16), 'ja'), splitMnemonic(ja).join(' '), 'joined by plain spaces, as the reference joins');
  // NFC input (composed kana) gives the same entropy and seed as the NFKD wordlist form.
  const nfc = ja.normalize('NFC');
  assert.notEqual(nfc, ja.normalize('NFKD'));
  assert.equal(mnemonicToSeed(nfc, '㍍ガバヴァぱばぐゞちぢ十人十色').toString('hex'), jaSeed);
});

test('BIP39: all five reference languages round trip', async () => {
  assert.deepEqual(MNEMONIC_LANGUAGES, ['en', 'es', 'ja', 'zh_Hans', 'zh_Hant']);
  const entropy = sha256(Buffer.from('bip39 languages'));
  for (const language of MNEMONIC_LANGUAGES) {
    assert.equal(wordlist(language).length, 2048, language);
    const mnemonic = entropyToMnemonic(entropy, language);
    assert.equal(splitMnemonic(mnemonic).length, 24, language);
    assert.deepEqual(mnemonicToEntropy(mnemonic, language), { entropy, language });
    assert.ok(validateMnemonic(mnemonic), language);
    // Without a language the first list that validates wins (the Chinese lists share characters).
    assert.deepEqual(mnemonicToEntropy(mnemonic).entropy.length, 32);
    assert.deepEqual(await mnemonicToSeedAsync(mnemonic, 'pass'), mnemonicToSeed(mnemonic, 'pass'));
  }
  for (const bytes of [4, 16, 20, 24, 28, 32]) {
    const e = sha256(Buffer.from([bytes])).subarray(0, bytes);
    const words = splitMnemonic(entropyToMnemonic(e));
    assert.equal(words.length, (bytes * 8 * 33) / 32 / 11);
    assert.deepEqual(mnemonicToEntropy(words).entropy, e);
  }
});

test('BIP39: generation and typed failures', () => {
  const a = generateMnemonic();
  const b = generateMnemonic();
  assert.equal(splitMnemonic(a).length, 24);
  assert.notEqual(a, b);
  assert.ok(validateMnemonic(a));
  assert.equal(splitMnemonic(generateMnemonic('zh_Hant')).length, 24);

  const words = splitMnemonic(entropyToMnemonic(Buffer.alloc(32)));
  const wrongChecksum = [...words.slice(0, 23), words[23] === 'abandon' ? 'ability' : 'abandon'];
  assert.throws(() => mnemonicToEntropy(wrongChecksum), keyError('BAD_CHECKSUM'));
  assert.equal(validateMnemonic(wrongChecksum), false);
  assert.throws(() => mnemonicToEntropy([...words.slice(0, 23), 'notaword']), keyError('UNKNOWN_WORD'));
  assert.throws(() => mnemonicToEntropy(words.slice(0, 23)), keyError('BAD_LENGTH'));
  assert.throws(() => mnemonicToEntropy(''), keyError('BAD_LENGTH'));
  assert.throws(() => mnemonicToEntropy(words, 'es'), keyError('UNKNOWN_WORD'));
  assert.throws(() => entropyToMnemonic(Buffer.alloc(15)), keyError('BAD_LENGTH'));
  assert.throws(() => entropyToMnemonic(Buffer.alloc(0)), keyError('BAD_LENGTH'));
  assert.equal(mnemonicToEntropy(`  ${words.join('  \n ')} `).entropy.length, 32, 'any whitespace separates words');
});

// BIP32 test vector 1 (seed 000102…0f), chain m/0'/1/2'/2/1000000000.
const TV1: [string, string, string][] = [
  ['m', 'xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi', 'xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8'],
  ["m/0'", 'xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7', 'xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw'],
  ["m/0'/1", 'xprv9wTYmMFdV23N2TdNG573QoEsfRrWKQgWeibmLntzniatZvR9BmLnvSxqu53Kw1UmYPxLgboyZQaXwTCg8MSY3H2EU4pWcQDnRnrVA1xe8fs', 'xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ'],
  ["m/0'/1/2'", 'xprv9z4pot5VBttmtdRTWfWQmoH1taj2axGVzFqSb8C9xaxKymcFzXBDptWmT7FwuEzG3ryjH4ktypQSAewRiNMjANTtpgP4mLTj34bhnZX7UiM', 'xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5'],
  ["m/0'/1/2'/2", 'xprvA2JDeKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7RtyzTtdrbdqqsunu5Mm3wDvUAKRHSC34sJ7in334', 'xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV'],
  ["m/0'/1/2'/2/1000000000", 'xprvA41z7zogVVwxVSgdKUHDy1SKmdb533PjDz7J6N6mV6uS3ze1ai8FHa8kmHScGpWmj4WggLyQjgPie1rFSruoUihUZREPSL39UNdE3BBDu76', 'xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy'],
];

for (const backend of backends) {
  test(`BIP32 test vector 1 and extended-key parsing (${backend.name})`, () => {
    const master = HDKey.fromSeed(Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'), backend);
    for (const [path, xprv, xpub] of TV1) {
      const key = master.derivePath(path);
      assert.equal(key.toXprv(), xprv, path);
      assert.equal(key.toXpub(), xpub, path);
      const parsed = HDKey.fromExtendedKey(xprv, BIP32_VERSIONS, backend);
      assert.deepEqual([parsed.depth, parsed.index, parsed.parentFingerprint], [key.depth, key.index, key.parentFingerprint], path);
      assert.equal(HDKey.fromExtendedKey(xpub, BIP32_VERSIONS, backend).toXpub(), xpub, path);
    }
    // Public derivation along the non-hardened steps of the chain.
    const m0h = HDKey.fromExtendedKey(TV1[1][2], BIP32_VERSIONS, backend);
    assert.equal(m0h.derive(1).toXpub(), TV1[2][2]);
    assert.equal(master.derivePath("m/0'/1/2'").neuter().derivePath('2/1000000000').toXpub(), TV1[5][2]);
    assert.throws(() => m0h.deriveHardened(0), keyError('HARDENED_FROM_PUBLIC'));
    assert.throws(() => m0h.toXprv(), keyError('BAD_KEY'));
    assert.equal(master.derivePath("m/0h/1").toXprv(), TV1[2][1], "h marks hardened like '");
    assert.throws(() => master.derivePath('m/x'), keyError('BAD_ENCODING'));
    assert.throws(() => master.derivePath("m/0'").derivePath('m/1'), keyError('BAD_ENCODING'));
    assert.throws(() => master.deriveHardened(0x80000000), keyError('BAD_ENCODING'));
    assert.throws(() => HDKey.fromSeed(Buffer.alloc(15), backend), keyError('BAD_LENGTH'));

    const xprv = TV1[0][1];
    const mutated = xprv.slice(0, 20) + (xprv[20] === 'a' ? 'b' : 'a') + xprv.slice(21);
    assert.throws(() => HDKey.fromExtendedKey(mutated, BIP32_VERSIONS, backend), keyError('BAD_CHECKSUM'));
    const raw = base58CheckDecode(xprv);
    const reencode = (edit: (b: Buffer) => void) => {
      const b = Buffer.from(raw);
      edit(b);
      return base58CheckEncode(b);
    };
    assert.throws(() => HDKey.fromExtendedKey(reencode((b) => b.writeUInt32BE(0x04358394, 0)), BIP32_VERSIONS, backend), keyError('BAD_VERSION'));
    assert.throws(() => HDKey.fromExtendedKey(reencode((b) => b.writeUInt32BE(1, 5)), BIP32_VERSIONS, backend), keyError('BAD_ENCODING'));
    assert.throws(() => HDKey.fromExtendedKey(reencode((b) => b.fill(0, 46)), BIP32_VERSIONS, backend), keyError('BAD_KEY'));
    assert.throws(() => HDKey.fromExtendedKey(reencode((b) => (b[45] = 1)), BIP32_VERSIONS, backend), keyError('BAD_ENCODING'));
    assert.throws(() => HDKey.fromExtendedKey(base58CheckEncode(raw.subarray(0, 77)), BIP32_VERSIONS, backend), keyError('BAD_ENCODING'));
  });

  test(`message signing as Bitcoin signs messages (${backend.name})`, () => {
    const text = 'This is an example of a signed message.';
    // Published vectors: bitcoinjs-lib (uncompressed key, deterministic), multibit, trezor (compressed).
    const wif = decodeWif('5KYZdUEo39z3FPrtuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss');
    assert.equal(wif.compressed, false);
    const sig = signMessage(text, wif.privateKey, false, backend);
    assert.equal(sig, 'G9L5yLFjti0QTHhPyFrZCT1V/MMnBtXKmoiKDZ78NDBjERki6ZTQZdSMCtkgoNmp17By9ItJr8o7ChX0XxY91nk=');
    assert.ok(verifyMessage(text, '1HZwkjkeaoZfTSaJxDw6aKkxp45agDiEzN', sig, backend));
    assert.ok(verifyMessage(text, '1HZwkjkeaoZfTSaJxDw6aKkxp45agDiEzN', 'HCT1esk/TWlF/o9UNzLDANqsPXntkMErf7erIrjH5IBOZP98cNcmWmnW0GpSAi3wbr6CwpUAN4ctNn1T71UBwSc=', backend));
    assert.ok(verifyMessage(text, '1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL', 'IP2PL321I4/N0HfVIEw+aUnCYdcAJpzvwdnS3O9rlQI2MO5hf2yKz560DI7dcEycp06kr8OT9D81tOiVgyTL3Rw=', backend));

    const k = sha256(Buffer.from('message key'));
    for (const compressed of [true, false]) {
      const pub = backend.publicKeyCreate(k, compressed);
      const address = publicKeyAddress(pub, mainnet.address);
      const raw = signMessageRaw('hello MVS', k, compressed, backend);
      assert.equal(raw.length, 65);
      assert.ok(compressed ? raw[0] >= 31 && raw[0] <= 34 : raw[0] >= 27 && raw[0] <= 30, 'header byte');
      assert.ok(verifyMessage('hello MVS', address, raw, backend));
      assert.ok(verifyMessage('hello MVS', address.toString(), raw.toString('base64'), backend));
      assert.deepEqual(recoverMessagePublicKey('hello MVS', raw, backend), Buffer.from(pub));
      assert.equal(verifyMessage('hello MVS!', address, raw, backend), false, 'other message');
      assert.equal(verifyMessage('hello MVS', publicKeyAddress(backend.publicKeyCreate(k, !compressed), mainnet.address), raw, backend), false, 'other compression');
      for (const header of [26, 35]) {
        const bad = Buffer.from(raw);
        bad[0] = header;
        assert.equal(verifyMessage('hello MVS', address, bad, backend), false, `header ${header}`);
      }
    }
    assert.equal(verifyMessage('x', 'not an address', sig, backend), false);
    assert.equal(verifyMessage(text, '1HZwkjkeaoZfTSaJxDw6aKkxp45agDiEzN', 'G9L5yLFjti0QTHhP!!!', backend), false, 'bad base64');
    assert.equal(verifyMessage(text, '1HZwkjkeaoZfTSaJxDw6aKkxp45agDiEzN', '', backend), false, 'empty');
    assert.equal(messageDigest('a').length, 32);
    assert.deepEqual(messageDigest('héllo'), messageDigest(Buffer.from('héllo', 'utf8')));
  });
}
