/**
 * Hostile peers against a real `mvsd` (docs/p2p.md "Protection and bans"):
 * scripted raw sockets from their own loopback addresses (127.0.0.2x, so a
 * ban of one never touches the honest node on 127.0.0.1) send a header and
 * a block with forged Ethash seals — rejected by the real engine, not a
 * test double — and garbage. Each is disconnected and banned while the
 * node syncs from an honest daemon; the bans survive a SIGKILL (bans.json is
 * written when a ban is made) and keep the hosts out after the restart.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TestNetwork, waitFor, scaled, type TestNode, FailureFlag } from './harness.js';
import { RawPeer, rawVersion } from '../integration/p2p/raw-peer.js';
import { regtest } from '../../src/networks/index.js';
import { Block } from '../../src/primitives/block.js';

const net = new TestNetwork('p2p-hostile');
const failures = new FailureFlag();
after(async () => net.cleanup(undefined, failures.failed));

const PAYOUT = 'MCCu9WmXuTooSEoMHX1aN82b7syaJD65XM';
const HONEST_BLOCKS = 30;
const FORGED_HEADER_HOST = '127.0.0.21';
const GARBAGE_HOST = '127.0.0.22';
const FORGED_BLOCK_HOST = '127.0.0.23';

let honest: TestNode;
let victim: TestNode;
const rawPeers: RawPeer[] = [];
after(() => {
  for (const p of rawPeers) p.destroy();
});

async function openRaw(node: TestNode, host: string): Promise<RawPeer> {
  const peer = await RawPeer.open(node.p2pPort, host, regtest.magic);
  rawPeers.push(peer);
  return peer;
}

/** version → the node's version and verack → verack, with a timeout that scales (the node may be busy starting). */
async function handshake(peer: RawPeer, startHeight: number): Promise<void> {
  await peer.send(rawVersion(startHeight));
  await peer.until((r) => r.some((m) => m.command === 'version') && r.some((m) => m.command === 'verack'), scaled(30_000));
  await peer.send({ command: 'verack' });
}

/** The hosts `addnode list` reports as banned ("ip, timestamp:…" entries). */
async function bannedHosts(node: TestNode): Promise<string[]> {
  const list = await node.rpc<{ banned: string[] }>('addnode', '', '-o', 'list');
  return list.banned.map((entry) => String(entry).split(',')[0]);
}

/** Block 1 of the honest chain with its seal broken: a valid shape whose Ethash check must fail. */
async function forgedBlock(): Promise<Block> {
  const raw = String(await honest.rpc('getblock', '1', false));
  const block = Block.fromRaw(Buffer.from(raw, 'hex'));
  block.header.nonce ^= 0x5a5a5a5an;
  block.header.invalidate();
  return block;
}

test('forged seals and garbage from three hosts are banned while the node syncs from an honest daemon', failures.guard(async () => {
  honest = await net.addNode({ wallet: false });
  await honest.mine(HONEST_BLOCKS, PAYOUT);
  victim = await net.addNode({ wallet: false });

  // A header with a broken seal, after a proper handshake.
  const forgedHeader = await openRaw(victim, FORGED_HEADER_HOST);
  await handshake(forgedHeader, HONEST_BLOCKS);
  await forgedHeader.send({ command: 'headers', headers: [{ header: (await forgedBlock()).header, txCount: 0 }] });

  // Garbage: an HTTP request has the wrong magic (the reference bans that for 24 h).
  const garbage = await openRaw(victim, GARBAGE_HOST);
  await garbage.write(Buffer.from('GET / HTTP/1.1\r\nHost: mvs\r\n\r\n'));

  // An unsolicited block with a broken seal.
  const forgedBlockPeer = await openRaw(victim, FORGED_BLOCK_HOST);
  await handshake(forgedBlockPeer, HONEST_BLOCKS);
  await forgedBlockPeer.send({ command: 'block', block: await forgedBlock() });

  await victim.rpc('addnode', honest.p2pAddress);
  for (const peer of [forgedHeader, garbage, forgedBlockPeer]) assert.equal(await peer.waitClosed(scaled(30_000)), true, 'the hostile peer is disconnected');
  const hostile = [FORGED_HEADER_HOST, GARBAGE_HOST, FORGED_BLOCK_HOST].sort();
  await waitFor('all three hostile hosts banned', async () => {
    const banned = await bannedHosts(victim);
    return hostile.every((h) => banned.includes(h));
  }, 30_000);

  assert.equal(await net.syncAll([honest, victim], 60_000), await honest.tipHash());
  assert.deepEqual((await bannedHosts(victim)).sort(), hostile, 'only the hostile hosts are banned, never 127.0.0.1');
  assert.deepEqual(await victim.rpc<string[]>('getpeerinfo'), [honest.p2pAddress], 'the honest daemon stays connected');
  // The forged header and block were judged by the real engine: proof-of-work failures in the log.
  const log = readFileSync(victim.logPath, 'utf8');
  assert.match(log, /"reason":"invalid header: proof_of_work"/);
  assert.match(log, /"reason":"invalid block: proof_of_work"/);
}));

test('bans survive a SIGKILL: a banned host is refused before the handshake after the restart', failures.guard(async () => {
  await victim.kill();
  await victim.start();
  assert.deepEqual((await bannedHosts(victim)).sort(), [FORGED_HEADER_HOST, GARBAGE_HOST, FORGED_BLOCK_HOST].sort());

  const again = await openRaw(victim, FORGED_HEADER_HOST);
  assert.equal(await again.waitClosed(scaled(10_000)), true, 'a banned host is closed at once');
  assert.deepEqual(again.received, [], 'nothing, not even a version, is sent to a banned host');

  // The honest daemon is still welcome: rejoin and follow a new block.
  await victim.rpc('addnode', honest.p2pAddress);
  const [mined] = await honest.mine(1, PAYOUT);
  assert.equal(await net.syncAll([honest, victim], 60_000), mined);
}));
