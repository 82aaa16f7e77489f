import type { Chain } from '../chain/chain.js';
import type { HeaderRecord } from '../chain/records.js';

/**
 * The hashes of the target branch above the main-chain block it grows from
 * (`startHeight`), so the download scheduler reads "hash at height h" in
 * O(1) instead of walking the header tree. It holds at most the headers
 * lead (SyncOptions.headersLead) of 32-byte hashes: memory stays bounded
 * however far the network is ahead.
 */
export class BranchPath {
  private startHeightValue: number;
  private startHashValue: Buffer;
  private hashes: Buffer[] = [];
  /** Entries of `hashes` already folded into the start (dropped lazily). */
  private offset = 0;

  constructor(startHeight: number, startHash: Buffer) {
    this.startHeightValue = startHeight;
    this.startHashValue = startHash;
  }

  /** The main-chain block the branch grows from. */
  get startHeight(): number {
    return this.startHeightValue;
  }

  get startHash(): Buffer {
    return this.startHashValue;
  }

  get endHeight(): number {
    return this.startHeightValue + this.hashes.length - this.offset;
  }

  get length(): number {
    return this.hashes.length - this.offset;
  }

  get lastHash(): Buffer {
    return this.length > 0 ? this.hashes[this.hashes.length - 1] : this.startHashValue;
  }

  hashAt(height: number): Buffer | null {
    if (height === this.startHeightValue) return this.startHashValue;
    if (height <= this.startHeightValue || height > this.endHeight) return null;
    return this.hashes[this.offset + height - this.startHeightValue - 1];
  }

  contains(rec: { height: number; hash: Buffer }): boolean {
    const h = this.hashAt(rec.height);
    return h !== null && h.equals(rec.hash);
  }

  push(hash: Buffer): void {
    this.hashes.push(hash);
  }

  /** Start over from a main-chain block. */
  reset(startHeight: number, startHash: Buffer): void {
    this.startHeightValue = startHeight;
    this.startHashValue = startHash;
    this.hashes = [];
    this.offset = 0;
  }

  /** Keep heights ≤ `height` only (the branch forks below its old end). */
  truncate(height: number): void {
    if (height >= this.endHeight) return;
    if (height <= this.startHeightValue) {
      this.hashes = [];
      this.offset = 0;
      return;
    }
    this.hashes.length = this.offset + height - this.startHeightValue;
  }

  /** The main chain advanced along the branch to `height`: that block becomes the start. */
  advanceStart(height: number): void {
    if (height <= this.startHeightValue) return;
    if (height > this.endHeight) throw new Error('advanceStart beyond the end of the branch');
    this.startHashValue = this.hashAt(height)!;
    this.offset += height - this.startHeightValue;
    this.startHeightValue = height;
    if (this.offset > 4096 && this.offset * 2 > this.hashes.length) {
      this.hashes = this.hashes.slice(this.offset);
      this.offset = 0;
    }
  }

  /**
   * Make the branch end at `target`: walk back from it until the walk meets
   * this branch (extend or fork inside it) or the main chain (new branch).
   * Returns true when existing heights were replaced (requests for them are
   * stale), false when it only grew.
   */
  retarget(chain: Chain, target: HeaderRecord): boolean {
    const collected: Buffer[] = [];
    let cur: HeaderRecord | null = target;
    let replaced = false;
    while (cur) {
      if (cur.hash.equals(this.lastHash)) break;
      if (this.contains(cur)) {
        this.truncate(cur.height);
        replaced = true;
        break;
      }
      if (chain.isOnMainChain(cur)) {
        this.reset(cur.height, cur.hash);
        replaced = true;
        break;
      }
      collected.push(cur.hash);
      cur = chain.getRecord(cur.header.prevHash);
    }
    if (!cur) {
      // Unreachable for a stored header (every record links to genesis); start over from the tip.
      this.reset(chain.tip.height, chain.tip.hash);
      return true;
    }
    for (let i = collected.length - 1; i >= 0; i--) this.push(collected[i]);
    return replaced;
  }
}
