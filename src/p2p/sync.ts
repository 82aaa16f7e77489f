import type { AddBlockResult, Chain } from '../chain/chain.js';
import type { HeaderRecord } from '../chain/records.js';
import { STATUS } from '../chain/layout.js';
import type { EventBus } from '../bus/index.js';
import type { Block } from '../primitives/block.js';
import type { BlockHeader } from '../primitives/header.js';
import { hashToHex, ZERO_HASH } from '../primitives/hex.js';
import { INVENTORY_TYPE, type HeadersEntry } from './messages/index.js';
import { BranchPath } from './branch-path.js';
import { BlockDownloadScheduler, DEFAULT_SCHEDULER_OPTIONS, type SchedulerOptions } from './scheduler.js';
import { BoundedMap, hashKey } from './bounded.js';
import { locatorHeights, maxOutgoingLocatorLength } from './rules.js';
import type { Peer } from './peer.js';
import { logger } from '../util/logger.js';

export interface SyncOptions extends SchedulerOptions {
  /** Headers are fetched at most this far ahead of the tip; bounds the branch path in memory. */
  headersLead: number;
  /** A getheaders without an answer for this long counts as "nothing new" (the reference sends nothing then, §7.1). */
  headersTimeoutMs: number;
  /** getheaders to every peer this often (the reference polls every 100 s and does not announce to inbound peers, §7.1). */
  pollIntervalMs: number;
  /** sync:progress and a log line this often while syncing. */
  progressIntervalMs: number;
  /** Housekeeping period: timeouts, stalls, polling. */
  tickMs: number;
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = {
  ...DEFAULT_SCHEDULER_OPTIONS,
  headersLead: 50_000,
  headersTimeoutMs: 30_000,
  pollIntervalMs: 30_000,
  progressIntervalMs: 5_000,
  tickMs: 1_000,
};

/** More headers than this in one message is a protocol violation (the reference sends ≤ 500). */
export const MAX_HEADERS_PER_MESSAGE = 2000;
/** Unconnectable header announcements tolerated before they count as misbehaviour. */
const MAX_UNCONNECTING_HEADERS = 10;
/** Block requests outstanding to one getblocks-only (< 70012) peer. */
const MAX_LEGACY_REQUESTS = 500;
/**
 * Headers messages of one peer held for verification before its message
 * queue waits for them: one being verified and one answer pipelined behind
 * it (requested before the first was verified) keep the Ethash pool busy.
 */
const MAX_QUEUED_HEADER_MESSAGES = 2;
/**
 * Blocks of one peer handed to the chain and still waiting for their verdicts before the peer's
 * message queue waits for them (a count, and their raw bytes). The chain pipelines the blocks it
 * holds — checks the next block while the workers verify the scripts of the ones before and the
 * commit thread writes them (docs/storage.md, "The pipeline") — which a peer whose every block
 * waited for its verdict would never let it do: syncing from one peer connected full blocks ~40%
 * slower (`npm run bench -- connect --window 1` against the default window of 8, docs/p2p.md).
 */
const MAX_QUEUED_BLOCKS = 8;
const MAX_QUEUED_BLOCK_BYTES = 4 * 1024 * 1024;
/** Connected blocks after which "synced" is given up again. */
const FALL_BEHIND_BLOCKS = 16;

interface SyncPeer {
  peer: Peer;
  /** The best header this peer is known to have (from its headers, or blocks it sent). */
  bestKnown: HeaderRecord | null;
  /** Hash of the last header of its last `headers` message (continuation point). */
  lastHeaderHash: Buffer | null;
  /** When our outstanding getheaders/getblocks went out, null when none is. */
  requestedAt: number | null;
  /** It answered (or let time out) a request with nothing new. */
  exhausted: boolean;
  /** Headers lead reached: resumes when the tip catches up. */
  paused: boolean;
  unconnecting: number;
  nextPollAt: number;
  /** getblocks peers: block hashes requested directly from an inv. */
  legacyRequested: Set<string>;
  /** Its headers messages, processed in order off its message queue (see onHeaders). */
  headerWork: Promise<void>;
  /** Headers messages received and not yet processed (the one being verified included). */
  headerMessages: number;
  /** Its blocks handed to the chain whose verdicts are not handled yet, oldest first (see onBlock). */
  blockJobs: Promise<void>[];
  /** Raw bytes of those blocks. */
  blockJobBytes: number;
}

export interface SyncStatus {
  synced: boolean;
  height: number;
  bestHeaderHeight: number;
  /** Highest height any peer claims or showed. */
  networkHeight: number;
  blocksInFlight: number;
  blocksPerSecond: number;
  peers: number;
}

export interface SyncManagerOptions {
  chain: Chain;
  bus: EventBus;
  options?: Partial<SyncOptions>;
  now?: () => number;
}

/**
 * Headers-first sync (mvs-wire §7.1, docs/p2p.md "Sync"): getheaders to
 * every peer after the handshake and on a poll timer, headers through
 * `chain.addHeaders` (PoW verified in the pool) before any block is asked
 * for, then blocks of the best header's branch downloaded from every peer
 * that has them through the window scheduler; the chain connects them in
 * order. getblocks peers (< 70012) are served by inv → getdata.
 */
export class SyncManager {
  readonly options: SyncOptions;
  private readonly chain: Chain;
  private readonly bus: EventBus;
  private readonly now: () => number;
  private readonly log = logger('sync');
  private readonly peers = new Map<number, SyncPeer>();
  private readonly scheduler: BlockDownloadScheduler;
  private readonly path: BranchPath;
  /** Best header whose branch we download; the end of `path`. */
  private target: HeaderRecord;
  private synced = false;
  private connectedBlocks = 0;
  private progressMark = { at: 0, blocks: 0 };
  private lastRate = 0;
  private nextProgressAt = 0;
  private scheduleRotation = 0;
  private schedulePending = false;
  private tickTimer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: (() => void)[] = [];
  /** Which peer sent a block (not announced back to it). */
  private readonly blockOrigin = new BoundedMap<string, number>(4096);
  private readonly syncedListeners: (() => void)[] = [];
  /** Headers messages being (or waiting to be) verified, of every peer. */
  private readonly headerJobs = new Set<Promise<void>>();
  /** Blocks handed to the chain whose verdicts are not handled yet, of every peer (drain waits for them). */
  private readonly blockJobs = new Set<Promise<void>>();

