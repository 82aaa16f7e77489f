import type { Network } from '../networks/index.js';
import { Block } from '../primitives/block.js';
import { BlockHeader, BLOCK_VERSION } from '../primitives/header.js';
import { hashToHex } from '../primitives/hex.js';
import { OutPoint, type Transaction } from '../primitives/transaction.js';
import type { EventBus } from '../bus/index.js';
import { VerifyError } from '../consensus/errors.js';
import { checkBlockBody, checkHeaderContext, connectBlockInputs, type ScriptJob } from '../consensus/block.js';
import type { AncestorLookup, DifficultyHeader } from '../consensus/difficulty.js';
import { Coin, type CoinView } from '../consensus/coin.js';
import { ChainStore, type SpentCoin } from './store.js';
import { HeaderRecord } from './records.js';
import { STATUS } from './layout.js';
import { Mutex } from '../util/mutex.js';
import { logger } from '../util/logger.js';

/** Proof-of-work checking, implemented by the Ethash engine (off the main thread). */
export interface PowVerifier {
  verifyHeaders(headers: readonly BlockHeader[]): Promise<readonly PowResult[]>;
}
export type PowResult = { ok: true } | { ok: false; reason: string };

/** Script checking, implemented by the script-verification pool (job.txIndex indexes `txs`). */
export interface ScriptVerifier {
  /** Verify `jobs` over `txs` (a block's transactions, or one mempool tx); resolve to the first failure or ok. */
  verifyScripts(txs: readonly Transaction[], jobs: readonly ScriptJob[]): Promise<ScriptCheckResult>;
}
export type ScriptCheckResult = { ok: true } | { ok: false; txIndex: number; inputIndex: number; code: string; message: string };

export interface ChainOptions {
  store: ChainStore;
  network: Network;
  bus: EventBus;
  pow: PowVerifier;
  scripts: ScriptVerifier;
  /** Wall clock in seconds (tests inject one). */
  now?: () => number;
  orphanLimit?: { count: number; bytes: number };
}

export type AddBlockStatus = 'connected' | 'reorganized' | 'stored' | 'orphan' | 'duplicate' | 'invalid';

export interface AddBlockResult {
  status: AddBlockStatus;
  hash: Buffer;
  height?: number;
  error?: VerifyError;
}

export interface AddHeadersResult {
  /** Headers newly stored (already-known ones are skipped, not counted). */
  added: HeaderRecord[];
  /** Set when a header failed; the headers after it were not processed. */
  error?: VerifyError;
  failedIndex?: number;
}

/** A block being added whose raw bytes are not stored yet. */
interface IncomingBlock {
  rec: HeaderRecord;
  block: Block;
  raw: Buffer;
  written: boolean;
}

/** Rejections that say nothing permanent about the block (do not mark it invalid). */
const NOT_PERMANENT = new Set(['futuristic_timestamp', 'proof_of_stake_unsupported', 'merkle_mismatch', 'duplicate', 'orphan_block']);

/**
 * UTXO view = the store at the current tip plus an in-memory overlay, so a
 * whole branch can be validated before anything is written (ARCHITECTURE.md:
 * a reorg is checked before it mutates anything).
 */
class OverlayView implements CoinView {
  private readonly overlay = new Map<string, Coin | null>();
  constructor(private readonly base: CoinView) {}

  getCoin(key: Buffer): Coin | null {
    const k = key.toString('latin1');
    if (this.overlay.has(k)) return this.overlay.get(k)!;
    return this.base.getCoin(key);
  }

  set(key: Buffer, coin: Coin | null): void {
    this.overlay.set(key.toString('latin1'), coin);
  }

  /** Apply a connected block: its outputs appear, its spends disappear. */
  connect(block: Block, height: number, spent: readonly SpentCoin[]): void {
    for (const tx of block.txs) {
      const cb = tx.isCoinbase();
      tx.outputs.forEach((o, i) => this.set(new OutPoint(tx.hash(), i).toKey(), new Coin(o, height, cb)));
    }
    for (const tx of block.txs) if (!tx.isCoinbase()) for (const inp of tx.inputs) this.set(inp.prevout.toKey(), null);
    void spent;
  }

