/**
 * Numeric protocol rules of the reference's block protocols (mvs-wire §7.1),
 * kept pure so they are unit-tested on their own.
 */

/** The reference answers getheaders/getblocks with at most this many entries… */
export const FAR_ANSWER_LIMIT = 500;
/** …or only this many when it thinks the peer is within 2000 blocks of it. */
export const NEAR_ANSWER_LIMIT = 10;
export const NEAR_DISTANCE = 2000;

/**
 * Answer size for a getheaders/getblocks: 500 if our height − the peer's
 * handshake start_height > 2000, else 10, like the reference (§7.1).
 */
export function headersAnswerLimit(ourHeight: number, peerStartHeight: number): number {
  return ourHeight - peerStartHeight > NEAR_DISTANCE ? FAR_ANSWER_LIMIT : NEAR_ANSWER_LIMIT;
}

/**
 * The longest locator a reference node at `height` accepts before it
 * disconnects: floor(log2(height) + 12) (protocol_block_out locator_limit).
 * At height 0 the reference's bound is undefined (log2(0)); Infinity here.
 */
export function referenceLocatorLimit(height: number): number {
  if (height <= 0) return Infinity;
  return Math.floor(Math.log2(height) + 12);
}

/**
 * Longest locator we send to a peer believed to be at `peerHeight`:
 * 10 + floor(log2(height)), two below the reference's limit, because the
 * reference's own locators are exactly one short of it and a longer chain on
 * our side would otherwise trip it (§7.1).
 */
export function maxOutgoingLocatorLength(peerHeight: number): number {
  return 10 + Math.floor(Math.log2(Math.max(1, peerHeight)));
}

/**
 * Longest locator we accept before disconnecting: the reference's bound,
 * computed from the larger of our height and the peer's start height so an
 * honest peer with a longer chain is not dropped (the reference would drop
 * it), and never undefined. Bounded (≤ 43 entries) whatever the peer claims.
 */
export function maxIncomingLocatorLength(ourHeight: number, peerStartHeight: number): number {
  return Math.floor(Math.log2(Math.max(1, ourHeight, peerStartHeight))) + 12;
}

/**
 * Heights of a block locator from `top` as the reference builds it (top,
 * top−1 … top−9, then doubling steps, genesis last), trimmed to `maxLength`
 * entries by dropping the deepest steps while keeping genesis last, which
 * the reference requires on getheaders (§7.1).
 */
export function locatorHeights(top: number, maxLength: number): number[] {
  const heights: number[] = [];
  let step = 1;
  let height = Math.max(0, top);
  for (;;) {
    heights.push(height);
    if (height === 0) break;
    if (heights.length >= 10) step *= 2;
    height = Math.max(0, height - step);
  }
  const limit = Math.max(2, maxLength);
  if (heights.length > limit) {
    heights.length = limit - 1;
    heights.push(0);
  }
  return heights;
}
