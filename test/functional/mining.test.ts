/**
 * Built-in miner acceptance (issue #6, mvs-rpc §2.14, mvs-consensus §7.1–7.2):
 * `startmining` on a regtest node mines at least 100 blocks while a funded
 * account keeps sending payments, the payments are mined from the pool, every
 * block validates on a second node (same tip after sync, each block on its
 * main chain), coinbases pay subsidy + fees, `stopmining` ends mining within
 * a second, and `getmininginfo` reports the reference's fields and types.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestNetwork, type TestNode, FUNDED_ACCOUNTS, preminedChain, waitFor, scaled, sleep } from './harness.js';

const PREMINED_HEIGHT = 100;
const PASSWORD = 'password1';
const MIN_BLOCKS = 100;
const PAYMENTS = 24;
/** Regtest PoW subsidy below height 500,000 (POW_SUBSIDY_PRE_POS[0]). */
const SUBSIDY = 300_000_000n;

const net = new TestNetwork('mining');
let failed = false;
let node1: TestNode;
let node2: TestNode;
let alice: string;
let bob: string;

interface MiningInfo {
  is_mining: boolean;
  height: string;
  rate: string;
  difficulty: string;
  payment_address: string;
  mining_mst: string;
  block_type: string;
}

interface BlockJson {
  hash: string;
  number: number;
  transactions: { hash: string; outputs: { address?: string; value: number | bigint | string }[] }[];
}

before(async () => {
  try {
    const premined = await preminedChain(PREMINED_HEIGHT);
    alice = premined.addresses.alice;
    bob = premined.addresses.bob;
    node1 = await net.addNode({ fromTemplate: premined.dir });
    node2 = await net.addNode({ fromTemplate: premined.dir, wallet: false });
    await net.connect(node2, node1);
    const imported = await node1.rpc<{ addresses: string[] }>('importaccount', FUNDED_ACCOUNTS.alice.mnemonic, '-n', 'alice', '-p', PASSWORD, '-i', '1');
    assert.equal(String(imported.addresses[0]), alice);
  } catch (err) {
    failed = true;
    throw err;
  }
});
after(() => net.cleanup(undefined, failed));

function step(name: string, body: (t: import('node:test').TestContext) => Promise<void>, timeout = 150_000): void {
  test(name, { timeout: scaled(timeout) }, async (t) => {
    try {
      await body(t);
    } catch (err) {
      failed = true;
      throw err;
    }
  });
}

const miningInfo = () => node1.rpc<MiningInfo>('getmininginfo');

/** The reference's getmininginfo shape (mvs-rpc §2.14): exactly these keys; height and rate are strings. */
function assertInfoShape(info: MiningInfo): void {
  assert.deepEqual(Object.keys(info).sort(), ['block_type', 'difficulty', 'height', 'is_mining', 'mining_mst', 'payment_address', 'rate']);
  assert.equal(typeof info.is_mining, 'boolean');
  for (const k of ['height', 'rate', 'difficulty', 'payment_address', 'mining_mst', 'block_type'] as const) assert.equal(typeof info[k], 'string', `${k} is a string`);
  assert.match(info.height, /^\d+$/);
  assert.match(info.rate, /^\d+$/);
  assert.equal(info.block_type, 'PoW');
}

step('getmininginfo while idle', async () => {
  const info = await miningInfo();
  assertInfoShape(info);
  assert.equal(info.is_mining, false);
  assert.equal(info.rate, '0');
  assert.equal(info.height, String(await node1.height()));
  assert.equal(info.difficulty, '10', 'regtest difficulty');
});

step('startmining -n N stops by itself after N blocks', async () => {
  const start = await node1.height();
  const reply = await node1.rpc('startmining', 'alice', PASSWORD, '-a', alice, '-n', 5);
  assert.equal(reply, `solo mining started at ${alice}, accept consensus pow, try to mine 5 block(s).`);
  await waitFor('the miner to finish 5 blocks', async () => !(await miningInfo()).is_mining, 30_000, 50);
  assert.equal(await node1.height(), start + 5);
  await net.syncAll([node1, node2]);
});

