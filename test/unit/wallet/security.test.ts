import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { configureLogging } from '../../../src/util/logger.js';
import { accountMasterKey, deriveAccountKeys, encodeWif } from '../../../src/crypto/keys/index.js';
import { regtest } from '../../../src/networks/index.js';
import { WALLET_TABLES } from '../../../src/wallet/index.js';
import { makeWalletFixture, mineTo, minePool, expectCode, type WalletFixture } from '../../helpers/wallet.js';

const PASSWORDS = ['s3cret-Pa55word', 'second-S3cret!', 'changed-P4ss'];

/**
 * Every pair of consecutive mnemonic words, with the separators a serializer
 * could put between them. Single words prove nothing: "time", "account" or
 * "script" are BIP39 words and ordinary log or JSON text.
 */
function wordPairs(mnemonic: string): string[] {
  const words = mnemonic.split(' ');
  const out: string[] = [];
  for (let i = 0; i + 1 < words.length; i++) for (const sep of [' ', ',', '","', '\n', '\u3000']) out.push(words[i] + sep + words[i + 1]);
  return out;
}

describe('secrets never at rest in clear, never in logs', () => {
  const logDir = mkdtempSync(join(tmpdir(), 'mvs-wallet-log-'));
  const logFile = join(logDir, 'node.log');
  let fx: WalletFixture;
  const mnemonics: string[] = [];
  const privateKeys: Buffer[] = [];
  const wifs: string[] = [];

  before(async () => {
    // Everything the wallet (and chain, mempool) logs, at the most verbose level.
    configureLogging({ level: 'trace', destination: logFile });
    fx = await makeWalletFixture();
    const created = await fx.wallet.createAccount('alice', PASSWORDS[0]);
    mnemonics.push(created.mnemonic);
    const generated = fx.wallet.generateKey();
    mnemonics.push(generated.mnemonic);
    const imported = await fx.wallet.importAccount('bobby', PASSWORDS[1], generated.mnemonic, { count: 5 });
    await fx.wallet.newAddresses('alice', PASSWORDS[0], 4);
    for (const m of mnemonics) {
      for (const k of deriveAccountKeys(accountMasterKey(m), 5, regtest.address)) {
        privateKeys.push(k.privateKey);
        wifs.push(encodeWif(k.privateKey));
      }
    }
    // Exercise the paths that touch secrets: sends, signing, keyfiles, failures.
    await mineTo(fx, 12, imported.addresses[0]);
    await fx.wallet.send('bobby', PASSWORDS[1], created.addresses[0], 100_000n, { memo: 'hi' });
    await minePool(fx);
    const unsigned = await fx.wallet.createRawTx({ type: 0, senders: [imported.addresses[0]], receivers: [`${created.addresses[0]}:5000`] });
    await fx.wallet.signRawTx(unsigned, { wifs: [generated.wif] });
    await fx.wallet.getAccount('alice', PASSWORDS[0], created.mnemonic.split(' ').at(-1)!);
    const keyfile = await fx.wallet.exportKeyfile('alice', PASSWORDS[0], created.mnemonic.split(' ').at(-1)!);
    await fx.wallet.dumpKeyfile('alice', PASSWORDS[0], created.mnemonic.split(' ').at(-1)!, logDir);
    await expectCode(fx.wallet.importKeyfile('carol', 'wrong-password', { content: JSON.stringify(keyfile) }), 6001);
    await fx.wallet.importKeyfile('carol', PASSWORDS[0], { content: JSON.stringify(keyfile) });
    await expectCode(fx.wallet.getBalance('alice', PASSWORDS[1]), 1000);
    await expectCode(fx.wallet.signRawTx(unsigned, { wifs: ['not-a-key'] }), 2003);
    await expectCode(fx.wallet.importAccount('dave', PASSWORDS[2], mnemonics[0].replace(/^\S+/, 'zzzz')), 9202);
    await fx.wallet.changePassword('alice', PASSWORDS[0], PASSWORDS[2]);
    await fx.wallet.close();
  });
  after(async () => {
    configureLogging({ level: 'silent' });
    await fx.close().catch(() => undefined);
    rmSync(logDir, { recursive: true, force: true });
  });

  function assertClean(haystack: Buffer, where: string): void {
    const text = haystack.toString('latin1');
    for (const p of PASSWORDS) assert.ok(!text.includes(p), `${where} holds a password`);
    for (const m of mnemonics) {
      assert.ok(!text.includes(m), `${where} holds a mnemonic`);
      for (const pair of wordPairs(m)) assert.ok(!text.includes(pair), `${where} holds the mnemonic words '${pair}'`);
    }
    for (const k of privateKeys) {
      assert.ok(!text.includes(k.toString('hex')), `${where} holds a private key in hex`);
      assert.ok(!haystack.includes(k), `${where} holds a raw private key`);
    }
    for (const w of wifs) assert.ok(!text.includes(w), `${where} holds a WIF`);
  }

  test('the LMDB files hold no mnemonic word, private key or password', () => {
    const files = readdirSync(fx.walletPath).map((f) => join(fx.walletPath, f));
    assert.ok(files.length > 0);
    for (const f of files) assertClean(readFileSync(f), f);
  });

  test('every stored value, read raw, is clean too and the accounts are there', async () => {
    const env = open({ path: fx.walletPath, readOnly: true });
    let values = 0;
    for (const table of WALLET_TABLES) {
      const db = env.openDB(table, { encoding: 'binary' });
      for (const { value } of db.getRange({})) {
        values++;
        assertClean(Buffer.from(value as Uint8Array), `table ${table}`);
      }
    }
    const accounts = env.openDB('account', { encoding: 'json' });
    assert.deepEqual([...accounts.getKeys({})].sort(), ['alice', 'bobby', 'carol']);
    await env.close();
    assert.ok(values > 10);
  });

  test('the log mentions the accounts but no secret', () => {
    const log = readFileSync(logFile);
    assertClean(log, 'the log');
    const lines = log.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { module?: string; msg?: string; account?: string });
    const wallet = lines.filter((l) => l.module === 'wallet');
    assert.ok(wallet.some((l) => l.msg === 'account created' && l.account === 'alice'));
    assert.ok(wallet.some((l) => l.msg === 'transaction submitted'));
    assert.ok(wallet.some((l) => l.msg === 'account password changed'));
  });

  test('the written keyfile holds the mnemonic only encrypted', () => {
    const file = readdirSync(logDir).find((f) => f.startsWith('mvs_keystore_'))!;
    assertClean(readFileSync(join(logDir, file)), 'the keyfile');
  });
});
