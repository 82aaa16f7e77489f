import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startNode, waitFor } from './helpers.js';
import { RawPeer } from './raw-peer.js';
import { buildBlock, makeChain, mineEmpty, removeDir, REJECT_NONCE } from '../../helpers/chain.js';
import type { Block } from '../../../src/primitives/block.js';
import { encodeFrame, encodeMessageFrame, HEADING_SIZE } from '../../../src/p2p/framer.js';
import { testnet } from '../../../src/networks/index.js';
import type { BlockHeader } from '../../../src/primitives/header.js';

test('hostile peers cost the node only their connection while it syncs from an honest peer', async (t) => {
  const honest = await startNode({ blocks: 600 });
  t.after(() => honest.stop());
  const node = await startNode();
  t.after(() => node.stop());
  const port = node.p2p.port!;
  const magic = node.tc.network.magic;
  const banned = new Set<string>();
  node.tc.bus.on('p2p:peer:banned', (e) => banned.add(e.address));
  const disconnects: { address: string; reason: string }[] = [];
  node.tc.bus.on('p2p:peer:disconnected', (e) => disconnects.push({ address: e.address, reason: e.reason }));
  const chainHeaders: BlockHeader[] = [];
  for (let h = 1; h <= 600; h++) chainHeaders.push(honest.tc.chain.getRecordAt(h)!.header);

  // A staller: shows the real headers, never serves a block. Connected first, so it gets requests.
  const staller = await RawPeer.open(port, '127.0.0.20', magic);
  t.after(() => staller.destroy());
  await staller.handshake(600);
  await staller.send({ command: 'headers', headers: chainHeaders.map((header) => ({ header, txCount: 0 })) });
  await staller.until((r) => r.some((m) => m.command === 'getdata'));
  node.p2p.addNode(honest.address, 'add');

  const attacks: Promise<void>[] = [];
  const attack = (host: string, script: (p: RawPeer) => Promise<void>, expectBan: boolean) =>
    attacks.push(
      (async () => {
        const p = await RawPeer.open(port, host, magic);
        try {
          await script(p);
          assert.equal(await p.waitClosed(10_000), true, `${host} must be disconnected`);
        } finally {
          p.destroy();
        }
        if (expectBan) await waitFor(() => banned.has(host), 5000, `${host} banned`);
        else assert.equal(banned.has(host), false, `${host} must not be banned`);
      })(),
    );

  // Garbage: an HTTP request is a wrong magic → disconnect + 24 h ban.
  attack('127.0.0.11', (p) => p.write(Buffer.from('GET / HTTP/1.1\r\nHost: mvs\r\n\r\n')), true);
  // Another network's magic.
  attack('127.0.0.12', (p) => p.send({ command: 'verack' }).then(() => p.write(encodeMessageFrame(testnet.magic, { command: 'verack' }))), true);
  // Oversized length in the heading: dropped before any payload is buffered.
  attack(
    '127.0.0.13',
    (p) => {
      const heading = Buffer.alloc(HEADING_SIZE);
      heading.writeUInt32LE(magic, 0);
      heading.write('block', 4, 'latin1');
      heading.writeUInt32LE(2_000_000, 16);
      return p.write(heading);
    },
    false,
  );
  // Bad checksum.
  attack(
    '127.0.0.14',
    (p) => {
      const frame = encodeFrame(magic, 'ping', Buffer.alloc(8, 1));
      frame[20] ^= 0xff;
      return p.write(frame);
    },
    false,
  );
  // Headers failing proof of work.
  attack(
    '127.0.0.15',
    async (p) => {
      await p.handshake();
      const g = honest.tc.chain.getRecordAt(0)!;
      const bad = buildBlock(honest.tc, { parent: { hash: g.hash, height: 0, timestamp: g.header.timestamp }, mutate: (b) => void (b.header.nonce = REJECT_NONCE) });
      await p.send({ command: 'headers', headers: [{ header: bad.header, txCount: 0 }] });
    },
    true,
  );
  // Unsolicited blocks whose parent nobody knows.
  attack(
    '127.0.0.16',
    async (p) => {
      await p.handshake();
      for (let i = 0; i < 12; i++) {
        const orphan = buildBlock(honest.tc, { tag: `orphan${i}`, mutate: (b) => void (b.header.prevHash = randomBytes(32)) });
        await p.send({ command: 'block', block: orphan });
      }
    },
    true,
  );
  // Ping flood.
  attack(
    '127.0.0.17',
    async (p) => {
      await p.handshake();
      for (let i = 0; i < 200; i++) await p.send({ command: 'ping', nonce: BigInt(i + 1) });
    },
    true,
  );
  await Promise.all(attacks);

  // A banned host is refused at once, before any version.
  const again = await RawPeer.open(port, '127.0.0.12', magic);
  assert.equal(await again.waitClosed(3000), true);
  assert.equal(again.received.length, 0);
  assert.ok(node.p2p.bans().some((b) => b.host === '127.0.0.12' && b.until > Date.now() / 1000 + 23 * 3600));

  // Meanwhile the node synced from the honest peer, and dropped the staller without banning it.
  const tip = honest.tc.chain.tip.hash;
  await waitFor(() => node.tc.chain.tip.hash.equals(tip), 30_000, 'the node to reach the honest tip');
  await waitFor(() => staller.isClosed, 15_000, 'the staller to be dropped');
  assert.ok(disconnects.some((d) => d.address.startsWith('127.0.0.20:') && /stall/.test(d.reason)), JSON.stringify(disconnects));
  assert.equal(banned.has('127.0.0.20'), false);
  assert.equal(banned.has('127.0.0.1'), false);
  assert.equal(node.p2p.connectionCount(), 1);
});

