import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedMap, BoundedSet } from '../../../src/p2p/bounded.js';

test('bounded set: never more than capacity, recent members kept, fast under churn', () => {
  const set = new BoundedSet<number>(1000);
  const start = process.hrtime.bigint();
  for (let i = 0; i < 1_000_000; i++) {
    set.add(i);
    assert.ok(set.size <= 1000);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  assert.ok(ms < 3000, `1M adds took ${ms} ms`);
  assert.equal(set.has(999_999), true);
  assert.equal(set.has(999_600), true, 'the newest half is always kept');
  assert.equal(set.has(0), false);
  set.add(999_600);
  assert.equal(set.delete(999_600), true);
  assert.equal(set.has(999_600), false);
  set.clear();
  assert.equal(set.size, 0);
});

test('bounded map: values survive until their generation is dropped', () => {
  const map = new BoundedMap<string, number>(4);
  map.set('a', 1);
  map.set('b', 2);
  assert.equal(map.get('a'), 1);
  map.set('c', 3);
  map.set('d', 4);
  assert.equal(map.get('c'), 3);
  map.set('e', 5);
  map.set('f', 6);
  assert.equal(map.has('a'), false);
  assert.equal(map.get('f'), 6);
  assert.ok(map.size <= 4);
  map.set('f', 7);
  assert.equal(map.get('f'), 7);
});
