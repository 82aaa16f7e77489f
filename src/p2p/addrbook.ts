import { join } from 'node:path';
import { formatHostPort, isRoutable, isValidAddress, parseHostPort, type TimedNetAddress } from './netaddr.js';
import { readJsonFile, writeFileAtomic } from './persist.js';
import { logger } from '../util/logger.js';

/** Where we learnt an address. Seeds and manual addresses are never forgotten for failing. */
export type AddressSource = 'seed' | 'gossip' | 'manual';

export interface AddressEntry {
  /** "a.b.c.d:port" / "[v6]:port". */
  key: string;
  ip: Buffer;
  port: number;
  services: bigint;
  /** As received in `addr` (the reference ignores and never updates it, mvs-wire §7.4). */
  timestamp: number;
  source: AddressSource;
  /** Consecutive failed dials since the last success. */
  failures: number;
  /** Milliseconds (wall clock) of the last dial, success and earliest next dial. */
  lastAttempt: number;
  lastSuccess: number;
  nextAttempt: number;
}

export interface AddressBookOptions {
  /** Data directory; the book persists in `<dataDir>/hosts.json`. In memory only when absent. */
  dataDir?: string;
  /** Most addresses kept (the reference's host_pool_capacity, 1000). */
  capacity?: number;
  /** Accept private/loopback addresses (regtest, private networks). */
  acceptPrivate?: boolean;
  /** Delay after the first failure; doubles per consecutive failure (2 s = the reference's redial delay). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Gossiped addresses that never connected are dropped after this many consecutive failures. */
  maxFailures?: number;
  now?: () => number;
  random?: () => number;
}

interface PersistedAddress {
  address: string;
  services?: string;
  timestamp?: number;
  source?: AddressSource;
  failures?: number;
  lastSuccess?: number;
}

/**
 * Known peer addresses (mvs-wire §7.3–§7.4): seeds, `addr` gossip and manual
 * entries; bounded, with per-address exponential backoff, persisted in the
 * data directory. Invalid addresses (the all-zero padding of the reference's
 * getaddr answers, port 0, documentation range) never enter.
 */
export class AddressBook {
  readonly file: string | null;
  readonly capacity: number;
  private readonly acceptPrivate: boolean;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly maxFailures: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly entries = new Map<string, AddressEntry>();
  private readonly log = logger('p2p');

  constructor(opts: AddressBookOptions = {}) {
    this.file = opts.dataDir ? join(opts.dataDir, 'hosts.json') : null;
    this.capacity = opts.capacity ?? 1000;
    this.acceptPrivate = opts.acceptPrivate ?? false;
    this.retryBaseMs = opts.retryBaseMs ?? 2000;
    this.retryMaxMs = opts.retryMaxMs ?? 3600_000;
    this.maxFailures = opts.maxFailures ?? 10;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): AddressEntry | undefined {
    return this.entries.get(key);
  }

  list(): AddressEntry[] {
    return [...this.entries.values()];
  }

  /** Would `add` take this address (valid, and public unless private ones are accepted)? */
  acceptable(addr: { ip: Uint8Array; port: number }): boolean {
    return isValidAddress(addr) && (this.acceptPrivate || isRoutable(addr));
  }

  /** Add an address; false when it is invalid, unacceptable or already known. */
  add(addr: { ip: Uint8Array; port: number; services?: bigint; timestamp?: number }, source: AddressSource): boolean {
    if (!this.acceptable(addr)) return false;
    const ip = Buffer.from(addr.ip);
    const key = formatHostPort({ ip, port: addr.port });
    const existing = this.entries.get(key);
    if (existing) {
      if (existing.services === 0n && addr.services) existing.services = addr.services;
      // A manual or seed origin outranks gossip: it keeps the entry from being forgotten.
      if (source !== 'gossip' && existing.source === 'gossip') existing.source = source;
      return false;
    }
    if (this.entries.size >= this.capacity) this.evictOne();
    this.entries.set(key, {
      key,
      ip,
      port: addr.port,
      services: addr.services ?? 0n,
      timestamp: addr.timestamp ?? 0,
      source,
      failures: 0,
      lastAttempt: 0,
      lastSuccess: 0,
      nextAttempt: 0,
    });
    return true;
  }

  /** Add every acceptable address of a list (an `addr` message); returns how many were new. */
  addMany(list: readonly TimedNetAddress[], source: AddressSource, limit = this.capacity): number {
    let added = 0;
    for (let i = 0; i < list.length && i < limit; i++) if (this.add(list[i], source)) added++;
    return added;
  }

  remove(key: string): boolean {
    return this.entries.delete(key);
  }

