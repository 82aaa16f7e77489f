import { BoundedSet, hashKey } from './bounded.js';

/** The blocks the sync wants, by height along the target branch. */
export interface BlockSource {
  /** First height that may be requested: just above the main-chain block the target branch grows from. */
  firstHeight(): number;
  /** Height of the target (best known header). */
  lastHeight(): number;
  /** Hash at `height` on the target branch (null outside it). */
  hashAt(height: number): Buffer | null;
  /** The block is already stored (connected, or waiting for its parent). */
  isStored(hash: Buffer): boolean;
}

export interface SchedulerOptions {
  /** Heights ahead of firstHeight that may be in flight or stored-unconnected (the moving window). */
  windowSize: number;
  /** Most block requests outstanding per peer. */
  perPeer: number;
  /** A request older than this is taken back and counts as a stall. */
  blockTimeoutMs: number;
  /**
   * The block at firstHeight — the one the chain waits for to connect
   * anything — is moved to another peer after this long, when one has room.
   */
  stallTimeoutMs: number;
  /** Consecutive stalls (without a delivery in between) after which the peer is dropped. */
  maxStalls: number;
}

export const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = {
  windowSize: 512,
  perPeer: 16,
  blockTimeoutMs: 30_000,
  stallTimeoutMs: 5_000,
  maxStalls: 3,
};

export interface BlockRequest {
  hash: Buffer;
  height: number;
}

interface InFlight extends BlockRequest {
  key: string;
  peerId: number;
  requestedAt: number;
}

interface Retry extends BlockRequest {
  /** The peer that failed it is not asked again before this time. */
  avoidPeer: number;
  avoidUntil: number;
}

/**
 * Parallel block download (headers-first): assigns the heights of the target
 * branch inside a window above the tip to peers that have them, at most
 * `perPeer` each; takes back timed-out requests and the one that holds up
 * the window, and names peers that keep stalling. Pure bookkeeping — no I/O,
 * an injected clock — so it is unit-tested on its own. The chain connects
 * whatever arrives strictly in order.
 */
export class BlockDownloadScheduler {
  readonly options: SchedulerOptions;
  private readonly source: BlockSource;
  private readonly inFlight = new Map<string, InFlight>();
  private readonly byPeer = new Map<number, Set<string>>();
  /** Taken-back requests, lowest height first: they are assigned before new heights. */
  private retry: Retry[] = [];
  /** Requests taken back from a peer that it may still deliver (not "unsolicited" then). */
  private readonly late = new Map<number, BoundedSet<string>>();
  private readonly stalls = new Map<number, number>();
  /** Lowest height not yet considered for a first assignment. */
  private cursor = 0;

  constructor(source: BlockSource, options: Partial<SchedulerOptions> = {}) {
    this.source = source;
    this.options = { ...DEFAULT_SCHEDULER_OPTIONS, ...options };
  }

  /** Requests outstanding (for one peer, or in all). */
  inFlightCount(peerId?: number): number {
    if (peerId === undefined) return this.inFlight.size;
    return this.byPeer.get(peerId)?.size ?? 0;
  }

  isInFlight(hash: Buffer): boolean {
    return this.inFlight.has(hashKey(hash));
  }

  /** Who was asked for `hash`. */
  assignee(hash: Buffer): number | undefined {
    return this.inFlight.get(hashKey(hash))?.peerId;
  }

  stallCount(peerId: number): number {
    return this.stalls.get(peerId) ?? 0;
  }

  /** The target branch changed (fork, invalid block): rescan from the bottom of the window. */
  reset(): void {
    this.cursor = 0;
    this.retry = this.retry.filter((r) => {
      const h = this.source.hashAt(r.height);
      return h !== null && h.equals(r.hash);
    });
  }

  /**
   * New requests for `peerId`, which has the target branch up to `maxHeight`:
   * taken-back ones first, then the next heights, all inside the window.
   */
  assign(peerId: number, maxHeight: number, now: number): BlockRequest[] {
    const first = this.source.firstHeight();
    const windowEnd = Math.min(this.source.lastHeight(), first + this.options.windowSize - 1, maxHeight);
    const inFlight = this.inFlightCount(peerId);
    let room = this.options.perPeer - inFlight;
    const out: BlockRequest[] = [];
    if (room <= 0 || windowEnd < first) return out;
    // Refill in batches of half the slots (one getdata per block would double the messages),
    // unless the peer is idle or what is left of the window is smaller than that.
    if (inFlight > 0 && room < Math.ceil(this.options.perPeer / 2) && this.retry.length === 0 && this.cursor + room <= windowEnd) return out;

    for (let i = 0; i < this.retry.length && room > 0; ) {
      const r = this.retry[i];
      const current = this.source.hashAt(r.height);
      if (r.height < first || !current || !current.equals(r.hash) || this.inFlight.has(hashKey(r.hash)) || this.source.isStored(r.hash)) {
        this.retry.splice(i, 1);
        continue;
      }
      if (r.height > windowEnd || (r.avoidPeer === peerId && now < r.avoidUntil)) {
        i++;
        continue;
      }
      this.retry.splice(i, 1);
      this.track(r, peerId, now);
      out.push({ hash: r.hash, height: r.height });
      room--;
    }

    if (this.cursor < first) this.cursor = first;
    while (room > 0 && this.cursor <= windowEnd) {
      const height = this.cursor++;
      const hash = this.source.hashAt(height);
      if (!hash || this.inFlight.has(hashKey(hash)) || this.source.isStored(hash)) continue;
      this.track({ hash, height }, peerId, now);
      out.push({ hash, height });
      room--;
    }
    return out;
  }

