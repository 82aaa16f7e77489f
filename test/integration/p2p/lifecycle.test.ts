import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNode, waitFor, sleep } from './helpers.js';
import { RawPeer, rawVersion } from './raw-peer.js';
import { P2PNode } from '../../../src/p2p/index.js';
import { ipFromString } from '../../../src/p2p/netaddr.js';
import { encodeFrame } from '../../../src/p2p/framer.js';

test('handshake timeout, inactivity timeout, and messages before the handshake', async (t) => {
  const node = await startNode({ p2p: { maxOutbound: 0, timeouts: { handshakeMs: 300, inactivityMs: 600 } } });
  t.after(() => node.stop());
  const port = node.p2p.port!;
  const magic = node.tc.network.magic;

  const silent = await RawPeer.open(port, '127.0.0.50', magic);
  t.after(() => silent.destroy());
  const t0 = Date.now();
  assert.equal(await silent.waitClosed(3000), true);
  assert.ok(Date.now() - t0 >= 250, 'closed by the handshake timer');
  assert.equal(silent.of('version').length, 1, 'our version was sent at once');

  const early = await RawPeer.open(port, '127.0.0.51', magic);
  t.after(() => early.destroy());
  await early.send({ command: 'ping', nonce: 99n }); // no subscriber before the handshake: dropped
  await early.handshake();
  assert.equal(early.of('pong').length, 0);
  // Handshake done: our ping comes at once; we never answer it, and say nothing: inactivity (300–600 ms) drops us.
  await early.until((r) => r.some((m) => m.command === 'ping'));
  const t1 = Date.now();
  assert.equal(await early.waitClosed(3000), true);
  assert.ok(Date.now() - t1 >= 150);
  assert.equal(node.p2p.bans().length, 0);
});

test('a peer below protocol 31402 is dropped after the handshake; pong with the wrong nonce disconnects', async (t) => {
  const node = await startNode({ p2p: { maxOutbound: 0 } });
  t.after(() => node.stop());
  const old = await RawPeer.open(node.p2p.port!, '127.0.0.52', node.tc.network.magic);
  t.after(() => old.destroy());
  await old.send({ ...rawVersion(0), version: 31401, relay: false });
  await old.until((r) => r.some((m) => m.command === 'verack'));
  await old.send({ command: 'verack' });
  assert.equal(await old.waitClosed(3000), true);
  assert.equal(old.of('ping').length, 0, 'never became ready');

  const liar = await RawPeer.open(node.p2p.port!, '127.0.0.53', node.tc.network.magic);
  t.after(() => liar.destroy());
  await liar.handshake();
  const [ping] = await liar.until((r) => r.some((m) => m.command === 'ping')).then(() => liar.of('ping'));
  await liar.send({ command: 'pong', nonce: ping.nonce }); // right nonce: fine
  await liar.send({ command: 'ping', nonce: 5n });
  await liar.until((r) => r.some((m) => m.command === 'pong'));
  assert.equal(liar.isClosed, false);
  assert.equal(node.p2p.peers()[0].pingMs !== null, true);
});

test('connecting to ourselves is detected on both ends and not retried in a loop', async (t) => {
  const node = await startNode({ p2p: { maxOutbound: 0 } });
  t.after(() => node.stop());
  const reasons: string[] = [];
  node.tc.bus.on('p2p:peer:disconnected', (e) => reasons.push(e.reason));
  let connected = 0;
  node.tc.bus.on('p2p:peer:connected', () => connected++);
  node.p2p.addNode(node.address, 'onetry');
  await waitFor(() => node.p2p.peers().length === 0 && node.p2p.manualPeers().length === 0, 5000, 'both ends closed');
  await sleep(300);
  assert.equal(connected, 0, 'the handshake never completes');
  assert.equal(node.p2p.peers().length, 0);
  assert.equal(node.p2p.bans().length, 0);
});

