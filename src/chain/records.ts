import { BufferReader } from '../primitives/reader.js';
import { BufferWriter } from '../primitives/writer.js';
import { BlockHeader, HEADER_SIZE } from '../primitives/header.js';
import { Coin } from '../consensus/coin.js';
import { STATUS } from './layout.js';

/** A node of the header tree: the header, where it sits, and what is known about it. */
export class HeaderRecord {
  constructor(
    public readonly header: BlockHeader,
    public readonly height: number,
    /** Sum of `bits` from genesis through this block (chain work, mvs-consensus §4.10). */
    public readonly work: bigint,
    public status: number,
    public txCount: number,
  ) {}

  get hash(): Buffer {
    return this.header.hash();
  }

  has(flag: number): boolean {
    return (this.status & flag) !== 0;
  }

  get invalid(): boolean {
    return this.has(STATUS.INVALID);
  }

  encode(): Buffer {
    const w = new BufferWriter(HEADER_SIZE + 4 + 32 + 1 + 4);
    this.header.encode(w);
    w.u32le(this.height).uintBE(this.work, 32).u8(this.status).u32le(this.txCount);
    return w.finish();
  }

  static decode(data: Uint8Array): HeaderRecord {
    const r = new BufferReader(data);
    const header = BlockHeader.decode(r);
    const rec = new HeaderRecord(header, r.u32le(), r.uintBE(32), r.u8(), r.u32le());
    r.assertEnd('header record');
    return rec;
  }
}

/** Where a confirmed transaction is: enough to slice it out of the raw block without decoding the block. */
export interface TxLocation {
  height: number;
  blockHash: Buffer;
  offset: number;
  length: number;
  index: number;
  outputs: number;
}

export function encodeTxLocation(l: TxLocation): Buffer {
  const w = new BufferWriter(56);
  w.u32le(l.height).bytes(l.blockHash).u32le(l.offset).u32le(l.length).u32le(l.index).u32le(l.outputs);
  return w.finish();
}

export function decodeTxLocation(data: Uint8Array): TxLocation {
  const r = new BufferReader(data);
  const l = { height: r.u32le(), blockHash: r.hash(), offset: r.u32le(), length: r.u32le(), index: r.u32le(), outputs: r.u32le() };
  r.assertEnd('tx location');
  return l;
}

/** Coins a block spent (in input order), to restore on disconnect. */
export function encodeUndo(spent: readonly { key: Buffer; coin: Coin }[]): Buffer {
  const w = new BufferWriter(64 + spent.length * 64);
  w.varint(spent.length);
  for (const s of spent) {
    w.bytes(s.key);
    w.varBytes(s.coin.toRaw());
  }
  return w.finish();
}

export function decodeUndo(data: Uint8Array): { key: Buffer; coin: Coin }[] {
  const r = new BufferReader(data);
  const n = r.count(37, 'undo entry');
  const out: { key: Buffer; coin: Coin }[] = [];
  for (let i = 0; i < n; i++) {
    const key = r.copy(36);
    out.push({ key, coin: Coin.fromRaw(r.varBytes('undo coin')) });
  }
  r.assertEnd('undo record');
  return out;
}

/** An address-history entry as stored (kind 0 = received output, 1 = spend). */
export interface AddressHistoryEntry {
  height: number;
  txid: Buffer;
  kind: 0 | 1;
  index: number;
  value: bigint;
  /** For spends: the outpoint that was spent. */
  spent?: Buffer;
}

export interface AddressCoinEntry {
  outpoint: Buffer;
  height: number;
  value: bigint;
  coinbase: boolean;
}