test('a peer serving an invalid block on a heavier branch is banned and the node stays on the valid chain', async (t) => {
  const honest = await startNode({ blocks: 50 });
  t.after(() => honest.stop());
  const node = await startNode({ p2p: { connect: [honest.address] } });
  t.after(() => node.stop());
  await waitFor(() => node.tc.chain.tip.hash.equals(honest.tc.chain.tip.hash), 10_000, 'the node on the honest chain');

  // A 60-block branch from genesis whose first block pays itself far too much.
  const scratch = await makeChain();
  t.after(async () => {
    await scratch.close();
    removeDir(scratch.dir);
  });
  const evil: Block[] = [];
  let parent = scratch.chain.getRecordAt(0)!;
  for (let i = 0; i < 60; i++) {
    const b = buildBlock(scratch, { parent: { hash: parent.hash, height: parent.height, timestamp: parent.header.timestamp }, tag: `evil${i}`, coinbaseValue: i === 0 ? 10n ** 17n : undefined });
    const r = await scratch.chain.addHeaders([b.header]);
    assert.equal(r.error, undefined);
    evil.push(b);
    parent = scratch.chain.getRecord(b.hash())!;
  }
  const banned: string[] = [];
  node.tc.bus.on('p2p:peer:banned', (e) => banned.push(`${e.address} ${e.reason}`));
  const liar = await RawPeer.open(node.p2p.port!, '127.0.0.21', node.tc.network.magic);
  t.after(() => liar.destroy());
  await liar.handshake(60);
  await liar.send({ command: 'headers', headers: evil.map((b) => ({ header: b.header, txCount: b.txs.length })) });
  // Serve whatever is asked for, from the evil branch.
  const served = new Set<string>();
  const byHash = new Map(evil.map((b) => [b.hash().toString('hex'), b]));
  await liar.until((r) => {
    for (const m of r) {
      if (m.command !== 'getdata') continue;
      for (const item of m.inventory) {
        const key = item.hash.toString('hex');
        const block = byHash.get(key);
        if (block && !served.has(key)) {
          served.add(key);
          void liar.send({ command: 'block', block });
        }
      }
    }
    return false;
  }, 10_000).catch(() => undefined);
  assert.equal(liar.isClosed, true, 'disconnected');
  assert.ok(banned.some((b) => b.startsWith('127.0.0.21 invalid block')), banned.join('; '));
  assert.ok(node.tc.chain.tip.hash.equals(honest.tc.chain.tip.hash));
  assert.equal(node.p2p.syncStatus().bestHeaderHeight, 50);
  // And it keeps following the honest peer.
  await mineEmpty(honest.tc, 2);
  await waitFor(() => node.tc.chain.tip.hash.equals(honest.tc.chain.tip.hash), 10_000, 'the next honest blocks');
});
