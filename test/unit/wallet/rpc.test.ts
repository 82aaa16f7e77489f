import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../../src/rpc/registry.js';
import { RpcServer } from '../../../src/rpc/server.js';
import { parseJson } from '../../../src/rpc/json.js';
import { Wallet, registerWalletMethods, WALLET_METHODS } from '../../../src/wallet/index.js';
import { makeWalletFixture, mineTo, minePool, expectCode, TEST_KDF, type WalletFixture } from '../../helpers/wallet.js';

const PW = 'A123456';
const META = { apiVersion: 3 as const, path: '/rpc/v3' };

describe('wallet RPC methods (argv parsing, v3 shapes, codes)', () => {
  let fx: WalletFixture;
  let registry: Registry<null>;
  const call = (method: string, ...tokens: string[]) => registry.invoke(method, tokens, null, META) as Promise<any>;
  let alice: string;
  let bob: string;

  before(async () => {
    fx = await makeWalletFixture();
    registry = new Registry<null>();
    registerWalletMethods(registry, fx.wallet);
  });
  after(() => fx.close());

  test('every wallet method is registered with the catalog spec', () => {
    for (const m of WALLET_METHODS) assert.ok(registry.has(m), m);
    assert.ok(registry.has('exportaccountasfile') && registry.has('importaccountfromfile') && registry.has('didsend'));
  });

  test('getnewaccount: with name and password an account, without them a key', async () => {
    const r = await call('getnewaccount', 'alice', PW);
    assert.deepEqual(Object.keys(r).sort(), ['addresses', 'mnemonic', 'name']);
    alice = r.addresses[0];
    const k = await call('getnewaccount');
    assert.deepEqual(Object.keys(k).sort(), ['address', 'mnemonic', 'private_key', 'public_key', 'wif']);
    const es = await call('getnewaccount', 'alice-es', PW, '-l', 'es');
    assert.ok(es.mnemonic.split(' ').length === 24);
    await expectCode(call('getnewaccount', 'ab', PW), 2003);
    await expectCode(call('getnewaccount', 'abc', PW, '-l', 'xx'), 2003);
    await expectCode(call('getnewaccount', 'abc', PW, '--nope'), 1021);
  });

  test('importaccount WORD… -n -p -i, as the test suites call it', async () => {
    const k = await call('getnewaccount');
    const r = await call('importaccount', ...k.mnemonic.split(' '), '-n', 'bobby', '-p', PW, '-i', '3');
    assert.equal(r.addresses.length, 3);
    assert.equal(r.addresses[0], k.address);
    bob = r.addresses[0];
    // One string with blanks is split, as the reference does.
    const again = await call('importaccount', k.mnemonic, '--accountname', 'bobby2', '--password', PW);
    assert.deepEqual(again.addresses, [k.address]);
    assert.equal(again.hd_index, 1);
    await expectCode(call('importaccount', k.mnemonic, '-n', 'bobby3'), 1021, /--password/);
  });

  test('account management commands', async () => {
    await expectCode(call('getaccount', 'alice', PW, 'x'), 1000, /last word not matching/);
    await expectCode(call('getaccount', 'alice', PW), 1021, /LASTWORD/);
    const addresses = await call('getnewaddress', 'alice', PW, '-n', '2');
    assert.equal(addresses.length, 2);
    const all = await call('listaddresses', 'alice', PW);
    assert.deepEqual(all, [addresses[1], addresses[0], alice]);
    assert.deepEqual(await call('listaddresses', 'alice', PW, '-s'), []);
    await expectCode(call('getbalance', 'alice', 'wrong!!'), 1000, /account not found or incorrect password/);
    assert.deepEqual(await call('changepasswd', 'alice', PW, '-p', 'B123456'), { name: 'alice', status: 'changed successfully' });
    assert.deepEqual(await call('changepasswd', 'alice', 'B123456', '--password', PW), { name: 'alice', status: 'changed successfully' });
    const pk = await call('getpublickey', 'alice', PW, alice);
    assert.deepEqual(Object.keys(pk).sort(), ['address', 'public_key']);
  });

  test('balances and sends answer the v3 shapes', async () => {
    await mineTo(fx, 12, alice);
    const b = await call('getbalance', 'alice', PW);
    assert.deepEqual(Object.keys(b).sort(), ['total_available', 'total_confirmed', 'total_frozen', 'total_received', 'total_unspent']);
    const rows = await call('listbalances', 'alice', PW, '-n');
    assert.equal(rows.length, 1);
    assert.deepEqual(Object.keys(rows[0]).sort(), ['address', 'available', 'confirmed', 'frozen', 'received', 'unspent']);
    assert.deepEqual(await call('listbalances', 'alice', PW, '-d'), []);
    const etp = await call('getaddressetp', alice);
    assert.deepEqual(Object.keys(etp).sort(), ['address', 'available', 'confirmed', 'frozen', 'received', 'unspent']);
    const utxos = await call('getaddressetp', alice, '-u');
    assert.deepEqual(Object.keys(utxos[0]).sort(), ['available', 'balance', 'frozen', 'utxo_block', 'utxo_hash', 'utxo_index']);
    const ranged = await call('getaddressetp', alice, '-u', '-r', `0:${utxos[0].balance}`);
    assert.ok(ranged.every((u: { balance: bigint }) => u.balance < utxos[0].balance));
    const txb = await call('send', 'alice', PW, bob, '100000', '-m', 'memo text', '-f', '20000');
    assert.deepEqual(Object.keys(txb).sort(), ['hash', 'inputs', 'lock_time', 'outputs', 'version']);
    assert.equal(txb.version, '4');
    assert.equal(txb.lock_time, '0');
    assert.equal(txb.outputs[0].address, bob);
    assert.equal(txb.outputs[0].value, 100000);
    assert.deepEqual(txb.outputs[0].attachment, { type: 'etp' });
    assert.deepEqual(txb.outputs[1].attachment, { content: 'memo text', type: 'message' });
    const more = await call('sendmore', 'alice', PW, '-r', `${bob}:1000`, '-r', `${alice}:2000`, '-i', 'hi');
    assert.equal(more.outputs.length, 4);
    const from = await call('sendfrom', 'alice', PW, alice, bob, '5000', '--fee=10000');
    assert.equal(from.outputs[0].value, 5000);
    await expectCode(call('send', 'alice', PW, bob, '100', '-f', '100'), 5005);
    await expectCode(call('send', 'alice', PW, bob, '0'), 2003);
    await expectCode(call('send', 'alice', PW, bob, '-1'), 1021);
    await expectCode(call('send', 'alice', PW, bob, '100', '-e', 'bad'), 2003);
    await minePool(fx);
  });

  test('raw transactions: createrawtx → signrawtx → sendrawtx, decoderawtx', async () => {
    const hex = await call('createrawtx', '-t', '0', '-s', alice, '-r', `${bob}:7000`);
    assert.equal(typeof hex, 'string');
    const decoded = await call('decoderawtx', hex);
    assert.equal(decoded.outputs[0].value, 7000);
    const signed = await call('signrawtx', 'alice', PW, hex);
    assert.deepEqual(Object.keys(signed).sort(), ['hash', 'rawtx']);
    const txid = await call('sendrawtx', signed.rawtx);
    assert.equal(txid, signed.hash);
    await expectCode(call('createrawtx', '-s', alice, '-r', `${bob}:7000`), 1021, /--type/);
    await expectCode(call('decoderawtx', 'zz'), 1021);
    await minePool(fx);
  });

  test('multisig: getnewmultisig, signrawtx per-key answer, createmultisigtx, signmultisigtx', async () => {
    const alicePk = (await call('getpublickey', 'alice', PW, alice)).public_key;
    const bobPk = (await call('getpublickey', 'bobby', PW, bob)).public_key;
    const ms = await call('getnewmultisig', 'alice', PW, '-m', '1', '-n', '2', '-s', alicePk, '-k', bobPk, '-d', 'joint');
    assert.deepEqual(Object.keys(ms).sort(), ['address', 'description', 'index', 'm', 'multisig_script', 'n', 'public_keys', 'self_publickey']);
    assert.deepEqual(await call('listmultisig', 'alice', PW), [ms]);
    await call('send', 'alice', PW, ms.address, '300000');
    await minePool(fx);
    const partial = await call('createmultisigtx', 'alice', PW, ms.address, bob, '100000');
    assert.equal(typeof partial, 'string');
    const done = await call('signmultisigtx', 'alice', PW, partial);
    assert.deepEqual(Object.keys(done).sort(), ['hash', 'rawtx']);
    // 1-of-2: complete as created; broadcast it.
    assert.equal(await call('sendrawtx', done.rawtx), done.hash);
    await minePool(fx);
    // signrawtx on an unsigned spend of the script address answers {"0": {pubkey: endorsement}}.
    const utxo = (await call('getaddressetp', ms.address, '-u'))[0];
    const unsigned = await call('createrawtx', '-t', '0', '-u', `${utxo.utxo_hash}:${utxo.utxo_index}`, '-r', `${bob}:1000`, '-m', alice);
    const perKey = await call('signrawtx', 'alice', PW, unsigned);
    assert.deepEqual(Object.keys(perKey), ['0']);
    assert.deepEqual(Object.keys(perKey['0']), [alicePk]);
    assert.match(perKey['0'][alicePk], /^30[0-9a-f]+01$/);
    assert.deepEqual(await call('deletemultisig', 'alice', PW, ms.address), [ms]);
  });

  test('keyfiles: dumpkeyfile -d and importkeyfile with FILECONTENT', async () => {
    const k = await call('getnewaccount');
    await call('importaccount', k.mnemonic, '-n', 'keyed', '-p', PW, '-i', '2');
    const last = k.mnemonic.split(' ').at(-1);
    const file = await call('dumpkeyfile', 'keyed', PW, last, '-d');
    assert.deepEqual(Object.keys(file).sort(), ['algo', 'index', 'mnemonic', 'multisigs', 'scripts', 'version']);
    const imported = await call('importkeyfile', 'keyed2', PW, 'ignored-path', JSON.stringify(file));
    assert.deepEqual(imported, { name: 'keyed2', addresses: await fx.wallet.listAddresses('keyed', PW).then((a) => [...a].reverse()) });
    const path = await call('exportaccountasfile', 'keyed', PW, last, fx.dir);
    assert.equal(typeof path, 'string');
    const again = await call('importaccountfromfile', 'keyed3', PW, path);
    assert.equal(again.addresses.length, 2);
    assert.deepEqual(await call('deleteaccount', 'keyed3', PW, last), { name: 'keyed3', status: 'removed successfully' });
  });

  test('through the HTTP layer: bigint-safe JSON and v3 envelopes', async () => {
    const server = new RpcServer({ registry, context: null });
    const body = await server.handleBody(3, JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'getbalance', params: ['alice', PW] }));
    const doc = parseJson(body) as { id: number; result: Record<string, unknown> };
    assert.equal(doc.id, 7);
    assert.equal(typeof doc.result.total_unspent, 'number');
    const err = parseJson(await server.handleBody(3, JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'getbalance', params: ['alice', 'nope-nope'] }))) as { error: { code: number; message: string } };
    assert.deepEqual(err.error, { code: 1000, message: 'account not found or incorrect password' });
    const opts = parseJson(await server.handleBody(3, JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'getnewaddress', params: ['alice', PW, { number: 2 }] }))) as { result: string[] };
    assert.equal(opts.result.length, 2);
  });

  test('--no-wallet: account methods answer 1000, chain-only ones still work', async () => {
    const off = new Wallet({ path: null, chain: fx.tc.chain, mempool: fx.mempool, kdf: TEST_KDF });
    const r = new Registry<null>();
    registerWalletMethods(r, off);
    await expectCode(r.invoke('getbalance', ['alice', PW], null, META), 1000, /disabled/);
    await expectCode(r.invoke('getnewaccount', ['alice', PW], null, META), 1000, /disabled/);
    const etp = (await r.invoke('getaddressetp', [alice], null, META)) as { address: string };
    assert.equal(etp.address, alice);
    const hex = (await r.invoke('createrawtx', ['-t', '0', '-s', alice, '-r', `${bob}:1000`], null, META)) as string;
    assert.equal(typeof hex, 'string');
    await off.close();
  });
});
