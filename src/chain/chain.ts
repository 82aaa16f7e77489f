import type { Network } from '../networks/index.js';
import { Block } from '../primitives/block.js';
import { BlockHeader, BLOCK_VERSION } from '../primitives/header.js';
import { hashToHex } from '../primitives/hex.js';
import { OutPoint, outpointKeyText, type Transaction } from '../primitives/transaction.js';
import type { EventBus } from '../bus/index.js';
import { VerifyError } from '../consensus/errors.js';
import { checkBlockBody, checkHeaderContext, connectBlockInputs, type ScriptJob } from '../consensus/block.js';
import type { AncestorLookup, DifficultyHeader } from '../consensus/difficulty.js';
import { Coin, type CoinView } from '../consensus/coin.js';
import { checkProofOfStake, hasStakeCapability, stakeMaturity, POS_PARAMS, type StakeCoin } from '../consensus/pos.js';
import { getSecp256k1 } from '../crypto/secp256k1/index.js';
import { ChainStore, StoreError, type SpentCoin, type StoreWrite } from './store.js';
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

/** A block being added whose raw bytes (and maybe header record) are not stored yet. */
interface IncomingBlock {
  rec: HeaderRecord;
  block: Block;
  raw: Buffer;
  written: boolean;
  /**
   * False for a header first seen with its block: its record and tree link
   * are then written with the block (in the connect transaction when it
   * extends the chain), saving a durable commit per block.
   */
  headerStored: boolean;
}

/** A block waiting in addBlock's queue — or taken by the pipeline from the orphan pool or the block table. */
export interface QueuedBlock {
  block: Block;
  raw: Buffer;
  resolve(result: AddBlockResult): void;
  reject(error: unknown): void;
  /** Where the pipeline found it when nobody handed it in (nobody awaits its verdict then). */
  source?: 'orphan' | 'stored';
}

/**
 * The addBlock calls of one turn of the chain lock, in arrival order, by
 * position. A group stays open while blocks keep arriving (a whole sync can
 * be one group), so entries whose verdict is given are dropped — the group
 * holds only the blocks still to be judged, not every block it ever had.
 */
export class BlockGroup {
  private entries: (QueuedBlock | undefined)[] = [];
  /** Position of entries[0]. */
  private offset = 0;
  private released = 0;

  push(entry: QueuedBlock): void {
    this.entries.push(entry);
  }

  /** Positions handed in so far (judged or not). */
  get length(): number {
    return this.offset + this.entries.length;
  }

  at(position: number): QueuedBlock {
    const entry = this.entries[position - this.offset];
    if (!entry) throw new Error(`internal: block group position ${position} was released`);
    return entry;
  }

  /** The entries from `position` on. */
  from(position: number): QueuedBlock[] {
    return this.entries.slice(Math.max(0, position - this.offset)).filter((e): e is QueuedBlock => e !== undefined);
  }

  /** Every position before `position` is judged: let its block go. */
  releaseBefore(position: number): void {
    const end = Math.min(position - this.offset, this.entries.length);
    for (let i = this.released; i < end; i++) this.entries[i] = undefined;
    this.released = Math.max(this.released, end);
    // Compact now and then, so the array does not grow with the group either.
    if (this.released >= 256 && this.released * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.released);
      this.offset += this.released;
      this.released = 0;
    }
  }
}

/** A block whose rules passed on the overlay and whose scripts are being verified. */
interface PendingConnect {
  rec: HeaderRecord;
  block: Block;
  spent: SpentCoin[];
  /** Resolves when the scripts pass; rejects with the VerifyError of the first failing input. */
  scripts: Promise<void>;
}

/** A block of a pipeline run, in flight: rules passed on the overlay, scripts and proof of work pending. */
type Flight = PendingConnect & { entry: QueuedBlock; headerStored: boolean; pow: Promise<void>; written: string[] };

/** The state of one pipeline run (Chain.pipeline), shared by its steps. */
interface PipelineRun {
  group: BlockGroup;
  /** Group position the run started at. */
  start: number;
  /** Group position of the next handed-in block to take. */
  next: number;
  inFlight: Flight[];
  view: OverlayView;
  /** Transactions of the blocks in flight, as the tx index will have them once committed. */
  pendingTx: Map<string, { height: number; outputs: number }>;
  /** Blocks committed by this run (they are the main chain from the run's start up to the tip). */
  committedCount: number;
  /** Handed-in blocks judged so far. */
  resolved: number;
  /** Verdicts wait until the run ends (set once the run takes blocks nobody handed in). */
  deferring: boolean;
  deferred: (() => void)[];
  /** Blocks whose transaction is on the store's commit thread, oldest first. */
  committing: { p: Flight; done: Promise<void>; assets: string[] }[];
  /** Asset symbols registered by blocks not committed yet (prepareConnect reads the table). */
  pendingAssets: Set<string>;
}

/** The error proof of work gives (null when it passes). */
async function powError(pow: Promise<void>): Promise<VerifyError | null> {
  try {
    await pow;
    return null;
  } catch (err) {
    if (err instanceof VerifyError) return err;
    throw err;
  }
}

/**
 * Blocks of one connect path validated ahead of the oldest unsettled one, so
 * the main thread checks the next block's rules while the workers verify the
 * previous block's scripts.
 */
const PIPELINE_DEPTH = 2;

