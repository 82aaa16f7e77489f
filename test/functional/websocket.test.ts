/**
 * The daemon's websocket push service (mvs-rpc §1.7, docs/websocket.md)
 * through a real mvsd and the `ws` client: block and height notifications
 * for 50 mined blocks arrive in order and equal getblock; tx notifications
 * reach the subscribers of the addresses they touch and nobody else; a
 * subscriber that stops reading neither slows mining nor a peer's sync, and
 * is dropped once its send queue fills (--ws-queue-limit).
 *
 * Two connected nodes: node1 mines and serves the subscribers, node2 follows
 * over P2P (and keeps node1 "synced", which the push service requires).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { TestNetwork, TestNode, FUNDED_ACCOUNTS, preminedChain, waitFor, scaled, FailureFlag } from './harness.js';
import { parseJson, type JsonValue } from '../../src/rpc/json.js';
import { Address } from '../../src/primitives/address.js';

const PREMINED_HEIGHT = 100;
const PASSWORD = 'password1';
/** Per-client send queue of node1 in bytes (docs/websocket.md "Slow clients"). */
const QUEUE_LIMIT_BYTES = 1024 * 1024;
/** Outputs of each large transaction: ~430 KB of JSON per push, so a few fill a stalled socket. */
const LARGE_TX_OUTPUTS = 2000;
/** Large transactions per timed phase of the stalled-subscriber test. */
const LARGE_ROUNDS = 4;

type Frame = { event: string; channel?: string; topic?: JsonValue; result?: any };