  private track(req: BlockRequest, peerId: number, now: number): void {
    const key = hashKey(req.hash);
    this.inFlight.set(key, { key, hash: req.hash, height: req.height, peerId, requestedAt: now });
    let set = this.byPeer.get(peerId);
    if (!set) this.byPeer.set(peerId, (set = new Set()));
    set.add(key);
  }

  private untrack(entry: InFlight): void {
    this.inFlight.delete(entry.key);
    const set = this.byPeer.get(entry.peerId);
    set?.delete(entry.key);
    if (set && set.size === 0) this.byPeer.delete(entry.peerId);
  }

  private lateSet(peerId: number): BoundedSet<string> {
    let set = this.late.get(peerId);
    if (!set) this.late.set(peerId, (set = new BoundedSet(Math.max(64, this.options.perPeer * 8))));
    return set;
  }

  /** A block arrived from `peerId`; true when we had asked that peer for it. */
  received(hash: Buffer, peerId: number): boolean {
    const key = hashKey(hash);
    const entry = this.inFlight.get(key);
    let solicited = this.late.get(peerId)?.delete(key) ?? false;
    if (entry) {
      this.untrack(entry);
      if (entry.peerId === peerId) {
        solicited = true;
        this.stalls.delete(peerId);
      } else {
        // Moved to another peer, delivered by the first: the second may still send it.
        this.lateSet(entry.peerId).add(key);
      }
    }
    return solicited;
  }

  /** The peer said `notfound`: give the block to someone else. */
  release(hash: Buffer, peerId: number, now: number): void {
    const entry = this.inFlight.get(hashKey(hash));
    if (!entry || entry.peerId !== peerId) return;
    this.untrack(entry);
    this.pushRetry(entry, peerId, now);
  }

  /** A peer is gone: everything it had in flight goes back to the queue. */
  removePeer(peerId: number): void {
    const keys = this.byPeer.get(peerId);
    if (keys) {
      for (const key of [...keys]) {
        const entry = this.inFlight.get(key)!;
        this.untrack(entry);
        this.pushRetry(entry, -1, 0);
      }
    }
    this.late.delete(peerId);
    this.stalls.delete(peerId);
  }

  private pushRetry(req: BlockRequest, avoidPeer: number, avoidUntil: number): void {
    const r: Retry = { hash: req.hash, height: req.height, avoidPeer, avoidUntil };
    let i = this.retry.length;
    while (i > 0 && this.retry[i - 1].height > r.height) i--;
    this.retry.splice(i, 0, r);
  }

  /**
   * Take back requests older than blockTimeoutMs, and the request for the
   * block at firstHeight once it is older than stallTimeoutMs if
   * `othersHaveRoom(peerId)` says another peer could take it. Each taken-back
   * request is a stall of its peer; returns the peers that reached maxStalls
   * (the caller drops them).
   */
  checkTimeouts(now: number, othersHaveRoom: (peerId: number) => boolean): number[] {
    const first = this.source.firstHeight();
    const stallers = new Set<number>();
    for (const entry of [...this.inFlight.values()]) {
      const age = now - entry.requestedAt;
      const holdsWindow = entry.height === first;
      const timedOut = age > this.options.blockTimeoutMs;
      if (!timedOut && !(holdsWindow && age > this.options.stallTimeoutMs && othersHaveRoom(entry.peerId))) continue;
      this.untrack(entry);
      this.lateSet(entry.peerId).add(entry.key);
      this.pushRetry(entry, entry.peerId, now + this.options.blockTimeoutMs);
      const stalls = (this.stalls.get(entry.peerId) ?? 0) + 1;
      this.stalls.set(entry.peerId, stalls);
      if (stalls >= this.options.maxStalls) stallers.add(entry.peerId);
    }
    return [...stallers];
  }
}
