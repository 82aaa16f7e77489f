/**
 * A map holding at most `capacity` entries that forgets the oldest in bulk:
 * entries live in a current and a previous generation of capacity/2 each;
 * when the current one fills, the previous is dropped. Every operation is
 * O(1) (evicting a Map's first entry one by one is not, in V8: iteration
 * rescans the deleted slots). Re-setting a key refreshes it. Per-peer
 * known inventory, rejected txs, block origins: everything a peer can make
 * us remember is bounded.
 */
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

/** A set with the bound and eviction rule of BoundedMap. */
export class BoundedSet<K> {
  private readonly members: BoundedMap<K, true>;

  constructor(readonly capacity: number) {
    this.members = new BoundedMap(capacity);
  }

  add(key: K): void {
    this.members.set(key, true);
  }

  has(key: K): boolean {
    return this.members.has(key);
  }

  delete(key: K): boolean {
    return this.members.delete(key);
  }

  get size(): number {
    return this.members.size;
  }

  clear(): void {
    this.members.clear();
  }
}

/** Map key of a 32-byte hash (latin1 keeps it one string char per byte). */
export function hashKey(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('latin1');
}
