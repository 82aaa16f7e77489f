import { open, type RootDatabase, type Database } from 'lmdb';
import { lmdbOpenRefusal } from '../util/lmdb-file.js';
import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { terminateWorker } from '../util/worker.js';
import type { Network } from '../networks/index.js';
import { Block } from '../primitives/block.js';
import { HEADER_SIZE } from '../primitives/header.js';
import { Transaction, OutPoint, outpointKeyText, type TxOutput } from '../primitives/transaction.js';
import { isPayKeyHashBytes, type Script } from '../primitives/script.js';
import { OP } from '../primitives/opcodes.js';
import { scriptAddress } from '../primitives/address.js';
import { varintSize } from '../primitives/writer.js';
import { Coin, type CoinView, type SpentCoin } from '../consensus/coin.js';
import {
  TABLES,
  type TableName,
  STORE_VERSION,
  META_VERSION,
  META_TIP,
  META_NETWORK,
  META_BEST_HEADER,
  STATUS,
  heightKey,
  nextKey,
  addrHistoryKey,
  addrCoinKey,
  prefixEnd,
} from './layout.js';
import {
  HeaderRecord,
  type TxLocation,
  decodeTxLocation,
  encodeUndo,
  decodeUndo,
  type AddressHistoryEntry,
  type AddressCoinEntry,
} from './records.js';
import { logger } from '../util/logger.js';
import { applyOps, WRITER_ROLE, type WriterInit, type WriterReply, type WriterRequest } from './store-writer.js';

export class StoreError extends Error {
  readonly code: 'STORE_VERSION' | 'STORE_NETWORK' | 'STORE_CORRUPT' | 'STORE_IO';
  constructor(code: StoreError['code'], message: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
  }
}

export interface StoreOptions {
  /** Directory of the LMDB environment. */
  path: string;
  network: Network;
  /** Skip fsync on commit (tests and benchmarks; a crash may lose recent blocks but never corrupts). */
  noSync?: boolean;
  /** Header record cache size (entries). */
  headerCacheSize?: number;
}

/** Spent coins with their outpoints, as undo data keeps them (defined beside the coin view, consensus/coin.ts). */
export type { SpentCoin } from '../consensus/coin.js';

/**
 * Migrations from older store versions, applied inside one write transaction
 * on open. `from` is the version found; each step brings it to `from + 1`.
 */
const MIGRATIONS: Record<number, (store: ChainStore) => void> = {};

/**
 * The chain's LMDB store (layout in layout.ts). Only chain/ writes through it;
 * every block connect/disconnect is one write transaction (connectBlock /
 * disconnectBlock), so a crash leaves the previous or the next consistent state.
 */
export class ChainStore implements CoinView {
  readonly network: Network;
  private readonly env: RootDatabase;
  private readonly db: Record<TableName, Database<Buffer, Buffer>>;
  private readonly headerCache = new Map<string, HeaderRecord>();
  private readonly headerCacheSize: number;
  private readonly log = logger('store');
  private readonly path: string;
  private readonly noSync: boolean;
  /** Databases by table index (StoreWrite ops). */
  private readonly tableDbs: Database<Buffer, Buffer>[];
  /** The commit thread, started with the first commitAsync. */
  private writer: Worker | null = null;
  private writeSeq = 0;
  private readonly pendingWrites = new Map<number, { write: StoreWrite; resolve: () => void; reject: (err: Error) => void }>();
  private readonly idleWaiters: (() => void)[] = [];

  constructor(opts: StoreOptions) {
    this.network = opts.network;
    this.headerCacheSize = opts.headerCacheSize ?? 20000;
    this.path = opts.path;
    this.noSync = opts.noSync ?? false;
    // lmdb-js crashes the process on a damaged data file instead of failing: look first.
    const refusal = lmdbOpenRefusal(opts.path);
    if (refusal) {
      throw new StoreError(refusal.code, `chain store at ${opts.path} ${refusal.detail}. Move that folder aside to sync again from the network, or restore a copy`);
    }
    try {
      mkdirSync(opts.path, { recursive: true });
      this.env = open({
        path: opts.path,
        maxDbs: TABLES.length + 4,
        noSync: opts.noSync ?? false,
        // Raw blocks can be ~1 MB; values are opaque binary.
        encoding: 'binary',
        keyEncoding: 'binary',
      });
    } catch (err) {
      throw new StoreError('STORE_IO', `cannot open chain store at ${opts.path}: ${(err as Error).message}`);
    }
    const db = {} as Record<TableName, Database<Buffer, Buffer>>;
    for (const t of TABLES) db[t] = this.env.openDB<Buffer, Buffer>(t, { encoding: 'binary', keyEncoding: 'binary' });
    this.db = db;
    this.tableDbs = TABLES.map((t) => db[t]);
    this.checkVersion();
  }

