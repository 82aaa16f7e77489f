import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../../src/p2p/rate-limit.js';

test('token bucket: burst, refill at the rate, never above the burst', () => {
  let now = 1_000_000;
  const bucket = new TokenBucket(10, 5, () => now);
  for (let i = 0; i < 5; i++) assert.equal(bucket.tryTake(), true);
  assert.equal(bucket.tryTake(), false, 'burst exhausted');
  now += 100; // 0.1 s at 10/s = 1 token
  assert.equal(bucket.tryTake(), true);
  assert.equal(bucket.tryTake(), false);
  now += 60_000;
  assert.equal(bucket.available(), 5, 'capped at the burst');
  assert.equal(bucket.tryTake(6), false, 'more than the burst is never granted');
});

test('token bucket: take() may go into debt and msUntil says how long to wait', () => {
  let now = 0;
  const bytes = new TokenBucket(1000, 1000, () => now);
  bytes.take(3000);
  assert.equal(bytes.available(), -2000);
  assert.equal(bytes.msUntil(1), 2001);
  now += 2001;
  assert.ok(bytes.available() >= 1);
  assert.equal(bytes.msUntil(1), 0);
});

test('token bucket: a flood is detected, a steady honest rate never is', () => {
  let now = 0;
  const pings = new TokenBucket(1, 10, () => now);
  // One ping every 2 s for an hour: always allowed.
  for (let i = 0; i < 1800; i++, now += 2000) assert.equal(pings.tryTake(), true);
  // 11 at once: the 11th is a flood.
  const burst = Array.from({ length: 11 }, () => pings.tryTake());
  assert.deepEqual(burst.slice(0, 10), new Array(10).fill(true));
  assert.equal(burst[10], false);
  assert.throws(() => new TokenBucket(0, 1));
});
