import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVector } from '../helpers/vectors.js';
import { Transaction } from '../../src/primitives/transaction.js';
import { Block } from '../../src/primitives/block.js';
import { BlockHeader } from '../../src/primitives/header.js';
import { hashToHex } from '../../src/primitives/hex.js';
import { mainnet, testnet, regtest } from '../../src/networks/index.js';

test('all transactions decode, re-encode byte-identical and hash to the stated hash', (t) => {
  const v = loadVector(t, 'transactions.json');
  if (!v) return;
  assert.equal(v.transactions.length, 113);
  for (const e of v.transactions) {
    const tx = Transaction.fromHex(e.hex);
    tx.invalidate(); // force a field-by-field re-encode, not the cached input bytes
    assert.equal(tx.toHex(), e.hex, `re-encode ${e.hash}`);
    assert.equal(tx.txid(), e.hash, `hash ${e.hash}`);
    assert.equal(tx.version, e.tx_version);
    assert.equal(tx.inputs.length, e.inputs);
    assert.equal(tx.outputs.length, e.outputs);
    assert.equal(tx.locktime, e.lock_time);
  }
});

test('blocks decode, re-encode, hash and have correct merkle roots', (t) => {
  const v = loadVector(t, 'blocks.json');
  if (!v) return;
  assert.equal(v.blocks.length, 6);
  for (const e of v.blocks) {
    const b = Block.fromHex(e.hex);
    assert.equal(b.hashHex(), e.hash, e.name);
    for (const tx of b.txs) tx.invalidate();
    assert.equal(b.toHex(), e.hex, `re-encode ${e.name}`);
    assert.deepEqual(b.txs.map((x) => x.txid()), e.transaction_hashes);
    assert.equal(hashToHex(b.computeMerkleRoot()), e.header.merkle_tree_hash);
    assert.ok(b.computeMerkleRoot().equals(b.header.merkleRoot));
    assert.equal(b.header.number, e.number);
    assert.equal(b.header.bits.toString(), e.header.bits);
    assert.equal(b.header.nonce.toString(), e.header.nonce);
    assert.equal(b.header.mixHashDecimal(), e.header.mixhash);
    if (e.blocksig) assert.equal(b.blockSig!.toString('hex'), e.blocksig);
  }
});

test('headers decode, re-encode and hash', (t) => {
  const v = loadVector(t, 'headers.json');
  if (!v) return;
  assert.equal(v.headers.length, 8);
  for (const e of v.headers) {
    const h = BlockHeader.fromHex(e.hex);
    assert.equal(h.hashHex(), e.hash, e.name);
    h.invalidate();
    assert.equal(h.toHex(), e.hex);
    assert.equal(h.hashHex(), e.hash);
    assert.equal(h.version, Number(e.fields.version));
    assert.equal(hashToHex(h.prevHash), e.fields.previous_block_hash);
    assert.equal(hashToHex(h.merkleRoot), e.fields.merkle_tree_hash);
    assert.equal(h.timestamp, Number(e.fields.timestamp));
    assert.equal(h.bits.toString(), e.fields.bits);
    assert.equal(h.nonce.toString(), e.fields.nonce);
    assert.equal(h.mixHashDecimal(), e.fields.mixhash);
    assert.equal(h.number, Number(e.fields.number));
  }
});

test('genesis blocks built from their fields give the published hashes', (t) => {
  const v = loadVector(t, 'genesis.json');
  if (!v) return;
  assert.equal(mainnet.genesis.hashHex(), v.mainnet.hash);
  assert.equal(mainnet.genesis.toHex(), v.mainnet.block_hex);
  assert.equal(mainnet.genesis.txs[0].txid(), v.mainnet.coinbase.hash);
  assert.equal(testnet.genesis.hashHex(), v.testnet.hash);
  assert.equal(testnet.genesis.toHex(), v.testnet.block_hex);
  assert.equal(testnet.genesis.txs[0].txid(), v.testnet.coinbase.hash);
  assert.equal(regtest.genesis.hashHex(), 'b694bd9fae0fec221e24bde774d5414df994ed536909c4ffca49d55d0f14f40f');
  for (const n of [mainnet, testnet, regtest]) assert.equal(n.genesis.hashHex(), n.checkpoints[0].hash);
});