  constructor(opts: SyncManagerOptions) {
    this.chain = opts.chain;
    this.bus = opts.bus;
    this.now = opts.now ?? Date.now;
    this.options = { ...DEFAULT_SYNC_OPTIONS, ...opts.options };
    this.target = this.chain.bestHeader;
    this.path = new BranchPath(this.chain.tip.height, this.chain.tip.hash);
    if (!this.target.hash.equals(this.chain.tip.hash)) this.path.retarget(this.chain, this.target);
    this.scheduler = new BlockDownloadScheduler(
      {
        firstHeight: () => this.path.startHeight + 1,
        lastHeight: () => this.path.endHeight,
        hashAt: (h) => this.path.hashAt(h),
        isStored: (hash) => this.chain.getRecord(hash)?.has(STATUS.HAS_BLOCK) ?? false,
      },
      this.options,
    );
  }

  start(): void {
    this.unsubscribe.push(
      this.bus.on('chain:tip', () => this.onTip()),
      this.bus.on('chain:block:connected', () => {
        this.connectedBlocks++;
      }),
    );
    this.progressMark = { at: this.now(), blocks: 0 };
    this.nextProgressAt = this.now() + this.options.progressIntervalMs;
    this.tickTimer = setInterval(() => this.tick(), this.options.tickMs);
    this.tickTimer.unref();
  }

  stop(): void {
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = null;
    for (const u of this.unsubscribe.splice(0)) u();
    this.peers.clear();
  }

  /**
   * Resolves once no headers message is being verified and every block
   * handed to the chain has its verdict handled. Headers of closed peers stop
   * before their verification, so after the pool has closed every peer this
   * waits for at most one headers batch and MAX_QUEUED_BLOCKS + 1 blocks per
   * peer.
   */
  async drain(): Promise<void> {
    while (this.headerJobs.size > 0 || this.blockJobs.size > 0) await Promise.all([...this.headerJobs, ...this.blockJobs]);
  }

