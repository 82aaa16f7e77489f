import type { Chain } from '../chain/chain.js';
import type { HeaderRecord } from '../chain/records.js';
import type { Mempool } from '../mempool/mempool.js';
import type { EventBus } from '../bus/index.js';
import type { Transaction } from '../primitives/transaction.js';
import { hashToHex } from '../primitives/hex.js';
import { INVENTORY_TYPE, PROTOCOL_LEVEL } from './messages/index.js';
import { BoundedSet, hashKey } from './bounded.js';
import type { Peer } from './peer.js';
import type { SyncManager } from './sync.js';
import { logger } from '../util/logger.js';

export interface RelayOptions {
  /** version.relay we announce; when false a tx `inv` disconnects, as in the reference (§1.5). */
  relayTransactions: boolean;
  /** Transaction requests outstanding per peer (more announcements are ignored until they resolve). */
  txRequestsPerPeer: number;
  /** A requested tx not delivered within this is asked of the next peer that announced it. */
  txRequestTimeoutMs: number;
  /** Inventory hashes remembered per peer as "it knows this" (not announced back). */
  knownInventoryPerPeer: number;
  /** Hashes per `inv` we send (the reference sends one per message; batching is ours). */
  invBatchSize: number;
}

export const DEFAULT_RELAY_OPTIONS: RelayOptions = {
  relayTransactions: true,
  txRequestsPerPeer: 500,
  txRequestTimeoutMs: 60_000,
  knownInventoryPerPeer: 5000,
  invBatchSize: 1000,
};

/** Blocks announced at once with `headers` (newer ones first to go; Bitcoin Core uses 8 as well). */
export const MAX_ANNOUNCED_HEADERS = 8;
/** Other peers that announced a tx, kept to ask them when the first does not deliver. */
const MAX_ALTERNATE_ANNOUNCERS = 4;

interface TxRequest {
  peerId: number;
  at: number;
  hash: Buffer;
  alternates: number[];
}

interface RelayPeer {
  peer: Peer;
  known: BoundedSet<string>;
  pendingInv: Buffer[];
  txRequests: number;
  /** The last tip we announced to it (or it sent us): not announced twice. */
  announcedHash: Buffer | null;
  /** The best header we know it has from us: the last one we sent it (announced or served). */
  headerSent: HeaderRecord | null;
  mempoolRequested: boolean;
}

export interface RelayManagerOptions {
  chain: Chain;
  mempool?: Mempool;
  bus: EventBus;
  sync: SyncManager;
  options?: Partial<RelayOptions>;
  now?: () => number;
}

/**
 * Block announcements and transaction relay (mvs-wire §7.1–§7.2): new tips
 * are announced with `headers` to every peer that did not send them, inbound
 * ones included (the reference skips inbound peers); pool transactions with
 * `inv` to peers whose version.relay was 1, batched per event-loop turn;
 * announced transactions are fetched with `getdata` and given to the pool.
 * Invalid transactions are not punished, as in the reference.
 */
export class RelayManager {
  readonly options: RelayOptions;
  private readonly chain: Chain;
  private readonly mempool: Mempool | undefined;
  private readonly bus: EventBus;
  private readonly sync: SyncManager;
  private readonly now: () => number;
  private readonly log = logger('p2p');
  private readonly peers = new Map<number, RelayPeer>();
  private readonly txRequests = new Map<string, TxRequest>();
  private readonly recentRejects = new BoundedSet<string>(20_000);
  private readonly unsubscribe: (() => void)[] = [];
  private flushScheduled = false;
  private announceScheduled = false;

  constructor(opts: RelayManagerOptions) {
    this.chain = opts.chain;
    this.mempool = opts.mempool;
    this.bus = opts.bus;
    this.sync = opts.sync;
    this.now = opts.now ?? Date.now;
    this.options = { ...DEFAULT_RELAY_OPTIONS, ...opts.options };
  }

  start(): void {
    this.unsubscribe.push(
      this.bus.on('chain:tip', () => {
        // A new tip makes rejected-for-now transactions worth another look.
        this.recentRejects.clear();
        this.scheduleAnnouncement();
      }),
      this.bus.on('mempool:tx:added', (e) => this.onPoolTransaction(e.txid)),
    );
    this.sync.onSynced(() => {
      for (const r of this.peers.values()) this.requestMempool(r);
    });
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    this.peers.clear();
    this.txRequests.clear();
  }

