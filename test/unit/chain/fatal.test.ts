import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeChain, buildBlock, mineEmpty, removeDir } from '../../helpers/chain.js';
import { StoreError } from '../../../src/chain/store.js';
import { FullNode } from '../../../src/node/full-node.js';
import { loadConfig } from '../../../src/node/config.js';

/** Make every synchronous write transaction of the store fail as a full disk would. */
function breakWrites(store: object): () => void {
  const env = (store as { env: { transactionSync: (fn: () => unknown) => unknown } }).env;
  const original = env.transactionSync;
  env.transactionSync = () => {
    throw new Error('MDB_MAP_FULL: Environment mapsize limit reached');
  };
  return () => {
    env.transactionSync = original;
  };
}

test('a failing block commit: STORE_IO to the caller, chain:fatal once, no further writes, the last commit kept', async () => {
  const tc = await makeChain();
  try {
    await mineEmpty(tc, 3);
    const fatal: Error[] = [];
    tc.bus.on('chain:fatal', ({ error }) => fatal.push(error));
    const restore = breakWrites(tc.store);
    const next = buildBlock(tc);
    await assert.rejects(tc.chain.addBlock(next), (err: unknown) => err instanceof StoreError && err.code === 'STORE_IO' && /block commit failed: MDB_MAP_FULL/.test(err.message));
    await new Promise((r) => setImmediate(r));
    assert.equal(fatal.length, 1, 'one chain:fatal event');
    assert.equal(tc.chain.fatal?.code, 'STORE_IO');
    restore();
    // Even with the store writable again the chain refuses mutations: the node is stopping.
    await assert.rejects(tc.chain.addBlock(next), (err: unknown) => err === tc.chain.fatal);
    await assert.rejects(tc.chain.invalidateBlock(tc.chain.tip.hash), (err: unknown) => err === tc.chain.fatal);
    assert.equal(fatal.length, 1, 'reported once');
    assert.equal(tc.chain.height, 3);
    // Reopened, the store is at the last committed block and goes on.
    const again = await tc.reopen();
    try {
      assert.equal(again.chain.height, 3);
      assert.equal((await again.chain.addBlock(next)).status, 'connected');
      assert.equal(again.chain.height, 4);
    } finally {
      await again.close();
    }
  } finally {
    removeDir(tc.dir);
  }
});

test('a verdict is not fatal: an invalid block leaves the chain writable', async () => {
  const tc = await makeChain();
  try {
    await mineEmpty(tc, 1);
    const bad = buildBlock(tc, { coinbaseValue: 10n ** 18n });
    const r = await tc.chain.addBlock(bad);
    assert.equal(r.status, 'invalid');
    assert.equal(tc.chain.fatal, null);
    await mineEmpty(tc, 1);
    assert.equal(tc.chain.height, 2);
  } finally {
    await tc.close();
    removeDir(tc.dir);
  }
});

test('FullNode: chain:fatal asks for shutdown with exit code 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mvs-fatal-node-'));
  try {
    const node = new FullNode(loadConfig(['--network', 'regtest', '--datadir', dir], {}));
    const requests: [string, number][] = [];
    node.onShutdownRequest((reason, code) => requests.push([reason, code]));
    await node.bus.emit('chain:fatal', { error: new StoreError('STORE_IO', 'block commit failed: EIO') });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(requests, [['fatal chain store error: block commit failed: EIO', 1]]);
  } finally {
    removeDir(dir);
  }
});
