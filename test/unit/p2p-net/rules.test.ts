import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  headersAnswerLimit,
  locatorHeights,
  maxIncomingLocatorLength,
  maxOutgoingLocatorLength,
  referenceLocatorLimit,
} from '../../../src/p2p/rules.js';

test('getheaders/getblocks answer limit: 500 when the peer is more than 2000 blocks behind, else 10', () => {
  assert.equal(headersAnswerLimit(5000, 0), 500);
  assert.equal(headersAnswerLimit(2001, 0), 500);
  assert.equal(headersAnswerLimit(2000, 0), 10);
  assert.equal(headersAnswerLimit(3_514_519, 3_514_000), 10);
  assert.equal(headersAnswerLimit(100, 200), 10);
  assert.equal(headersAnswerLimit(0, 0), 10);
});

test('the reference locator limit is floor(log2(height) + 12), unbounded at height 0', () => {
  assert.equal(referenceLocatorLimit(1), 12);
  assert.equal(referenceLocatorLimit(2), 13);
  assert.equal(referenceLocatorLimit(1023), 21);
  assert.equal(referenceLocatorLimit(1024), 22);
  assert.equal(referenceLocatorLimit(3_514_519), 33);
  assert.equal(referenceLocatorLimit(0), Infinity);
});

test('our locators stay at least one entry below the reference limit at every height', () => {
  for (const h of [1, 2, 3, 9, 10, 11, 12, 20, 100, 1000, 1023, 1024, 4097, 65_535, 200_000, 1_000_000, 3_514_519, 2 ** 31]) {
    const heights = locatorHeights(h, maxOutgoingLocatorLength(h));
    assert.ok(heights.length <= referenceLocatorLimit(h) - 1, `height ${h}: ${heights.length} entries, limit ${referenceLocatorLimit(h)}`);
    assert.ok(heights.length <= 10 + Math.log2(h), `≤ 10 + log2(h) at ${h}`);
    assert.equal(heights[0], h);
    assert.equal(heights.at(-1), 0, 'genesis last (the reference ignores getheaders otherwise)');
    for (let i = 1; i < heights.length; i++) assert.ok(heights[i] < heights[i - 1], 'strictly decreasing');
  }
});

test('locator heights: ten dense entries, then doubling steps, then genesis', () => {
  assert.deepEqual(locatorHeights(0, 20), [0]);
  assert.deepEqual(locatorHeights(5, 20), [5, 4, 3, 2, 1, 0]);
  assert.deepEqual(locatorHeights(30, 30), [30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 19, 15, 7, 0]);
  // Trimmed: the deepest steps go, genesis stays.
  assert.deepEqual(locatorHeights(30, 12), [30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 19, 0]);
  assert.equal(locatorHeights(1_000_000, 5).length, 5);
  assert.equal(locatorHeights(1_000_000, 1).length, 2, 'never fewer than top + genesis');
});

test('incoming locator bound: from the larger height, never undefined, bounded whatever the peer claims', () => {
  assert.equal(maxIncomingLocatorLength(0, 0), 12);
  assert.equal(maxIncomingLocatorLength(1024, 0), 22);
  assert.equal(maxIncomingLocatorLength(100, 1_000_000), 31, 'a longer-chain peer is not dropped for its honest locator');
  assert.equal(maxIncomingLocatorLength(0, 0xffffffff), 43);
  // An honest peer's full reference-style locator always fits.
  for (const h of [1, 50, 5000, 3_514_519]) assert.ok(locatorHeights(h, Infinity).length <= maxIncomingLocatorLength(0, h));
});
