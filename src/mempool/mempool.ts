import type { Network } from '../networks/index.js';
import { Transaction, OutPoint } from '../primitives/transaction.js';
import type { Block } from '../primitives/block.js';
import { hashToHex } from '../primitives/hex.js';
import type { EventBus } from '../bus/index.js';
import type { Chain, ScriptVerifier } from '../chain/chain.js';
import { Coin } from '../consensus/coin.js';
import { VerifyError } from '../consensus/errors.js';
import { checkTransaction } from '../consensus/tx.js';
import { connectTxInputs, legacySigops } from '../consensus/block.js';
import { Mutex } from '../util/mutex.js';
import { BinaryHeap } from './heap.js';
import { logger } from '../util/logger.js';

/**
 * Why the pool refused a transaction. Consensus failures keep their consensus
 * code; the pool adds its own policy and state codes.
 */
export type MempoolErrorCode =
  | 'coinbase_transaction'
  | 'already_in_pool'
  | 'already_in_chain'
  | 'mempool_conflict'
  | 'missing_inputs'
  | 'non_standard'
  | 'tx_too_large'
  | 'pool_full'
  | 'script_verify_failed'
  | string;

export class MempoolError extends Error {
  readonly code: MempoolErrorCode;
  /** Ban score for the peer that relayed it (the reference never punishes invalid txs). */
  readonly banScore: number;
  constructor(code: MempoolErrorCode, message: string, banScore = 0) {
    super(message);
    this.name = 'MempoolError';
    this.code = code;
    this.banScore = banScore;
  }
}

export interface MempoolEntry {
  tx: Transaction;
  txid: Buffer;
  fee: bigint;
  size: number;
  /** Fee per kB, as the reference's miner sorts (units per 1000 bytes). */
  feeRate: number;
  sigops: number;
  time: number;
  /** Tip height when it entered. */
  height: number;
  /** In-pool parents / children by txid (latin1 keys). */
  parents: Set<string>;
  children: Set<string>;
}

export interface MempoolOptions {
  chain: Chain;
  network: Network;
  bus: EventBus;
  scripts: ScriptVerifier;
  /** Total serialized bytes held (default 64 MiB). */
  maxBytes?: number;
  /** Policy cap on one transaction's size (default 100,000 bytes). */
  maxTxSize?: number;
  /** Entries older than this many seconds are dropped (default 72 h). */
  expirySeconds?: number;
  orphanLimit?: { count: number; bytes: number };
  now?: () => number;
}

const key = (h: Buffer) => h.toString('latin1');

/**
 * The transaction pool. It admits only transactions that would be valid in
 * the next block: consensus rules against the UTXO set plus the pool itself,
 * script checks, and policy (standard scripts, size); a double spend of the
 * chain or of the pool is refused. It follows the chain through the bus:
 * mined and conflicting transactions leave on connect, disconnected ones come
 * back on a reorg and everything is re-checked against the new tip.
 */
export class Mempool {
  private readonly chain: Chain;
  private readonly network: Network;
  private readonly bus: EventBus;
  private readonly scripts: ScriptVerifier;
  private readonly entries = new Map<string, MempoolEntry>();
  /** outpoint key → txid key of the pool tx spending it. */
  private readonly spenders = new Map<string, string>();
  private readonly orphans = new Map<string, { tx: Transaction; time: number; size: number }>();
  private readonly orphansByParent = new Map<string, Set<string>>();
  private orphanBytes = 0;
  private bytes = 0;
  private mtpCache: { tip: Buffer; value: number } | null = null;
  /** Blocks were disconnected since the last full re-check (spends of their outputs may be invalid now). */
  private revalidatePending = false;
  /**
   * Eviction candidates, lowest fee rate first (older first on ties). Lazy: an
   * entry that left the pool or gained children is skipped when popped, and a
   * parent is pushed again when its last child leaves, so trimming never
   * rescans the pool.
   */
  private readonly evictionOrder = new BinaryHeap<MempoolEntry>((a, b) => a.feeRate < b.feeRate || (a.feeRate === b.feeRate && a.time < b.time));
  private readonly maxBytes: number;
  private readonly maxTxSize: number;
  private readonly expirySeconds: number;
  private readonly orphanLimit: { count: number; bytes: number };
  private readonly now: () => number;
  private readonly lock = new Mutex();
  private readonly log = logger('mempool');
  private readonly unsubscribe: (() => void)[] = [];