  /** Called once when the node first becomes (or again becomes) synced. */
  onSynced(listener: () => void): void {
    this.syncedListeners.push(listener);
  }

  // ----------------------------------------------------------------- status

  isSynced(): boolean {
    return this.synced;
  }

  /** The tip has reached the best header we know: new blocks may be announced. */
  atTarget(): boolean {
    return this.chain.tip.work >= this.target.work;
  }

  bestHeaderHeight(): number {
    return Math.max(this.target.height, this.chain.tip.height);
  }

  /** The best header `peer` is known to have. */
  peerBestKnown(peer: Peer): HeaderRecord | null {
    return this.peers.get(peer.id)?.bestKnown ?? null;
  }

  /** The peer a block came from, if it came from one recently. */
  originOf(hash: Buffer): number | undefined {
    return this.blockOrigin.get(hashKey(hash));
  }

  status(): SyncStatus {
    return {
      synced: this.synced,
      height: this.chain.height,
      bestHeaderHeight: this.bestHeaderHeight(),
      networkHeight: this.networkHeight(),
      blocksInFlight: this.scheduler.inFlightCount(),
      blocksPerSecond: this.lastRate,
      peers: this.readyPeers().length,
    };
  }

  private networkHeight(): number {
    let h = this.bestHeaderHeight();
    for (const s of this.peers.values()) h = Math.max(h, s.peer.startHeight, s.bestKnown?.height ?? 0);
    return h;
  }

  private readyPeers(): SyncPeer[] {
    return [...this.peers.values()].filter((s) => s.peer.isReady);
  }

  // ------------------------------------------------------------ peer events

  onPeerReady(peer: Peer): void {
    const s: SyncPeer = {
      peer,
      bestKnown: null,
      lastHeaderHash: null,
      requestedAt: null,
      exhausted: false,
      paused: false,
      unconnecting: 0,
      nextPollAt: this.now() + this.options.pollIntervalMs,
      legacyRequested: new Set(),
      headerWork: Promise.resolve(),
      headerMessages: 0,
      blockJobs: [],
      blockJobBytes: 0,
    };
    this.peers.set(peer.id, s);
    // Right after the handshake, as the reference does (§7.1).
    this.requestHeaders(s);
  }

  onPeerClosed(peer: Peer): void {
    this.peers.delete(peer.id);
    this.scheduler.removePeer(peer.id);
    this.scheduleSoon();
  }

  // ---------------------------------------------------------------- headers

  /**
   * Locator for a request to `s`: from the target's parent, so a peer that
   * has the target answers with at least that header and we learn it can
   * serve the branch (an empty answer would tell us nothing). With `after`
   * (the last header of its previous batch, maybe not stored yet) first, to
   * continue where that batch ended.
   */
  private locatorFor(s: SyncPeer, after?: Buffer): Buffer[] {
    const peerHeight = Math.max(s.peer.startHeight, s.bestKnown?.height ?? 0);
    const maxLength = maxOutgoingLocatorLength(peerHeight);
    const top = this.target;
    const heights = locatorHeights(Math.max(0, top.height - 1), after ? maxLength - 1 : maxLength);
    const onPath = this.path.contains(top);
    const hashes: Buffer[] = [];
    for (const h of heights) {
      const hash = onPath && h > this.path.startHeight ? this.path.hashAt(h) : this.chain.store.getHashAt(h);
      if (hash) hashes.push(hash);
    }
    if (after && !hashes.some((h) => h.equals(after))) hashes.unshift(after);
    return hashes;
  }

  /** getheaders (≥ 70012) or getblocks (older peers) — the reference's choice (§7.1). */
  private requestHeaders(s: SyncPeer, after?: Buffer): void {
    if (!s.peer.isReady) return;
    const locator = this.locatorFor(s, after);
    if (s.peer.usesHeaders) s.peer.send({ command: 'getheaders', locator, stopHash: ZERO_HASH });
    else s.peer.send({ command: 'getblocks', locator, stopHash: ZERO_HASH });
    s.requestedAt = this.now();
    s.nextPollAt = this.now() + this.options.pollIntervalMs;
  }

  private leadReached(height: number): boolean {
    return height - this.chain.tip.height >= this.options.headersLead;
  }

