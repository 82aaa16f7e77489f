import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockDownloadScheduler, type BlockSource } from '../../../src/p2p/scheduler.js';

/** A target branch of `length` blocks above height `start`, hash(h) = 32 bytes of h. */
class FakeBranch implements BlockSource {
  stored = new Set<number>();
  constructor(
    public start: number,
    public end: number,
    public tag = 0,
  ) {}
  hashOf(h: number): Buffer {
    const b = Buffer.alloc(32);
    b.writeUInt32LE(h, 0);
    b.writeUInt32LE(this.tag, 4);
    return b;
  }
  heightOf(hash: Buffer): number {
    return hash.readUInt32LE(0);
  }
  firstHeight() {
    return this.start + 1;
  }
  lastHeight() {
    return this.end;
  }
  hashAt(h: number) {
    return h > this.start && h <= this.end ? this.hashOf(h) : null;
  }
  isStored(hash: Buffer) {
    return this.stored.has(this.heightOf(hash)) && hash.readUInt32LE(4) === this.tag;
  }
  /** Deliver: store the block, and move the tip over every stored block in a row. */
  deliver(s: BlockDownloadScheduler, height: number, peer: number): boolean {
    const solicited = s.received(this.hashOf(height), peer);
    this.stored.add(height);
    while (this.stored.has(this.start + 1)) this.start++;
    return solicited;
  }
}

const heights = (branch: FakeBranch, reqs: { hash: Buffer }[]) => reqs.map((r) => branch.heightOf(r.hash));
const opts = { windowSize: 32, perPeer: 4, blockTimeoutMs: 10_000, stallTimeoutMs: 2_000, maxStalls: 3 };

test('assigns heights in order, at most perPeer per peer, never twice, inside the window', () => {
  const branch = new FakeBranch(100, 1000);
  const s = new BlockDownloadScheduler(branch, opts);
  assert.deepEqual(heights(branch, s.assign(1, 1000, 0)), [101, 102, 103, 104]);
  assert.deepEqual(heights(branch, s.assign(1, 1000, 0)), [], 'peer 1 is full');
  assert.deepEqual(heights(branch, s.assign(2, 1000, 0)), [105, 106, 107, 108]);
  assert.equal(s.inFlightCount(), 8);
  // A peer that only has the branch up to 110 gets nothing above it.
  assert.deepEqual(heights(branch, s.assign(3, 110, 0)), [109, 110]);
  // The window: with the tip stuck at 100, nothing above 132 is handed out.
  for (let p = 4; p < 20; p++) for (const h of heights(branch, s.assign(p, 1000, 0))) assert.ok(h <= 132, `height ${h} outside the window`);
  assert.equal(s.inFlightCount(), 32);
});

test('the window moves with the tip; stored blocks are skipped', () => {
  const branch = new FakeBranch(0, 100);
  branch.stored.add(3);
  const s = new BlockDownloadScheduler(branch, { ...opts, windowSize: 8, perPeer: 8 });
  assert.deepEqual(heights(branch, s.assign(1, 100, 0)), [1, 2, 4, 5, 6, 7, 8]);
  assert.equal(branch.deliver(s, 1, 1), true);
  assert.equal(branch.deliver(s, 2, 1), true);
  assert.equal(branch.start, 3, 'tip at 3 (block 3 was stored already)');
  assert.deepEqual(heights(branch, s.assign(1, 100, 0)), [9, 10, 11]);
});

test('unsolicited blocks are told apart from requested ones', () => {
  const branch = new FakeBranch(0, 50);
  const s = new BlockDownloadScheduler(branch, opts);
  s.assign(1, 50, 0);
  assert.equal(s.received(branch.hashOf(1), 1), true);
  assert.equal(s.received(branch.hashOf(2), 2), false, 'asked of peer 1, sent by peer 2');
  assert.equal(s.received(branch.hashOf(40), 1), false, 'never asked');
});

