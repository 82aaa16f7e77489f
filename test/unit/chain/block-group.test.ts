import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockGroup, type QueuedBlock } from '../../../src/chain/chain.js';
import { regtest } from '../../../src/networks/index.js';

const entry = (n: number): QueuedBlock => ({ block: regtest.genesis, raw: Buffer.from([n & 0xff, n >> 8]), resolve: () => undefined, reject: () => undefined });

test('a block group keeps positions while letting judged blocks go', () => {
  const group = new BlockGroup();
  for (let i = 0; i < 600; i++) group.push(entry(i));
  assert.equal(group.length, 600);
  assert.deepEqual(group.at(299).raw, entry(299).raw);

  group.releaseBefore(300);
  assert.equal(group.length, 600, 'released positions still count');
  assert.throws(() => group.at(299), /released/);
  assert.deepEqual(group.at(300).raw, entry(300).raw);
  assert.deepEqual(
    group.from(0).map((e) => e.raw.readUInt16LE(0)),
    Array.from({ length: 300 }, (_, i) => 300 + i),
    'from() never returns a released entry',
  );
  assert.equal(group.from(590).length, 10);

  // Releasing is idempotent and never goes backwards; compaction keeps positions.
  group.releaseBefore(100);
  group.releaseBefore(599);
  assert.deepEqual(group.at(599).raw, entry(599).raw);
  for (let i = 600; i < 1000; i++) group.push(entry(i));
  assert.equal(group.length, 1000);
  assert.deepEqual(group.at(600).raw, entry(600).raw);
  assert.deepEqual(group.at(999).raw, entry(999).raw);
  group.releaseBefore(1000);
  assert.equal(group.from(0).length, 0);
  assert.throws(() => group.at(999), /released/);
  group.push(entry(1000));
  assert.deepEqual(group.at(1000).raw, entry(1000).raw);
});