test('blacklisted hosts are refused; inbound beyond maxPeers is closed', async (t) => {
  const node = await startNode({ p2p: { maxOutbound: 0, maxPeers: 2, blacklist: ['127.0.0.60'] } });
  t.after(() => node.stop());
  const port = node.p2p.port!;
  const magic = node.tc.network.magic;
  const black = await RawPeer.open(port, '127.0.0.60', magic);
  t.after(() => black.destroy());
  assert.equal(await black.waitClosed(2000), true);
  assert.equal(black.received.length, 0);

  const peers = await Promise.all(['127.0.0.61', '127.0.0.62'].map((h) => RawPeer.open(port, h, magic)));
  t.after(() => peers.forEach((p) => p.destroy()));
  await Promise.all(peers.map((p) => p.handshake()));
  const third = await RawPeer.open(port, '127.0.0.63', magic);
  t.after(() => third.destroy());
  assert.equal(await third.waitClosed(2000), true);
  assert.equal(third.received.length, 0);
  assert.equal(node.p2p.connectionCount(), 2);
});

test('a peer that requests data and never reads it is dropped; serving pauses instead of buffering', async (t) => {
  const node = await startNode({ blocks: 3, p2p: { maxOutbound: 0, timeouts: { inactivityMs: 1500 } } });
  t.after(() => node.stop());
  const reasons: string[] = [];
  node.tc.bus.on('p2p:peer:disconnected', (e) => reasons.push(e.reason));
  const reader = await RawPeer.open(node.p2p.port!, '127.0.0.55', node.tc.network.magic);
  t.after(() => reader.destroy());
  await reader.handshake();
  reader.socket.pause();
  const hash = node.tc.chain.getRecordAt(1)!.hash;
  // 50,000 copies of a block ≈ 12 MB of answers to a reader that reads nothing.
  await reader.send({ command: 'getdata', inventory: Array.from({ length: 50_000 }, () => ({ type: 2, hash })) });
  await waitFor(() => reasons.length > 0, 10_000, 'the reader to be dropped');
  assert.match(reasons[0], /does not read/);
  // Meanwhile others are served normally.
  const other = await RawPeer.open(node.p2p.port!, '127.0.0.56', node.tc.network.magic);
  t.after(() => other.destroy());
  await other.handshake();
  await other.send({ command: 'ping', nonce: 1n });
  await other.until((r) => r.some((m) => m.command === 'pong'));
});

test('a getblocks-only peer (< 70012) is asked with getblocks and synced from with inv → getdata', async (t) => {
  const source = await startNode({ blocks: 12 });
  t.after(() => source.stop());
  const node = await startNode({ p2p: { maxOutbound: 0 } });
  t.after(() => node.stop());
  const legacy = await RawPeer.open(node.p2p.port!, '127.0.0.57', node.tc.network.magic);
  t.after(() => legacy.destroy());
  await legacy.send({ ...rawVersion(12), version: 70002 });
  await legacy.until((r) => r.some((m) => m.command === 'verack'));
  await legacy.send({ command: 'verack' });
  await legacy.until((r) => r.some((m) => m.command === 'getblocks'));
  assert.equal(legacy.of('getheaders').length, 0, 'no getheaders to a peer below 70012');
  const hashes = Array.from({ length: 12 }, (_, i) => source.tc.chain.getRecordAt(i + 1)!.hash);
  await legacy.send({ command: 'inv', inventory: hashes.map((hash) => ({ type: 2, hash })) });
  await legacy.until((r) => r.some((m) => m.command === 'getdata'));
  const asked = legacy.of('getdata')[0].inventory.map((i) => i.hash.toString('hex'));
  assert.deepEqual(asked, hashes.map((h) => h.toString('hex')));
  for (const h of hashes) await legacy.write(encodeFrame(node.tc.network.magic, 'block', source.tc.store.getBlockRaw(h)!));
  await waitFor(() => node.tc.chain.height === 12, 5000, 'the blocks to connect');
  // Batch done: the next getblocks goes out from the new tip.
  await legacy.until((r) => r.filter((m) => m.command === 'getblocks').length >= 2);
  // Once, after the batch's last verdict: not once per block whose verdict came after the last block arrived.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const again = legacy.of('getblocks').slice(1);
  assert.equal(again.length, 1, `${again.length} getblocks after the batch`);
  // From the new tip (locatorFor starts one below the target), not from a tip some verdicts ago.
  const from = node.tc.chain.getRecord(again[0].locator[0])?.height ?? -1;
  assert.ok(from >= 11, `the locator starts at height ${from}`);
});