  private checkVersion(): void {
    const v = this.db.meta.getBinary(META_VERSION);
    const n = this.db.meta.getBinary(META_NETWORK);
    if (!v) {
      this.env.transactionSync(() => {
        this.db.meta.putSync(META_VERSION, u32(STORE_VERSION));
        this.db.meta.putSync(META_NETWORK, Buffer.from(this.network.name));
      });
      return;
    }
    if (n && n.toString() !== this.network.name) {
      throw new StoreError('STORE_NETWORK', `chain store belongs to network '${n.toString()}', not '${this.network.name}'`);
    }
    let version = v.readUInt32LE(0);
    if (version > STORE_VERSION) throw new StoreError('STORE_VERSION', `chain store version ${version} is newer than this node (${STORE_VERSION})`);
    while (version < STORE_VERSION) {
      const step = MIGRATIONS[version];
      if (!step) throw new StoreError('STORE_VERSION', `no migration from chain store version ${version}`);
      this.log.info({ from: version, to: version + 1 }, 'migrating chain store');
      this.env.transactionSync(() => {
        step(this);
        this.db.meta.putSync(META_VERSION, u32(version + 1));
      });
      version++;
    }
  }

  async close(): Promise<void> {
    await this.idle();
    const writer = this.writer;
    this.writer = null;
    if (writer) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(done, 5000);
        writer.on('message', (reply: WriterReply) => 'closed' in reply && done());
        writer.once('exit', done);
        writer.postMessage({ close: true } satisfies WriterRequest);
      });
      await terminateWorker(writer);
    }
    await this.env.close();
  }

  // ---------------------------------------------------------------- headers

  getHeader(hash: Buffer): HeaderRecord | null {
    const k = hash.toString('latin1');
    const cached = this.headerCache.get(k);
    if (cached) return cached;
    const raw = this.db.header.getBinary(hash);
    if (!raw) return null;
    let rec: HeaderRecord;
    try {
      rec = HeaderRecord.decode(raw);
    } catch (err) {
      throw new StoreError('STORE_CORRUPT', `corrupt header record ${hash.toString('hex')}: ${(err as Error).message}`);
    }
    this.cacheHeader(rec);
    return rec;
  }

  private cacheHeader(rec: HeaderRecord): void {
    const k = rec.hash.toString('latin1');
    this.headerCache.delete(k);
    this.headerCache.set(k, rec);
    if (this.headerCache.size > this.headerCacheSize) {
      const first = this.headerCache.keys().next().value as string;
      this.headerCache.delete(first);
    }
  }

  hasHeader(hash: Buffer): boolean {
    return this.headerCache.has(hash.toString('latin1')) || this.db.header.doesExist(hash);
  }

  /** Store new header records (and their tree links) in one transaction; optionally record a new best header. */
  putHeaders(records: readonly HeaderRecord[], bestHeader?: Buffer): void {
    if (records.length === 0 && !bestHeader) return;
    this.assertIdle();
    this.writeTxn('storing headers', () => {
      for (const rec of records) {
        this.db.header.putSync(rec.hash, rec.encode());
        this.db.next.putSync(nextKey(rec.header.prevHash, rec.hash), EMPTY);
      }
      if (bestHeader) this.db.meta.putSync(META_BEST_HEADER, bestHeader);
    });
    for (const rec of records) this.cacheHeader(rec);
  }

  /** Rewrite status bits of existing records (invalidation, reconsideration). */
  updateStatus(records: readonly HeaderRecord[]): void {
    if (records.length === 0) return;
    this.assertIdle();
    this.writeTxn('updating header status', () => {
      for (const rec of records) this.db.header.putSync(rec.hash, rec.encode());
    });
    for (const rec of records) this.cacheHeader(rec);
  }

  /** Hashes of the known children of `parent`. */
  children(parent: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (const key of this.db.next.getKeys({ start: parent, end: prefixEnd(parent) })) out.push(Buffer.from(key.subarray(32)));
    return out;
  }

  // ------------------------------------------------------------- best chain

  /** The most-work valid header recorded by headers-first sync (may be ahead of the tip). */
  getBestHeaderHash(): Buffer | null {
    const v = this.db.meta.getBinary(META_BEST_HEADER);
    return v ? Buffer.from(v) : null;
  }

  getTipHash(): Buffer | null {
    const v = this.db.meta.getBinary(META_TIP);
    return v ? Buffer.from(v) : null;
  }

  getHashAt(height: number): Buffer | null {
    const v = this.db.main.getBinary(heightKey(height));
    return v ? Buffer.from(v) : null;
  }

  // ----------------------------------------------------------------- blocks

  /** Store a raw block (side-chain or ahead of connection) and flag its header; `newHeader` also links a record not stored yet into the tree. */
  putBlock(record: HeaderRecord, raw: Buffer, newHeader = false): void {
    this.assertIdle();
    record.status |= STATUS.HAS_BLOCK;
    this.writeTxn('storing a block', () => {
      this.db.block.putSync(record.hash, raw);
      this.db.header.putSync(record.hash, record.encode());
      if (newHeader) this.db.next.putSync(nextKey(record.header.prevHash, record.hash), EMPTY);
    });
    this.cacheHeader(record);
  }

  getBlockRaw(hash: Buffer): Buffer | null {
    const v = this.db.block.getBinary(hash);
    return v ? Buffer.from(v) : null;
  }

  getBlock(hash: Buffer): Block | null {
    const raw = this.getBlockRaw(hash);
    if (!raw) return null;
    try {
      return Block.fromRaw(raw);
    } catch (err) {
      throw new StoreError('STORE_CORRUPT', `corrupt block ${hash.toString('hex')}: ${(err as Error).message}`);
    }
  }

  getUndo(hash: Buffer): SpentCoin[] | null {
    const v = this.db.undo.getBinary(hash);
    if (!v) return null;
    try {
      return decodeUndo(v);
    } catch (err) {
      throw new StoreError('STORE_CORRUPT', `corrupt undo data ${hash.toString('hex')}: ${(err as Error).message}`);
    }
  }

  // ------------------------------------------------------------------ coins

  getCoin(key: Buffer): Coin | null {
    const v = copyOut(this.db.coin.getBinaryFast(key));
    if (!v) return null;
    try {
      return Coin.fromRaw(v);
    } catch (err) {
      throw new StoreError('STORE_CORRUPT', `corrupt coin ${key.toString('hex')}: ${(err as Error).message}`);
    }
  }

  /** Every coin, in key order (tests and consistency checks). */
  *allCoins(): Generator<{ key: Buffer; value: Buffer }> {
    for (const { key, value } of this.db.coin.getRange({})) yield { key: Buffer.from(key), value: Buffer.from(value) };
  }

  coinCount(): number {
    return this.db.coin.getCount();
  }

  // ------------------------------------------------------------- tx index

  getTxLocation(txid: Buffer): TxLocation | null {
    const v = this.db.tx.getBinary(txid);
    return v ? decodeTxLocation(v) : null;
  }

  /** A confirmed transaction sliced from its raw block. */
  getTx(txid: Buffer): { tx: Transaction; location: TxLocation } | null {
    const loc = this.getTxLocation(txid);
    if (!loc) return null;
    const raw = this.db.block.getBinary(loc.blockHash);
    if (!raw) throw new StoreError('STORE_CORRUPT', `tx index points at missing block ${loc.blockHash.toString('hex')}`);
    return { tx: Transaction.fromRaw(raw.subarray(loc.offset, loc.offset + loc.length)), location: loc };
  }

  // -------------------------------------------------------- address index

  addressHistory(address: Buffer, opts: { fromHeight?: number; toHeight?: number; reverse?: boolean; limit?: number } = {}): AddressHistoryEntry[] {
    const start = Buffer.concat([address, heightKey(opts.fromHeight ?? 0)]);
    const end = opts.toHeight !== undefined ? Buffer.concat([address, heightKey(opts.toHeight)]) : prefixEnd(address);
    const out: AddressHistoryEntry[] = [];
    const range = opts.reverse ? { start: end, end: start, reverse: true, limit: opts.limit } : { start, end, limit: opts.limit };
    for (const { key, value } of this.db.addr.getRange(range)) {
      const kind = key[57] as 0 | 1;
      out.push({
        height: key.readUInt32BE(21),
        txid: Buffer.from(key.subarray(25, 57)),
        kind,
        index: key.readUInt32BE(58),
        value: value.readBigUInt64LE(0),
        spent: kind === 1 ? Buffer.from(value.subarray(8, 44)) : undefined,
      });
    }
    return out;
  }

  /** The address-index key (version ‖ hash160, 21 bytes) of an output script, when it pays an address. */
  addressKeyOf(script: Script): Buffer | null {
    return addressKey(script, this.network);
  }

  addressCoins(address: Buffer): AddressCoinEntry[] {
    const out: AddressCoinEntry[] = [];
    for (const { key, value } of this.db.addrcoin.getRange({ start: address, end: prefixEnd(address) })) {
      out.push({ outpoint: Buffer.from(key.subarray(21)), height: value.readUInt32LE(0), value: value.readBigUInt64LE(4), coinbase: value[12] === 1 });
    }
    return out;
  }

  // ------------------------------------------------------------ asset index

  assetCount(): number {
    return this.db.asset.getCount();
  }

  /** Where a symbol was first issued. */
  getAssetIssue(symbol: Buffer): { height: number; txid: Buffer; index: number } | null {
    const v = this.db.asset.getBinary(symbol);
    return v ? { height: v.readUInt32LE(0), txid: Buffer.from(v.subarray(4, 36)), index: v.readUInt32LE(36) } : null;
  }

  // ------------------------------------------------------ connect / disconnect

  private addressOf(coin: Coin): Buffer | null {
    return addressKey(coin.script, this.network);
  }

  /**
   * Connect `block` at the tip in ONE write transaction: UTXO delta (all
   * outputs added, then every spent coin removed — intra-block spends may go
   * in any order), undo data, tx index, address index, height → hash, tip and
   * header status.
   */
  connectBlock(block: Block, record: HeaderRecord, spent: readonly SpentCoin[], raw?: Buffer): void {
    this.commit(this.prepareConnect(block, record, spent, { raw }));
  }

  /**
   * Every table change of connecting `block` at the tip (what connectBlock
   * writes), computed without writing, so the caller can build it while the
   * block's scripts are still being verified and commit it — one write
   * transaction — once they pass. `raw` adds the raw block; `newHeader` adds
   * the header-tree link of a record not stored yet (its record is written
   * either way).
   */
  prepareConnect(
    block: Block,
    record: HeaderRecord,
    spent: readonly SpentCoin[],
    opts: { raw?: Buffer; newHeader?: boolean; pendingAssets?: ReadonlySet<string> } = {},
  ): StoreWrite {
    const hash = record.hash;
    const height = record.height;
    const txs = block.txs;
    // ~650 bytes of changes per one-in, one-out transaction (tx index, coin, address history and coins).
    const w = new StoreWrite((opts.raw?.length ?? 0) + 4096 + txs.length * 768);
    if (opts.raw) w.put('block', hash, opts.raw);
    if (opts.newHeader) w.put('next', nextKey(record.header.prevHash, hash), EMPTY);
    /** The address of a script, written into `addr` (21 bytes) when it has one. */
    const addr = Buffer.allocUnsafe(21);

    // Outputs spent inside the block never enter the coin table. They are found through the
    // block's own txids, so an ordinary block builds no key strings for its outputs.
    const ownTxids = new Set<string>();
    for (const tx of txs) ownTxids.add(tx.hashKey());
    const spentHere = new Set<string>();
    for (const tx of txs) {
      if (tx.isCoinbase()) continue;
      for (const i of tx.inputs) if (ownTxids.has(i.prevout.hashKey())) spentHere.add(i.prevout.keyString());
    }
    const created = new Map<string, TxOutput>();

    let txOffset = HEADER_SIZE + varintSize(txs.length);
    // Plain loops, not forEach closures: a closure made per block is compiled again for every run
    // of blocks (the connect bench measured its compiles on the V8 helper threads).
    for (let t = 0; t < txs.length; t++) {
      const tx = txs[t];
      const txid = tx.hash();
      const cb = tx.isCoinbase();
      const raw = tx.toRaw();
      // Tx index: height u32 ‖ block hash ‖ offset u32 ‖ length u32 ‖ index u32 ‖ outputs u32 (records.ts).
      let k = w.op('tx', 32, 52);
      let v = w.valueOffset;
      w.bytes.set(txid, k);
      w.view.setUint32(v, height, true);
      w.bytes.set(hash, v + 4);
      w.view.setUint32(v + 36, txOffset, true);
      w.view.setUint32(v + 40, raw.length, true);
      w.view.setUint32(v + 44, t, true);
      w.view.setUint32(v + 48, tx.outputs.length, true);
      txOffset += raw.length;
      // Each output's bytes are a slice of the raw transaction: the coin value reuses them.
      let pos = 4 + varintSize(tx.inputs.length);
      for (const input of tx.inputs) pos += input.size();
      pos += varintSize(tx.outputs.length);
      for (let i = 0; i < tx.outputs.length; i++) {
        const out = tx.outputs[i];
        const size = out.size();
        const outBytes = raw.subarray(pos, pos + size);
        pos += size;
        const hasAddr = writeAddress(out.script, this.network, addr);
        if (hasAddr) {
          k = w.op('addr', 62, 8);
          v = w.valueOffset;
          writeAddrHistoryKey(w, k, addr, height, txid, 0, i);
          w.view.setBigUint64(v, out.value, true);
        }
        if (spentHere.size > 0) {
          const skey = outpointKeyText(tx.hashKey(), i);
          if (spentHere.has(skey)) {
            created.set(skey, out); // created and spent in this block
            continue;
          }
        }
        // Coin: height u32 ‖ flags u8 ‖ output (coin.ts).
        k = w.op('coin', 36, 5 + size);
        v = w.valueOffset;
        w.bytes.set(txid, k);
        w.view.setUint32(k + 32, i, true);
        w.view.setUint32(v, height, true);
        w.bytes[v + 4] = cb ? 1 : 0;
        w.bytes.set(outBytes, v + 5);
        if (hasAddr) {
          // Address coin: address ‖ outpoint → height u32 ‖ value u64 ‖ flags u8.
          k = w.op('addrcoin', 57, 13);
          v = w.valueOffset;
          w.bytes.set(addr, k);
          w.bytes.set(txid, k + 21);
          w.view.setUint32(k + 53, i, true);
          w.view.setUint32(v, height, true);
          w.view.setBigUint64(v + 4, out.value, true);
          w.bytes[v + 12] = cb ? 1 : 0;
        }
      }
    }
    // Spends: remove pre-existing coins and record them in the address history.
    const byKey = new Map<string, Coin>();
    for (const s of spent) byKey.set(s.keyText ?? s.key.toString('latin1'), s.coin);
    for (const tx of txs) {
      if (tx.isCoinbase()) continue;
      const txid = tx.hash();
      for (let n = 0; n < tx.inputs.length; n++) {
        const input = tx.inputs[n];
        const key = input.prevout.toKey();
        const skey = input.prevout.keyString();
        const coin = byKey.get(skey);
        const from = coin ?? created.get(skey);
        if (coin) w.remove('coin', key);
        // An output created in this same block (any order) gets the history entry only.
        if (!from || !writeAddress(from.script, this.network, addr)) continue;
        if (coin) {
          const k = w.op('addrcoin', 57, -1);
          w.bytes.set(addr, k);
          w.bytes.set(key, k + 21);
        }
        const k = w.op('addr', 62, 44);
        const v = w.valueOffset;
        writeAddrHistoryKey(w, k, addr, height, txid, 1, n);
        w.view.setBigUint64(v, from.value, true);
        w.bytes.set(key, v + 8);
      }
    }
    // Asset registry: the first primary issue of each symbol (business rules come later, docs/consensus.md).
    const issued = new Set<string>();
    for (const tx of txs) {
      for (let i = 0; i < tx.outputs.length; i++) {
        const b = tx.outputs[i].attachment.body;
        if (b.kind !== 'asset_issue' || b.secondaryIssueThreshold >= 128 || b.symbol.length === 0) continue;
        const sym = b.symbol.toString('latin1');
        if (issued.has(sym) || opts.pendingAssets?.has(sym) || this.db.asset.doesExist(b.symbol)) continue;
        issued.add(sym);
        const k = w.op('asset', b.symbol.length, 40);
        const v = w.valueOffset;
        w.bytes.set(b.symbol, k);
        w.view.setUint32(v, height, true);
        w.bytes.set(tx.hash(), v + 4);
        w.view.setUint32(v + 36, i, true);
        w.assets.push(sym);
      }
    }
    const status = record.status | STATUS.BLOCK_VALID | STATUS.HAS_BLOCK | STATUS.HEADER_VALID;
    const txCount = txs.length;
    w.put('undo', hash, encodeUndo(spent));
    w.put('main', heightKey(height), hash);
    w.put('header', hash, new HeaderRecord(record.header, height, record.work, status, txCount).encode());
    w.put('meta', META_TIP, hash);
    w.afterCommit = () => {
      record.status = status;
      record.txCount = txCount;
      this.cacheHeader(record);
    };
    return w;
  }

  /**
   * One synchronous write transaction. A failure of LMDB itself (disk full,
   * map full, I/O error) becomes StoreError STORE_IO — the chain treats it as
   * fatal (chain:fatal) — while StoreErrors raised inside keep their code.
   */
  private writeTxn(what: string, fn: () => void): void {
    try {
      this.env.transactionSync(fn);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError('STORE_IO', `${what} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Apply a prepared write in ONE write transaction (a crash leaves all of it or none). */
  commit(write: StoreWrite): void {
    this.assertIdle();
    const dbs = this.tableDbs;
    this.writeTxn('block commit', () => applyOps(write.bytes.buffer as ArrayBuffer, write.length, dbs));
    write.afterCommit?.();
  }

  /**
   * The same as commit, on the commit thread (store-writer.ts): ONE write
   * transaction with the same durability, which resolves once committed
   * (this thread then sees it). Writes commit in the order they were handed
   * in; until they have, no synchronous write method may be called (idle()).
   * The write's buffer moves to the commit thread.
   */
  commitAsync(write: StoreWrite): Promise<void> {
    const writer = (this.writer ??= this.startWriter());
    const id = ++this.writeSeq;
    const buffer = write.bytes.buffer as ArrayBuffer;
    return new Promise<void>((resolve, reject) => {
      this.pendingWrites.set(id, { write, resolve, reject });
      writer.ref();
      writer.postMessage({ id, buffer, length: write.length } satisfies WriterRequest, [buffer]);
    });
  }

  /** Resolves once every write handed to commitAsync has committed (or failed). */
  idle(): Promise<void> {
    if (this.pendingWrites.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private settleWrite(id: number): { write: StoreWrite; resolve: () => void; reject: (err: Error) => void } | undefined {
    const w = this.pendingWrites.get(id);
    this.pendingWrites.delete(id);
    if (this.pendingWrites.size === 0) {
      this.writer?.unref();
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
    return w;
  }

  get hasPendingWrites(): boolean {
    return this.pendingWrites.size > 0;
  }

  private assertIdle(): void {
    if (this.pendingWrites.size > 0) throw new StoreError('STORE_IO', 'a synchronous write while asynchronous commits are pending (await idle() first)');
  }

  private startWriter(): Worker {
    const init: WriterInit = { role: WRITER_ROLE, path: this.path, noSync: this.noSync, maxDbs: TABLES.length + 4 };
    const worker = new Worker(new URL('./store-writer.js', import.meta.url), { workerData: init });
    worker.unref();
    const failAll = (err: Error) => {
      for (const id of [...this.pendingWrites.keys()]) this.settleWrite(id)?.reject(err);
    };
    worker.on('message', (reply: WriterReply) => {
      if ('ready' in reply || 'closed' in reply) return;
      const w = this.settleWrite(reply.id);
      if (!w) return;
      if (reply.ok) {
        // This thread's read snapshot predates the commit: renew it before anything reads.
        this.env.resetReadTxn();
        w.write.afterCommit?.();
        w.resolve();
      } else {
        w.reject(new StoreError('STORE_IO', `block commit failed: ${reply.error}`));
      }
    });
    worker.on('error', (err) => failAll(new StoreError('STORE_IO', `commit thread failed: ${err.message}`)));
    worker.on('exit', (code) => {
      if (this.writer === worker) this.writer = null;
      failAll(new StoreError('STORE_IO', `commit thread exited with code ${code}`));
    });
    return worker;
  }

  /** Disconnect the tip block in ONE write transaction, restoring the coins it spent. */
  disconnectBlock(block: Block, record: HeaderRecord): SpentCoin[] {
    this.assertIdle();
    const hash = record.hash;
    const height = record.height;
    const undo = this.getUndo(hash);
    if (!undo) throw new StoreError('STORE_CORRUPT', `no undo data for block ${height}`);
    const parent = block.header.prevHash;
    const undoByKey = new Map(undo.map((u) => [u.key.toString('latin1'), u.coin] as const));
    this.writeTxn('block disconnect', () => {
      // Restore spent coins first, then remove everything this block created
      // (an output created and spent here ends up absent either way).
      for (const s of undo) {
        this.db.coin.putSync(s.key, s.coin.toRaw());
        const addr = this.addressOf(s.coin);
        if (addr) this.db.addrcoin.putSync(addrCoinKey(addr, s.key), addrCoinValue(s.coin));
      }
      block.txs.forEach((tx) => {
        const txid = tx.hash();
        const cb = tx.isCoinbase();
        const loc = this.db.tx.getBinary(txid);
        if (loc && decodeTxLocation(loc).blockHash.equals(hash)) this.db.tx.removeSync(txid);
        tx.outputs.forEach((out, i) => {
          const key = new OutPoint(txid, i).toKey();
          this.db.coin.removeSync(key);
          const addr = this.addressOf(new Coin(out, height, cb));
          if (addr) {
            this.db.addrcoin.removeSync(addrCoinKey(addr, key));
            this.db.addr.removeSync(addrHistoryKey(addr, height, txid, 0, i));
          }
        });
        if (!cb) {
          tx.inputs.forEach((input, n) => {
            const key = input.prevout.toKey();
            const coin = undoByKey.get(key.toString('latin1')) ?? findOwnOutput(block, key);
            const addr = coin ? this.addressOf(coin) : null;
            if (addr) this.db.addr.removeSync(addrHistoryKey(addr, height, txid, 1, n));
          });
        }
      });
      block.txs.forEach((tx) => {
        for (const o of tx.outputs) {
          const b = o.attachment.body;
          if (b.kind !== 'asset_issue' || b.symbol.length === 0) continue;
          const v = this.db.asset.getBinary(b.symbol);
          if (v && v.subarray(4, 36).equals(tx.hash())) this.db.asset.removeSync(b.symbol);
        }
      });
      this.db.undo.removeSync(hash);
      this.db.main.removeSync(heightKey(height));
      this.db.meta.putSync(META_TIP, parent);
    });
    return undo;
  }

  /** Connect the genesis block of an empty store: its outputs are spendable. */
  initGenesis(block: Block, record: HeaderRecord): void {
    this.putHeaders([record]);
    this.connectBlock(block, record, [], block.toRaw());
  }
}

const EMPTY = Buffer.alloc(0);

function u32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(v, 0);
  return b;
}

function addrCoinValue(coin: Coin): Buffer {
  const b = Buffer.allocUnsafe(13);
  b.writeUInt32LE(coin.height, 0);
  b.writeBigUInt64LE(coin.value, 4);
  b[12] = coin.coinbase ? 1 : 0;
  return b;
}

/**
 * The table changes of one block connect in the order they are to be
 * applied, built outside the write transaction straight into one buffer —
 * the commit thread's wire format (store-writer.ts): per change
 *   u8 table ‖ u32 key length ‖ key ‖ i32 value length (−1: remove) ‖ value.
 * Keys and values are written in place (no intermediate buffers); op()
 * reserves the bytes of one change and returns where its key and value go.
 */
export class StoreWrite {
  bytes: Uint8Array;
  view: DataView;
  length = 0;
  /** In-memory effects once committed (header status and cache). */
  afterCommit?: () => void;
  /** Asset symbols (latin1) this write registers. */
  readonly assets: string[] = [];

  constructor(sizeHint = 4096) {
    this.bytes = new Uint8Array(new ArrayBuffer(sizeHint));
    this.view = new DataView(this.bytes.buffer);
  }

  /** Where the value of the change op() reserved last goes in `bytes`. */
  valueOffset = 0;

  /**
   * Reserve one change; `valueLength` −1 for a remove. Returns the key's offset in `bytes` and
   * sets valueOffset (two numbers, no object per op).
   */
  op(table: TableName, keyLength: number, valueLength: number): number {
    const need = 9 + keyLength + Math.max(0, valueLength);
    if (this.length + need > this.bytes.length) this.grow(this.length + need);
    const at = this.length;
    this.bytes[at] = TABLE_INDEX[table];
    this.view.setUint32(at + 1, keyLength, true);
    this.view.setInt32(at + 5 + keyLength, valueLength, true);
    this.length = at + need;
    this.valueOffset = at + 9 + keyLength;
    return at + 5;
  }

  put(table: TableName, key: Uint8Array, value: Uint8Array): void {
    const k = this.op(table, key.length, value.length);
    this.bytes.set(key, k);
    this.bytes.set(value, this.valueOffset);
  }

  remove(table: TableName, key: Uint8Array): void {
    const k = this.op(table, key.length, -1); // op() may replace `bytes`: read it after
    this.bytes.set(key, k);
  }

  private grow(min: number): void {
    let size = this.bytes.length * 2;
    while (size < min) size *= 2;
    const bytes = new Uint8Array(new ArrayBuffer(size));
    bytes.set(this.bytes.subarray(0, this.length));
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }
}

/**
 * A value read with getBinaryFast, copied into a buffer of its own. lmdb-js
 * returns a value in one shared buffer that the next read overwrites
 * (`isGlobal`: its `length` set to the value's size over a larger backing
 * store, which grows when a value does not fit), or, for a value it serves
 * from shared memory, in a buffer over that memory. getBinary would copy the
 * first kind into a fresh ArrayBuffer, one malloc per read; here it goes into
 * Node's buffer pool instead, byte by byte (by `length`, not the backing size).
 */
function copyOut(fast: Buffer | undefined): Buffer | null {
  if (!fast) return null;
  if (!(fast as Buffer & { isGlobal?: boolean }).isGlobal) return Buffer.from(fast);
  const n = fast.length;
  const v = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) v[i] = fast[i];
  return v;
}

const TABLE_INDEX = Object.fromEntries(TABLES.map((t, i) => [t, i])) as Record<TableName, number>;

/**
 * Write the 21-byte address-table key (version ‖ hash160) of an output
 * script into `out`, as scriptAddress defines it; false when it has none.
 * The two shapes nearly every output has are read straight from the bytes —
 * they are exactly the scripts whose parse is DUP HASH160 <20> EQUALVERIFY
 * CHECKSIG, resp. HASH160 <20> EQUAL — the rest go through the classifier.
 */
function writeAddress(script: Script, network: Network, out: Buffer): boolean {
  const r = script.raw;
  if (isPayKeyHashBytes(r)) {
    out[0] = network.address.pubkeyHash;
    out.set(r.subarray(3, 23), 1);
    return true;
  }
  if (r.length === 23 && r[0] === OP.HASH160 && r[1] === 20 && r[22] === OP.EQUAL) {
    out[0] = network.address.scriptHash;
    out.set(r.subarray(2, 22), 1);
    return true;
  }
  const a = scriptAddress(script, network.address);
  if (!a) return false;
  out[0] = a.version;
  out.set(a.hash, 1);
  return true;
}

/** addrHistoryKey (layout.ts) written in place at `at`. */
function writeAddrHistoryKey(w: StoreWrite, at: number, address: Buffer, height: number, txid: Buffer, kind: 0 | 1, index: number): void {
  w.bytes.set(address, at);
  w.view.setUint32(at + 21, height, false);
  w.bytes.set(txid, at + 25);
  w.bytes[at + 57] = kind;
  w.view.setUint32(at + 58, index, false);
}

function addressKey(script: Script, network: Network): Buffer | null {
  const b = Buffer.allocUnsafe(21);
  return writeAddress(script, network, b) ? b : null;
}

function findOwnOutput(block: Block, key: Buffer): Coin | null {
  const op = OutPoint.fromKey(key);
  for (const tx of block.txs) {
    if (tx.hash().equals(op.hash)) {
      const o = tx.outputs[op.index];
      return o ? new Coin(o, 0, tx.isCoinbase()) : null;
    }
  }
  return null;
}

/** Byte offset and length of each transaction inside the raw block. */
export function txOffsets(block: Block): { offset: number; length: number }[] {
  let pos = HEADER_SIZE + varintSize(block.txs.length);
  return block.txs.map((tx) => {
    const length = tx.size();
    const r = { offset: pos, length };
    pos += length;
    return r;
  });
}
