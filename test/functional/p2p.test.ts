/**
 * P2P acceptance with real daemons (project issue #5, docs/p2p.md): three
 * `mvsd` processes on 127.0.0.1 (regtest, real Ethash seals) sync a 200-block
 * chain, survive SIGKILL/SIGTERM restarts (addnode peers are redialled),
 * split into A|B and C, mine competing branches, rejoin and converge on the
 * branch with more work, and relay transactions and blocks both ways —
 * including to inbound peers, which the reference never announces to.
 *
 * Topology: B is started with `--addnode A` (a config peer, redialled after
 * restarts); C dials A through RPC `addnode` (not persisted), so restarting C
 * without arguments cuts it off. Nobody advertises an address, so no address
 * book learns a way back to C: the split holds until C is told to rejoin.
 * Every node is 127.0.0.1, so bans (per IP) would cut everyone: none are used.
 *
 * The tests below run in order and share the network; a failure prints every
 * node's log tail.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TestNetwork, FUNDED_ACCOUNTS, waitFor, type TestNode, FailureFlag } from './harness.js';

const net = new TestNetwork('p2p');
const failures = new FailureFlag();
after(async () => net.cleanup(undefined, failures.failed));

const PASSWORD = 'password1';
const INITIAL_BLOCKS = 200;
/** Regtest coinbase maturity (mvs-consensus): coinbases this deep can be spent. */
const COINBASE_MATURITY = 10;

let a: TestNode;
let b: TestNode;
let c: TestNode;
const addresses = { alice: '', bob: '' };

async function peerCount(node: TestNode): Promise<number> {
  return (await node.rpc<string[]>('getpeerinfo')).length;
}

async function mempoolTxids(node: TestNode): Promise<string[]> {
  return (await node.rpc<{ hash: string }[]>('getmemorypool')).map((t) => String(t.hash));
}

/** Hash of the main-chain block at `height` on `node` (getblock by height). */
async function hashAt(node: TestNode, height: number): Promise<string> {
  return String((await node.rpc<{ hash: string }>('getblock', String(height), true)).hash);
}

/** Main-chain hashes of heights from..to on `node`. */
async function mainChainHashes(node: TestNode, from: number, to: number): Promise<string[]> {
  const out: string[] = [];
  for (let h = from; h <= to; h++) out.push(await hashAt(node, h));
  return out;
}

/**
 * Honest nodes never score each other: every `peer misbehaved` or `peer banned`
 * line in a log is a bug (and on 127.0.0.1 one ban would cut every node off).
 */
function assertNoMisbehaviour(nodes: TestNode[]): void {
  for (const n of nodes) {
    const faults = readFileSync(n.logPath, 'utf8').split('\n').filter((line) => /"msg":"peer (misbehaved|banned)"/.test(line));
    assert.deepEqual(faults, [], `node${n.index} scored an honest peer`);
  }
}

async function importAccount(node: TestNode, name: keyof typeof FUNDED_ACCOUNTS): Promise<string> {
  const r = await node.rpc<{ addresses: string[] }>('importaccount', FUNDED_ACCOUNTS[name].mnemonic, '-n', name, '-p', PASSWORD, '-i', '1');
  return String(r.addresses[0]);
}

test('B and C sync a 200-block chain mined by A to the same tip', failures.guard(async () => {
  a = await net.addNode();
  addresses.alice = await importAccount(a, 'alice');
  // Half of the chain pays alice, half bob: both have mature coins for the relay test.
  await a.mine(INITIAL_BLOCKS / 2, addresses.alice);
  b = await net.addNode({}, true, ['--addnode', a.p2pAddress]);
  addresses.bob = await importAccount(b, 'bob');
  await a.mine(INITIAL_BLOCKS / 2, addresses.bob);
  const tip = await a.tipHash();
  assert.equal(await a.height(), INITIAL_BLOCKS);

  c = await net.addNode();
  await net.connect(c, a);
  assert.equal(await net.syncAll([a, b, c], 120_000), tip);
  for (const n of [b, c]) assert.equal(await n.height(), INITIAL_BLOCKS);
  // Every height agrees, not only the tip.
  const sample = [1, 50, 100, 150, INITIAL_BLOCKS];
  const expected = await Promise.all(sample.map((h) => hashAt(a, h)));
  for (const n of [b, c]) assert.deepEqual(await Promise.all(sample.map((h) => hashAt(n, h))), expected, `node${n.index} main chain`);
  // A sees both as (inbound) peers; B was connected while A mined its second half, and
  // A's announcements to a peer still syncing must not look like misbehaviour.
  assert.equal(await peerCount(a), 2);
  assertNoMisbehaviour([a, b, c]);
}));