  /** Revert a connected block using its undo data. */
  disconnect(block: Block, undo: readonly SpentCoin[]): void {
    for (const s of undo) this.set(s.key, s.coin);
    for (const tx of block.txs) tx.outputs.forEach((_, i) => this.set(new OutPoint(tx.hash(), i).toKey(), null));
  }
}

/**
 * The chain: header tree, best chain by cumulative difficulty, block
 * validation and storage, reorganizations. The only writer of chain state.
 * All mutations run one at a time under `lock`.
 */
export class Chain {
  readonly network: Network;
  readonly store: ChainStore;
  private readonly bus: EventBus;
  private readonly pow: PowVerifier;
  private readonly scripts: ScriptVerifier;
  private readonly now: () => number;
  private readonly lock = new Mutex();
  private readonly log = logger('chain');
  private tipRecord!: HeaderRecord;
  private bestHeaderRecord!: HeaderRecord;
  private readonly orphans = new Map<string, { block: Block; raw: Buffer; time: number }>();
  private readonly orphansByParent = new Map<string, Set<string>>();
  private orphanBytes = 0;
  private readonly orphanLimit: { count: number; bytes: number };

  constructor(opts: ChainOptions) {
    this.network = opts.network;
    this.store = opts.store;
    this.bus = opts.bus;
    this.pow = opts.pow;
    this.scripts = opts.scripts;
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.orphanLimit = opts.orphanLimit ?? { count: 5000, bytes: 64 * 1024 * 1024 };
  }

  /** Load the tip, creating the genesis state on an empty store. */
  async open(): Promise<void> {
    let tipHash = this.store.getTipHash();
    if (!tipHash) {
      const g = this.network.genesis;
      const rec = new HeaderRecord(g.header, 0, g.header.bits, STATUS.HEADER_VALID, g.txs.length);
      this.store.initGenesis(g, rec);
      tipHash = g.hash();
      this.log.info({ hash: g.hashHex() }, 'initialized chain store with the genesis block');
    }
    const tip = this.store.getHeader(tipHash);
    if (!tip) throw new Error('chain store tip has no header record');
    const genesisHash = this.store.getHashAt(0);
    if (!genesisHash || !genesisHash.equals(this.network.genesis.hash())) throw new Error('chain store genesis does not match the network');
    this.tipRecord = tip;
    // Headers-first sync may have stored headers beyond the tip before a restart.
    const bestHash = this.store.getBestHeaderHash();
    const best = bestHash ? this.store.getHeader(bestHash) : null;
    this.bestHeaderRecord = best && !best.invalid && best.work > tip.work ? best : tip;
    this.log.info({ height: tip.height, hash: hashToHex(tip.hash) }, 'chain opened');
  }

  get tip(): HeaderRecord {
    return this.tipRecord;
  }

  get height(): number {
    return this.tipRecord.height;
  }

  /** The most-work valid header known (may be ahead of the tip during sync). */
  get bestHeader(): HeaderRecord {
    return this.bestHeaderRecord.work > this.tipRecord.work ? this.bestHeaderRecord : this.tipRecord;
  }

  getRecord(hash: Buffer): HeaderRecord | null {
    return this.store.getHeader(hash);
  }

  /** Main-chain header record at `height`. */
  getRecordAt(height: number): HeaderRecord | null {
    if (height < 0 || height > this.tipRecord.height) return null;
    const h = this.store.getHashAt(height);
    return h ? this.store.getHeader(h) : null;
  }

  isOnMainChain(rec: HeaderRecord): boolean {
    const h = this.store.getHashAt(rec.height);
    return h !== null && h.equals(rec.hash);
  }

  getBlock(hash: Buffer): Block | null {
    return this.store.getBlock(hash);
  }