step(`startmining mines ≥ ${MIN_BLOCKS} blocks with pool transactions; node2 validates every block; stopmining stops within 1 s`, async (t) => {
  const start = await node1.height();
  assert.equal(await node1.rpc('startmining', 'alice', PASSWORD, '-a', alice), `solo mining started at ${alice}, accept consensus pow.`);
  assert.equal((await node1.rpcError('startmining', 'alice', PASSWORD, '-a', alice)).code, 1024, 'already mining');

  // Pay bob while the miner runs: fees vary so the template's fee ordering is exercised.
  const payments = new Map<string, bigint>();
  for (let i = 0; i < PAYMENTS; i++) {
    const fee = 10_000n + BigInt(i) * 1_000n;
    const tx =
      i % 4 === 3
        ? await node1.rpc<{ hash: string }>('sendmore', 'alice', PASSWORD, '-r', `${bob}:100000000`, '-r', `${alice}:50000000`, '-f', String(fee))
        : await node1.rpc<{ hash: string }>('send', 'alice', PASSWORD, bob, '100000000', '-f', String(fee));
    payments.set(String(tx.hash), fee);
    if (i === 0) {
      const info = await waitFor('a non-zero hash rate', async () => {
        const x = await miningInfo();
        return x.is_mining && Number(x.rate) > 0 ? x : null;
      }, 30_000, 50);
      assertInfoShape(info);
      assert.equal(info.payment_address, alice);
      assert.ok(Number(info.height) > start, 'height moves while mining');
    }
  }

  // Wait until every payment is confirmed and at least MIN_BLOCKS were mined.
  await waitFor('all payments confirmed', async () => {
    for (const hash of payments.keys()) {
      const tx = await node1.rpc<{ height: number | bigint }>('gettx', hash);
      if (Number(tx.height) === 0) return false;
    }
    return true;
  }, 120_000, 200);
  await waitFor(`${MIN_BLOCKS} blocks`, async () => (await node1.height()) >= start + MIN_BLOCKS, 120_000, 100);

  const called = Date.now();
  assert.equal(await node1.rpc('stopmining'), 'signal STOP sent.');
  const answeredMs = Date.now() - called;
  const stoppedAt = await node1.height();
  await sleep(scaled(1500));
  assert.equal(await node1.height(), stoppedAt, 'no block after stopmining answered');
  t.diagnostic(`stopmining answered after ${answeredMs} ms`);
  assert.ok(answeredMs <= scaled(1000), `stopmining took ${answeredMs} ms`);
  const idle = await miningInfo();
  assert.equal(idle.is_mining, false);
  assert.equal(idle.rate, '0');
  assert.equal(idle.height, String(stoppedAt));

  // Every block validates elsewhere: node2 reaches the same tip through its own full validation.
  const tip = await net.syncAll([node1, node2], 120_000);
  assert.equal(tip, await node1.tipHash());
  const mined = stoppedAt - start;
  assert.ok(mined >= MIN_BLOCKS, `mined ${mined} blocks`);

  const confirmed = new Set<string>();
  let blocksWithTxs = 0;
  for (let h = start + 1; h <= stoppedAt; h++) {
    const [own, other] = await Promise.all([node1.rpc<BlockJson>('getblock', String(h)), node2.rpc<BlockJson>('getblock', String(h))]);
    assert.equal(other.hash, own.hash, `block ${h} is on node2's main chain`);
    const [coinbase, ...rest] = other.transactions;
    assert.equal(coinbase.outputs[0].address, alice, `block ${h} pays the mining address`);
    let fees = 0n;
    for (const tx of rest) {
      const fee = payments.get(tx.hash);
      assert.ok(fee !== undefined, `block ${h} holds only our payments (found ${tx.hash})`);
      fees += fee;
      confirmed.add(tx.hash);
    }
    assert.equal(BigInt(coinbase.outputs[0].value), SUBSIDY + fees, `block ${h}: coinbase = subsidy + fees`);
    if (rest.length > 0) blocksWithTxs++;
  }
  assert.equal(confirmed.size, payments.size, 'every payment was mined exactly once');
  assert.ok(blocksWithTxs >= 1);
  t.diagnostic(`${mined} blocks mined, ${blocksWithTxs} of them with payments (${payments.size} payments)`);
  const pool = await node1.rpc<unknown[]>('getmemorypool');
  assert.equal(pool.length, 0, 'the pool is empty');
});