  /**
   * A `headers` message: an answer to our getheaders or an announcement.
   * A peer's headers messages are processed one after the other (each
   * batch builds on the previous one), but the peer's other messages — the
   * blocks of batches already verified — do not wait for the seals of the
   * next batch: the returned promise only holds the peer's message queue
   * once more than MAX_QUEUED_HEADER_MESSAGES are waiting, which bounds
   * what a fast sender can make us hold.
   */
  onHeaders(peer: Peer, entries: readonly HeadersEntry[]): Promise<void> | undefined {
    const s = this.peers.get(peer.id);
    if (!s) return undefined;
    s.headerMessages++;
    const done = s.headerWork
      .then(() => this.processHeaders(peer, entries))
      .catch((err: unknown) => {
        // A bug in processing must cost no more than this connection (as Peer does for handlers).
        this.log.error({ peer: peer.address, err }, 'internal error while processing headers');
        peer.disconnect(`internal error: ${(err as Error).message}`);
      })
      .finally(() => {
        s.headerMessages--;
        this.headerJobs.delete(done);
      });
    this.headerJobs.add(done);
    s.headerWork = done;
    return s.headerMessages > MAX_QUEUED_HEADER_MESSAGES ? done : undefined;
  }

  /**
   * One headers message, after the peer's previous ones: checked for shape,
   * then given to the chain, which verifies context and proof of work before
   * storing anything; the next batch is requested before that verification
   * finishes so the peer's answer overlaps it.
   */
  private async processHeaders(peer: Peer, entries: readonly HeadersEntry[]): Promise<void> {
    const s = this.peers.get(peer.id);
    if (!s || peer.isClosed) return;
    if (entries.length === 0) {
      s.requestedAt = null;
      s.exhausted = true;
      this.checkSynced();
      return;
    }
    if (entries.length > MAX_HEADERS_PER_MESSAGE) {
      peer.misbehave(20, `${entries.length} headers in one message`);
      peer.disconnect(`oversized headers message (${entries.length})`);
      return;
    }
    const headers: BlockHeader[] = entries.map((e) => e.header);
    for (let i = 1; i < headers.length; i++) {
      if (!headers[i].prevHash.equals(headers[i - 1].hash())) {
        peer.misbehave(20, 'non-continuous headers');
        peer.disconnect('non-continuous headers');
        return;
      }
    }
    const parent = this.chain.getRecord(headers[0].prevHash);
    if (!parent) {
      // An announcement ahead of what we know: never the answer to our getheaders (its
      // locator connects it). The reference announces new blocks whether or not we can
      // connect them (§7.1), so while we are still behind (a request outstanding) this is
      // honest; only a run of them with nothing outstanding counts against the peer.
      if (s.requestedAt !== null) return;
      if (++s.unconnecting > MAX_UNCONNECTING_HEADERS) {
        peer.misbehave(20, 'unconnectable headers');
        s.unconnecting = 0;
      }
      if (!peer.isClosed) this.requestHeaders(s);
      return;
    }
    s.requestedAt = null;
    s.unconnecting = 0;
    const last = headers[headers.length - 1];
    const lastHash = last.hash();
    const lastHeight = parent.height + headers.length;
    const progressed = !s.lastHeaderHash || !s.lastHeaderHash.equals(lastHash);
    s.lastHeaderHash = lastHash;
    const continuing = progressed && !this.leadReached(lastHeight);
    if (continuing) this.requestHeaders(s, lastHash);

    const result = await this.chain.addHeaders(headers);
    if (peer.isClosed) return;
    if (result.error) {
      const err = result.error;
      if (err.banScore > 0) {
        this.log.info({ peer: peer.address, code: err.code, msg: err.message }, 'invalid header from peer');
        peer.misbehave(err.banScore, `invalid header: ${err.code}`);
        peer.disconnect(`invalid header: ${err.code}`);
        return;
      }
      // Not the sender's fault (e.g. a timestamp too far ahead of our clock): stop here, keep the peer.
      this.log.debug({ peer: peer.address, code: err.code }, 'header not accepted yet');
      s.requestedAt = null;
    }
    const goodCount = result.error ? (result.failedIndex ?? 0) : headers.length;
    if (goodCount > 0) {
      const rec = this.chain.getRecord(headers[goodCount - 1].hash());
      if (rec && !rec.invalid) {
        this.notePeerHas(s, rec);
        this.considerTarget(rec);
      }
    }
    if (!progressed) s.exhausted = true;
    if (this.leadReached(lastHeight)) s.paused = true;
    this.scheduleSoon();
    this.checkSynced();
  }