  getBlockAt(height: number): Block | null {
    const h = this.store.getHashAt(height);
    return h ? this.store.getBlock(h) : null;
  }

  /** Block locator: tip, tip−1 … tip−9, then doubling steps, then genesis (as the reference builds it). */
  locator(from: HeaderRecord = this.tipRecord): Buffer[] {
    const out: Buffer[] = [];
    let step = 1;
    let height = from.height;
    const onMain = this.isOnMainChain(from);
    let cursor: HeaderRecord | null = from;
    while (cursor) {
      out.push(cursor.hash);
      if (height === 0) break;
      if (out.length >= 10) step *= 2;
      height = Math.max(0, height - step);
      cursor = onMain ? this.getRecordAt(height) : this.ancestorOf(cursor, height);
    }
    return out;
  }

  /** Ancestor of `rec` at `height` walking its own branch (main-chain index once on it). */
  ancestorOf(rec: HeaderRecord, height: number): HeaderRecord | null {
    if (height > rec.height || height < 0) return null;
    let cur: HeaderRecord | null = rec;
    while (cur && cur.height > height) {
      if (this.isOnMainChain(cur)) return this.getRecordAt(height);
      cur = this.store.getHeader(cur.header.prevHash);
    }
    return cur && cur.height === height ? cur : null;
  }

  /** Ancestor lookup for consensus rules, memoized along one branch walk. */
  private branchLookup(parent: HeaderRecord): AncestorLookup {
    const memo = new Map<number, HeaderRecord>();
    memo.set(parent.height, parent);
    let lowest = parent;
    return (height: number): DifficultyHeader | null => {
      const m = memo.get(height);
      if (m) return m.header;
      if (height > parent.height || height < 0) return null;
      if (this.isOnMainChain(lowest)) return this.getRecordAt(height)?.header ?? null;
      let cur: HeaderRecord | null = lowest;
      while (cur && cur.height > height) {
        if (this.isOnMainChain(cur)) {
          lowest = cur;
          return this.getRecordAt(height)?.header ?? null;
        }
        cur = this.store.getHeader(cur.header.prevHash);
        if (cur) memo.set(cur.height, cur);
      }
      if (cur) lowest = cur;
      return cur && cur.height === height ? cur.header : null;
    };
  }

