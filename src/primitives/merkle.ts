import { sha256dPair } from '../crypto/sha256-short.js';

/**
 * Bitcoin merkle root over txids in internal order: odd levels duplicate the
 * last node; the empty list gives the zero hash (mvs-wire §4.5).
 */
export function merkleRoot(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 0) return Buffer.alloc(32);
  let level = hashes.slice();
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i];
      next.push(sha256dPair(left, i + 1 < level.length ? level[i + 1] : left));
    }
    level = next;
  }
  return level[0];
}
