import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { WebSocket } from 'ws';
import { WsPushServer, type WsPushOptions } from '../../../src/rpc/ws.js';
import { EventBus } from '../../../src/bus/index.js';
import { Block } from '../../../src/primitives/block.js';
import { BlockHeader } from '../../../src/primitives/header.js';
import { Transaction, TxInput, TxOutput, OutPoint } from '../../../src/primitives/transaction.js';
import { Script, p2pkhScript, pushOp } from '../../../src/primitives/script.js';
import { Attachment } from '../../../src/primitives/attachment.js';
import { Address } from '../../../src/primitives/address.js';
import { ZERO_HASH } from '../../../src/primitives/hex.js';
import { mainnet } from '../../../src/networks/index.js';
import { parseJson } from '../../../src/rpc/json.js';

const HASH_A = Buffer.alloc(20, 0xaa);
const HASH_B = Buffer.alloc(20, 0xbb);
const HASH_C = Buffer.alloc(20, 0xcc);
const ADDR_A = new Address(0x32, HASH_A).toString();
const ADDR_B = new Address(0x32, HASH_B).toString();
const ADDR_C = new Address(0x32, HASH_C).toString();

function payTx(tag: number, ...hashes: Buffer[]): Transaction {
  return new Transaction(
    2,
    [new TxInput(new OutPoint(Buffer.alloc(32, tag), 0), Script.fromOps([pushOp(Buffer.alloc(71, 1))]), 0xffffffff)],
    hashes.map((h, i) => new TxOutput(BigInt(1000 + i), p2pkhScript(h), Attachment.etp())),
    0,
  );
}

function makeBlock(height: number, outputs = 1, payTo = HASH_C): Block {
  const coinbase = new Transaction(
    1,
    [new TxInput(OutPoint.null(), new Script(Buffer.from([3, height & 0xff, (height >> 8) & 0xff, 0])), 0)],
    Array.from({ length: outputs }, () => new TxOutput(1n, p2pkhScript(payTo), Attachment.etp(0))),
    0,
  );
  const header = new BlockHeader({ version: 1, prevHash: ZERO_HASH, merkleRoot: coinbase.hash(), timestamp: 1_500_000_000 + height, bits: 1n, nonce: BigInt(height), mixHash: ZERO_HASH, number: height });
  return new Block(header, [coinbase]);
}