  /**
   * Make room: the oldest entry that never connected (looking at the 32
   * oldest), else the oldest. Entries that connected once survive floods of
   * gossip.
   */
  private evictOne(): void {
    let scanned = 0;
    for (const [key, e] of this.entries) {
      if (e.lastSuccess === 0 && e.source === 'gossip') {
        this.entries.delete(key);
        return;
      }
      if (++scanned >= 32) break;
    }
    const first = this.entries.keys().next().value as string | undefined;
    if (first !== undefined) this.entries.delete(first);
  }

  markAttempt(key: string): void {
    const e = this.entries.get(key);
    if (e) e.lastAttempt = this.now();
  }

  markSuccess(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.failures = 0;
    e.lastSuccess = this.now();
    e.nextAttempt = 0;
  }

  /** Record a failed dial: back off exponentially; forget a gossiped address that never worked. */
  markFailure(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.failures++;
    e.nextAttempt = this.now() + this.backoffMs(e.failures);
    if (e.failures >= this.maxFailures && e.lastSuccess === 0 && e.source === 'gossip') this.entries.delete(key);
  }

  /** Delay before the next dial after `failures` consecutive failures. */
  backoffMs(failures: number): number {
    if (failures <= 0) return 0;
    return Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(failures - 1, 30));
  }

  /**
   * A random address whose backoff has elapsed and that `excluded` does not
   * rule out (connected, banned, blacklisted); addresses that connected before
   * are preferred half of the time.
   */
  pickForDial(excluded: (entry: AddressEntry) => boolean): AddressEntry | null {
    const now = this.now();
    const ready: AddressEntry[] = [];
    const proven: AddressEntry[] = [];
    for (const e of this.entries.values()) {
      if (e.nextAttempt > now || excluded(e)) continue;
      ready.push(e);
      if (e.lastSuccess > 0) proven.push(e);
    }
    if (ready.length === 0) return null;
    const from = proven.length > 0 && this.random() < 0.5 ? proven : ready;
    return from[Math.floor(this.random() * from.length)];
  }

  /**
   * The answer to a `getaddr`: a random slice of size max(1, min(1000, n) /
   * rand(5..10)) as the reference sizes it (mvs-wire §7.4), without its
   * all-zero padding entries. Empty when the book is.
   */
  sample(exclude?: string): TimedNetAddress[] {
    const pool = [...this.entries.values()].filter((e) => e.key !== exclude);
    if (pool.length === 0) return [];
    const divisor = 5 + Math.floor(this.random() * 6);
    const size = Math.max(1, Math.floor(Math.min(1000, pool.length) / divisor));
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    const nowSeconds = Math.floor(this.now() / 1000);
    return pool.slice(0, size).map((e) => ({
      timestamp: e.lastSuccess > 0 ? Math.floor(e.lastSuccess / 1000) : e.timestamp || nowSeconds,
      services: e.services,
      ip: e.ip,
      port: e.port,
    }));
  }

  load(): void {
    if (!this.file) return;
    const data = readJsonFile(this.file) as { addresses?: unknown } | null;
    if (data === null) return;
    const list = Array.isArray(data.addresses) ? (data.addresses as PersistedAddress[]) : [];
    let loaded = 0;
    for (const item of list) {
      if (typeof item?.address !== 'string') continue;
      let parsed: { ip: Buffer; port: number };
      try {
        parsed = parseHostPort(item.address);
      } catch {
        continue;
      }
      let services = 0n;
      try {
        services = BigInt(item.services ?? '0');
      } catch {
        services = 0n;
      }
      const source: AddressSource = item.source === 'seed' || item.source === 'manual' ? item.source : 'gossip';
      if (!this.add({ ...parsed, services, timestamp: Number(item.timestamp) || 0 }, source)) continue;
      const e = this.entries.get(formatHostPort(parsed))!;
      e.lastSuccess = Number(item.lastSuccess) || 0;
      e.failures = Math.max(0, Math.floor(Number(item.failures) || 0));
      loaded++;
    }
    this.log.debug({ loaded, file: this.file }, 'address book loaded');
  }

  save(): void {
    if (!this.file) return;
    const addresses: PersistedAddress[] = [...this.entries.values()].map((e) => ({
      address: e.key,
      services: e.services.toString(),
      timestamp: e.timestamp,
      source: e.source,
      failures: e.failures,
      lastSuccess: e.lastSuccess,
    }));
    try {
      writeFileAtomic(this.file, JSON.stringify({ version: 1, addresses }, null, 1));
    } catch (err) {
      this.log.warn({ err: (err as Error).message, file: this.file }, 'could not write the address book');
    }
  }
}
