/**
 * LMDB key layout of the chain store (also in docs/storage.md). One LMDB
 * environment, one named database per table, binary keys and values. Every
 * block connect or disconnect changes these tables in ONE write transaction.
 *
 * | table      | key                                                    | value |
 * |------------|--------------------------------------------------------|-------|
 * | meta       | ascii name ("version", "tip", "network", "bestheader")  | store version, tip hash, network name, most-work header hash |
 * | header     | block hash (32, internal order)                        | HeaderRecord: header (148) ‖ height u32 ‖ chain work u256 BE ‖ status u8 ‖ tx count u32 |
 * | next       | parent hash (32) ‖ child hash (32)                     | empty — the header tree's child links |
 * | main       | height u32 BE                                          | block hash of the best chain at that height |
 * | block      | block hash (32)                                        | raw block bytes as received |
 * | undo       | block hash (32)                                        | UndoRecord: varint n ‖ n × (outpoint 36 ‖ varbytes coin) |
 * | coin       | outpoint: txid (32) ‖ index u32 LE                     | Coin: height u32 ‖ flags u8 ‖ output (value, script, attachment) |
 * | tx         | txid (32)                                              | height u32 ‖ block hash 32 ‖ offset u32 ‖ length u32 ‖ index in block u32 ‖ output count u32 |
 * | addr       | address (21) ‖ height u32 BE ‖ txid (32) ‖ kind u8 ‖ index u32 BE | value u64 ‖ (kind 1: spent outpoint 36) |
 * | addrcoin   | address (21) ‖ outpoint (36)                           | height u32 ‖ value u64 ‖ flags u8 |
 * | asset      | asset symbol (exact bytes)                             | height u32 ‖ txid 32 ‖ output index u32 — the first issue of the symbol |
 *
 * `address` is the 21-byte version ‖ hash160 of the output script's payment
 * address (scriptAddress); outputs without one are not in the address tables.
 * `kind` 0 = an output paying the address (index = output index), 1 = an input
 * spending from it (index = input index). Big-endian heights and indexes keep
 * the address history in chain order under lexicographic key order.
 */
export const STORE_VERSION = 1;

export const TABLES = ['meta', 'header', 'next', 'main', 'block', 'undo', 'coin', 'tx', 'addr', 'addrcoin', 'asset'] as const;
export type TableName = (typeof TABLES)[number];

export const META_VERSION = Buffer.from('version');
export const META_TIP = Buffer.from('tip');
export const META_NETWORK = Buffer.from('network');
export const META_BEST_HEADER = Buffer.from('bestheader');

/** Header status bits. */
export const STATUS = {
  /** Header passed context and proof-of-work checks. */
  HEADER_VALID: 1,
  /** The raw block is in the `block` table. */
  HAS_BLOCK: 2,
  /** The block was connected once (fully validated). */
  BLOCK_VALID: 4,
  /** The block or header failed validation; its descendants are invalid too. */
  INVALID: 8,
} as const;

export function heightKey(height: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(height, 0);
  return b;
}

export function nextKey(parent: Buffer, child: Buffer): Buffer {
  const b = Buffer.allocUnsafe(parent.length + child.length);
  parent.copy(b, 0);
  child.copy(b, parent.length);
  return b;
}

export function addrHistoryKey(address: Buffer, height: number, txid: Buffer, kind: 0 | 1, index: number): Buffer {
  const b = Buffer.allocUnsafe(21 + 4 + 32 + 1 + 4);
  address.copy(b, 0);
  b.writeUInt32BE(height, 21);
  txid.copy(b, 25);
  b[57] = kind;
  b.writeUInt32BE(index, 58);
  return b;
}

export function addrCoinKey(address: Buffer, outpoint: Buffer): Buffer {
  const b = Buffer.allocUnsafe(address.length + outpoint.length);
  address.copy(b, 0);
  outpoint.copy(b, address.length);
  return b;
}

/** Smallest key greater than every key starting with `prefix` (for range ends). */
export function prefixEnd(prefix: Buffer): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] < 0xff) {
      b[i]++;
      return b.subarray(0, i + 1);
    }
  }
  return Buffer.concat([b, Buffer.from([0xff])]);
}
