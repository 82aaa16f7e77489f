import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startNode, waitFor } from './helpers.js';
import { RawPeer } from './raw-peer.js';
import { encodeFrame } from '../../../src/p2p/framer.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** An inv payload of `n` random transaction hashes. */
function randomTxInv(n: number): Buffer {
  const payload = Buffer.alloc(3 + n * 36);
  payload[0] = 0xfd;
  payload.writeUInt16LE(n, 1);
  const hashes = randomBytes(n * 32);
  for (let i = 0; i < n; i++) {
    payload.writeUInt32LE(1, 3 + i * 36);
    hashes.copy(payload, 3 + i * 36 + 4, i * 32, i * 32 + 32);
  }
  return payload;
}

/** An addr payload of `n` random IPv4 addresses. */
function randomAddr(n: number): Buffer {
  const payload = Buffer.alloc(3 + n * 30);
  payload[0] = 0xfd;
  payload.writeUInt16LE(n, 1);
  const ips = randomBytes(n * 4);
  for (let i = 0; i < n; i++) {
    const at = 3 + i * 30;
    payload.writeUInt32LE(Math.floor(Date.now() / 1000), at);
    payload.writeBigUInt64LE(1n, at + 4);
    payload.writeUInt16BE(0xffff, at + 22);
    payload[at + 24] = 1 + (ips[i * 4] % 223);
    ips.copy(payload, at + 25, i * 4 + 1, i * 4 + 4);
    payload.writeUInt16BE(5251, at + 28);
  }
  return payload;
}

test('a long inventory and address flood leaves the heap bounded and the node responsive', async (t) => {
  const honest = await startNode({ blocks: 5 });
  t.after(() => honest.stop());
  const node = await startNode({ p2p: { connect: [honest.address], limits: { bytesPerSecond: 1 << 30, byteBurst: 1 << 30 } } });
  t.after(() => node.stop());
  await waitFor(() => node.p2p.isSynced(), 10_000, 'the node to be synced');

  const flooder = await RawPeer.open(node.p2p.port!, '127.0.0.30', node.tc.network.magic);
  t.after(() => flooder.destroy());
  await flooder.handshake(5);
  const before = heapAfterGc();

  let sent = 0;
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 200; i++) {
      const frame = encodeFrame(node.tc.network.magic, 'inv', randomTxInv(1000));
      sent += frame.length;
      await flooder.write(frame);
    }
    for (let i = 0; i < 30; i++) {
      const frame = encodeFrame(node.tc.network.magic, 'addr', randomAddr(1000));
      sent += frame.length;
      await flooder.write(frame);
    }
  }
  // Messages are processed in order: the pong to this ping means the flood has been digested.
  await flooder.send({ command: 'ping', nonce: 0x5eedn });
  await flooder.until((r) => r.some((m) => m.command === 'pong' && m.nonce === 0x5eedn), 60_000);
  const after = heapAfterGc();

  assert.ok(sent > 40 * 1024 * 1024, `flood of ${sent} bytes`);
  const growth = after - before;
  t.diagnostic(`flood ${(sent / 1048576).toFixed(0)} MiB, heap ${(before / 1048576).toFixed(1)} → ${(after / 1048576).toFixed(1)} MiB`);
  assert.ok(growth < 16 * 1024 * 1024, `heap grew by ${(growth / 1048576).toFixed(1)} MiB`);
  // Requests to the flooder stay capped; the address book stays at its capacity.
  const requested = flooder.of('getdata').reduce((n, m) => n + m.inventory.length, 0);
  assert.equal(requested, 500);
  assert.ok(node.p2p.addresses().length <= 1000);
  assert.equal(flooder.isClosed, false);
});