/** A push-service client that records every frame it reads. */
class Subscriber {
  readonly frames: Frame[] = [];
  closed = false;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(parseJson(data.toString()) as Frame);
      this.wake();
    });
    ws.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static async open(url: string): Promise<Subscriber> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const s = new Subscriber(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    // The connect frames: version, then the connection count.
    await s.until('the connect frames', (f) => f.length >= 2);
    assert.deepEqual(s.frames[0], { event: 'version', result: '0.9.1' });
    assert.equal(s.frames[1].event, 'info');
    return s;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Wait until `done(frames)` holds (scaled timeout); returns the frames. */
  async until(what: string, done: (frames: Frame[]) => boolean, timeoutMs = 60_000): Promise<Frame[]> {
    const deadline = Date.now() + scaled(timeoutMs);
    while (!done(this.frames)) {
      if (this.closed) throw new Error(`connection closed while waiting for ${what} (${this.frames.length} frames)`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} (${this.frames.length} frames)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames;
  }

  /** Send a request and wait for the answer event (subscribed / unsubscribed / ping …). */
  async request(body: Record<string, JsonValue>, answer: string): Promise<Frame> {
    const from = this.frames.length;
    this.ws.send(JSON.stringify(body));
    const frames = await this.until(`"${answer}" for ${JSON.stringify(body)}`, (f) => f.slice(from).some((x) => x.event === answer || x.event === 'error'));
    const reply = frames.slice(from).find((x) => x.event === answer || x.event === 'error')!;
    assert.equal(reply.event, answer, `answer to ${JSON.stringify(body)}: ${JSON.stringify(reply)}`);
    return reply;
  }

  async subscribe(channel: string, address?: JsonValue): Promise<void> {
    const reply = await this.request(address === undefined ? { event: 'subscribe', channel } : { event: 'subscribe', channel, address }, 'subscribed');
    assert.equal(reply.channel, channel);
  }

  /** Everything queued for us before a ping has arrived once its pong has. */
  async flush(): Promise<void> {
    await this.request({ event: 'ping' }, 'ping');
  }

  published(channel: string): Frame[] {
    return this.frames.filter((f) => f.event === 'publish' && f.channel === channel);
  }

  close(): void {
    if (!this.closed) this.ws.terminate();
  }
}

const net = new TestNetwork('websocket');
const failures = new FailureFlag();
let node1: TestNode;
let node2: TestNode;
let funded: { alice: string; bob: string };
const subscribers: Subscriber[] = [];

async function subscriber(): Promise<Subscriber> {
  const s = await Subscriber.open(node1.wsUrl);
  subscribers.push(s);
  return s;
}

/** An address nobody on these nodes owns. */
const strangerAddress = () => new Address(0x32, randomBytes(20)).toString();

before(async () => {
  try {
    const premined = await preminedChain(PREMINED_HEIGHT);
    funded = premined.addresses;
    node1 = await net.addNode({ fromTemplate: premined.dir }, true, ['--ws-queue-limit', String(QUEUE_LIMIT_BYTES)]);
    node2 = await net.addNode({ fromTemplate: premined.dir, wallet: false });
    await net.connect(node2, node1);
    await node1.rpc('importaccount', FUNDED_ACCOUNTS.alice.mnemonic, '-n', 'alice', '-p', PASSWORD, '-i', '1');
    // The push service answers 1000002 until the node counts itself synced with its peer.
    const probe = await Subscriber.open(node1.wsUrl);
    try {
      await waitFor('node1 to accept websocket requests', async () => {
        const from = probe.frames.length;
        probe.ws.send(JSON.stringify({ event: 'ping' }));
        const frames = await probe.until('an answer to ping', (f) => f.length > from);
        return frames[from].event === 'ping';
      }, 30_000, 200);
    } finally {
      probe.close();
    }
  } catch (err) {
    failures.failed = true;
    throw err;
  }
});

after(async () => {
  for (const s of subscribers) s.close();
  await net.cleanup(undefined, failures.failed);
});

test(
  'a subscriber receives block and height notifications for 50 mined blocks, in order, equal to getblock',
  failures.guard(async () => {
    const s = await subscriber();
    await s.subscribe('block');
    await s.subscribe('height');
    const start = await node1.height();
    const hashes: string[] = [];
    for (let i = 0; i < 5; i++) hashes.push(...(await node1.mine(10, funded.bob)));
    assert.equal(hashes.length, 50);

    await s.until('50 block and 50 height pushes', () => s.published('block').length >= 50 && s.published('height').length >= 50);
    const pushes = s.frames.filter((f) => f.event === 'publish');
    // For each block: `block`, then `height` (docs/websocket.md "Pushes"), heights consecutive.
    assert.equal(pushes.length, 100);
    for (let i = 0; i < 50; i++) {
      const [block, height] = [pushes[2 * i], pushes[2 * i + 1]];
      assert.equal(block.channel, 'block', `push ${2 * i}`);
      assert.equal(block.result.number, start + 1 + i);
      assert.equal(block.result.hash, hashes[i], 'in the order they were mined');
      assert.deepEqual(height, { event: 'publish', channel: 'height', result: start + 1 + i });
    }
    for (const i of [0, 24, 49]) {
      assert.deepEqual(pushes[2 * i].result, await node1.rpc('getblock', hashes[i]), `block push ${i} = getblock`);
    }
    await net.syncAll();
    s.close();
  }),
);

test(
  'tx notifications reach the subscribers of the addresses a transaction touches, and nobody else',
  failures.guard(async () => {
    const [x, y] = [strangerAddress(), strangerAddress()];
    const onlyX = await subscriber();
    await onlyX.subscribe('tx', x);
    const both = await subscriber();
    await both.subscribe('tx', [x]);
    await both.subscribe('tx', y); // subscriptions accumulate
    const everything = await subscriber();
    await everything.subscribe('tx', '');

    // To y first, then to x, then one paying both; all mined into one block.
    const toY = await node1.rpc<any>('send', 'alice', PASSWORD, y, 100_000_000);
    const toX = await node1.rpc<any>('send', 'alice', PASSWORD, x, 200_000_000);
    const toBoth = await node1.rpc<any>('sendmore', 'alice', PASSWORD, '-r', `${x}:300000000`, '-r', `${y}:400000000`);
    const [blockHash] = await node1.mine(1, funded.bob);
    const height = await node1.height();
    const block = await node1.rpc<any>('getblock', blockHash);
    assert.deepEqual(block.transactions.slice(1).map((t: any) => t.hash).sort(), [toY.hash, toX.hash, toBoth.hash].sort());
    for (const s of [onlyX, both, everything]) await s.flush();

    const txPushes = (s: Subscriber) => s.published('tx').map((f) => ({ hash: f.result.hash as string, height: f.result.height as number, topic: f.topic }));
    // Each transaction twice: entering the pool (height 0), then in the block.
    assert.deepEqual(txPushes(onlyX), [
      { hash: toX.hash, height: 0, topic: x },
      { hash: toBoth.hash, height: 0, topic: x },
      ...block.transactions.filter((t: any) => t.hash === toX.hash || t.hash === toBoth.hash).map((t: any) => ({ hash: t.hash, height, topic: x })),
    ]);
    const pushesToBoth = txPushes(both);
    const topicOf = (hash: string) => (hash === toX.hash ? x : hash === toY.hash ? y : undefined);
    assert.deepEqual(
      pushesToBoth.map((p) => ({ ...p, topic: Array.isArray(p.topic) ? [...p.topic].sort() : p.topic })),
      [
        { hash: toY.hash, height: 0, topic: y },
        { hash: toX.hash, height: 0, topic: x },
        { hash: toBoth.hash, height: 0, topic: [x, y].sort() },
        ...block.transactions.slice(1).map((t: any) => ({ hash: t.hash, height, topic: topicOf(t.hash) ?? [x, y].sort() })),
      ],
    );
    // The all-transactions subscriber also sees the coinbase (topic "all").
    assert.deepEqual(txPushes(everything), [
      { hash: toY.hash, height: 0, topic: 'all' },
      { hash: toX.hash, height: 0, topic: 'all' },
      { hash: toBoth.hash, height: 0, topic: 'all' },
      ...block.transactions.map((t: any) => ({ hash: t.hash, height, topic: 'all' })),
    ]);
    // The pushed objects are the v3 TX of gettx.
    const confirmedX = onlyX.published('tx').find((f) => f.result.hash === toX.hash && f.result.height === height)!;
    assert.deepEqual(confirmedX.result, await node1.rpc('gettx', toX.hash));
    const pooledX = onlyX.published('tx').find((f) => f.result.hash === toX.hash && f.result.height === 0)!;
    assert.deepEqual(pooledX.result, { ...(confirmedX.result as Record<string, unknown>), height: 0 });

    // Unsubscribing stops the pushes.
    await onlyX.request({ event: 'unsubscribe', channel: 'tx' }, 'unsubscribed');
    const after = onlyX.frames.length;
    await node1.rpc('send', 'alice', PASSWORD, x, 100_000_000);
    await onlyX.flush();
    assert.deepEqual(onlyX.frames.slice(after).map((f) => f.event), ['ping']);
    await node1.mine(1, funded.bob);
    await net.syncAll();
    for (const s of [onlyX, both, everything]) s.close();
  }),
);

test(
  'a stalled subscriber does not slow mining or sync, and is dropped when its send queue fills',
  failures.guard(async (t) => {
    const sink = strangerAddress();
    const receivers: string[] = [];
    for (let i = 0; i < LARGE_TX_OUTPUTS; i++) receivers.push('-r', `${sink}:10000`);

    /**
     * One phase: LARGE_ROUNDS large transactions each mined into a block,
     * then 50 blocks in batches of 10, until node2 has the tip. A reading
     * subscriber (tx, block, height) must get every block in order.
     */
    const phase = async (label: string): Promise<number> => {
      const reader = await subscriber();
      await reader.subscribe('tx', '');
      await reader.subscribe('block');
      await reader.subscribe('height');
      const first = (await node1.height()) + 1;
      const started = performance.now();
      for (let i = 0; i < LARGE_ROUNDS; i++) {
        await node1.rpc('sendmore', 'alice', PASSWORD, ...receivers);
        await node1.mine(1, funded.bob);
      }
      for (let i = 0; i < 5; i++) await node1.mine(10, funded.bob);
      const tip = await node1.height();
      await net.syncAll();
      const elapsed = performance.now() - started;
      await reader.until(`${label}: the reader's height pushes up to ${tip}`, () => reader.published('height').at(-1)?.result === tip);
      const heights = reader.published('height').map((f) => f.result);
      assert.deepEqual(heights, Array.from({ length: tip - first + 1 }, (_, i) => first + i), `${label}: every height once, in order`);
      assert.deepEqual(reader.published('block').map((f) => f.result.number), heights);
      reader.close();
      return elapsed;
    };

    const baseline = await phase('without a stalled subscriber');

    const stalled = await subscriber();
    await stalled.subscribe('tx', '');
    await stalled.subscribe('block');
    await stalled.subscribe('height');
    stalled.ws.pause(); // stop reading: the socket buffers fill, then node1's queue for it
    const framesBeforeStall = stalled.frames.length;
    const heightAtStall = await node1.height();
    const withStalled = await phase('with a stalled subscriber');
    t.diagnostic(`mining + sync: ${Math.round(baseline)} ms without, ${Math.round(withStalled)} ms with a stalled subscriber`);
    // A publisher that waited for the stalled reader would hang here; noise on a shared machine is allowed for.
    assert.ok(withStalled < 3 * baseline + scaled(5000), `with a stalled subscriber ${Math.round(withStalled)} ms vs ${Math.round(baseline)} ms without`);

    // Once more data than the socket buffers hold is pending, node1 drops it
    // (socket buffer sizes vary by machine: keep publishing until it happens).
    const connectedClients = async () => {
      const probe = await subscriber();
      probe.close();
      return (probe.frames[1].result as { connections: number }).connections - 1;
    };
    let extraRounds = 0;
    for (; extraRounds < 12 && (await connectedClients()) > 0; extraRounds++) {
      await node1.rpc('sendmore', 'alice', PASSWORD, ...receivers);
      await node1.mine(1, funded.bob);
    }
    await waitFor('the stalled client to be gone from the connection count', async () => (await connectedClients()) === 0, 10_000, 200);
    t.diagnostic(`stalled subscriber dropped ${extraRounds === 0 ? 'during the timed phase' : `after ${extraRounds} more large transactions`}`);
    // Dropped for its queue, not by the heartbeat (a paused client cannot answer pings either).
    if (!process.env.MVS_TEST_LOG_LEVEL || /info|debug|trace|warn/.test(process.env.MVS_TEST_LOG_LEVEL)) {
      assert.match(node1.tail(2000), /"reason":"send queue full"/);
    }

    // Reading again, it gets what the sockets held — an in-order prefix — and then the close.
    stalled.ws.resume();
    await waitFor('the stalled client to see the close', () => stalled.closed, 30_000);
    const heights = stalled.published('height').map((f) => f.result as number);
    assert.ok(stalled.frames.length > framesBeforeStall, 'it had been sent frames before the drop');
    heights.forEach((h, i) => i > 0 && assert.equal(h, heights[i - 1] + 1, 'an in-order prefix'));
    if (heights.length > 0) assert.equal(heights[0], heightAtStall + 1, 'from the first block after it stalled');
    assert.ok(heights.length < (await node1.height()) - heightAtStall, 'but not all of them: it was dropped');
  }),
);
