import { join } from 'node:path';
import { canonicalHost, readJsonFile, writeFileAtomic } from './persist.js';
import { logger } from '../util/logger.js';

/** The reference bans a wrong-magic peer for 24 h (mvs-wire §1.5, proxy.cpp); our default for every ban. */
export const DEFAULT_BAN_SECONDS = 24 * 3600;

export interface BanEntry {
  /** Canonical IP text (bans apply to the host, whatever port it comes from). */
  host: string;
  /** Unix seconds when the ban ends. */
  until: number;
  /** Unix seconds when it was set. */
  since: number;
  reason: string;
}

export interface BanListOptions {
  /** Data directory; bans persist in `<dataDir>/bans.json`. In memory only when absent. */
  dataDir?: string;
  /** Wall clock in milliseconds (tests inject one). */
  now?: () => number;
}

/**
 * Banned hosts with expiry, persisted in the data directory. Bans are by IP,
 * not ip:port as in the reference: an inbound peer comes from an ephemeral
 * port, so an ip:port ban would not keep it out (docs/p2p.md).
 */
export class BanList {
  readonly file: string | null;
  private readonly entries = new Map<string, BanEntry>();
  private readonly now: () => number;
  private readonly log = logger('p2p');

  constructor(opts: BanListOptions = {}) {
    this.file = opts.dataDir ? join(opts.dataDir, 'bans.json') : null;
    this.now = opts.now ?? Date.now;
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** Read the persisted bans, dropping expired and malformed entries. */
  load(): void {
    if (!this.file) return;
    const data = readJsonFile(this.file) as { bans?: unknown } | null;
    if (data === null) return;
    const list = Array.isArray(data.bans) ? data.bans : [];
    const now = this.nowSeconds();
    for (const item of list as Partial<BanEntry>[]) {
      const host = typeof item.host === 'string' ? canonicalHost(item.host) : null;
      if (!host || typeof item.until !== 'number' || item.until <= now) continue;
      this.entries.set(host, { host, until: item.until, since: typeof item.since === 'number' ? item.since : now, reason: String(item.reason ?? '') });
    }
    this.log.debug({ bans: this.entries.size }, 'ban list loaded');
  }

  save(): void {
    if (!this.file) return;
    this.prune();
    try {
      writeFileAtomic(this.file, JSON.stringify({ version: 1, bans: [...this.entries.values()] }, null, 1));
    } catch (err) {
      this.log.warn({ err: (err as Error).message, file: this.file }, 'could not write the ban list');
    }
  }

  /** Ban `address` (IP, with or without port) for `seconds`; an existing longer ban is kept. */
  ban(address: string, seconds = DEFAULT_BAN_SECONDS, reason = 'manual'): BanEntry {
    const host = canonicalHost(address);
    if (!host) throw new Error(`cannot ban ${JSON.stringify(address)}: not an IP address`);
    const now = this.nowSeconds();
    const until = now + Math.max(1, Math.floor(seconds));
    const existing = this.entries.get(host);
    const entry = existing && existing.until >= until ? existing : { host, until, since: now, reason };
    this.entries.set(host, entry);
    this.save();
    return entry;
  }

  unban(address: string): boolean {
    const host = canonicalHost(address);
    const removed = host !== null && this.entries.delete(host);
    if (removed) this.save();
    return removed;
  }

  isBanned(address: string): boolean {
    if (this.entries.size === 0) return false;
    // Callers mostly pass canonical host text already: look that up before parsing.
    const host = this.entries.has(address) ? address : canonicalHost(address);
    if (!host) return false;
    const entry = this.entries.get(host);
    if (!entry) return false;
    if (entry.until <= this.nowSeconds()) {
      this.entries.delete(host);
      return false;
    }
    return true;
  }

  /** Current bans (expired ones are dropped first). */
  list(): BanEntry[] {
    this.prune();
    return [...this.entries.values()];
  }

  /** Drop expired bans; returns how many. */
  prune(): number {
    const now = this.nowSeconds();
    let n = 0;
    for (const [host, e] of this.entries) {
      if (e.until <= now) {
        this.entries.delete(host);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.entries.size;
  }
}