  constructor(opts: MempoolOptions) {
    this.chain = opts.chain;
    this.network = opts.network;
    this.bus = opts.bus;
    this.scripts = opts.scripts;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.maxTxSize = opts.maxTxSize ?? 100_000;
    this.expirySeconds = opts.expirySeconds ?? 72 * 3600;
    this.orphanLimit = opts.orphanLimit ?? { count: 100, bytes: 5 * 1024 * 1024 };
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.unsubscribe.push(
      this.bus.onAwait('chain:block:connected', (e) => this.lock.run(() => this.blockConnected(e.block))),
      this.bus.onAwait('chain:block:disconnected', (e) => this.lock.run(() => this.blockDisconnected(e.block))),
      this.bus.onAwait('chain:reorganized', () => this.lock.run(() => this.revalidateAll('reorg-invalid'))),
      // popblock / invalidation disconnect without a reorganization event: re-check once the tip settles.
      this.bus.onAwait('chain:tip', () => this.lock.run(() => (this.revalidatePending ? this.revalidateAll('reorg-invalid') : undefined))),
    );
  }

  close(): void {
    for (const u of this.unsubscribe) u();
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  has(txid: Buffer): boolean {
    return this.entries.has(key(txid));
  }

  get(txid: Buffer): MempoolEntry | undefined {
    return this.entries.get(key(txid));
  }

  /** All entries in no particular order (cheaper than all() when the caller orders them itself). */
  entryList(): MempoolEntry[] {
    return [...this.entries.values()];
  }

  /** All entries, parents before children. */
  all(): MempoolEntry[] {
    const out: MempoolEntry[] = [];
    const done = new Set<string>();
    const visit = (k: string) => {
      if (done.has(k)) return;
      done.add(k);
      const e = this.entries.get(k)!;
      for (const p of e.parents) if (this.entries.has(p)) visit(p);
      out.push(e);
    };
    for (const k of this.entries.keys()) visit(k);
    return out;
  }

  /** All entries, every transaction after the pool transactions whose outputs it spends. */
  private inputOrder(): MempoolEntry[] {
    const out: MempoolEntry[] = [];
    const done = new Set<string>();
    const visit = (k: string, e: MempoolEntry) => {
      if (done.has(k)) return;
      done.add(k);
      for (const input of e.tx.inputs) {
        const pk = key(input.prevout.hash);
        const parent = this.entries.get(pk);
        if (parent) visit(pk, parent);
      }
      out.push(e);
    };
    for (const [k, e] of this.entries) visit(k, e);
    return out;
  }

  txids(): Buffer[] {
    return [...this.entries.values()].map((e) => e.txid);
  }

  /** The pool tx spending `outpoint`, if any. */
  spenderOf(outpoint: OutPoint): MempoolEntry | undefined {
    const k = this.spenders.get(key(outpoint.toKey()));
    return k ? this.entries.get(k) : undefined;
  }

  orphanCount(): number {
    return this.orphans.size;
  }

  /**
   * Validate and admit a transaction. Resolves with the entry, or rejects with
   * MempoolError / VerifyError (distinct codes for every reason). A tx whose
   * inputs are unknown is held as an orphan (code 'missing_inputs') and retried
   * when its parents arrive.
   */
  add(tx: Transaction): Promise<MempoolEntry> {
    return this.lock.run(async () => {
      const entry = await this.accept(tx);
      await this.retryOrphans(entry.txid);
      return entry;
    });
  }

  private async accept(tx: Transaction, opts: { silent?: boolean; time?: number } = {}): Promise<MempoolEntry> {
    const txid = tx.hash();
    const k = key(txid);
    if (this.entries.has(k)) throw new MempoolError('already_in_pool', `transaction ${tx.txid()} is already in the pool`);
    if (tx.isCoinbase()) throw new MempoolError('coinbase_transaction', 'a coinbase cannot enter the pool', 100);
    const size = tx.size();
    if (size > this.maxTxSize) throw new MempoolError('tx_too_large', `transaction is ${size} bytes (policy limit ${this.maxTxSize})`);
    const tip = this.chain.tip;
    checkTransaction(tx, { network: this.network, tipHeight: tip.height });
    this.checkStandard(tx);

    // Already confirmed with unspent outputs?
    const loc = this.chain.store.getTxLocation(txid);
    if (loc) {
      for (let i = 0; i < loc.outputs; i++) {
        if (this.chain.store.getCoin(new OutPoint(txid, i).toKey())) throw new MempoolError('already_in_chain', `transaction ${tx.txid()} is already confirmed`);
      }
    }

    // Conflicts with the pool (no replacement: the reference has none).
    for (const input of tx.inputs) {
      const s = this.spenders.get(key(input.prevout.toKey()));
      if (s) throw new MempoolError('mempool_conflict', `input ${input.prevout} is already spent by pool transaction ${hashToHex(Buffer.from(s, 'latin1'))}`);
    }

    // Unknown parents → orphan. The chain coins read here serve the input rules below (same tick, same tip).
    const missing = new Set<string>();
    const chainCoins = new Map<string, Coin>();
    for (const input of tx.inputs) {
      const parentKey = key(input.prevout.hash);
      if (this.entries.has(parentKey)) continue;
      const outKey = input.prevout.toKey();
      const coin = this.chain.store.getCoin(outKey);
      if (coin) chainCoins.set(key(outKey), coin);
      else if (!this.chain.store.getTxLocation(input.prevout.hash)) missing.add(parentKey);
    }
    if (missing.size > 0) {
      this.addOrphan(tx, size, missing);
      throw new MempoolError('missing_inputs', `transaction ${tx.txid()} spends unknown outputs; held as an orphan`);
    }

    const parents = new Set<string>();
    const lookup = (op: OutPoint): { coin: Coin; own: boolean } | null => {
      const outKey = op.toKey();
      const parent = this.entries.get(key(op.hash));
      if (parent) {
        const o = parent.tx.outputs[op.index];
        if (!o) return null;
        parents.add(key(op.hash));
        return { coin: new Coin(o, tip.height + 1, false), own: true };
      }
      const coin = chainCoins.get(key(outKey)) ?? this.chain.store.getCoin(outKey);
      return coin ? { coin, own: false } : null;
    };
    const mtp = this.medianTimePastOf(tip);
    const result = connectTxInputs(tx, lookup, {
      network: this.network,
      height: tip.height + 1,
      maturityHeight: tip.height,
      medianTimePast: mtp,
      timestampAt: (h) => this.chain.getRecordAt(h)?.header.timestamp ?? null,
      outputExisted: (op) => {
        const l = this.chain.store.getTxLocation(op.hash);
        return l !== null && op.index < l.outputs;
      },
      // The reference's pool gives in-pool parents height 0 for relative locks (§5.6 [Q]).
      lockHeightOf: (coin, own) => (own ? 0 : coin.height),
    });
    const r = await this.scripts.verifyScripts([tx], result.scriptJobs);
    if (!r.ok) throw new MempoolError('script_verify_failed', `input ${r.inputIndex}: ${r.code} ${r.message}`, 0);

    const entry: MempoolEntry = {
      tx,
      txid,
      fee: result.fee,
      size,
      feeRate: (Number(result.fee) * 1000) / size,
      sigops: legacySigops(tx) + result.p2shSigops,
      time: opts.time ?? this.now(),
      height: tip.height,
      parents,
      children: new Set(),
    };
    this.insert(entry);
    this.trimToSize();
    if (!this.entries.has(key(txid))) throw new MempoolError('pool_full', 'transaction fee rate too low for a full pool');
    if (!opts.silent) await this.bus.emit('mempool:tx:added', { tx, txid, fee: entry.fee, size });
    return entry;
  }

  /** Median time past of the tip, computed once per tip (it reads 11 headers). */
  private medianTimePastOf(tip: Chain['tip']): number {
    if (!this.mtpCache || !this.mtpCache.tip.equals(tip.hash)) this.mtpCache = { tip: tip.hash, value: this.chain.medianTimePast(tip) };
    return this.mtpCache.value;
  }

  /**
   * Policy (stricter than the reference, whose is_standard is always true):
   * outputs must be one of the pay patterns, input scripts push-only.
   */
  private checkStandard(tx: Transaction): void {
    const payPatterns = new Set([
      'pay_key_hash',
      'pay_script_hash',
      'pay_multisig',
      'pay_public_key',
      'null_data',
      'pay_blackhole_address',
      'pay_key_hash_with_lock_height',
      'pay_key_hash_with_attenuation_model',
      'pay_key_hash_with_sequence_lock',
    ]);
    tx.outputs.forEach((o, i) => {
      const p = o.script.pattern();
      if (!payPatterns.has(p)) throw new MempoolError('non_standard', `output ${i} script is not a standard payment (${p})`);
    });
    tx.inputs.forEach((inp, i) => {
      const ops = inp.script.ops;
      if (!ops || !ops.every((op) => op.code <= 0x60 && op.code !== 0x50)) throw new MempoolError('non_standard', `input ${i} script is not push-only`);
    });
  }

  private insert(e: MempoolEntry): void {
    const k = key(e.txid);
    this.entries.set(k, e);
    this.bytes += e.size;
    for (const input of e.tx.inputs) this.spenders.set(key(input.prevout.toKey()), k);
    for (const p of e.parents) this.entries.get(p)?.children.add(k);
    this.evictionOrder.push(e);
    // Drop the references of entries that left long ago (the heap only grows between trims).
    if (this.evictionOrder.size > 2 * this.entries.size + 1024) this.rebuildEvictionOrder();
  }

  private rebuildEvictionOrder(): void {
    this.evictionOrder.clear();
    for (const e of this.entries.values()) if (e.children.size === 0) this.evictionOrder.push(e);
  }

  /** Remove an entry (and, when `withDescendants`, everything spending it). */
  private remove(k: string, reason: 'mined' | 'conflict' | 'expired' | 'evicted' | 'reorg-invalid' | 'manual', withDescendants: boolean): MempoolEntry[] {
    const e = this.entries.get(k);
    if (!e) return [];
    const removed: MempoolEntry[] = [];
    if (withDescendants) for (const c of [...e.children]) removed.push(...this.remove(c, reason, true));
    this.entries.delete(k);
    this.bytes -= e.size;
    for (const input of e.tx.inputs) {
      const ik = key(input.prevout.toKey());
      if (this.spenders.get(ik) === k) this.spenders.delete(ik);
    }
    for (const p of e.parents) {
      const parent = this.entries.get(p);
      if (!parent) continue;
      parent.children.delete(k);
      if (parent.children.size === 0) this.evictionOrder.push(parent); // a leaf again: evictable
    }
    for (const c of e.children) this.entries.get(c)?.parents.delete(k);
    removed.push(e);
    void this.bus.emit('mempool:tx:removed', { tx: e.tx, txid: e.txid, reason });
    return removed;
  }

  /** Evict the lowest fee-rate leaf entries (no in-pool children) until under the byte cap. */
  private trimToSize(): void {
    while (this.bytes > this.maxBytes && this.entries.size > 0) {
      const worst = this.evictionOrder.pop();
      if (!worst) break;
      const k = key(worst.txid);
      if (this.entries.get(k) !== worst || worst.children.size > 0) continue; // gone, or not a leaf now
      this.remove(k, 'evicted', true);
    }
  }

  /** Drop entries older than the expiry. */
  expire(): Promise<number> {
    return this.lock.run(() => {
      const cutoff = this.now() - this.expirySeconds;
      let n = 0;
      for (const [k, e] of [...this.entries]) if (e.time < cutoff && this.entries.has(k)) n += this.remove(k, 'expired', true).length;
      for (const [k, o] of [...this.orphans]) if (o.time < cutoff) this.removeOrphan(k);
      return n;
    });
  }

  /** Remove a transaction (and its descendants) by id. */
  removeTx(txid: Buffer): Promise<number> {
    return this.lock.run(() => this.remove(key(txid), 'manual', true).length);
  }

  private addOrphan(tx: Transaction, size: number, missing: Set<string>): void {
    const k = key(tx.hash());
    if (this.orphans.has(k)) return;
    if (size > this.orphanLimit.bytes) return;
    this.orphans.set(k, { tx, time: this.now(), size });
    this.orphanBytes += size;
    for (const p of missing) {
      let s = this.orphansByParent.get(p);
      if (!s) this.orphansByParent.set(p, (s = new Set()));
      s.add(k);
    }
    while (this.orphans.size > this.orphanLimit.count || this.orphanBytes > this.orphanLimit.bytes) {
      this.removeOrphan(this.orphans.keys().next().value as string);
    }
  }

  private removeOrphan(k: string): void {
    const o = this.orphans.get(k);
    if (!o) return;
    this.orphans.delete(k);
    this.orphanBytes -= o.size;
    for (const input of o.tx.inputs) {
      const pk = key(input.prevout.hash);
      const s = this.orphansByParent.get(pk);
      s?.delete(k);
      if (s && s.size === 0) this.orphansByParent.delete(pk);
    }
  }

  /** Retry orphans whose parent `txid` just became available. */
  private async retryOrphans(txid: Buffer): Promise<void> {
    const queue = [key(txid)];
    while (queue.length > 0) {
      const p = queue.shift()!;
      const kids = this.orphansByParent.get(p);
      if (!kids) continue;
      for (const k of [...kids]) {
        const o = this.orphans.get(k);
        if (!o) continue;
        this.removeOrphan(k);
        try {
          const e = await this.accept(o.tx);
          queue.push(key(e.txid));
        } catch (err) {
          this.log.debug({ txid: o.tx.txid(), err: (err as Error).message }, 'orphan still not acceptable');
        }
      }
    }
  }

  // ------------------------------------------------------------ chain events

  private async blockConnected(block: Block): Promise<void> {
    for (const tx of block.txs) {
      const k = key(tx.hash());
      if (this.entries.has(k)) this.remove(k, 'mined', false);
      if (tx.isCoinbase()) continue;
      for (const input of tx.inputs) {
        const s = this.spenders.get(key(input.prevout.toKey()));
        if (s && s !== k) this.remove(s, 'conflict', true);
      }
    }
    for (const tx of block.txs) await this.retryOrphans(tx.hash());
  }

  private async blockDisconnected(block: Block): Promise<void> {
    // Pool entries may spend this block's outputs (coinbase included) or depend on its timestamps:
    // the whole pool is re-checked on the next tip or reorganization event.
    this.revalidatePending = true;
    // Re-admit the disconnected block's transactions (children first need parents: keep block order).
    for (const tx of block.txs) {
      if (tx.isCoinbase()) continue;
      try {
        await this.accept(tx);
      } catch (err) {
        this.log.debug({ txid: tx.txid(), err: (err as Error).message }, 'disconnected transaction not re-admitted');
      }
    }
  }

  /**
   * Re-check every entry against the current tip; drop (and announce) what is
   * no longer valid. Entries go in the order of their inputs, not of the
   * parent links: an entry admitted while its parent was confirmed has no
   * link to the parent that a disconnect brought back into the pool.
   */
  private async revalidateAll(reason: 'reorg-invalid'): Promise<void> {
    this.revalidatePending = false;
    const all = this.inputOrder();
    this.entries.clear();
    this.spenders.clear();
    this.evictionOrder.clear();
    this.bytes = 0;
    for (const e of all) {
      try {
        await this.accept(e.tx, { silent: true, time: e.time });
      } catch (err) {
        const code = err instanceof MempoolError || err instanceof VerifyError ? err.code : 'error';
        this.log.debug({ txid: e.tx.txid(), code }, 'dropped after reorg');
        void this.bus.emit('mempool:tx:removed', { tx: e.tx, txid: e.txid, reason });
      }
    }
  }
}