  onPeerReady(peer: Peer): void {
    const r: RelayPeer = {
      peer,
      known: new BoundedSet(this.options.knownInventoryPerPeer),
      pendingInv: [],
      txRequests: 0,
      announcedHash: null,
      headerSent: null,
      mempoolRequested: false,
    };
    this.peers.set(peer.id, r);
    this.requestMempool(r);
  }

  onPeerClosed(peer: Peer): void {
    this.peers.delete(peer.id);
    for (const [key, req] of [...this.txRequests]) {
      if (req.peerId === peer.id) this.retryTxRequest(key, req);
      else req.alternates = req.alternates.filter((id) => id !== peer.id);
    }
  }

  /** `mempool` once synced, to peers that relay (≥ 60002), as the reference does on connect (§7.2). */
  private requestMempool(r: RelayPeer): void {
    if (r.mempoolRequested || !this.mempool || !this.options.relayTransactions || !this.sync.isSynced()) return;
    if (r.peer.protocolVersion < PROTOCOL_LEVEL.BIP35 || !r.peer.isReady) return;
    r.mempoolRequested = true;
    r.peer.send({ command: 'mempool' });
  }

  // ------------------------------------------------------ block announcing

  private scheduleAnnouncement(): void {
    if (this.announceScheduled) return;
    this.announceScheduled = true;
    setImmediate(() => {
      this.announceScheduled = false;
      this.announceTip();
    });
  }

  /**
   * Announce the tip to every peer that did not send it and does not have it:
   * with `headers` (≤ 8, ending at the tip) when the first of them connects
   * to a header the peer is known to have, else with an `inv` of the tip —
   * Bitcoin Core's rule, so a peer that is behind (still syncing) is never
   * sent headers it cannot connect; it asks with getheaders instead. Skipped
   * while we are still catching up with a better known header (initial sync).
   */
  private announceTip(): void {
    if (!this.sync.atTarget()) return;
    const tip = this.chain.tip;
    const origin = this.sync.originOf(tip.hash);
    for (const r of this.peers.values()) {
      const peer = r.peer;
      if (!peer.isReady || r.announcedHash?.equals(tip.hash)) continue;
      r.announcedHash = tip.hash;
      if (origin === peer.id || this.peerHas(r, tip)) continue;
      const from = peer.protocolVersion >= PROTOCOL_LEVEL.HEADERS ? this.firstMissingHeight(r, tip) : null;
      if (from === null) {
        peer.send({ command: 'inv', inventory: [{ type: INVENTORY_TYPE.BLOCK, hash: tip.hash }] });
        continue;
      }
      const headers = [];
      for (let h = from; h <= tip.height; h++) {
        const rec = this.chain.getRecordAt(h);
        if (rec) headers.push({ header: rec.header, txCount: rec.txCount });
      }
      r.headerSent = tip;
      peer.send({ command: 'headers', headers });
    }
  }

  /**
   * Height of the first main-chain header `r` lacks when its parent is one it
   * has, within the last MAX_ANNOUNCED_HEADERS below the tip; null when none
   * of those is known to it (the headers would not connect for it).
   */
  private firstMissingHeight(r: RelayPeer, tip: HeaderRecord): number | null {
    const lowest = Math.max(0, tip.height - MAX_ANNOUNCED_HEADERS);
    for (let h = tip.height - 1; h >= lowest; h--) {
      const rec = this.chain.getRecordAt(h);
      if (rec && this.peerHas(r, rec)) return h + 1;
    }
    return null;
  }

  /** The peer has `rec`: it is genesis, or an ancestor of a header it sent us or we sent it. */
  private peerHas(r: RelayPeer, rec: HeaderRecord): boolean {
    if (rec.height === 0) return true;
    for (const known of [this.sync.peerBestKnown(r.peer), r.headerSent]) {
      if (known && known.height >= rec.height && (this.chain.ancestorOf(known, rec.height)?.hash.equals(rec.hash) ?? false)) return true;
    }
    return false;
  }

  /** We served `peer` headers up to `rec` (or its locator showed it has `rec`): announcements can build on it. */
  noteHeaderSent(peer: Peer, rec: HeaderRecord): void {
    const r = this.peers.get(peer.id);
    if (r && (!r.headerSent || rec.work > r.headerSent.work)) r.headerSent = rec;
  }

  // -------------------------------------------------------- tx announcing

