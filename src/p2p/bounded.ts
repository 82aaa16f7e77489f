/**
 * A set holding at most `capacity` members that forgets the oldest in bulk:
 * members live in a current and a previous generation of capacity/2 each;
 * when the current one fills, the previous is dropped. Every operation is
 * O(1) (evicting a Set's first entry one by one is not, in V8: iteration
 * rescans the deleted slots). Re-adding a member refreshes it. Per-peer
 * known inventory, rejected txs, block origins: everything a peer can make
 * us remember is bounded.
 */
export class BoundedSet<K> {
  private current = new Set<K>();
  private previous = new Set<K>();
  private readonly generation: number;

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError('capacity must be positive');
    this.generation = Math.max(1, Math.ceil(capacity / 2));
  }

  add(key: K): void {
    if (this.current.has(key)) return;
    this.previous.delete(key);
    this.current.add(key);
    if (this.current.size >= this.generation) {
      this.previous = this.current;
      this.current = new Set();
    }
  }

  has(key: K): boolean {
    return this.current.has(key) || this.previous.has(key);
  }

  delete(key: K): boolean {
    const a = this.current.delete(key);
    const b = this.previous.delete(key);
    return a || b;
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  clear(): void {
    this.current = new Set();
    this.previous = new Set();
  }
}

/** A map with the bound and eviction rule of BoundedSet. */
export class BoundedMap<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();
  private readonly generation: number;

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError('capacity must be positive');
    this.generation = Math.max(1, Math.ceil(capacity / 2));
  }

  set(key: K, value: V): void {
    this.previous.delete(key);
    this.current.set(key, value);
    if (this.current.size >= this.generation) {
      this.previous = this.current;
      this.current = new Map();
    }
  }

  get(key: K): V | undefined {
    return this.current.has(key) ? this.current.get(key) : this.previous.get(key);
  }

  has(key: K): boolean {
    return this.current.has(key) || this.previous.has(key);
  }

  delete(key: K): boolean {
    const a = this.current.delete(key);
    const b = this.previous.delete(key);
    return a || b;
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  clear(): void {
    this.current = new Map();
    this.previous = new Map();
  }
}

/** Map key of a 32-byte hash (latin1 keeps it one string char per byte). */
export function hashKey(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('latin1');
}