test('after A is SIGKILLed and restarted, its addnode peers reconnect and follow its new blocks', failures.guard(async () => {
  const tipBefore = await a.tipHash();
  await a.kill();
  await waitFor('B and C to notice A is gone', async () => (await peerCount(b)) === 0 && (await peerCount(c)) === 0, 30_000);
  await a.start();
  assert.equal(await a.tipHash(), tipBefore, 'A resumes at its tip after SIGKILL');
  // B (--addnode) and C (RPC addnode) both keep redialling A with backoff.
  await waitFor('B and C to redial A', async () => (await peerCount(a)) === 2, 60_000);
  const [mined] = await a.mine(1, addresses.alice);
  assert.equal(await net.syncAll([a, b, c], 60_000), mined);
}));

test('split: A|B and C mine competing branches; after C rejoins, all converge on C\'s longer branch', failures.guard(async () => {
  const forkHeight = await a.height();
  // Cut C off: it dialled A through RPC addnode, which a restart forgets.
  assert.equal(await c.stop('SIGTERM'), 0, `C exit code after SIGTERM:\n${c.tail()}`);
  await c.start();
  await waitFor('A to see only B', async () => (await peerCount(a)) === 1, 30_000);
  assert.equal(await peerCount(c), 0);

  const abBranch = await a.mine(3, addresses.alice);
  assert.equal(await net.syncAll([a, b], 60_000), abBranch[2], 'B follows A on the A|B side');
  const cBranch = await c.mine(6, addresses.alice);
  assert.equal(await c.height(), forkHeight + 6);
  assert.equal(await peerCount(c), 0, 'C stayed cut off while mining');
  assert.notEqual(abBranch[0], cBranch[0]);

  // Rejoin: C dials A again.
  await c.rpc('addnode', a.p2pAddress);
  assert.equal(await net.syncAll([a, b, c], 90_000), cBranch[5]);
  for (const n of [a, b, c]) {
    assert.equal(await n.height(), forkHeight + 6);
    assert.deepEqual(await mainChainHashes(n, forkHeight + 1, forkHeight + 6), cBranch, `node${n.index} main chain above the fork`);
    // A's branch is a side chain now: not a main-chain header anywhere.
    for (const hash of abBranch) {
      const err = await n.rpcError('getblockheader', '-s', hash);
      assert.match(err.message, /not found/, `node${n.index}: ${hash} is off the main chain`);
    }
  }
}));

test('transactions sent on A and on B reach every mempool; a block mined by B clears them everywhere', failures.guard(async () => {
  // alice's coinbases (heights 1–100) and most of bob's (101–200) are deeper than the maturity by now.
  assert.ok((await a.height()) - INITIAL_BLOCKS / 2 > COINBASE_MATURITY);
  const fromA = await a.rpc<{ hash: string }>('send', 'alice', PASSWORD, addresses.bob, 100_000_000);
  const txA = String(fromA.hash);
  await net.syncMempools(txA, [a, b, c], 60_000);

  const fromB = await b.rpc<{ hash: string }>('send', 'bob', PASSWORD, addresses.alice, 50_000_000);
  const txB = String(fromB.hash);
  await net.syncMempools(txB, [a, b, c], 60_000);

  // B mines them. B dialled A, and A passes the block on to C, which is inbound to A: the reference
  // never announces to inbound peers (mvs-wire §7.1); we do, so C need not wait for its poll.
  const [block] = await b.mine(1, addresses.bob);
  const confirmed = await b.rpc<{ transactions: { hash: string }[] }>('getblock', block, true);
  const confirmedTxids = confirmed.transactions.map((t) => String(t.hash));
  assert.ok(confirmedTxids.includes(txA) && confirmedTxids.includes(txB), 'both transactions confirmed by B');
  assert.equal(await net.syncAll([a, b, c], 60_000), block);
  await waitFor('every mempool to drop the confirmed transactions', async () => {
    const pools = await Promise.all([a, b, c].map(mempoolTxids));
    return pools.every((p) => !p.includes(txA) && !p.includes(txB));
  }, 30_000);
  assertNoMisbehaviour([a, b, c]);
}));