  private onPoolTransaction(txid: Buffer): void {
    const key = hashKey(txid);
    for (const r of this.peers.values()) {
      if (!r.peer.isReady || !r.peer.relay || r.known.has(key)) continue;
      r.known.add(key);
      r.pendingInv.push(txid);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushInventory());
    }
  }

  private flushInventory(): void {
    this.flushScheduled = false;
    for (const r of this.peers.values()) {
      if (r.pendingInv.length === 0) continue;
      const hashes = r.pendingInv.splice(0);
      // Still in the pool? (mined or evicted in the meantime: nothing to announce)
      const live = this.mempool ? hashes.filter((h) => this.mempool!.has(h)) : hashes;
      for (let i = 0; i < live.length; i += this.options.invBatchSize) {
        const slice = live.slice(i, i + this.options.invBatchSize);
        r.peer.send({ command: 'inv', inventory: slice.map((hash) => ({ type: INVENTORY_TYPE.TRANSACTION, hash })) });
      }
    }
  }

  // ---------------------------------------------------- tx fetching

  /** inv of transactions: fetch the ones we lack (not while syncing: they would not validate). */
  onTransactionInventory(peer: Peer, hashes: readonly Buffer[]): void {
    if (!this.options.relayTransactions) {
      // We announced relay = 0; the reference disconnects a peer that sends tx inv anyway (§1.5).
      peer.disconnect('transaction inv while relay is off');
      return;
    }
    const r = this.peers.get(peer.id);
    if (!r || !this.mempool || !this.sync.isSynced()) return;
    const wanted: Buffer[] = [];
    const now = this.now();
    for (const hash of hashes) {
      const key = hashKey(hash);
      r.known.add(key);
      if (this.mempool.has(hash) || this.recentRejects.has(key)) continue;
      const existing = this.txRequests.get(key);
      if (existing) {
        if (existing.peerId !== peer.id && existing.alternates.length < MAX_ALTERNATE_ANNOUNCERS && !existing.alternates.includes(peer.id)) existing.alternates.push(peer.id);
        continue;
      }
      if (r.txRequests >= this.options.txRequestsPerPeer) continue;
      if (this.chain.store.getTxLocation(hash)) continue;
      this.txRequests.set(key, { peerId: peer.id, at: now, hash, alternates: [] });
      r.txRequests++;
      wanted.push(hash);
    }
    if (wanted.length > 0) peer.send({ command: 'getdata', inventory: wanted.map((hash) => ({ type: INVENTORY_TYPE.TRANSACTION, hash })) });
  }

  onTransactionNotFound(peer: Peer, hashes: readonly Buffer[]): void {
    for (const hash of hashes) {
      const key = hashKey(hash);
      const req = this.txRequests.get(key);
      if (req && req.peerId === peer.id) this.retryTxRequest(key, req);
    }
  }

  private finishTxRequest(key: string): void {
    const req = this.txRequests.get(key);
    if (!req) return;
    this.txRequests.delete(key);
    const r = this.peers.get(req.peerId);
    if (r) r.txRequests--;
  }

  /** Ask the next announcer that is still connected and has room; give up when none is. */
  private retryTxRequest(key: string, req: TxRequest): void {
    this.finishTxRequest(key);
    while (req.alternates.length > 0) {
      const next = this.peers.get(req.alternates.shift()!);
      if (!next || !next.peer.isReady || next.txRequests >= this.options.txRequestsPerPeer) continue;
      this.txRequests.set(key, { peerId: next.peer.id, at: this.now(), hash: req.hash, alternates: req.alternates });
      next.txRequests++;
      next.peer.send({ command: 'getdata', inventory: [{ type: INVENTORY_TYPE.TRANSACTION, hash: req.hash }] });
      return;
    }
  }

  /** A `tx`: to the pool. Rejections are remembered (not fetched again), never punished (§7.2). */
  async onTransaction(peer: Peer, tx: Transaction): Promise<void> {
    const txid = tx.hash();
    const key = hashKey(txid);
    this.peers.get(peer.id)?.known.add(key);
    this.finishTxRequest(key);
    if (!this.mempool || !this.options.relayTransactions) return;
    if (this.mempool.has(txid) || this.recentRejects.has(key)) return;
    try {
      await this.mempool.add(tx);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string') throw err;
      // Orphans wait in the pool for their parents; anything else is not fetched again.
      if (code !== 'missing_inputs' && code !== 'already_in_pool') this.recentRejects.add(key);
      this.log.debug({ peer: peer.address, txid: hashToHex(txid), code }, 'transaction not accepted');
    }
  }

  /** Take back tx requests that timed out (every sync tick). */
  tick(): void {
    const now = this.now();
    for (const [key, req] of [...this.txRequests]) if (now - req.at > this.options.txRequestTimeoutMs) this.retryTxRequest(key, req);
  }
}
