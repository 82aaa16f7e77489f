import type { Chain } from '../chain/chain.js';
import type { HeaderRecord } from '../chain/records.js';
import type { Mempool } from '../mempool/mempool.js';
import type { BlockHeader } from '../primitives/header.js';
import { isZeroHash } from '../primitives/hex.js';
import { INVENTORY_TYPE, type GetBlocksMessage, type GetDataMessage, type GetHeadersMessage, type InventoryVector } from './messages/index.js';
import { headersAnswerLimit, maxIncomingLocatorLength } from './rules.js';
import type { Peer } from './peer.js';
import { logger } from '../util/logger.js';

/** Inventory entries per message: the payload cap holds 50,000 (mvs-wire §2.2). */
export const MAX_INVENTORY_PER_MESSAGE = 50_000;

/**
 * Height of the first locator hash on our main chain, or null when none is.
 * The reference starts its answer just above it (§7.1).
 */
export function forkPointHeight(chain: Chain, locator: readonly Buffer[]): number | null {
  for (const hash of locator) {
    const rec = chain.getRecord(hash);
    if (rec && chain.isOnMainChain(rec)) return rec.height;
  }
  return null;
}

/**
 * Main-chain headers answering a getheaders/getblocks: heights start+1 … up
 * to the stop hash (inclusive, when it is on our main chain) or `limit`
 * entries.
 */
export function headersAfter(chain: Chain, startHeight: number, stopHash: Buffer, limit: number): BlockHeader[] {
  const out: BlockHeader[] = [];
  const tip = chain.height;
  for (let h = startHeight + 1; h <= tip && out.length < limit; h++) {
    const rec = chain.getRecordAt(h);
    if (!rec) break;
    out.push(rec.header);
    if (!isZeroHash(stopHash) && rec.hash.equals(stopHash)) break;
  }
  return out;
}

export interface ServerOptions {
  chain: Chain;
  mempool?: Mempool;
}

/**
 * Answers the requests a peer makes of us (mvs-wire §7.1–§7.2): getheaders,
 * getblocks, getdata (blocks, txs), mempool. getaddr is the pool's (it owns
 * the address book).
 */
export class Server {
  private readonly chain: Chain;
  private readonly mempool: Mempool | undefined;
  private readonly answeredMempool = new Set<number>();
  private readonly log = logger('p2p');

  constructor(opts: ServerOptions) {
    this.chain = opts.chain;
    this.mempool = opts.mempool;
  }

  onPeerClosed(peer: Peer): void {
    this.answeredMempool.delete(peer.id);
  }

  /** The reference disconnects a locator longer than its bound (§7.1); ours is computed so honest peers pass. */
  private locatorTooLong(peer: Peer, locator: readonly Buffer[], command: string): boolean {
    const limit = maxIncomingLocatorLength(this.chain.height, peer.startHeight);
    if (locator.length <= limit) return false;
    peer.disconnect(`${command} locator of ${locator.length} hashes (limit ${limit})`);
    return true;
  }

  /**
   * getheaders → headers from the first locator hash on our main chain, at
   * most 500 or 10 (headersAnswerLimit). Ignored when the last locator hash
   * (normally genesis) is not on our chain, as the reference does; an empty
   * locator is answered from height 1. An empty answer is still sent (the
   * reference sends nothing), so peers learn they are caught up.
   *
   * Returns the main-chain header the peer has once it takes the answer (the
   * last one sent, or the fork point its locator showed), null when ignored:
   * block announcements to it can build on that header.
   */
  onGetHeaders(peer: Peer, msg: GetHeadersMessage): HeaderRecord | null {
    if (this.locatorTooLong(peer, msg.locator, 'getheaders')) return null;
    let start = 0;
    if (msg.locator.length > 0) {
      const lastRec = this.chain.getRecord(msg.locator[msg.locator.length - 1]);
      if (!lastRec || !this.chain.isOnMainChain(lastRec)) {
        this.log.debug({ peer: peer.address }, 'getheaders with an unknown last locator hash ignored');
        return null;
      }
      start = forkPointHeight(this.chain, msg.locator) ?? 0;
    }
    const limit = headersAnswerLimit(this.chain.height, peer.startHeight);
    const headers = headersAfter(this.chain, start, msg.stopHash, limit);
    peer.send({ command: 'headers', headers: headers.map((header) => ({ header, txCount: 0 })) });
    return this.chain.getRecordAt(start + headers.length);
  }

  /** getblocks → inv of block hashes (sent even when empty, as the reference does). */
  onGetBlocks(peer: Peer, msg: GetBlocksMessage): void {
    if (this.locatorTooLong(peer, msg.locator, 'getblocks')) return;
    const start = forkPointHeight(this.chain, msg.locator) ?? 0;
    const limit = headersAnswerLimit(this.chain.height, peer.startHeight);
    const headers = headersAfter(this.chain, start, msg.stopHash, limit);
    peer.send({ command: 'inv', inventory: headers.map((h) => ({ type: INVENTORY_TYPE.BLOCK, hash: h.hash() })) });
  }

  /**
   * getdata → `block` for stored blocks (else one `notfound`), `tx` from the
   * pool or the chain (silence when unknown, like the reference). Served in
   * order, waiting whenever the socket holds more than the soft limit, so a
   * 50,000-entry getdata cannot queue more than that in memory.
   */
  async onGetData(peer: Peer, msg: GetDataMessage): Promise<void> {
    const notFound: InventoryVector[] = [];
    for (const item of msg.inventory) {
      if (peer.isClosed) return;
      if (item.type === INVENTORY_TYPE.BLOCK) {
        const raw = this.chain.store.getBlockRaw(item.hash);
        if (raw) peer.sendRaw('block', raw);
        else notFound.push({ type: INVENTORY_TYPE.BLOCK, hash: item.hash });
      } else if (item.type === INVENTORY_TYPE.TRANSACTION) {
        const raw = this.transactionRaw(item.hash);
        if (raw) peer.sendRaw('tx', raw);
      }
      // Filtered (3) and compact (4) blocks are never served, as in the reference.
      await peer.writable();
    }
    if (notFound.length > 0 && !peer.isClosed) peer.send({ command: 'notfound', inventory: notFound });
  }

  private transactionRaw(txid: Buffer): Buffer | null {
    const entry = this.mempool?.get(txid);
    if (entry) return entry.tx.toRaw();
    return this.chain.store.getTx(txid)?.tx.toRaw() ?? null;
  }

  /**
   * mempool → one inv with every pool txid, once per connection; nothing when
   * the pool is empty (the reference returns early then, protocol_transaction_out).
   */
  onMempool(peer: Peer): void {
    if (this.answeredMempool.has(peer.id)) return;
    this.answeredMempool.add(peer.id);
    if (!this.mempool) return;
    const txids = this.mempool.txids();
    for (let i = 0; i < txids.length; i += MAX_INVENTORY_PER_MESSAGE) {
      const slice = txids.slice(i, i + MAX_INVENTORY_PER_MESSAGE);
      peer.send({ command: 'inv', inventory: slice.map((hash) => ({ type: INVENTORY_TYPE.TRANSACTION, hash })) });
    }
  }
}
