import { open, type RootDatabase, type Database } from 'lmdb';
import { mkdirSync } from 'node:fs';
import type { Network } from '../networks/index.js';
import { Block } from '../primitives/block.js';
import { HEADER_SIZE } from '../primitives/header.js';
import { Transaction, OutPoint } from '../primitives/transaction.js';
import { scriptAddress } from '../primitives/address.js';
import { varintSize } from '../primitives/writer.js';
import { Coin, type CoinView } from '../consensus/coin.js';
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
  encodeTxLocation,
  decodeTxLocation,
  encodeUndo,
  decodeUndo,
  type AddressHistoryEntry,
  type AddressCoinEntry,
} from './records.js';
import { logger } from '../util/logger.js';

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

/** Spent coin with the outpoint it had, as the undo data keeps it. */
export interface SpentCoin {
  key: Buffer;
  coin: Coin;
}

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

  constructor(opts: StoreOptions) {
    this.network = opts.network;
    this.headerCacheSize = opts.headerCacheSize ?? 20000;
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
    this.env.transactionSync(() => {
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
    this.env.transactionSync(() => {
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

  /** Store a raw block (side-chain or ahead of connection) and flag its header. */
  putBlock(record: HeaderRecord, raw: Buffer): void {
    record.status |= STATUS.HAS_BLOCK;
    this.env.transactionSync(() => {
      this.db.block.putSync(record.hash, raw);
      this.db.header.putSync(record.hash, record.encode());
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
    const v = this.db.coin.getBinary(key);
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
    const a = scriptAddress(coin.script, this.network.address);
    return a ? Buffer.concat([Buffer.from([a.version]), a.hash]) : null;
  }

  /**
   * Connect `block` at the tip in ONE write transaction: UTXO delta (all
   * outputs added, then every spent coin removed — intra-block spends may go
   * in any order), undo data, tx index, address index, height → hash, tip and
   * header status.
   */
  connectBlock(block: Block, record: HeaderRecord, spent: readonly SpentCoin[], raw?: Buffer): void {
    const hash = record.hash;
    const height = record.height;
    const offsets = txOffsets(block);
    const spentHere = new Set<string>();
    for (const tx of block.txs) if (!tx.isCoinbase()) for (const i of tx.inputs) spentHere.add(i.prevout.toKey().toString('latin1'));
    record.status |= STATUS.BLOCK_VALID | STATUS.HAS_BLOCK | STATUS.HEADER_VALID;
    record.txCount = block.txs.length;

    this.env.transactionSync(() => {
      if (raw) this.db.block.putSync(hash, raw);
      block.txs.forEach((tx, t) => {
        const txid = tx.hash();
        const cb = tx.isCoinbase();
        this.db.tx.putSync(
          txid,
          encodeTxLocation({ height, blockHash: hash, offset: offsets[t].offset, length: offsets[t].length, index: t, outputs: tx.outputs.length }),
        );
        tx.outputs.forEach((out, i) => {
          const key = new OutPoint(txid, i).toKey();
          const coin = new Coin(out, height, cb);
          const addr = this.addressOf(coin);
          if (addr) this.db.addr.putSync(addrHistoryKey(addr, height, txid, 0, i), u64(out.value));
          if (spentHere.has(key.toString('latin1'))) return; // created and spent in this block
          this.db.coin.putSync(key, coin.toRaw());
          if (addr) this.db.addrcoin.putSync(addrCoinKey(addr, key), addrCoinValue(coin));
        });
      });
      // Spends: remove pre-existing coins and record them in the address history.
      const byKey = new Map(spent.map((s) => [s.key.toString('latin1'), s.coin] as const));
      block.txs.forEach((tx) => {
        if (tx.isCoinbase()) return;
        const txid = tx.hash();
        tx.inputs.forEach((input, n) => {
          const key = input.prevout.toKey();
          const coin = byKey.get(key.toString('latin1'));
          if (coin) {
            this.db.coin.removeSync(key);
            const addr = this.addressOf(coin);
            if (addr) {
              this.db.addrcoin.removeSync(addrCoinKey(addr, key));
              this.db.addr.putSync(addrHistoryKey(addr, height, txid, 1, n), Buffer.concat([u64(coin.value), key]));
            }
          } else {
            // An output created in this same block (any order): history only.
            const own = findOwnOutput(block, key);
            if (own) {
              const addr = this.addressOf(own);
              if (addr) this.db.addr.putSync(addrHistoryKey(addr, height, txid, 1, n), Buffer.concat([u64(own.value), key]));
            }
          }
        });
      });
      // Asset registry: the first primary issue of each symbol (business rules come later, docs/consensus.md).
      block.txs.forEach((tx) => {
        tx.outputs.forEach((o, i) => {
          const b = o.attachment.body;
          if (b.kind !== 'asset_issue' || b.secondaryIssueThreshold >= 128 || b.symbol.length === 0) return;
          if (this.db.asset.doesExist(b.symbol)) return;
          const v = Buffer.allocUnsafe(40);
          v.writeUInt32LE(height, 0);
          tx.hash().copy(v, 4);
          v.writeUInt32LE(i, 36);
          this.db.asset.putSync(b.symbol, v);
        });
      });
      this.db.undo.putSync(hash, encodeUndo(spent));
      this.db.main.putSync(heightKey(height), hash);
      this.db.header.putSync(hash, record.encode());
      this.db.meta.putSync(META_TIP, hash);
    });
    this.cacheHeader(record);
  }

  /** Disconnect the tip block in ONE write transaction, restoring the coins it spent. */
  disconnectBlock(block: Block, record: HeaderRecord): SpentCoin[] {
    const hash = record.hash;
    const height = record.height;
    const undo = this.getUndo(hash);
    if (!undo) throw new StoreError('STORE_CORRUPT', `no undo data for block ${height}`);
    const parent = block.header.prevHash;
    const undoByKey = new Map(undo.map((u) => [u.key.toString('latin1'), u.coin] as const));
    this.env.transactionSync(() => {
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

function u64(v: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64LE(v, 0);
  return b;
}

function addrCoinValue(coin: Coin): Buffer {
  const b = Buffer.allocUnsafe(13);
  b.writeUInt32LE(coin.height, 0);
  b.writeBigUInt64LE(coin.value, 4);
  b[12] = coin.coinbase ? 1 : 0;
  return b;
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