test('the block holding up the window moves to another peer after stallTimeoutMs', () => {
  const branch = new FakeBranch(0, 100);
  const s = new BlockDownloadScheduler(branch, opts);
  s.assign(1, 100, 0); // 1..4 to the slow peer
  s.assign(2, 100, 0); // 5..8 to the fast one
  for (const h of [5, 6, 7, 8]) branch.deliver(s, h, 2);
  // Before the stall timeout nothing moves.
  assert.deepEqual(s.checkTimeouts(1_000, () => true), []);
  assert.equal(s.assignee(branch.hashOf(1)), 1);
  // After it, only the window-holding block (1) moves — and only if someone else has room.
  assert.deepEqual(s.checkTimeouts(2_500, () => false), []);
  assert.equal(s.assignee(branch.hashOf(1)), 1);
  assert.deepEqual(s.checkTimeouts(2_500, () => true), []);
  assert.equal(s.assignee(branch.hashOf(1)), undefined);
  assert.equal(s.stallCount(1), 1);
  // The slow peer is not given it back (only fresh heights for its free slot); the fast one gets it first.
  assert.deepEqual(heights(branch, s.assign(1, 100, 2_600)), [9]);
  assert.deepEqual(heights(branch, s.assign(2, 100, 2_600)), [1, 10, 11, 12]);
  // The slow peer delivering it late is still "solicited" (no penalty); so is the fast peer's copy, it was asked too.
  assert.equal(branch.deliver(s, 1, 1), true);
  assert.equal(s.inFlightCount(2), 3);
  assert.equal(s.received(branch.hashOf(1), 2), true);
  assert.equal(s.received(branch.hashOf(1), 2), false, 'but only once');
});

test('timed-out requests go back to the queue; a peer that keeps stalling is named for dropping', () => {
  const branch = new FakeBranch(0, 100);
  const s = new BlockDownloadScheduler(branch, opts);
  s.assign(1, 100, 0); // 1..4
  s.assign(2, 100, 0); // 5..8
  branch.deliver(s, 5, 2);
  // Every request of peer 1 is older than blockTimeoutMs: four stalls ≥ maxStalls. Peer 2 still
  // had 6, 7 and 8 from time 0: three stalls, a staller as well.
  const stallers = s.checkTimeouts(10_001, () => true);
  assert.deepEqual(stallers.sort(), [1, 2]);
  assert.equal(s.inFlightCount(1), 0);
  assert.equal(s.stallCount(2), 3);
  // Another peer picks the taken-back heights, lowest first.
  assert.deepEqual(heights(branch, s.assign(3, 100, 10_002)), [1, 2, 3, 4]);
});

test('a delivery resets the stall count', () => {
  const branch = new FakeBranch(0, 100);
  const s = new BlockDownloadScheduler(branch, { ...opts, perPeer: 1 });
  s.assign(1, 100, 0);
  s.checkTimeouts(10_001, () => true);
  assert.equal(s.stallCount(1), 1);
  s.assign(1, 100, 10_001 + opts.blockTimeoutMs); // after the avoid period it may take it again
  assert.equal(s.inFlightCount(1), 1);
  branch.deliver(s, 1, 1);
  assert.equal(s.stallCount(1), 0);
});

test('notfound and a disconnect hand the blocks to other peers', () => {
  const branch = new FakeBranch(0, 100);
  const s = new BlockDownloadScheduler(branch, opts);
  s.assign(1, 100, 0); // 1..4
  s.release(branch.hashOf(2), 1, 0);
  s.removePeer(1);
  assert.equal(s.inFlightCount(), 0);
  // Taken-back heights come first, lowest first; only the peer that said notfound is avoided.
  assert.deepEqual(heights(branch, s.assign(2, 100, 1)), [1, 2, 3, 4]);
  assert.deepEqual(heights(branch, s.assign(3, 100, 1)), [5, 6, 7, 8]);
});

test('a new target branch drops taken-back requests for the old one', () => {
  const branch = new FakeBranch(0, 100, 1);
  const s = new BlockDownloadScheduler(branch, opts);
  s.assign(1, 100, 0);
  s.removePeer(1);
  branch.tag = 2; // a fork: same heights, other hashes
  s.reset();
  const got = s.assign(2, 100, 0);
  assert.deepEqual(heights(branch, got), [1, 2, 3, 4]);
  assert.ok(got.every((r) => r.hash.readUInt32LE(4) === 2));
});