test('addr gossip fills the book; bans and addresses survive a restart; seeds resolve and are dialled', async (t) => {
  const honest = await startNode({ blocks: 2 });
  t.after(() => honest.stop());
  const node = await startNode({ p2p: { maxOutbound: 0 } });
  t.after(() => node.stop());
  const gossip = await RawPeer.open(node.p2p.port!, '127.0.0.58', node.tc.network.magic);
  t.after(() => gossip.destroy());
  await gossip.handshake();
  const entry = (ip: string, port: number) => ({ timestamp: 1_600_000_000, services: 1n, ip: ipFromString(ip), port });
  const zero = { timestamp: 0, services: 0n, ip: Buffer.alloc(16), port: 0 };
  await gossip.send({ command: 'addr', addresses: [zero, entry('8.8.8.8', 5251), zero, entry('10.9.8.7', 25251), entry('1.1.1.1', 0)] });
  await gossip.send({ command: 'ping', nonce: 3n });
  await gossip.until((r) => r.some((m) => m.command === 'pong'));
  assert.deepEqual(node.p2p.addresses().map((a) => a.key).sort(), ['10.9.8.7:25251', '8.8.8.8:5251']);
  node.p2p.ban('203.0.113.9', 3600, 'test');

  // Restart the P2P layer on the same data directory.
  await node.p2p.stop();
  const again = new P2PNode({ network: node.tc.network, chain: node.tc.chain, bus: node.tc.bus, dataDir: node.dataDir, listen: false, maxOutbound: 0 });
  await again.start();
  assert.deepEqual(again.addresses().map((a) => a.key).sort(), ['10.9.8.7:25251', '8.8.8.8:5251']);
  assert.deepEqual(again.bans().map((b) => b.host), ['203.0.113.9']);
  await again.stop();

  // Seeds: names resolved through the injected resolver, the addresses dialled.
  const honestPort = Number(honest.address.split(':')[1]);
  const resolved: string[] = [];
  const seeded = new P2PNode({
    network: node.tc.network,
    chain: node.tc.chain,
    bus: node.tc.bus,
    listen: false,
    seeds: [`seed.mvs.test:${honestPort}`],
    maxOutbound: 1,
    dialIntervalMs: 50,
    resolveHost: async (host) => {
      resolved.push(host);
      return ['127.0.0.1'];
    },
  });
  t.after(() => seeded.stop());
  await seeded.start();
  await waitFor(() => seeded.connectionCount() === 1, 5000, 'the seed to be dialled');
  assert.deepEqual(resolved, ['seed.mvs.test']);
  assert.equal(seeded.peers()[0].address, honest.address);
});

test('every peer is polled with getheaders; locators are short and end at genesis', async (t) => {
  const node = await startNode({ blocks: 300, p2p: { maxOutbound: 0 } });
  t.after(() => node.stop());
  const silentReference = await RawPeer.open(node.p2p.port!, '127.0.0.59', node.tc.network.magic);
  t.after(() => silentReference.destroy());
  // Like a reference node at our height: it never answers an empty getheaders (§7.1).
  await silentReference.handshake(300);
  await silentReference.until((r) => r.filter((m) => m.command === 'getheaders').length >= 3, 8000);
  const genesis = node.tc.chain.getRecordAt(0)!.hash;
  for (const m of silentReference.of('getheaders')) {
    assert.ok(m.locator.at(-1)!.equals(genesis));
    assert.ok(m.locator.length <= 10 + Math.log2(300), `locator of ${m.locator.length}`);
    assert.ok(m.locator[0].equals(node.tc.chain.getRecordAt(299)!.hash), 'starts at the best header’s parent');
  }
  assert.equal(node.p2p.isSynced(), true, 'silence from a peer at our height means synced');
});