/**
 * Block transactions handed to the store's commit thread and not yet confirmed, at most. Four
 * absorb the durable commit's slow fsyncs (p99 ~60 ms on a virtual disk) without the pipeline
 * stopping, and with PIPELINE_DEPTH and the block being settled stay inside the 8 blocks a peer
 * hands in before it waits for verdicts (docs/p2p.md): a queue deeper than that window drains
 * it (docs/storage.md, fifth and eighth passes).
 */
const COMMIT_DEPTH = 4;

/** Rejections that say nothing permanent about the block (do not mark it invalid): the hash covers neither a mangled tx list (merkle) nor the PoS block signature. */
const NOT_PERMANENT = new Set(['futuristic_timestamp', 'merkle_mismatch', 'duplicate', 'orphan_block', 'block_signature_invalid']);

/** An overlay entry that is not a created coin: a spend (coin null) or a disconnect's change (height 0). */
interface OverlayMark {
  coin: Coin | null;
  height: number;
}

/**
 * UTXO view = the store at the current tip plus an in-memory overlay, so a
 * whole branch can be validated before anything is written (ARCHITECTURE.md:
 * a reorg is checked before it mutates anything).
 */
class OverlayView implements CoinView {
  /**
   * By outpoint key: a coin a connected block created (the block's height is the coin's), or a
   * mark — a spend by the block at `height` (one mark per block, shared), or a disconnect's
   * change (height 0). No wrapper object per created coin or per spend.
   */
  private readonly overlay = new Map<string, Coin | OverlayMark>();
  constructor(private readonly base: CoinView) {}

  getCoin(key: Buffer, keyText?: string): Coin | null {
    const e = this.overlay.get(keyText ?? key.toString('latin1'));
    if (e === undefined) return this.base.getCoin(key);
    return e instanceof Coin ? e : e.coin;
  }

  set(key: Buffer, coin: Coin | null, height = 0): void {
    this.overlay.set(key.toString('latin1'), { coin, height });
  }

  /** Apply a connected block: its outputs appear, its spends disappear. Returns the keys it wrote (for forget). */
  connect(block: Block, height: number): string[] {
    const keys: string[] = [];
    for (const tx of block.txs) {
      const cb = tx.isCoinbase();
      const txidKey = tx.hashKey();
      for (let i = 0; i < tx.outputs.length; i++) {
        const k = outpointKeyText(txidKey, i);
        this.overlay.set(k, new Coin(tx.outputs[i], height, cb));
        keys.push(k);
      }
    }
    const spentMark: OverlayMark = { coin: null, height };
    for (const tx of block.txs) {
      if (tx.isCoinbase()) continue;
      for (const inp of tx.inputs) {
        const k = inp.prevout.keyString();
        this.overlay.set(k, spentMark);
        keys.push(k);
      }
    }
    return keys;
  }