  private notePeerHas(s: SyncPeer, rec: HeaderRecord): void {
    if (!s.bestKnown || rec.work > s.bestKnown.work) s.bestKnown = rec;
  }

  /** Adopt `rec` as the download target when it has more work than the current one. */
  private considerTarget(rec: HeaderRecord): void {
    if (rec.invalid || rec.work <= this.target.work) return;
    const replaced = this.path.retarget(this.chain, rec);
    this.target = rec;
    if (replaced) this.scheduler.reset();
  }

  /** The target is no longer usable (invalid): fall back to the chain's best header and ask everyone again. */
  private recomputeTarget(): void {
    const best = this.chain.bestHeader;
    this.target = best;
    this.path.reset(this.chain.tip.height, this.chain.tip.hash);
    if (!best.hash.equals(this.chain.tip.hash)) this.path.retarget(this.chain, best);
    this.scheduler.reset();
    for (const s of this.peers.values()) {
      if (s.bestKnown && (this.chain.getRecord(s.bestKnown.hash)?.invalid ?? true)) s.bestKnown = null;
      this.requestHeaders(s);
    }
  }

  /** inv of blocks: getheaders for ≥ 70012 peers (headers first); direct getdata for getblocks peers. */
  onBlockInventory(peer: Peer, hashes: readonly Buffer[]): void {
    const s = this.peers.get(peer.id);
    if (!s) return;
    if (peer.usesHeaders) {
      const unknown = hashes.some((h) => !this.chain.store.hasHeader(h));
      if (unknown && s.requestedAt === null) this.requestHeaders(s);
      return;
    }
    const wanted: Buffer[] = [];
    for (const hash of hashes) {
      if (s.legacyRequested.size >= MAX_LEGACY_REQUESTS) break;
      const rec = this.chain.getRecord(hash);
      if (rec?.has(STATUS.HAS_BLOCK) || this.chain.orphanRoot(hash)) continue;
      const key = hashKey(hash);
      if (s.legacyRequested.has(key)) continue;
      s.legacyRequested.add(key);
      wanted.push(hash);
    }
    s.requestedAt = null;
    if (wanted.length > 0) peer.send({ command: 'getdata', inventory: wanted.map((hash) => ({ type: INVENTORY_TYPE.BLOCK, hash })) });
    else this.checkSynced();
  }

  /** The peer does not have blocks we asked for: someone else gets them. */
  onBlockNotFound(peer: Peer, hashes: readonly Buffer[]): void {
    const s = this.peers.get(peer.id);
    for (const hash of hashes) {
      this.scheduler.release(hash, peer.id, this.now());
      s?.legacyRequested.delete(hashKey(hash));
    }
    this.scheduleSoon();
  }

  // ----------------------------------------------------------------- blocks

  /**
   * A `block`: to the chain (which stores blocks arriving out of order and
   * connects them when their parents are in). An invalid block disconnects
   * its sender as in the reference; unsolicited unconnectable blocks count
   * against it (the chain's orphan pool bounds their memory).
   *
   * The block is handed to the chain at once, so the chain receives a peer's
   * blocks in the order they came, but the peer's next messages do not wait
   * for its verdict: the returned promise only holds the peer's message
   * queue while more than MAX_QUEUED_BLOCKS blocks (or MAX_QUEUED_BLOCK_BYTES
   * of them) are waiting, which bounds what a fast sender can make us hold.
   */
  onBlock(peer: Peer, block: Block, raw: Buffer): Promise<void> | undefined {
    const s = this.peers.get(peer.id);
    const hash = block.hash();
    const key = hashKey(hash);
    const solicited = this.scheduler.received(hash, peer.id) || (s?.legacyRequested.delete(key) ?? false);
    this.blockOrigin.set(key, peer.id);
    const job: Promise<void> = this.chain
      .addBlock(block, raw)
      .then((result) => this.onBlockVerdict(peer, s, hash, result, solicited))
      .catch((err: unknown) => {
        // As Peer does for its handlers: a failure here costs no more than this connection.
        this.log.error({ peer: peer.address, err }, 'internal error while processing a block');
        peer.disconnect(`internal error: ${(err as Error).message}`);
      })
      .finally(() => {
        this.blockJobs.delete(job);
        if (!s) return;
        const at = s.blockJobs.indexOf(job);
        if (at >= 0) s.blockJobs.splice(at, 1);
        s.blockJobBytes -= raw.length;
      });
    this.blockJobs.add(job);
    if (!s) return job;
    s.blockJobs.push(job);
    s.blockJobBytes += raw.length;
    return s.blockJobs.length > MAX_QUEUED_BLOCKS || s.blockJobBytes > MAX_QUEUED_BLOCK_BYTES ? s.blockJobs[0] : undefined;
  }

