import { sha256d } from '../crypto/hash.js';

/**
 * Bitcoin merkle root over txids in internal order: odd levels duplicate the
 * last node; the empty list gives the zero hash (mvs-wire §4.5).
 */
export function merkleRoot(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 0) return Buffer.alloc(32);
  let level = hashes.slice();
  const pair = Buffer.allocUnsafe(64);
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i];
      const right = i + 1 < level.length ? level[i + 1] : left;
      left.copy(pair, 0);
      right.copy(pair, 32);
      next.push(sha256d(pair));
    }
    level = next;
  }
  return level[0];
}