  /** The block connected at `height` (which wrote `keys`) is in the store now: drop what it wrote unless a later block overwrote it. */
  forget(keys: readonly string[], height: number): void {
    for (const k of keys) {
      const e = this.overlay.get(k);
      if (e !== undefined && e.height === height) this.overlay.delete(k);
    }
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
  /**
   * The addBlock calls made since the last lock task was scheduled: they
   * share one turn of the lock (drainBlocks), so blocks handed in while the
   * chain is busy are connected as a pipeline.
   */
  private openGroup: BlockGroup | null = null;
  /** Records accepted in memory whose blocks are being connected (written with them). */
  private readonly unstored = new Map<string, HeaderRecord>();

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
      cur = this.recordOf(cur.header.prevHash);
    }
    return cur && cur.height === height ? cur : null;
  }

  /** A header record, including those of blocks being connected whose record is not written yet. */
  private recordOf(hash: Buffer): HeaderRecord | null {
    return this.unstored.get(hash.toString('latin1')) ?? this.store.getHeader(hash);
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
        cur = this.recordOf(cur.header.prevHash);
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
    return this.runLocked(() => {
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

  /**
   * Accept a block from a peer, the miner or RPC. Serialized with every other
   * chain mutation. Calls made while the chain is busy join the group being
   * processed (drainBlocks), so blocks extending the tip one after another
   * are validated and connected as a pipeline. Each call resolves once its
   * block is handled — connected blocks as soon as their transaction commits.
   */
  addBlock(block: Block, raw?: Buffer): Promise<AddBlockResult> {
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise<AddBlockResult>((resolve, reject) => {
      const entry: QueuedBlock = { block, raw: raw ?? block.toRaw(), resolve, reject };
      if (this.openGroup) {
        this.openGroup.push(entry);
        return;
      }
      const group = new BlockGroup();
      group.push(entry);
      this.openGroup = group;
      // Failures reach each caller through its own entry.
      this.lock.run(() => this.drainBlocks(group)).catch(() => undefined);
    });
  }

  /** Every other mutation: it closes the open block group, so blocks handed in later queue behind it (FIFO overall). */
  private runLocked<T>(task: () => Promise<T> | T): Promise<T> {
    this.openGroup = null;
    return this.lock.run(async () => {
      // Nothing more is written after a store failure.
      if (this.fatal) throw this.fatal;
      try {
        return await task();
      } catch (err) {
        this.reportIfFatal(err);
        throw err;
      }
    });
  }

  /**
   * A store that cannot write (disk or map full, I/O error) or reads damaged
   * records leaves the chain unable to go on: say so once on the bus
   * (chain:fatal), and the node stops instead of limping on. The failed
   * operation's caller gets the error too; the store keeps its last commit.
   */
  private reportIfFatal(err: unknown): void {
    if (this.fatal || !(err instanceof StoreError) || (err.code !== 'STORE_IO' && err.code !== 'STORE_CORRUPT')) return;
    this.fatal = err;
    this.log.fatal({ code: err.code, msg: err.message }, 'chain store failure');
    void this.bus.emit('chain:fatal', { error: err });
  }

  /** The store failure that stopped the chain, if any. */
  fatal: StoreError | null = null;

  /**
   * The blocks of one group in arrival order — the group stays open to new
   * addBlock calls until another mutation asks for the lock: runs extending
   * the tip go through the pipeline, anything else (orphans, side chains,
   * duplicates) through addBlockLocked.
   */
  private async drainBlocks(group: BlockGroup): Promise<void> {
    let next = 0;
    try {
      for (;;) {
        if (next >= group.length) {
          // Checked and closed in one synchronous step: no addBlock can slip in between.
          if (this.openGroup === group) this.openGroup = null;
          return;
        }
        const taken = await this.pipeline(group, next);
        next += taken;
        group.releaseBefore(next);
        if (taken > 0) continue;
        const entry = group.at(next++);
        entry.resolve(await this.addBlockLocked(entry.block, entry.raw));
        group.releaseBefore(next);
      }
    } catch (err) {
      if (this.openGroup === group) this.openGroup = null;
      this.reportIfFatal(err);
      for (const entry of group.from(next)) entry.reject(err);
    }
  }

  /**
   * Connect the blocks of `group` from `start` that extend the tip one after
   * the other, taking blocks handed in meanwhile: each block's header and
   * body rules run at once, its proof of work and scripts go to their worker
   * pools, its input rules run on an overlay of the UTXO set holding the
   * blocks still in flight (so the main thread checks the next block while
   * the workers verify the previous ones, PIPELINE_DEPTH deep), and it is
   * committed — one write transaction, prepared while its scripts run — once
   * they pass. Each block is judged exactly as on its own: its parent is its
   * fork point. The first failure ends the pipeline after the blocks before
   * it are committed; the blocks after it take the general path. Returns how
   * many entries it resolved (0: the first does not extend the tip).
   */
  private async pipeline(group: BlockGroup, start: number): Promise<number> {
    const run: PipelineRun = {
      group,
      start,
      next: start,
      inFlight: [],
      view: new OverlayView(this.store),
      pendingTx: new Map(),
      committedCount: 0,
      resolved: 0,
      deferring: false,
      deferred: [],
      committing: [],
      pendingAssets: new Set(),
    };
    const { inFlight, view, pendingTx } = run;
    let parent = this.tipRecord;
    const start0 = parent;
    /** A block whose own rules failed before it went in flight: judged once the blocks before it settle. */
    let stopper: { entry: QueuedBlock; rec: HeaderRecord | null; headerStored: boolean; pow: Promise<void>; error: VerifyError } | null = null;
    let failed = false;
    let anyHeaderStored = false;

    try {
      for (;;) {
        // The next block: one stored ahead on top of the block just taken (headers-first sync stores
        // blocks before their parents arrive), else an orphan waiting for it, else the next handed in —
        // the order in which addBlockLocked would connect them.
        // (Never on top of the tip the pipeline started from: blocks disconnected from it stay where they are.)
        const found: QueuedBlock | null = !failed && !stopper && parent !== start0 ? (this.onlyStoredChild(parent) ?? this.onlyOrphanChild(parent.hash)) : null;
        if (found || (!failed && !stopper && run.next < group.length)) {
          const entry: QueuedBlock = found ?? group.at(run.next);
          const { block } = entry;
          const hash = block.hash();
          const key = hash.toString('latin1');
          const stored = this.store.getHeader(hash);
          const unusable = stored && (stored.invalid || (stored.has(STATUS.HAS_BLOCK) && entry.source !== 'stored'));
          if (!block.header.prevHash.equals(parent.hash) || (!found && this.orphans.has(key)) || this.unstored.has(key) || unusable) {
            if (inFlight.length === 0) break;
            failed = !(await this.settleOldest(run));
            continue;
          }
          if (found) {
            if (found.source === 'orphan') this.removeOrphan(key);
            // Callers see their block's verdict after the blocks it unlocked, as without the pipeline.
            run.deferring = true;
          } else run.next++;
          let rec = stored;
          let pow: Promise<void> = Promise.resolve();
          try {
            if (!rec) {
              rec = this.checkHeader(block.header, parent);
              this.unstored.set(key, rec);
              if (block.header.isPoW()) {
                pow = this.pow.verifyHeaders([block.header]).then(([r]) => {
                  if (!r.ok) throw new VerifyError('proof_of_work', r.reason);
                });
                pow.catch(() => undefined);
              }
            }
            if (!this.isException(rec)) checkBlockBody(block, this.network, rec.height, { posGenesis: this.needsPosGenesis(block, rec, parent) });
            rec.txCount = block.txs.length;
            const p = this.startConnect(block, rec, parent, view, parent.height, pendingTx);
            const written = view.connect(block, rec.height);
            for (const tx of block.txs) pendingTx.set(tx.hashKey(), { height: rec.height, outputs: tx.outputs.length });
            inFlight.push({ ...p, entry, headerStored: stored !== null, pow, written });
            anyHeaderStored ||= stored !== null;
            parent = rec;
          } catch (err) {
            if (!(err instanceof VerifyError)) throw err;
            stopper = { entry, rec, headerStored: stored !== null, pow, error: err };
          }
          while (!failed && inFlight.length > PIPELINE_DEPTH) failed = !(await this.settleOldest(run));
          continue;
        }
        if (failed || inFlight.length === 0) break;
        // Nothing new to take: settling the oldest block gives callers time to hand in more.
        failed = !(await this.settleOldest(run));
      }
      await this.drainCommits(run);
      // A block whose own rules failed is judged as addBlockLocked would, unless a block before it failed first.
      if (stopper && !failed) {
        const { entry, rec } = stopper;
        const error = (await powError(stopper.pow)) ?? stopper.error;
        const keepsRecord = rec !== null && error.code !== 'proof_of_work';
        if (keepsRecord && !stopper.headerStored) this.store.putHeaders([rec]);
        if (keepsRecord && !NOT_PERMANENT.has(error.code)) this.markInvalid(rec);
        this.pipelineVerdict(run, entry, { status: 'invalid', hash: entry.block.hash(), height: keepsRecord ? rec.height : undefined, error });
      }
    } finally {
      // Never leave the lock with commits in flight (after an error: the store's own state decides the tip on reopen).
      await this.store.idle();
      // Blocks still in flight after a failure are not taken: the general path judges them next
      // (handed-in ones from the group, those from the orphan pool when their parent shows up again).
      for (const f of inFlight) {
        this.unstored.delete(f.rec.hash.toString('latin1'));
        if (f.entry.source === 'orphan') this.addOrphan(f.entry.block, f.entry.raw);
      }
      if (stopper?.rec) this.unstored.delete(stopper.rec.hash.toString('latin1'));
    }
    // Blocks stored ahead (headers first) may continue the chain; other orphans may hang below it.
    // Orphans waiting on a block this run committed (found before a reorganization may move the tip).
    const orphanParents = run.committedCount > 0 ? this.orphanParentsOnMainChain(start0.height, this.tipRecord.height) : [];
    if (run.committedCount > 0 && anyHeaderStored && !failed) await this.activateBestChain(this.tipRecord);
    for (const hash of orphanParents) await this.resolveOrphans(hash);
    for (const resolve of run.deferred) resolve();
    return run.resolved;
  }

  /*
   * The pipeline's steps are methods over its run's state, not closures made per run: closures
   * made per run were compiled again for every run (the connect bench measured those compiles on
   * the V8 helper threads); methods are compiled once.
   */

  /** A handed-in block's verdict, in order (nobody awaits a block the pipeline found itself). */
  private pipelineVerdict(run: PipelineRun, entry: QueuedBlock, result: AddBlockResult): void {
    if (entry.source) return;
    run.resolved++;
    // Handed-in blocks are judged in order: the ones judged can go (a deferred verdict keeps only its resolve).
    run.group.releaseBefore(run.start + run.resolved);
    const resolve = entry.resolve;
    if (run.deferring) run.deferred.push(() => resolve(result));
    else resolve(result);
  }

  /** A committed block becomes the tip: caches, events, its caller's verdict. */
  private async afterPipelineCommit(run: PipelineRun, p: Flight, assets: readonly string[]): Promise<void> {
    this.unstored.delete(p.rec.hash.toString('latin1'));
    for (const tx of p.block.txs) {
      const k = tx.hashKey();
      if (run.pendingTx.get(k)?.height === p.rec.height) run.pendingTx.delete(k);
    }
    for (const a of assets) run.pendingAssets.delete(a);
    run.view.forget(p.written, p.rec.height);
    this.tipRecord = p.rec;
    if (p.rec.work > this.bestHeaderRecord.work) this.bestHeaderRecord = p.rec;
    run.committedCount++;
    await this.bus.emit('chain:block:connected', { height: p.rec.height, hash: p.rec.hash, block: p.block });
    await this.bus.emit('chain:tip', { height: p.rec.height, hash: p.rec.hash, header: p.rec.header });
    this.pipelineVerdict(run, p.entry, { status: 'connected', hash: p.rec.hash, height: p.rec.height });
  }

  /** Wait for the oldest commit on the commit thread (a failed commit is fatal and propagates). */
  private async finishCommit(run: PipelineRun): Promise<void> {
    const c = run.committing.shift()!;
    await c.done;
    await this.afterPipelineCommit(run, c.p, c.assets);
  }

  private async drainCommits(run: PipelineRun): Promise<void> {
    while (run.committing.length > 0) await this.finishCommit(run);
  }

  /** Settle the oldest block in flight: its proof of work and scripts, then its commit. False when it failed. */
  private async settleOldest(run: PipelineRun): Promise<boolean> {
    const p = run.inFlight.shift()!;
    const raw = p.entry.source === 'stored' ? undefined : p.entry.raw;
    const write = this.store.prepareConnect(p.block, p.rec, p.spent, { raw, newHeader: !p.headerStored, pendingAssets: run.pendingAssets });
    const bad = await powError(p.pow);
    if (bad) {
      // Nothing is stored for a block without valid proof of work (as addBlockLocked).
      await this.drainCommits(run);
      this.pipelineVerdict(run, p.entry, { status: 'invalid', hash: p.rec.hash, error: bad });
      return false;
    }
    try {
      await p.scripts;
    } catch (err) {
      if (!(err instanceof VerifyError)) throw err;
      this.log.warn({ height: p.rec.height, hash: hashToHex(p.rec.hash), code: err.code, msg: err.message }, 'block failed validation');
      await this.drainCommits(run);
      if (!p.headerStored) this.store.putHeaders([p.rec]);
      this.markInvalid(p.rec);
      this.pipelineVerdict(run, p.entry, { status: 'invalid', hash: p.rec.hash, height: p.rec.height, error: err });
      return false;
    }
    for (const a of write.assets) run.pendingAssets.add(a);
    if (run.inFlight.length > 0 || run.committing.length > 0 || run.next < run.group.length) {
      // More blocks to check: the commit thread writes this one meanwhile.
      const done = this.store.commitAsync(write);
      done.catch(() => undefined);
      run.committing.push({ p, done, assets: write.assets });
      while (run.committing.length > COMMIT_DEPTH) await this.finishCommit(run);
    } else {
      this.store.commit(write);
      await this.afterPipelineCommit(run, p, write.assets);
    }
    return true;
  }

  /**
   * Parents of pooled orphans that are main-chain blocks above `fromHeight`
   * up to `toHeight`, lowest first: a pipeline run names the blocks it
   * committed this way instead of remembering each one (a sync can be one
   * run of millions of blocks; the orphan pool is bounded).
   */
  private orphanParentsOnMainChain(fromHeight: number, toHeight: number): Buffer[] {
    const found: HeaderRecord[] = [];
    for (const key of this.orphansByParent.keys()) {
      const rec = this.store.getHeader(Buffer.from(key, 'latin1'));
      if (!rec || rec.height <= fromHeight || rec.height > toHeight) continue;
      if (this.store.getHashAt(rec.height)?.equals(rec.hash)) found.push(rec);
    }
    return found.sort((a, b) => a.height - b.height).map((rec) => rec.hash);
  }

  /** The orphan whose parent is `hash`, when there is exactly one. */
  private onlyOrphanChild(hash: Buffer): QueuedBlock | null {
    const kids = this.orphansByParent.get(hash.toString('latin1'));
    if (!kids || kids.size !== 1) return null;
    const o = this.orphans.get(kids.values().next().value as string)!;
    return { block: o.block, raw: o.raw, resolve: () => undefined, reject: () => undefined, source: 'orphan' };
  }

  /** The one stored, not invalid block on top of `parent` (competing ones are left to activateBestChain). */
  private onlyStoredChild(parent: HeaderRecord): QueuedBlock | null {
    if (!parent.has(STATUS.HEADER_VALID)) return null;
    let only: HeaderRecord | null = null;
    for (const c of this.store.children(parent.hash)) {
      const rec = this.store.getHeader(c);
      if (!rec || rec.invalid || !rec.has(STATUS.HAS_BLOCK)) continue;
      if (only) return null;
      only = rec;
    }
    if (!only) return null;
    const raw = this.store.getBlockRaw(only.hash);
    if (!raw) return null;
    return { block: Block.fromRaw(raw), raw, resolve: () => undefined, reject: () => undefined, source: 'stored' };
  }

  /** One block by the general path: any parent, side chains, reorganizations, orphans. */
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
    const headerStored = rec !== null;
    try {
      if (parent.invalid) throw new VerifyError('previous_block_invalid', 'block builds on an invalid block');
      if (!rec) {
        const candidate = this.checkHeader(block.header, parent);
        if (block.header.isPoW()) {
          const [r] = await this.pow.verifyHeaders([block.header]);
          if (!r.ok) throw new VerifyError('proof_of_work', r.reason);
        }
        rec = candidate;
        if (rec.work > this.bestHeaderRecord.work) this.bestHeaderRecord = rec;
      }
      if (!this.isException(rec)) checkBlockBody(block, this.network, rec.height, { posGenesis: this.needsPosGenesis(block, rec, parent) });
    } catch (err) {
      if (!(err instanceof VerifyError)) throw err;
      if (rec && !headerStored) this.store.putHeaders([rec]);
      if (rec && !NOT_PERMANENT.has(err.code)) this.markInvalid(rec);
      return { status: 'invalid', hash, height: rec?.height, error: err };
    }
    rec.txCount = block.txs.length;
    // Extending the chain writes the raw block and a new header in the connect
    // transaction itself; otherwise they are stored on their own below.
    const incoming: IncomingBlock = { rec, block, raw, written: false, headerStored };
    const result = await this.activateBestChain(rec, new Map([[rec, incoming]]));
    if (!incoming.written && !rec.invalid) {
      this.store.putBlock(rec, raw, !incoming.headerStored);
      incoming.headerStored = true;
    }
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
   * tip (connectPath does the validation and writing). `incoming` holds
   * blocks whose raw bytes — and maybe header records — are not stored yet.
   */
  private async activateBestChain(from: HeaderRecord, incoming: Map<HeaderRecord, IncomingBlock> = new Map()): Promise<{ reorganized: boolean; error?: VerifyError }> {
    // The path to `from` must have every block stored, else wait for the missing ones.
    const path: HeaderRecord[] = [];
    let cur: HeaderRecord | null = from;
    const hasBlock = (r: HeaderRecord) => r.has(STATUS.HAS_BLOCK) || incoming.has(r);
    while (cur && !this.isOnMainChain(cur)) {
      if (!hasBlock(cur) || cur.invalid) return { reorganized: false };
      path.push(cur);
      cur = this.recordOf(cur.header.prevHash);
    }
    if (!cur) return { reorganized: false };
    const target = this.bestConnectableFrom(from);
    if (target !== from) {
      let t: HeaderRecord | null = target;
      const extra: HeaderRecord[] = [];
      while (t && !t.hash.equals(from.hash)) {
        extra.push(t);
        t = this.recordOf(t.header.prevHash);
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
    if (disconnects.length === 0) {
      const { error } = await this.connectPath(path, fork, view, true, incoming);
      if (this.tipRecord.hash.equals(fork.hash)) return { reorganized: false, error };
      if (this.tipRecord.work > this.bestHeaderRecord.work) this.bestHeaderRecord = this.tipRecord;
      await this.bus.emit('chain:tip', { height: this.tipRecord.height, hash: this.tipRecord.hash, header: this.tipRecord.header });
      return { reorganized: false, error };
    }

    const { connects, error } = await this.connectPath(path, fork, view, false, incoming);
    const newTip = connects.length > 0 ? connects[connects.length - 1].rec : fork;
    if (newTip.work <= this.tipRecord.work) return { reorganized: false, error };

    const oldTip = this.tipRecord;
    for (const d of disconnects) {
      this.store.disconnectBlock(d.block, d.rec);
      this.tipRecord = this.store.getHeader(d.rec.header.prevHash)!;
      await this.bus.emit('chain:block:disconnected', { height: d.rec.height, hash: d.rec.hash, block: d.block });
    }
    for (const c of connects) await this.commitConnect(c, this.store.prepareConnect(c.block, c.rec, c.spent, this.connectExtras(c.rec, incoming)), incoming);
    this.log.info({ fork: fork.height, disconnected: disconnects.length, connected: connects.length, tip: newTip.height }, 'chain reorganized');
    await this.bus.emit('chain:reorganized', {
      forkHeight: fork.height,
      forkHash: fork.hash,
      oldTip: { height: oldTip.height, hash: oldTip.hash },
      newTip: { height: newTip.height, hash: newTip.hash },
      disconnected: disconnects.length,
      connected: connects.length,
    });
    if (newTip.work > this.bestHeaderRecord.work) this.bestHeaderRecord = newTip;
    await this.bus.emit('chain:tip', { height: newTip.height, hash: newTip.hash, header: newTip.header });
    return { reorganized: true, error };
  }

  /**
   * Validate `path` (fork+1 … target) on `view`: each block's input rules are
   * checked on the overlay and its scripts go to the verification pool at
   * once, so the next block's rules are checked while the workers verify
   * (PIPELINE_DEPTH blocks ahead). `extending` (no disconnects): each block is
   * committed — one write transaction, prepared while its scripts run — as
   * soon as its scripts pass. Otherwise nothing is written: the valid prefix
   * comes back in `connects` for the caller to switch to. The first failure
   * cuts the path; that block and its descendants are marked invalid.
   */
  private async connectPath(
    path: readonly HeaderRecord[],
    fork: HeaderRecord,
    view: OverlayView,
    extending: boolean,
    incoming: Map<HeaderRecord, IncomingBlock>,
  ): Promise<{ connects: PendingConnect[]; error?: VerifyError; failed?: HeaderRecord }> {
    const connects: PendingConnect[] = [];
    const inFlight: PendingConnect[] = [];
    let error: VerifyError | undefined;
    let failed: HeaderRecord | undefined;
    let started = 0;
    // Extending, the commit thread writes a block while the next ones are checked (see pipeline()).
    const committing: { p: PendingConnect; write: StoreWrite; done: Promise<void> }[] = [];
    const pendingAssets = new Set<string>();
    const written = new Map<PendingConnect, string[]>();
    const finishCommit = async (): Promise<void> => {
      const c = committing.shift()!;
      await c.done;
      for (const a of c.write.assets) pendingAssets.delete(a);
      view.forget(written.get(c.p) ?? [], c.p.rec.height);
      written.delete(c.p);
      await this.connected(c.p, incoming);
    };
    const drainCommits = async (): Promise<void> => {
      while (committing.length > 0) await finishCommit();
    };
    // Settle the oldest block in flight: wait for its scripts; when extending, commit it right away.
    const settle = async (): Promise<void> => {
      const p = inFlight.shift()!;
      const write = extending ? this.store.prepareConnect(p.block, p.rec, p.spent, { ...this.connectExtras(p.rec, incoming), pendingAssets }) : null;
      try {
        await p.scripts;
      } catch (err) {
        if (!(err instanceof VerifyError)) throw err;
        error = err;
        failed = p.rec;
        return;
      }
      if (!write) {
        connects.push(p);
        return;
      }
      for (const a of write.assets) pendingAssets.add(a);
      if (inFlight.length > 0 || started < path.length) {
        const done = this.store.commitAsync(write);
        done.catch(() => undefined);
        committing.push({ p, write, done });
        while (committing.length > COMMIT_DEPTH) await finishCommit();
      } else {
        await drainCommits();
        this.store.commit(write);
        await this.connected(p, incoming);
      }
    };
    let parent = fork;
    try {
      for (let i = 0; i < path.length && !error; i++) {
        const rec = path[i];
        const block = incoming.get(rec)?.block ?? this.store.getBlock(rec.hash)!;
        started = i + 1;
        try {
          const p = this.startConnect(block, rec, parent, view, fork.height);
          // The overlay only matters for the blocks after this one.
          if (i + 1 < path.length) written.set(p, view.connect(block, rec.height));
          inFlight.push(p);
        } catch (err) {
          if (!(err instanceof VerifyError)) throw err;
          error = err;
          failed = rec;
          break;
        }
        parent = rec;
        while (!error && inFlight.length > PIPELINE_DEPTH) await settle();
      }
      while (!error && inFlight.length > 0) await settle();
      await drainCommits();
    } finally {
      await this.store.idle();
    }
    if (failed) {
      this.log.warn({ height: failed.height, hash: hashToHex(failed.hash), code: error!.code, msg: error!.message }, 'block failed validation');
      if (!NOT_PERMANENT.has(error!.code)) {
        // Incoming blocks may descend from the failed one: their records must be in the tree to be marked too.
        const toStore = [...incoming.values()].filter((b) => !b.headerStored);
        for (const b of toStore) b.headerStored = true;
        this.store.putHeaders(toStore.map((b) => b.rec));
        this.markInvalid(failed);
      }
    }
    return { connects, error, failed };
  }

  /** What the connect transaction of `rec` writes besides the block's effects: the raw bytes and header link of an incoming block. */
  private connectExtras(rec: HeaderRecord, incoming: Map<HeaderRecord, IncomingBlock>): { raw?: Buffer; newHeader?: boolean } {
    const b = incoming.get(rec);
    return b ? { raw: b.raw, newHeader: !b.headerStored } : {};
  }

  /** Commit one validated block at the tip (synchronously) and tell the state-coupled consumers. */
  private async commitConnect(p: PendingConnect, write: StoreWrite, incoming: Map<HeaderRecord, IncomingBlock>): Promise<void> {
    this.store.commit(write);
    await this.connected(p, incoming);
  }

  /** A block's connect transaction committed: it is the tip now. */
  private async connected(p: PendingConnect, incoming: Map<HeaderRecord, IncomingBlock>): Promise<void> {
    const b = incoming.get(p.rec);
    if (b) {
      b.written = true;
      b.headerStored = true;
      this.unstored.delete(p.rec.hash.toString('latin1'));
    }
    this.tipRecord = p.rec;
    await this.bus.emit('chain:block:connected', { height: p.rec.height, hash: p.rec.hash, block: p.block });
  }

  /**
   * Full validation of a block whose header and body already passed their
   * checks, against `view` (the UTXO set at its parent): the input rules run
   * now and throw; the scripts are handed to the verifier and settle in
   * `scripts`. Non-strict blocks (below the last checkpoint) and the
   * exception blocks only have their UTXO effects computed (mvs-consensus §4.1).
   */
  private startConnect(
    block: Block,
    rec: HeaderRecord,
    parent: HeaderRecord,
    view: OverlayView,
    forkHeight: number,
    pendingTx?: ReadonlyMap<string, { height: number; outputs: number }>,
  ): PendingConnect {
    const strict = Math.min(forkHeight, rec.height - 1) >= this.network.strictFromHeight;
    const exception = this.isException(rec);
    if (!strict || exception) return { rec, block, spent: this.spentCoinsLenient(block, view), scripts: Promise.resolve() };
    const lookup = this.branchLookup(parent);
    const result = connectBlockInputs(block, view, {
      network: this.network,
      height: rec.height,
      medianTimePast: this.medianTimePast(parent, lookup),
      timestampAt: (h) => lookup(h)?.timestamp ?? null,
      isSpentDuplicate: (tx) => this.isSpentDuplicate(tx, view, forkHeight, pendingTx),
      outputExisted: (op) => this.outputExisted(op, pendingTx),
    });
    if (block.header.version === BLOCK_VERSION.POS) this.checkStake(block, rec, parent, view, this.medianTimePast(parent, lookup));
    let scripts: Promise<void> = Promise.resolve();
    if (result.scriptJobs.length > 0) {
      scripts = this.scripts.verifyScripts(block.txs, result.scriptJobs).then((r) => {
        if (!r.ok) {
          throw new VerifyError('validate_inputs_failed', `tx ${r.txIndex} input ${r.inputIndex}: ${r.code} ${r.message}`, 100, { txIndex: r.txIndex, inputIndex: r.inputIndex });
        }
      });
      // A block given up on (an earlier one failed) may still fail later; nobody awaits it then.
      scripts.catch(() => undefined);
    }
    return { rec, block, spent: result.spent, scripts };
  }

  // ------------------------------------------------------------ proof of stake

  /**
   * pos_exist_before (mvs-consensus §3.8): on mainnet simply h > the first PoS
   * block's height; elsewhere a version-2 block at pos_enabled_height+1 … h−1
   * on the block's branch (the scan skips pos_enabled_height itself [Q]).
   */
  private posExistsBefore(height: number, parent: HeaderRecord): boolean {
    const first = this.network.firstPosBlockHeight;
    if (first !== null) return height > first;
    // The PoS block the last scan found: a branch holding it needs no scan (testnet's first is ~10k blocks up).
    const seen = this.posSeen;
    if (seen && seen.height < height && this.ancestorOf(parent, seen.height)?.hash.equals(seen.hash)) return true;
    const lookup = this.branchLookup(parent);
    for (let h = this.network.posEnabledHeight + 1; h < height; h++) {
      if (lookup(h)?.version !== BLOCK_VERSION.POS) continue;
      const rec = this.ancestorOf(parent, h);
      if (rec) this.posSeen = { height: h, hash: rec.hash };
      return true;
    }
    return false;
  }

  /** posExistsBefore's memo: the version-2 block its last scan found. */
  private posSeen: { height: number; hash: Buffer } | null = null;

  /** A PoS block with no PoS block before it on its branch carries the PoS genesis transaction. */
  private needsPosGenesis(block: Block, rec: HeaderRecord, parent: HeaderRecord): boolean {
    return block.header.version === BLOCK_VERSION.POS && !this.posExistsBefore(rec.height, parent);
  }

  /**
   * verify_stake and the block signature (mvs-consensus §4.7, consensus/pos.ts)
   * against the UTXO set at the parent (`view`). The staking address's coins
   * are the address index read through the branch view: outputs the branch
   * spent are dropped, and deposits the branch created in the blocks not yet
   * in the index are not seen — they are younger than the vote maturity
   * unless a reorganization is deeper than it (the reference's index is not
   * fork-aware either, §4.7.2 [U]).
   */
  private checkStake(block: Block, rec: HeaderRecord, parent: HeaderRecord, view: CoinView, medianTimePast: number): void {
    const coinstake = block.txs[1];
    const stakeKey = coinstake.inputs[0].prevout.toKey();
    const coin = view.getCoin(stakeKey);
    // The creating transaction only matters to a stake old enough to pass the maturity rule, and such
    // a stake is far below the blocks still in flight, so it is stored; a younger one fails on maturity.
    const mature = coin !== null && coin.height + stakeMaturity(block.header.bits) <= rec.height;
    const stake: StakeCoin | null = coin
      ? {
          outpoint: coinstake.inputs[0].prevout,
          value: coin.output.value,
          height: coin.height,
          script: coin.output.script,
          coinbase: coin.coinbase,
          tx: mature ? this.creatingTx(coinstake.inputs[0].prevout.hash, coin.height, parent) : undefined,
        }
      : null;
    // The capability rule needs one qualifying coin: stop at the first (a staker may own many coins).
    const addressCoins: StakeCoin[] = [];
    const address = coin ? this.store.addressKeyOf(coin.output.script) : null;
    if (address) {
      for (const entry of this.store.addressCoins(address)) {
        if (entry.value < POS_PARAMS.stakeMinValue) continue;
        const c = view.getCoin(entry.outpoint);
        if (!c) continue;
        const candidate: StakeCoin = { outpoint: OutPoint.fromKey(entry.outpoint), value: c.output.value, height: c.height, script: c.output.script, coinbase: c.coinbase };
        if (hasStakeCapability([candidate], rec.height - 1, this.network)) {
          addressCoins.push(candidate);
          break;
        }
      }
    }
    checkProofOfStake(block, { network: this.network, height: rec.height, stake, addressCoins, medianTimePast, backend: getSecp256k1() });
  }

  /** The transaction `txid` confirmed at `height` on the branch of `parent` (for the stake's finality rule). */
  private creatingTx(txid: Buffer, height: number, parent: HeaderRecord): Transaction {
    const indexed = this.store.getTx(txid);
    if (indexed && indexed.location.height === height && this.ancestorOf(parent, height)?.hash.equals(indexed.location.blockHash)) return indexed.tx;
    // Created on a branch the index does not describe (a reorganization deeper than the stake maturity).
    const rec = this.ancestorOf(parent, height);
    const raw = rec ? this.store.getBlockRaw(rec.hash) : null;
    const tx = raw ? Block.fromRaw(raw).txs.find((t) => t.hash().equals(txid)) : undefined;
    if (!tx) throw new Error(`internal: the stake's transaction ${hashToHex(txid)} at height ${height} is not stored`);
    return tx;
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
        const k = input.prevout.keyString();
        if (created.has(k) || seen.has(k)) continue;
        seen.add(k);
        const coin = view.getCoin(key);
        if (coin) spent.push({ key, coin });
      }
    }
    return spent;
  }

  /**
   * The inverted BIP30 rule's lookup: same txid in the main chain ≤ fork
   * point with every output spent. `pendingTx` holds the transactions of
   * blocks validated but not committed yet (the pipeline), which the tx index
   * will have.
   */
  private isSpentDuplicate(tx: Transaction, view: CoinView, forkHeight: number, pendingTx?: ReadonlyMap<string, { height: number; outputs: number }>): boolean {
    const txid = tx.hash();
    const loc = pendingTx?.get(tx.hashKey()) ?? this.store.getTxLocation(txid);
    if (!loc || loc.height > forkHeight) return false;
    for (let i = 0; i < loc.outputs; i++) if (view.getCoin(new OutPoint(txid, i).toKey())) return false;
    return true;
  }

  private outputExisted(op: OutPoint, pendingTx?: ReadonlyMap<string, { height: number; outputs: number }>): boolean {
    const loc = pendingTx?.get(op.hashKey()) ?? this.store.getTxLocation(op.hash);
    return loc !== null && loc !== undefined && op.index < loc.outputs;
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
    return this.runLocked(async () => {
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
    return this.runLocked(() => this.rewindTo(height));
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