  private onBlockVerdict(peer: Peer, s: SyncPeer | undefined, hash: Buffer, result: AddBlockResult, solicited: boolean): void {
    switch (result.status) {
      case 'connected':
      case 'reorganized':
      case 'stored': {
        const rec = this.chain.getRecord(hash);
        if (s && rec) {
          this.notePeerHas(s, rec);
          this.considerTarget(rec);
        }
        break;
      }
      case 'orphan':
        if (!solicited) peer.misbehave(10, 'unsolicited unconnectable block');
        if (s && !peer.isClosed && s.requestedAt === null) this.requestHeaders(s);
        break;
      case 'duplicate':
        break;
      case 'invalid': {
        const err = result.error;
        const onTarget = this.path.hashAt(result.height ?? -1)?.equals(hash) ?? false;
        if (err && err.banScore > 0) {
          this.log.info({ peer: peer.address, hash: hashToHex(hash), code: err.code, msg: err.message }, 'invalid block from peer');
          peer.misbehave(err.banScore, `invalid block: ${err.code}`);
          peer.disconnect(`invalid block: ${err.code}`);
        }
        if (onTarget || (this.chain.getRecord(this.target.hash)?.invalid ?? false)) this.recomputeTarget();
        break;
      }
    }
    // A getblocks peer's next batch, once: after the last verdict of its blocks (this one is still counted in blockJobs).
    if (s && !peer.usesHeaders && s.legacyRequested.size === 0 && s.blockJobs.length <= 1 && !peer.isClosed) this.requestHeaders(s);
    this.scheduleSoon();
    this.checkSynced();
  }

  /** schedule() once this event-loop turn is done (blocks, tips and ticks all ask for it). */
  private scheduleSoon(): void {
    if (this.schedulePending) return;
    this.schedulePending = true;
    setImmediate(() => {
      this.schedulePending = false;
      this.schedule();
    });
  }

  /** Hand out block requests to every peer with room (rotating who goes first). */
  schedule(): void {
    if (this.path.length === 0) return;
    const peers = this.readyPeers().filter((s) => s.peer.usesHeaders);
    if (peers.length === 0) return;
    const now = this.now();
    const startAt = this.scheduleRotation++ % peers.length;
    for (let i = 0; i < peers.length; i++) {
      const s = peers[(startAt + i) % peers.length];
      const maxHeight = this.peerPathHeight(s);
      if (maxHeight <= this.path.startHeight) continue;
      const batch = this.scheduler.assign(s.peer.id, maxHeight, now);
      if (batch.length > 0) s.peer.send({ command: 'getdata', inventory: batch.map((b) => ({ type: INVENTORY_TYPE.BLOCK, hash: b.hash })) });
    }
  }

  /** How far up the target branch `s` can serve blocks (−1: not on it). */
  private peerPathHeight(s: SyncPeer): number {
    const rec = s.bestKnown;
    if (!rec) return -1;
    if (this.path.contains(rec)) return rec.height;
    return -1;
  }

  // ------------------------------------------------------------- chain tip