  /** Median of the (up to) 11 timestamps ending at `rec` — the MTP for its child. */
  medianTimePast(rec: HeaderRecord, lookup?: AncestorLookup): number {
    const get = lookup ?? this.branchLookup(rec);
    const times: number[] = [];
    for (let h = rec.height; h >= 0 && times.length < 11; h--) {
      const hd = get(h);
      if (!hd) break;
      times.push(hd.timestamp);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  }

  // ----------------------------------------------------------------- headers

  /**
   * Validate and store headers (headers-first sync): each must connect to a
   * known header, pass the context rules and proof of work (checked in a batch
   * through the Ethash pool before anything is stored).
   */
  async addHeaders(headers: readonly BlockHeader[]): Promise<AddHeadersResult> {
    // Context rules need no lock (headers are immutable facts and parents never vanish);
    // proof of work runs in the Ethash pool while blocks keep connecting.
    const fresh: HeaderRecord[] = [];
    const pending = new Map<string, HeaderRecord>();
    const find = (h: Buffer) => pending.get(h.toString('latin1')) ?? this.store.getHeader(h);
    let error: VerifyError | undefined;
    let failedIndex: number | undefined;
    // A linear run of new headers shares one ancestor view, so a batch costs O(n), not O(n²).
    let run: { base: HeaderRecord; byHeight: Map<number, HeaderRecord>; last: HeaderRecord } | null = null;
    for (let i = 0; i < headers.length; i++) {
      const header = headers[i];
      const known = find(header.hash());
      if (known) {
        if (!known.invalid && known.work > this.bestHeaderRecord.work) this.bestHeaderRecord = known;
        continue;
      }
      const parent = find(header.prevHash);
      try {
        if (!parent) throw new VerifyError('orphan_block', `header ${header.hashHex()} does not connect to a known header`, 10);
        if (parent.invalid) throw new VerifyError('previous_block_invalid', `header ${header.hashHex()} builds on an invalid block`);
        let lookup: AncestorLookup;
        if (run && run.last === parent) {
          const r = run;
          const baseLookup = this.branchLookup(r.base);
          lookup = (h) => r.byHeight.get(h)?.header ?? (h <= r.base.height ? baseLookup(h) : null);
        } else if (pending.has(parent.hash.toString('latin1'))) {
          lookup = this.branchLookupWithPending(parent, pending);
          run = null;
        } else {
          lookup = this.branchLookup(parent);
          run = { base: parent, byHeight: new Map(), last: parent };
        }
        const rec = this.checkHeader(header, parent, lookup);
        fresh.push(rec);
        pending.set(rec.hash.toString('latin1'), rec);
        if (run) {
          run.byHeight.set(rec.height, rec);
          run.last = rec;
        }
      } catch (err) {
        if (!(err instanceof VerifyError)) throw err;
        error = err;
        failedIndex = i;
        break;
      }
    }
    const powTargets = fresh.filter((r) => r.header.isPoW());
    if (powTargets.length > 0) {
      const results = await this.pow.verifyHeaders(powTargets.map((r) => r.header));
      const bad = results.findIndex((r) => !r.ok);
      if (bad >= 0) {
        const badRec = powTargets[bad];
        fresh.length = fresh.indexOf(badRec);
        const r = results[bad] as { ok: false; reason: string };
        error = new VerifyError('proof_of_work', `header ${badRec.header.hashHex()}: ${r.reason}`);
        failedIndex = headers.indexOf(badRec.header);
      }
    }
    return this.lock.run(() => {
      // Store what is still new; a record that appeared meanwhile keeps its own status.
      const toStore = fresh.filter((rec) => {
        if (this.store.hasHeader(rec.hash)) return false;
        const parent = pending.get(rec.header.prevHash.toString('latin1')) ?? this.store.getHeader(rec.header.prevHash);
        return parent !== null && !parent.invalid;
      });
      let best = this.bestHeaderRecord;
      for (const rec of toStore) if (rec.work > best.work) best = rec;
      this.store.putHeaders(toStore, best !== this.bestHeaderRecord ? best.hash : undefined);
      this.bestHeaderRecord = best;
      for (const rec of toStore) void this.bus.emit('chain:header', { height: rec.height, hash: rec.hash, header: rec.header });
      return { added: toStore, error, failedIndex };
    });
  }

  /** Context rules of one header on top of `parent` (no proof of work). */
  private checkHeader(header: BlockHeader, parent: HeaderRecord, lookup: AncestorLookup = this.branchLookup(parent)): HeaderRecord {
    const height = parent.height + 1;
    if (header.version === BLOCK_VERSION.POS) {
      throw new VerifyError('proof_of_stake_unsupported', `block ${height} is proof-of-stake, which this node cannot validate yet`, 0);
    }
    checkHeaderContext(header, { network: this.network, height, parent: parent.header, ancestors: lookup, now: this.now() });
    return new HeaderRecord(header, height, parent.work + header.bits, STATUS.HEADER_VALID, 0);
  }

  private branchLookupWithPending(parent: HeaderRecord, pending: Map<string, HeaderRecord>): AncestorLookup {
    // Walk back through not-yet-stored headers first, then the store.
    const chain: HeaderRecord[] = [];
    let cur: HeaderRecord | undefined = parent;
    while (cur && pending.has(cur.hash.toString('latin1'))) {
      chain.push(cur);
      cur = pending.get(cur.header.prevHash.toString('latin1')) ?? undefined;
      if (!cur) break;
    }
    const base = chain.length > 0 ? this.store.getHeader(chain[chain.length - 1].header.prevHash) : parent;
    const baseLookup = base ? this.branchLookup(base) : () => null;
    const byHeight = new Map(chain.map((r) => [r.height, r]));
    return (h: number) => byHeight.get(h)?.header ?? (base && h <= base.height ? baseLookup(h) : null);
  }

  // ------------------------------------------------------------------ blocks

  /** Accept a block from a peer, the miner or RPC. Serialized with every other chain mutation. */
  addBlock(block: Block, raw?: Buffer): Promise<AddBlockResult> {
    return this.lock.run(() => this.addBlockLocked(block, raw ?? block.toRaw()));
  }

  private async addBlockLocked(block: Block, raw: Buffer): Promise<AddBlockResult> {
    const hash = block.hash();
    let rec = this.store.getHeader(hash);
    if (rec?.invalid) return { status: 'invalid', hash, height: rec.height, error: new VerifyError('previous_block_invalid', 'block is known to be invalid') };
    if (rec?.has(STATUS.HAS_BLOCK)) return { status: 'duplicate', hash, height: rec.height };
    if (this.orphans.has(hash.toString('latin1'))) return { status: 'duplicate', hash };

    const parent = this.store.getHeader(block.header.prevHash);
    if (!parent) {
      this.addOrphan(block, raw);
      return { status: 'orphan', hash };
    }
    try {
      if (parent.invalid) throw new VerifyError('previous_block_invalid', 'block builds on an invalid block');
      if (!rec) {
        const candidate = this.checkHeader(block.header, parent);
        if (block.header.isPoW()) {
          const [r] = await this.pow.verifyHeaders([block.header]);
          if (!r.ok) throw new VerifyError('proof_of_work', r.reason);
        }
        this.store.putHeaders([candidate]);
        rec = candidate;
        if (rec.work > this.bestHeaderRecord.work) this.bestHeaderRecord = rec;
      }
      if (!this.isException(rec)) checkBlockBody(block, this.network, rec.height);
    } catch (err) {
      if (!(err instanceof VerifyError)) throw err;
      if (rec && !NOT_PERMANENT.has(err.code)) this.markInvalid(rec);
      return { status: 'invalid', hash, height: rec?.height, error: err };
    }
    rec.txCount = block.txs.length;
    // The common case — the block extends the tip — writes the raw block in the
    // connect transaction itself; otherwise it is stored on its own below.
    const incoming: IncomingBlock = { rec, block, raw, written: false };
    const result = await this.activateBestChain(rec, incoming);
    if (!incoming.written && !rec.invalid) this.store.putBlock(rec, raw);
    await this.resolveOrphans(hash);
    const now = this.store.getHeader(hash)!;
    if (now.invalid) return { status: 'invalid', hash, height: now.height, error: result.error };
    return { status: result.reorganized ? 'reorganized' : this.isOnMainChain(now) ? 'connected' : 'stored', hash, height: now.height, error: result.error };
  }

  private isException(rec: HeaderRecord): boolean {
    return this.network.exceptionBlocks.some((e) => e.height === rec.height && e.hash === hashToHex(rec.hash));
  }

  /** Mark a record and every known descendant invalid. */
  private markInvalid(rec: HeaderRecord): void {
    const changed: HeaderRecord[] = [];
    const queue = [rec];
    while (queue.length > 0) {
      const r = queue.pop()!;
      if (!r.invalid) {
        r.status |= STATUS.INVALID;
        changed.push(r);
      }
      for (const c of this.store.children(r.hash)) {
        const cr = this.store.getHeader(c);
        if (cr && !cr.invalid) queue.push(cr);
      }
    }
    this.store.updateStatus(changed);
    if (this.bestHeaderRecord.invalid || changed.some((c) => c.hash.equals(this.bestHeaderRecord.hash))) this.bestHeaderRecord = this.tipRecord;
    this.log.warn({ height: rec.height, hash: hashToHex(rec.hash), descendants: changed.length - 1 }, 'block marked invalid');
  }

  /** The most-work descendant of `rec` (itself included) whose blocks are all stored and not invalid. */
  private bestConnectableFrom(rec: HeaderRecord): HeaderRecord {
    let best = rec;
    const stack = [rec];
    let visited = 0;
    while (stack.length > 0 && visited < 100000) {
      const r = stack.pop()!;
      visited++;
      if (r.work > best.work) best = r;
      for (const c of this.store.children(r.hash)) {
        const cr = this.store.getHeader(c);
        if (cr && !cr.invalid && cr.has(STATUS.HAS_BLOCK)) stack.push(cr);
      }
    }
    return best;
  }

  /**
   * Switch to the most-work chain reachable through `from` if it beats the
   * tip: validate the branch on an overlay first, then disconnect and connect
   * block by block (one write transaction each), then emit events.
   */
  private async activateBestChain(from: HeaderRecord, incoming?: IncomingBlock): Promise<{ reorganized: boolean; error?: VerifyError }> {
    // The path to `from` must have every block stored, else wait for the missing ones.
    const path: HeaderRecord[] = [];
    let cur: HeaderRecord | null = from;
    const hasBlock = (r: HeaderRecord) => r.has(STATUS.HAS_BLOCK) || (incoming !== undefined && r === incoming.rec);
    while (cur && !this.isOnMainChain(cur)) {
      if (!hasBlock(cur) || cur.invalid) return { reorganized: false };
      path.push(cur);
      cur = this.store.getHeader(cur.header.prevHash);
    }
    if (!cur) return { reorganized: false };
    const target = this.bestConnectableFrom(from);
    if (target !== from) {
      let t: HeaderRecord | null = target;
      const extra: HeaderRecord[] = [];
      while (t && !t.hash.equals(from.hash)) {
        extra.push(t);
        t = this.store.getHeader(t.header.prevHash);
      }
      path.unshift(...extra);
    }
    path.reverse(); // fork+1 … target
    const fork = cur;
    const candidateWork = path.length > 0 ? path[path.length - 1].work : fork.work;
    if (candidateWork <= this.tipRecord.work) return { reorganized: false };

    // Overlay: the UTXO set as it was at the fork point.
    const view = new OverlayView(this.store);
    const disconnects: { rec: HeaderRecord; block: Block }[] = [];
    for (let r = this.tipRecord; r.height > fork.height; ) {
      const block = this.store.getBlock(r.hash);
      const undo = this.store.getUndo(r.hash);
      if (!block || !undo) throw new Error(`missing block or undo data for main-chain block ${r.height}`);
      view.disconnect(block, undo);
      disconnects.push({ rec: r, block });
      r = this.store.getHeader(r.header.prevHash)!;
    }

    const connects: { rec: HeaderRecord; block: Block; spent: SpentCoin[] }[] = [];
    let error: VerifyError | undefined;
    for (const rec of path) {
      const block = incoming && rec === incoming.rec ? incoming.block : this.store.getBlock(rec.hash)!;
      try {
        const spent = await this.validateConnect(block, rec, view, fork.height);
        view.connect(block, rec.height, spent);
        connects.push({ rec, block, spent });
      } catch (err) {
        if (!(err instanceof VerifyError)) throw err;
        error = err;
        this.log.warn({ height: rec.height, hash: hashToHex(rec.hash), code: err.code, msg: err.message }, 'block failed validation');
        if (!NOT_PERMANENT.has(err.code)) this.markInvalid(rec);
        break;
      }
    }
    const newTip = connects.length > 0 ? connects[connects.length - 1].rec : fork;
    if (newTip.work <= this.tipRecord.work) return { reorganized: false, error };

    const oldTip = this.tipRecord;
    for (const d of disconnects) {
      this.store.disconnectBlock(d.block, d.rec);
      this.tipRecord = this.store.getHeader(d.rec.header.prevHash)!;
      await this.bus.emit('chain:block:disconnected', { height: d.rec.height, hash: d.rec.hash, block: d.block });
    }
    for (const c of connects) {
      const fresh = incoming !== undefined && c.rec === incoming.rec;
      this.store.connectBlock(c.block, c.rec, c.spent, fresh ? incoming.raw : undefined);
      if (fresh) incoming.written = true;
      this.tipRecord = c.rec;
      await this.bus.emit('chain:block:connected', { height: c.rec.height, hash: c.rec.hash, block: c.block });
    }
    if (disconnects.length > 0) {
      this.log.info({ fork: fork.height, disconnected: disconnects.length, connected: connects.length, tip: newTip.height }, 'chain reorganized');
      await this.bus.emit('chain:reorganized', {
        forkHeight: fork.height,
        forkHash: fork.hash,
        oldTip: { height: oldTip.height, hash: oldTip.hash },
        newTip: { height: newTip.height, hash: newTip.hash },
        disconnected: disconnects.length,
        connected: connects.length,
      });
    }
    if (newTip.work > this.bestHeaderRecord.work) this.bestHeaderRecord = newTip;
    await this.bus.emit('chain:tip', { height: newTip.height, hash: newTip.hash, header: newTip.header });
    return { reorganized: disconnects.length > 0, error };
  }

  /**
   * Full validation of a block whose header and body already passed their
   * checks, against `view` (the UTXO set at its parent). Returns the coins it
   * spends (undo data). Non-strict blocks (below the last checkpoint) and the
   * exception blocks only have their UTXO effects computed (mvs-consensus §4.1).
   */
  private async validateConnect(block: Block, rec: HeaderRecord, view: OverlayView, forkHeight: number): Promise<SpentCoin[]> {
    const strict = Math.min(forkHeight, rec.height - 1) >= this.network.strictFromHeight;
    const exception = this.isException(rec);
    if (!strict || exception) return this.spentCoinsLenient(block, view);
    const parent = this.store.getHeader(block.header.prevHash)!;
    const lookup = this.branchLookup(parent);
    const result = connectBlockInputs(block, view, {
      network: this.network,
      height: rec.height,
      medianTimePast: this.medianTimePast(parent, lookup),
      timestampAt: (h) => lookup(h)?.timestamp ?? null,
      isSpentDuplicate: (txid) => this.isSpentDuplicate(txid, view, forkHeight),
      outputExisted: (op) => this.outputExisted(op),
    });
    if (result.scriptJobs.length > 0) {
      const r = await this.scripts.verifyScripts(block.txs, result.scriptJobs);
      if (!r.ok) {
        throw new VerifyError('validate_inputs_failed', `tx ${r.txIndex} input ${r.inputIndex}: ${r.code} ${r.message}`, 100, { txIndex: r.txIndex, inputIndex: r.inputIndex });
      }
    }
    return result.spent;
  }

  /** UTXO effects without rule checks: spend what exists, ignore what does not. */
  private spentCoinsLenient(block: Block, view: CoinView): SpentCoin[] {
    const created = new Set<string>();
    for (const tx of block.txs) tx.outputs.forEach((_, i) => created.add(new OutPoint(tx.hash(), i).toKey().toString('latin1')));
    const spent: SpentCoin[] = [];
    const seen = new Set<string>();
    for (const tx of block.txs) {
      if (tx.isCoinbase()) continue;
      for (const input of tx.inputs) {
        const key = input.prevout.toKey();
        const k = key.toString('latin1');
        if (created.has(k) || seen.has(k)) continue;
        seen.add(k);
        const coin = view.getCoin(key);
        if (coin) spent.push({ key, coin });
      }
    }
    return spent;
  }

  /** The inverted BIP30 rule's lookup: same txid in the main chain ≤ fork point with every output spent. */
  private isSpentDuplicate(txid: Buffer, view: CoinView, forkHeight: number): boolean {
    const loc = this.store.getTxLocation(txid);
    if (!loc || loc.height > forkHeight) return false;
    for (let i = 0; i < loc.outputs; i++) if (view.getCoin(new OutPoint(txid, i).toKey())) return false;
    return true;
  }

  private outputExisted(op: OutPoint): boolean {
    const loc = this.store.getTxLocation(op.hash);
    return loc !== null && op.index < loc.outputs;
  }

  // ----------------------------------------------------------------- orphans

  private addOrphan(block: Block, raw: Buffer): void {
    const key = block.hash().toString('latin1');
    const parentKey = block.header.prevHash.toString('latin1');
    this.orphans.set(key, { block, raw, time: Date.now() });
    this.orphanBytes += raw.length;
    let set = this.orphansByParent.get(parentKey);
    if (!set) this.orphansByParent.set(parentKey, (set = new Set()));
    set.add(key);
    while (this.orphans.size > this.orphanLimit.count || this.orphanBytes > this.orphanLimit.bytes) {
      const oldest = this.orphans.keys().next().value as string;
      this.removeOrphan(oldest);
    }
  }

  private removeOrphan(key: string): void {
    const o = this.orphans.get(key);
    if (!o) return;
    this.orphans.delete(key);
    this.orphanBytes -= o.raw.length;
    const pk = o.block.header.prevHash.toString('latin1');
    const set = this.orphansByParent.get(pk);
    set?.delete(key);
    if (set && set.size === 0) this.orphansByParent.delete(pk);
  }

  /** Process orphans whose parent just arrived (breadth first). */
  private async resolveOrphans(parent: Buffer): Promise<void> {
    const queue = [parent.toString('latin1')];
    while (queue.length > 0) {
      const p = queue.shift()!;
      const kids = this.orphansByParent.get(p);
      if (!kids) continue;
      for (const k of [...kids]) {
        const o = this.orphans.get(k)!;
        this.removeOrphan(k);
        // addBlockLocked resolves this orphan's own children in turn.
        await this.addBlockLocked(o.block, o.raw);
      }
    }
  }

  orphanCount(): number {
    return this.orphans.size;
  }

  /** The root (first unknown parent) of an orphan chain, for requesting what is missing. */
  orphanRoot(hash: Buffer): Buffer | null {
    let o = this.orphans.get(hash.toString('latin1'));
    if (!o) return null;
    for (;;) {
      const up = this.orphans.get(o.block.header.prevHash.toString('latin1'));
      if (!up) return o.block.header.prevHash;
      o = up;
    }
  }

  // ------------------------------------------------------------ maintenance

  /** Mark a block invalid (invalidateblock); if it is on the main chain, rewind below it. */
  invalidateBlock(hash: Buffer): Promise<void> {
    return this.lock.run(async () => {
      const rec = this.store.getHeader(hash);
      if (!rec) throw new Error('unknown block');
      if (rec.height === 0) throw new Error('cannot invalidate the genesis block');
      if (this.isOnMainChain(rec)) await this.rewindTo(rec.height - 1);
      this.markInvalid(rec);
      this.bestHeaderRecord = this.tipRecord;
    });
  }

  /** Disconnect main-chain blocks down to `height` (regtest popblock; invalidation). */
  popBlocks(height: number): Promise<number> {
    return this.lock.run(() => this.rewindTo(height));
  }

  private async rewindTo(height: number): Promise<number> {
    let n = 0;
    while (this.tipRecord.height > height) {
      const rec = this.tipRecord;
      const block = this.store.getBlock(rec.hash);
      if (!block) throw new Error(`missing block ${rec.height}`);
      this.store.disconnectBlock(block, rec);
      this.tipRecord = this.store.getHeader(rec.header.prevHash)!;
      n++;
      await this.bus.emit('chain:block:disconnected', { height: rec.height, hash: rec.hash, block });
    }
    if (n > 0) await this.bus.emit('chain:tip', { height: this.tipRecord.height, hash: this.tipRecord.hash, header: this.tipRecord.header });
    return n;
  }
}
