import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNode, waitFor } from './helpers.js';
import { RawPeer } from './raw-peer.js';
import { loadVector } from '../../helpers/vectors.js';
import { Transaction, TxInput, TxOutput, OutPoint } from '../../../src/primitives/transaction.js';
import { Script, p2pkhScript } from '../../../src/primitives/script.js';
import { Attachment } from '../../../src/primitives/attachment.js';
import { MIN_TX_FEE } from '../../../src/consensus/tx.js';
import { hashToHex } from '../../../src/primitives/hex.js';
import { formatHostPort } from '../../../src/p2p/netaddr.js';
import { packageVersion } from '../../../src/p2p/user-agent.js';

interface Capture {
  client_to_listener_messages: { command: string; hex: string; fields?: Record<string, any> }[];
}

const ALLOWED = new Set(['version', 'verack', 'ping', 'pong', 'addr', 'getaddr', 'inv', 'getdata', 'notfound', 'getblocks', 'getheaders', 'headers', 'block', 'tx', 'mempool']);

test('the real metaversejs-p2p client bytes get the answers the reference gives', async (t) => {
  const capture = loadVector<Capture>(t, 'p2p-capture.json');
  if (!capture) return;
  // Regtest uses the mainnet magic, so the captured frames are valid for it.
  // No outbound dialling: the address put in the book below is only there to be gossiped.
  const node = await startNode({ blocks: 20, p2p: { maxOutbound: 0 } });
  t.after(() => node.stop());
  const coinbase = node.tc.chain.getBlockAt(1)!.txs[0];
  const tx = new Transaction(1, [new TxInput(new OutPoint(coinbase.hash(), 0), new Script(), 0xffffffff)], [new TxOutput(coinbase.outputs[0].value - MIN_TX_FEE, p2pkhScript(Buffer.alloc(20, 3)), Attachment.etp(1))], 0);
  await node.mempool.add(tx);
  assert.equal(node.p2p.addAddress('203.0.113.5:5251'), true);

  const client = await RawPeer.open(node.p2p.port!, '127.0.0.40', node.tc.network.magic);
  t.after(() => client.destroy());
  const messages = capture.client_to_listener_messages;
  for (const m of messages) if (m.command !== 'pong') await client.write(Buffer.from(m.hex, 'hex'));

  await client.until((r) => r.some((m) => m.command === 'pong') && r.some((m) => m.command === 'addr') && r.filter((m) => m.command === 'inv').length >= 3 && r.some((m) => m.command === 'notfound'));
  await new Promise((r) => setTimeout(r, 200));

  // Our version first, at once (the reference sends it on inbound channels too), then verack.
  assert.equal(client.received[0].command, 'version');
  const version = client.of('version')[0];
  assert.equal(version.version, 70012);
  assert.equal(version.services, 1n);
  assert.equal(version.relay, true);
  assert.equal(version.startHeight, 20);
  assert.equal(version.userAgent, `/mvs-node:${packageVersion()}/`);
  assert.notEqual(version.nonce, 0n);
  assert.equal(formatHostPort(version.addrRecv), `127.0.0.40:${client.socket.localPort}`);
  assert.equal(client.of('verack').length, 1);
  // After the handshake, like the reference: ping, getaddr, and getheaders (the client announced 70012).
  assert.equal(client.of('ping').length, 1);
  assert.equal(client.of('getaddr').length, 1);
  assert.equal(client.of('getheaders').length >= 1, true);
  assert.equal(client.of('getblocks').length, 0);

  // getblocks × 2: none of the locator hashes are ours → inv from height 1, 10 entries (our height − its 0 ≤ 2000).
  const blockInvs = client.of('inv').filter((m) => m.inventory.every((i) => i.type === 2));
  assert.equal(blockInvs.length, 2);
  const first10 = Array.from({ length: 10 }, (_, i) => hashToHex(node.tc.chain.getRecordAt(i + 1)!.hash));
  for (const inv of blockInvs) assert.deepEqual(inv.inventory.map((i) => hashToHex(i.hash)), first10);
  // getdata(block unknown, tx unknown): notfound for the block only, silence for the tx.
  const notfound = client.of('notfound');
  assert.equal(notfound.length, 1);
  assert.deepEqual(notfound[0].inventory.map((i) => [i.type, hashToHex(i.hash)]), [[2, messages[4].fields!.inventory[0].hash]]);
  assert.equal(client.of('tx').length, 0);
  // ping → pong with the same nonce.
  const pong = client.of('pong');
  assert.equal(pong.length, 1);
  const nonceBytes = Buffer.alloc(8);
  nonceBytes.writeBigUInt64LE(pong[0].nonce);
  assert.equal(nonceBytes.toString('hex'), messages[5].fields!.nonce);
  // mempool → one inv of every pool tx.
  const txInvs = client.of('inv').filter((m) => m.inventory.every((i) => i.type === 1));
  assert.equal(txInvs.length, 1);
  assert.deepEqual(txInvs[0].inventory.map((i) => hashToHex(i.hash)), [tx.txid()]);
  // getaddr → addr with the address book.
  const addr = client.of('addr');
  assert.equal(addr.length, 1);
  assert.deepEqual(addr[0].addresses.map((a) => formatHostPort(a)), ['203.0.113.5:5251']);
  // Nothing the reference would disconnect for.
  for (const m of client.received) assert.ok(ALLOWED.has(m.command), m.command);

  // The captured pong answers the researcher's ping, not ours: a wrong nonce disconnects, as in the reference.
  await client.write(Buffer.from(messages.find((m) => m.command === 'pong')!.hex, 'hex'));
  assert.equal(await client.waitClosed(3000), true);
  assert.deepEqual(node.p2p.bans(), []);
});

test('getaddr with an empty address book and mempool with an empty pool get no answer', async (t) => {
  const node = await startNode({ blocks: 3 });
  t.after(() => node.stop());
  const client = await RawPeer.open(node.p2p.port!, '127.0.0.41', node.tc.network.magic);
  t.after(() => client.destroy());
  await client.handshake();
  await client.send({ command: 'getaddr' });
  await client.send({ command: 'mempool' });
  await client.send({ command: 'ping', nonce: 7n });
  await client.until((r) => r.some((m) => m.command === 'pong'));
  await waitFor(() => true, 10, '');
  assert.equal(client.of('addr').length, 0);
  assert.equal(client.of('inv').length, 0);
});