  private onTip(): void {
    const tip = this.chain.tip;
    if (this.path.contains(tip)) {
      this.path.advanceStart(tip.height);
    } else if (tip.work >= this.target.work) {
      this.target = tip;
      this.path.reset(tip.height, tip.hash);
      this.scheduler.reset();
    } else {
      const target = this.chain.getRecord(this.target.hash);
      if (!target || target.invalid) {
        this.recomputeTarget();
      } else {
        this.path.reset(tip.height, tip.hash);
        this.path.retarget(this.chain, target);
        this.scheduler.reset();
      }
    }
    this.scheduleSoon();
    this.checkSynced();
  }

  private checkSynced(): void {
    const tip = this.chain.tip;
    const ready = this.readyPeers();
    if (this.synced) {
      // Behind a header some peer proved (not a height it merely claims): syncing again.
      if (this.target.height - tip.height > FALL_BEHIND_BLOCKS) this.setSynced(false);
      return;
    }
    if (ready.length === 0 || !this.atTarget()) return;
    const maxStart = Math.max(...ready.map((s) => s.peer.startHeight));
    if (tip.height >= maxStart || ready.some((s) => s.exhausted)) this.setSynced(true);
  }

  private setSynced(synced: boolean): void {
    if (this.synced === synced) return;
    this.synced = synced;
    const tip = this.chain.tip;
    if (synced) {
      this.log.info({ height: tip.height, hash: hashToHex(tip.hash), peers: this.readyPeers().length }, 'synced');
      void this.bus.emit('sync:synced', { height: tip.height, hash: tip.hash });
      for (const l of this.syncedListeners) l();
    } else {
      this.log.info({ height: tip.height, best: this.target.height }, 'behind the network: syncing');
      this.nextProgressAt = this.now();
    }
  }

  // ----------------------------------------------------------- housekeeping

  /** Timeouts, stalls, headers-lead resumption, polling and progress (every tickMs). */
  tick(): void {
    const now = this.now();
    const ready = this.readyPeers();
    for (const s of ready) {
      if (s.requestedAt !== null && now - s.requestedAt > this.options.headersTimeoutMs) {
        // The reference sends nothing for an empty answer: silence means "nothing new" (§7.1).
        s.requestedAt = null;
        s.exhausted = true;
      }
      if (s.paused && !this.leadReached(this.target.height + this.options.headersLead / 2)) {
        s.paused = false;
        if (s.requestedAt === null) this.requestHeaders(s, s.lastHeaderHash ?? undefined);
      } else if (s.requestedAt === null && now >= s.nextPollAt) {
        this.requestHeaders(s);
      }
    }
    const stallers = this.scheduler.checkTimeouts(now, (peerId) =>
      ready.some((s) => s.peer.id !== peerId && s.peer.usesHeaders && this.scheduler.inFlightCount(s.peer.id) < this.options.perPeer && this.peerPathHeight(s) > this.path.startHeight),
    );
    for (const id of stallers) {
      const s = this.peers.get(id);
      if (s) {
        this.log.info({ peer: s.peer.address }, 'dropping a peer that stalls block download');
        s.peer.disconnect('stalling block download');
      }
    }
    this.schedule();
    this.checkSynced();
    if (now >= this.nextProgressAt) {
      this.nextProgressAt = now + this.options.progressIntervalMs;
      this.reportProgress(now);
    }
  }

  private reportProgress(now: number): void {
    const elapsed = (now - this.progressMark.at) / 1000;
    const blocks = this.connectedBlocks - this.progressMark.blocks;
    this.lastRate = elapsed > 0 ? blocks / elapsed : 0;
    this.progressMark = { at: now, blocks: this.connectedBlocks };
    const peers = this.readyPeers().length;
    if (this.synced || peers === 0) return;
    const height = this.chain.height;
    const networkHeight = this.networkHeight();
    const remaining = Math.max(0, networkHeight - height);
    const etaSeconds = this.lastRate > 0 ? Math.round(remaining / this.lastRate) : null;
    void this.bus.emit('sync:progress', { height, bestHeaderHeight: this.bestHeaderHeight(), blocksPerSecond: this.lastRate, etaSeconds, peers });
    this.log.info(
      { height, bestHeader: this.bestHeaderHeight(), network: networkHeight, blocksPerSecond: Number(this.lastRate.toFixed(1)), etaSeconds, peers, inFlight: this.scheduler.inFlightCount() },
      'syncing',
    );
  }
}
