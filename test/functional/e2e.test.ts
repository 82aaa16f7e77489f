/**
 * The end-to-end scenario (issue 9): three mvsd processes in a line; mining
 * past maturity; accounts on each node; payments across nodes; a raw
 * transaction built on one node and submitted on another; a block mined
 * through getwork by an outside solver; a forced reorganization; a SIGKILL
 * restart that resumes; every core RPC method queried on real results;
 * websocket notifications received.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { TestNetwork, type TestNode, waitFor } from './harness.js';
import { makeCache, hashimotoLight, datasetSize, epochOf } from '../../src/consensus/ethash/index.js';

const net = new TestNetwork('e2e');
let failed = false;
after(() => net.cleanup(undefined, failed));

const PASS = 'password123';
const ISOLATE = ['--connect', '127.0.0.1:1'];

interface Notice {
  event: string;
  channel?: string;
  result?: unknown;
}

test('end-to-end: three nodes, payments, raw tx, getwork, reorg, SIGKILL restart, RPC and websocket', { timeout: 15 * 60_000 }, async (t) => {
  try {
    const n1 = await net.addNode();
    const n2 = await net.addNode();
    const n3 = await net.addNode();
    await net.connect(n2, n1);
    await net.connect(n3, n2);

    // Websocket subscriber on node 3 (two hops from the miner).
    const ws = new WebSocket(n3.wsUrl);
    const notices: Notice[] = [];
    ws.on('message', (d) => notices.push(JSON.parse(String(d))));
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    ws.send(JSON.stringify({ event: 'subscribe', channel: 'height' }));
    ws.send(JSON.stringify({ event: 'subscribe', channel: 'block' }));

    // Accounts.
    const acct = async (node: TestNode, name: string) => {
      const r = await node.rpc<{ name: string; mnemonic: string; addresses: string[] }>('getnewaccount', name, PASS);
      assert.equal(r.name, name);
      assert.equal(r.mnemonic.split(' ').length, 24);
      return String(r.addresses[0]);
    };
    const alice = await acct(n1, 'alice');
    const bob = await acct(n2, 'bob');
    const carol = await acct(n3, 'carol');
    ws.send(JSON.stringify({ event: 'subscribe', channel: 'tx', address: carol }));

    // Mine past maturity (regtest 10) and sync.
    await n1.mine(20, alice);
    await net.syncAll();
    assert.equal(await n3.height(), 20);
    const bal = await n1.rpc<Record<string, bigint | number>>('getbalance', 'alice', PASS);
    assert.ok(Number(bal.total_available) > 0, 'alice has mature coins');

    // Payment alice → bob across nodes.
    const payment = await n1.rpc<{ hash: string }>('send', 'alice', PASS, bob, '1000000000');
    await net.syncMempools(payment.hash);
    await n1.mine(1, alice);
    await net.syncAll();
    const bobBal = await n2.rpc<Record<string, bigint | number>>('getbalance', 'bob', PASS);
    assert.equal(BigInt(bobBal.total_confirmed), 1_000_000_000n);
    const bobEtp = await n3.rpc<Record<string, bigint | number>>('getaddressetp', bob);
    assert.equal(BigInt(bobEtp.confirmed), 1_000_000_000n, 'another node sees the payment through the address index');
    const mined = await n3.rpc<{ height: number }>('gettx', payment.hash);
    assert.equal(Number(mined.height), 21);

    // A raw transaction built on node 1, signed there, submitted on node 3.
    const unsigned = String(await n1.rpc('createrawtx', '-t', '0', '-s', alice, '-r', `${carol}:500000000`));
    const signed = await n1.rpc<{ hash: string; rawtx: string }>('signrawtx', 'alice', PASS, unsigned);
    const decoded = await n2.rpc<{ hash: string; outputs: { address?: string; value: number }[] }>('decoderawtx', signed.rawtx);
    assert.equal(decoded.hash, signed.hash);
    assert.ok(decoded.outputs.some((o) => o.address === carol && Number(o.value) === 500_000_000));
    const sentHash = String(await n3.rpc('sendrawtx', signed.rawtx));
    assert.equal(sentHash, signed.hash);
    await net.syncMempools(sentHash);

    // Mine the next block through getwork with a solver outside the node.
    await n1.rpc('setminingaccount', 'alice', PASS, alice);
    const [sealHex, seedHex, boundaryHex] = await n1.rpc<string[]>('getwork');
    assert.match(sealHex, /^0x[0-9a-f]{64}$/);
    assert.match(seedHex, /^0x[0-9a-f]{64}$/);
    const height = (await n1.height()) + 1;
    const cache = makeCache(epochOf(height));
    const boundary = BigInt(boundaryHex);
    const seal = Buffer.from(sealHex.slice(2), 'hex');
    let nonce = 0x1234n;
    let mix: Buffer | null = null;
    for (let i = 0; i < 100_000; i++, nonce++) {
      const r = hashimotoLight(cache, datasetSize(epochOf(height)), seal, nonce);
      if (BigInt('0x' + r.finalHash.toString('hex')) <= boundary) {
        mix = r.mixHash;
        break;
      }
    }
    assert.ok(mix, 'a solution was found');
    assert.equal(await n1.rpc('submitwork', '0x' + nonce.toString(16).padStart(16, '0'), sealHex, '0x' + mix.toString('hex')), true);
    await net.syncAll();
    assert.equal(await n2.height(), height);
    const carolBal = await n3.rpc<Record<string, bigint | number>>('getbalance', 'carol', PASS);
    assert.equal(BigInt(carolBal.total_confirmed), 500_000_000n);

    // Forced reorganization: node 3 is isolated, mines a longer branch, then rejoins.
    await n3.stop();
    const shortBranch = await n1.mine(2, alice);
    await net.syncAll([n1, n2]);
    await n3.start(ISOLATE);
    const longBranch = await n3.mine(4, carol);
    await n3.stop();
    await n3.start();
    await net.connect(n3, n2);
    const tip = await net.syncAll();
    assert.equal(tip, longBranch[longBranch.length - 1]);
    for (const h of shortBranch) {
      const hdr = await n1.rpcError('getblockheader', '-s', h);
      assert.equal(hdr.code, 5105, 'the old branch is no longer on the main chain');
    }

    // SIGKILL a node; it reopens its store and resumes.
    const before = await n2.height();
    await n2.kill();
    await n1.mine(1, alice);
    await n2.start();
    assert.ok((await n2.height()) >= before - 1, 'resumed near its old tip');
    await net.connect(n2, n1);
    await net.syncAll();

    // Core RPC methods on real results.
    const info = await n1.rpc<Record<string, unknown>>('getinfo');
    for (const k of ['protocol_version', 'wallet_version', 'database_version', 'testnet', 'peers', 'asset_count', 'wallet_account_count', 'height', 'difficulty', 'is_mining', 'hash_rate']) assert.ok(k in info, `getinfo.${k}`);
    assert.equal(Number(info.height), await n1.height());
    const hdr = await n1.rpc<Record<string, unknown>>('getblockheader', '-t', '21');
    assert.equal(typeof hdr.bits, 'string');
    assert.equal(Number(hdr.number), 21);
    const blk = await n2.rpc<{ transactions: { hash: string }[] }>('getblock', '21');
    assert.ok(blk.transactions.some((x) => x.hash === payment.hash));
    assert.ok((await n1.rpc<string[]>('getpeerinfo')).length >= 1);
    assert.equal((await n1.rpc<Record<string, unknown>>('validateaddress', alice)).is_valid, true);
    assert.deepEqual(await n1.rpc<unknown[]>('getmemorypool'), []);
    const addrs = await n1.rpc<string[]>('listaddresses', 'alice', PASS);
    assert.ok(addrs.includes(alice));
    const balances = await n1.rpc<{ address: string }[]>('listbalances', 'alice', PASS);
    assert.ok(balances.some((b) => b.address === alice));
    const txs = await n2.rpc<{ transactions: { hash: string; direction: string }[] }>('listtxs', 'bob', PASS);
    assert.ok(txs.transactions.some((x) => x.hash === payment.hash && x.direction === 'receive'));
    const mining = await n1.rpc<Record<string, unknown>>('getmininginfo');
    assert.equal(typeof mining.height, 'string');
    assert.match(String(await n1.rpc('help')), /getblockheader/);

    // Websocket: heights arrived in order, blocks carried their transactions, carol's payment was pushed.
    await waitFor('websocket height notifications', () => notices.filter((n) => n.channel === 'height' && n.event === 'publish').length >= 14, 30_000);
    const heights = notices.filter((n) => n.channel === 'height' && n.event === 'publish').map((n) => Number(n.result));
    for (let i = 1; i < 14; i++) assert.equal(heights[i], heights[i - 1] + 1, `heights in order: ${heights.slice(0, 16).join(',')}`);
    const txNotices = notices.filter((n) => n.channel === 'tx' && n.event === 'publish');
    assert.ok(txNotices.some((n) => (n.result as { hash: string }).hash === sentHash), 'carol got the tx notification');
    assert.ok(!txNotices.some((n) => (n.result as { hash: string }).hash === payment.hash), 'but not bob’s');
    ws.close();
    t.diagnostic(`final height ${await n1.height()}, ${notices.length} websocket frames`);
  } catch (err) {
    failed = true;
    throw err;
  }
});
