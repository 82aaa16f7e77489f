import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Server, forkPointHeight, headersAfter } from '../../../src/p2p/serve.js';
import type { Peer } from '../../../src/p2p/peer.js';
import type { OutgoingMessage } from '../../../src/p2p/peer.js';
import { makeChain, mineEmpty, removeDir } from '../../helpers/chain.js';
import { ZERO_HASH } from '../../../src/primitives/hex.js';

function stubPeer(startHeight = 0) {
  const sent: (OutgoingMessage | { command: 'block' | 'tx'; raw: Uint8Array })[] = [];
  const state = { closed: null as string | null };
  const peer = {
    id: 1,
    address: '10.0.0.1:5251',
    startHeight,
    get isClosed() {
      return state.closed !== null;
    },
    send(m: OutgoingMessage) {
      sent.push(m);
      return true;
    },
    sendRaw(command: 'block' | 'tx', raw: Uint8Array) {
      sent.push({ command, raw });
      return true;
    },
    disconnect(reason: string) {
      state.closed = reason;
    },
    writable: async () => undefined,
  };
  return { peer: peer as unknown as Peer, sent, state };
}

test('getheaders: from the first locator hash on our chain, limit by the peer start height, stop hash inclusive', async (t) => {
  const tc = await makeChain();
  t.after(async () => {
    await tc.close();
    removeDir(tc.dir);
  });
  await mineEmpty(tc, 40);
  const chain = tc.chain;
  const server = new Server({ chain });
  const at = (h: number) => chain.getRecordAt(h)!.hash;
  const genesis = at(0);

  // A peer that told us it is at 0 while we are at 40: within 2000 → 10 headers.
  let s = stubPeer(0);
  server.onGetHeaders(s.peer, { command: 'getheaders', locator: [at(12), at(11), genesis], stopHash: ZERO_HASH });
  let headers = (s.sent[0] as Extract<OutgoingMessage, { command: 'headers' }>).headers;
  assert.deepEqual(headers.map((e) => e.header.number), [13, 14, 15, 16, 17, 18, 19, 20, 21, 22]);
  assert.ok(headers.every((e) => e.txCount === 0));

  // Unknown hashes first in the locator are skipped; stop hash ends the answer (inclusive).
  s = stubPeer(0);
  server.onGetHeaders(s.peer, { command: 'getheaders', locator: [randomBytes(32), at(30), genesis], stopHash: at(33) });
  headers = (s.sent[0] as Extract<OutgoingMessage, { command: 'headers' }>).headers;
  assert.deepEqual(headers.map((e) => e.header.number), [31, 32, 33]);

  // Empty locator: from height 1.
  s = stubPeer(0);
  server.onGetHeaders(s.peer, { command: 'getheaders', locator: [], stopHash: ZERO_HASH });
  assert.equal((s.sent[0] as any).headers[0].header.number, 1);

  // Last locator hash unknown (another genesis): ignored, as the reference does.
  s = stubPeer(0);
  server.onGetHeaders(s.peer, { command: 'getheaders', locator: [at(5), randomBytes(32)], stopHash: ZERO_HASH });
  assert.equal(s.sent.length, 0);
  assert.equal(s.state.closed, null);

  // At our tip: an empty headers message (the reference would send nothing).
  s = stubPeer(40);
  server.onGetHeaders(s.peer, { command: 'getheaders', locator: [at(40), genesis], stopHash: ZERO_HASH });
  assert.deepEqual((s.sent[0] as any).headers, []);

  // Over-long locator: disconnect.
  s = stubPeer(0);
  server.onGetHeaders(s.peer, { command: 'getheaders', locator: [...Array.from({ length: 18 }, () => randomBytes(32)), genesis], stopHash: ZERO_HASH });
  assert.equal(s.sent.length, 0);
  assert.match(s.state.closed ?? '', /locator of 19 hashes/);

  assert.equal(forkPointHeight(chain, [randomBytes(32), at(7)]), 7);
  assert.equal(forkPointHeight(chain, [randomBytes(32)]), null);
  assert.equal(headersAfter(chain, 38, ZERO_HASH, 500).length, 2);
});

test('getheaders answers 500 headers to a peer more than 2000 blocks behind', async (t) => {
  const tc = await makeChain();
  t.after(async () => {
    await tc.close();
    removeDir(tc.dir);
  });
  await mineEmpty(tc, 2010);
  const server = new Server({ chain: tc.chain });
  const genesis = tc.chain.getRecordAt(0)!.hash;
  const far = stubPeer(9);
  server.onGetHeaders(far.peer, { command: 'getheaders', locator: [genesis], stopHash: ZERO_HASH });
  assert.equal((far.sent[0] as any).headers.length, 500);
  const near = stubPeer(10);
  server.onGetHeaders(near.peer, { command: 'getheaders', locator: [genesis], stopHash: ZERO_HASH });
  assert.equal((near.sent[0] as any).headers.length, 10);
  const blocks = stubPeer(0);
  server.onGetBlocks(blocks.peer, { command: 'getblocks', locator: [randomBytes(32)], stopHash: ZERO_HASH });
  assert.equal((blocks.sent[0] as any).inventory.length, 500);
});

test('getblocks → inv (even empty); getdata → block / notfound, tx from the chain, silence for unknown txs; mempool once', async (t) => {
  const tc = await makeChain();
  t.after(async () => {
    await tc.close();
    removeDir(tc.dir);
  });
  const mined = await mineEmpty(tc, 12);
  const server = new Server({ chain: tc.chain });
  const at = (h: number) => tc.chain.getRecordAt(h)!.hash;

  let s = stubPeer(0);
  server.onGetBlocks(s.peer, { command: 'getblocks', locator: [at(9), at(0)], stopHash: ZERO_HASH });
  assert.deepEqual((s.sent[0] as any).inventory.map((i: any) => [i.type, i.hash.toString('hex')]), [10, 11, 12].map((h) => [2, at(h).toString('hex')]));
  s = stubPeer(0);
  server.onGetBlocks(s.peer, { command: 'getblocks', locator: [at(12)], stopHash: ZERO_HASH });
  assert.deepEqual(s.sent, [{ command: 'inv', inventory: [] }]);

  s = stubPeer(0);
  const unknownBlock = randomBytes(32);
  const coinbase = mined[2].txs[0];
  await server.onGetData(s.peer, {
    command: 'getdata',
    inventory: [
      { type: 2, hash: at(3) },
      { type: 2, hash: unknownBlock },
      { type: 1, hash: randomBytes(32) },
      { type: 1, hash: coinbase.hash() },
      { type: 3, hash: at(3) },
    ],
  });
  assert.deepEqual(s.sent.map((m) => m.command), ['block', 'tx', 'notfound']);
  assert.ok(Buffer.from((s.sent[0] as any).raw).equals(tc.store.getBlockRaw(at(3))!));
  assert.ok(Buffer.from((s.sent[1] as any).raw).equals(coinbase.toRaw()));
  assert.deepEqual((s.sent[2] as any).inventory, [{ type: 2, hash: unknownBlock }]);

  // No pool: nothing, and never twice per connection.
  s = stubPeer(0);
  server.onMempool(s.peer);
  server.onMempool(s.peer);
  assert.equal(s.sent.length, 0);
});