/** A websocket client with a frame queue. */
class Client {
  readonly frames: any[] = [];
  private waiters: Array<() => void> = [];
  closed = false;
  closeCode = 0;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.frames.push(parseJson(d.toString()));
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('close', (code) => {
      this.closed = true;
      this.closeCode = code;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(port: number, path = '/ws'): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
      const c = new Client(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(v: unknown): void {
    this.ws.send(typeof v === 'string' ? v : JSON.stringify(v));
  }

  /** Next frame (waits up to `ms`). */
  async next(ms = 2000): Promise<any> {
    const deadline = Date.now() + ms;
    while (this.frames.length === 0) {
      if (this.closed) throw new Error('closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timeout waiting for a frame');
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.frames.shift();
  }

  /** Send a ping and return every frame before the pong (proves nothing else is pending). */
  async drainUntilPong(): Promise<any[]> {
    this.send({ event: 'ping' });
    const seen: any[] = [];
    for (;;) {
      const f = await this.next();
      if (f.event === 'ping') return seen;
      seen.push(f);
    }
  }

  close(): void {
    this.ws.terminate();
  }
}

async function withServer(options: Partial<WsPushOptions>, fn: (port: number, server: WsPushServer, bus: EventBus) => Promise<void>) {
  const bus = new EventBus();
  const server = new WsPushServer({ addresses: mainnet.address, bus, port: 0, heartbeatMs: 0, ...options });
  const { port } = await server.listen();
  try {
    await fn(port, server, bus);
  } finally {
    await server.close();
  }
}

async function connected(port: number): Promise<Client> {
  const c = await Client.open(port);
  assert.deepEqual(await c.next(), { event: 'version', result: '0.9.1' });
  assert.equal((await c.next()).event, 'info');
  return c;
}

test('connect frames, version, ping, errors, paths and plain HTTP', async () => {
  await withServer({}, async (port, server) => {
    const a = await Client.open(port);
    assert.deepEqual(await a.next(), { event: 'version', result: '0.9.1' });
    assert.deepEqual(await a.next(), { event: 'info', result: { connections: 1 } });
    const b = await Client.open(port, '/ws/anything?x=1');
    await b.next();
    assert.deepEqual(await b.next(), { event: 'info', result: { connections: 2 } });
    a.send({ event: 'version' });
    assert.deepEqual(await a.next(), { event: 'version', result: { wallet: '0.9.1', protocol: 70012 } });
    a.send({ event: 'ping' });
    assert.deepEqual(await a.next(), { event: 'ping', result: 'pong' });
    for (const bad of ['not json', '[1]', '{"no":"event"}', '{"event":5}']) {
      a.send(bad);
      assert.deepEqual(await a.next(), { event: 'error', result: { code: 1000001, message: 'bad request' } }, bad);
    }
    a.send({ event: 'dance' });
    assert.deepEqual(await a.next(), { event: 'error', result: { code: 1000001, message: 'request not support.' } });
    a.send({ event: 'subscribe', channel: 'news' });
    assert.equal((await a.next()).result.code, 1000001);
    await assert.rejects(Client.open(port, '/other'), /404/);
    const plain = await new Promise<number>((resolve) => http.get({ host: '127.0.0.1', port, path: '/ws' }, (res) => resolve(res.statusCode ?? 0)));
    assert.equal(plain, 403);
    // An oversized client frame closes that connection (1009) and nothing else.
    a.send('x'.repeat(70 * 1024));
    await assert.rejects(a.next(), /closed/);
    assert.equal(a.closeCode, 1009);
    assert.equal(server.connectionCount(), 1);
    b.close();
  });
});

test('tx channel: by address, accumulating, topics, empty = all, DIDs resolved, invalid rejected, unsubscribe', async () => {
  await withServer({ resolveDid: (s) => (s === 'alice' ? [ADDR_A] : null) }, async (port, server, bus) => {
    const c = await connected(port);
    c.send({ event: 'subscribe', channel: 'tx', address: 'alice' });
    assert.deepEqual(await c.next(), { event: 'subscribed', channel: 'tx' });
    c.send({ event: 'subscribe', channel: 'tx', address: ['nobody-did'] });
    assert.deepEqual(await c.next(), { event: 'error', result: { code: 1000001, message: 'invalid address or did: nobody-did' } });
    c.send({ event: 'subscribe', channel: 'tx', address: 5 });
    assert.deepEqual((await c.next()).result.message, 'invalid address.');

    const tx = payTx(1, HASH_A);
    await bus.emit('mempool:tx:added', { tx, txid: tx.hash(), fee: 0n, size: tx.size() });
    const f = await c.next();
    assert.equal(f.event, 'publish');
    assert.equal(f.channel, 'tx');
    assert.equal(f.topic, ADDR_A);
    assert.equal(f.result.hash, tx.txid());
    assert.equal(f.result.height, 0);
    assert.equal(f.result.outputs[0].address, ADDR_A);

    // Not subscribed to B: nothing arrives.
    const other = payTx(2, HASH_B);
    server.publishTransaction(other, 0);
    assert.deepEqual(await c.drainUntilPong(), []);
    // Addresses accumulate: add B, then a tx paying A and B has both as topic.
    c.send({ event: 'subscribe', channel: 'tx', address: [ADDR_B] });
    assert.equal((await c.next()).event, 'subscribed');
    server.publishTransaction(payTx(3, HASH_A, HASH_B, HASH_C), 0);
    assert.deepEqual((await c.next()).topic, [ADDR_A, ADDR_B]);
    // Inside a connected block the tx is pushed again, with its height.
    await bus.emit('chain:block:connected', { height: 77, hash: Buffer.alloc(32), block: new Block(makeBlock(77).header, [makeBlock(77).txs[0], tx]) });
    const inBlock = await c.next();
    assert.equal(inBlock.result.height, 77);
    assert.equal(inBlock.result.hash, tx.txid());
    // A transaction without outputs is never pushed.
    server.publishTransaction(new Transaction(1, tx.inputs, [], 0), 0);
    assert.deepEqual(await c.drainUntilPong(), []);

    c.send({ event: 'unsubscribe', channel: 'tx' });
    assert.deepEqual(await c.next(), { event: 'unsubscribed', channel: 'tx' });
    server.publishTransaction(tx, 0);
    assert.deepEqual(await c.drainUntilPong(), []);

    // Empty string subscribes to every transaction, topic "all".
    const all = await connected(port);
    all.send({ event: 'subscribe', channel: 'tx', address: '' });
    await all.next();
    server.publishTransaction(payTx(4, HASH_C), 0);
    const any = await all.next();
    assert.equal(any.topic, 'all');
    assert.equal(any.result.outputs[0].address, ADDR_C);
    all.close();
    c.close();
  });
});

test('block and height channels; unsubscribing them keeps tx subscriptions (reference bug not copied)', async () => {
  await withServer({}, async (port, _server, bus) => {
    const c = await connected(port);
    c.send({ event: 'subscribe', channel: 'block' });
    assert.deepEqual(await c.next(), { event: 'subscribed', channel: 'block' });
    c.send({ event: 'subscribe', channel: 'height' });
    await c.next();
    c.send({ event: 'subscribe', channel: 'tx', address: ADDR_C });
    await c.next();
    const block = makeBlock(5);
    await bus.emit('chain:block:connected', { height: 5, hash: block.hash(), block });
    const frames = await c.drainUntilPong();
    assert.deepEqual(frames.map((f) => f.channel), ['tx', 'block', 'height']);
    assert.equal(frames[1].result.hash, block.hashHex());
    assert.equal(frames[1].result.number, 5);
    assert.equal(frames[1].result.transactions[0].hash, block.txs[0].txid());
    assert.deepEqual(frames[2], { event: 'publish', channel: 'height', result: 5 });
    c.send({ event: 'unsubscribe', channel: 'block' });
    assert.deepEqual(await c.next(), { event: 'unsubscribed', channel: 'block' });
    c.send({ event: 'unsubscribe', channel: 'height' });
    await c.next();
    const b6 = makeBlock(6);
    await bus.emit('chain:block:connected', { height: 6, hash: b6.hash(), block: b6 });
    const after = await c.drainUntilPong();
    assert.deepEqual(after.map((f) => f.channel), ['tx'], 'tx subscription survives');
    c.close();
  });
});

test('while syncing every frame is answered with 1000002', async () => {
  let syncing = true;
  await withServer({ isSyncing: () => syncing }, async (port) => {
    const c = await connected(port);
    c.send({ event: 'subscribe', channel: 'block' });
    assert.equal((await c.next()).result.code, 1000002);
    c.send({ event: 'ping' });
    assert.equal((await c.next()).result.code, 1000002);
    syncing = false;
    c.send({ event: 'ping' });
    assert.equal((await c.next()).result, 'pong');
    c.close();
  });
});

test('replay from start_height: blocks start..tip in order, then live, no duplicates even when blocks arrive meanwhile', async () => {
  const chain: Block[] = Array.from({ length: 10 }, (_, h) => makeBlock(h));
  let bus!: EventBus;
  let appended = false;
  const getBlockByHeight = async (h: number) => {
    await new Promise((r) => setTimeout(r, 3));
    // New blocks connect while the replay is under way.
    if (h === 5 && !appended) {
      appended = true;
      for (const height of [10, 11]) {
        chain.push(makeBlock(height));
        void bus.emit('chain:block:connected', { height, hash: chain[height].hash(), block: chain[height] });
      }
    }
    return chain[h] ?? null;
  };
  await withServer({ getBlockByHeight, getTipHeight: () => chain.length - 1, maxReplayBlocks: 50 }, async (port, _s, b) => {
    bus = b;
    const c = await connected(port);
    c.send({ event: 'subscribe', channel: 'block', start_height: 3 });
    assert.deepEqual(await c.next(), { event: 'subscribed', channel: 'block' });
    const heights: number[] = [];
    while (heights.length < 9) heights.push((await c.next()).result.number);
    assert.deepEqual(heights, [3, 4, 5, 6, 7, 8, 9, 10, 11]);
    chain.push(makeBlock(12));
    await bus.emit('chain:block:connected', { height: 12, hash: chain[12].hash(), block: chain[12] });
    assert.equal((await c.next()).result.number, 12);
    assert.deepEqual(await c.drainUntilPong(), []);

    const h = await connected(port);
    h.send({ event: 'subscribe', channel: 'height', start_height: 10 });
    await h.next();
    assert.deepEqual([(await h.next()).result, (await h.next()).result, (await h.next()).result], [10, 11, 12]);
    // Bounds: negative / non-integer / too far back / tx channel.
    for (const bad of [-1, 1.5, 'x']) {
      h.send({ event: 'subscribe', channel: 'block', start_height: bad });
      assert.equal((await h.next()).result.message, 'start_height must be a non-negative integer.');
    }
    chain.push(...Array.from({ length: 60 }, (_, i) => makeBlock(13 + i)));
    h.send({ event: 'subscribe', channel: 'block', start_height: 0 });
    assert.match((await h.next()).result.message, /more than 50 blocks below the tip/);
    h.send({ event: 'subscribe', channel: 'tx', address: ADDR_A, start_height: 1 });
    assert.match((await h.next()).result.message, /block and height channels only/);
    c.close();
    h.close();
  });
});

test('a client that never reads is dropped at its queue bound; publishing never waits and others get everything', { timeout: 60_000 }, async () => {
  const QUEUE_BYTES = 1024 * 1024;
  await withServer({ queueMaxBytes: QUEUE_BYTES, queueMaxMessages: 64 }, async (port, server) => {
    const good = await connected(port);
    good.send({ event: 'subscribe', channel: 'block' });
    await good.next();

    // The stalled client: a raw websocket handshake, then it never reads again.
    const stalled = net.connect(port, '127.0.0.1');
    stalled.on('error', () => {});
    await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
    stalled.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    // Send the subscribe frame (masked, as clients must) before going silent.
    const payload = Buffer.from(JSON.stringify({ event: 'subscribe', channel: 'block' }));
    const mask = Buffer.from([1, 2, 3, 4]);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]));
    stalled.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
    stalled.pause();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.connectionCount(), 2);

    const BLOCKS = 300;
    const publishMs: number[] = [];
    const started = Date.now();
    for (let h = 0; h < BLOCKS; h++) {
      const block = makeBlock(h, 200); // ~43 KB of JSON per frame, ~13 MB in all
      const t0 = performance.now();
      server.publishBlock(block, h);
      publishMs.push(performance.now() - t0);
      await new Promise((r) => setImmediate(r));
    }
    const heights: number[] = [];
    while (heights.length < BLOCKS) heights.push((await good.next(10_000)).result.number);
    assert.deepEqual(heights, Array.from({ length: BLOCKS }, (_, i) => i), 'the reading client got every block in order');
    assert.equal(server.droppedClients, 1, 'the stalled client was dropped');
    assert.equal(server.connectionCount(), 1);
    // publishBlock is synchronous and never waits for a socket: its cost is formatting
    // the block once. Median and worst case are bounded loosely (GC pauses, loaded CI).
    publishMs.sort((a, b) => a - b);
    const median = publishMs[publishMs.length >> 1];
    assert.ok(median < 100, `median publish took ${median.toFixed(1)} ms`);
    assert.ok(publishMs[publishMs.length - 1] < 2000, `slowest publish took ${publishMs[publishMs.length - 1].toFixed(1)} ms`);
    assert.ok(Date.now() - started < 30_000);
    stalled.destroy();
    good.close();
  });
});
