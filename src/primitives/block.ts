import { BufferReader } from './reader.js';
import { BufferWriter, varintSize } from './writer.js';
import { CodecError } from './errors.js';
import { BlockHeader, HEADER_SIZE, BLOCK_VERSION } from './header.js';
import { Transaction } from './transaction.js';
import { merkleRoot } from './merkle.js';
import { fromHex } from './hex.js';

/** Consensus block size limit; also bounds what a decoder accepts as one block. */
export const MAX_BLOCK_SIZE = 1_000_000;
export const BLOCK_SIG_SIZE = 64;
export const BLOCK_PUBKEY_SIZE = 33;
const MIN_TX_SIZE = 4 + 1 + 1 + 4;

/**
 * A block (mvs-wire §4.2): header, varint count, transactions, then for PoS
 * and DPoS a raw 64-byte signature (r‖s little-endian, libsecp256k1's internal
 * layout) and for DPoS a 33-byte public key, with no length prefixes.
 */
export class Block {
  constructor(
    public header: BlockHeader,
    public txs: Transaction[],
    public blockSig: Buffer | null = null,
    public publicKey: Buffer | null = null,
  ) {}

  static decode(r: BufferReader): Block {
    const header = BlockHeader.decode(r);
    const count = r.count(MIN_TX_SIZE, 'transaction');
    const txs: Transaction[] = new Array(count);
    for (let i = 0; i < count; i++) txs[i] = Transaction.decode(r);
    let blockSig: Buffer | null = null;
    let publicKey: Buffer | null = null;
    if (header.version === BLOCK_VERSION.POS || header.version === BLOCK_VERSION.DPOS) blockSig = r.copy(BLOCK_SIG_SIZE);
    if (header.version === BLOCK_VERSION.DPOS) publicKey = r.copy(BLOCK_PUBKEY_SIZE);
    return new Block(header, txs, blockSig, publicKey);
  }

  static fromRaw(data: Uint8Array): Block {
    const r = new BufferReader(data);
    const b = Block.decode(r);
    r.assertEnd('block');
    return b;
  }

  static fromHex(hex: string): Block {
    return Block.fromRaw(fromHex(hex, 'block hex'));
  }

  encode(w: BufferWriter): void {
    this.header.encode(w);
    w.varint(this.txs.length);
    for (const tx of this.txs) tx.encode(w);
    const v = this.header.version;
    if (v === BLOCK_VERSION.POS || v === BLOCK_VERSION.DPOS) {
      if (!this.blockSig || this.blockSig.length !== BLOCK_SIG_SIZE) throw new CodecError('BAD_VALUE', 'PoS/DPoS block needs a 64-byte signature');
      w.bytes(this.blockSig);
    }
    if (v === BLOCK_VERSION.DPOS) {
      if (!this.publicKey || this.publicKey.length !== BLOCK_PUBKEY_SIZE) throw new CodecError('BAD_VALUE', 'DPoS block needs a 33-byte public key');
      w.bytes(this.publicKey);
    }
  }

  toRaw(): Buffer {
    const w = new BufferWriter(this.size());
    this.encode(w);
    return w.finish();
  }

  toHex(): string {
    return this.toRaw().toString('hex');
  }

  /** Exact serialized length. */
  size(): number {
    let n = HEADER_SIZE + varintSize(this.txs.length);
    for (const tx of this.txs) n += tx.size();
    if (this.header.version === BLOCK_VERSION.POS) n += BLOCK_SIG_SIZE;
    if (this.header.version === BLOCK_VERSION.DPOS) n += BLOCK_SIG_SIZE + BLOCK_PUBKEY_SIZE;
    return n;
  }

  /** The reference's serialized_size() (capped attachment estimates), used by its size rule. */
  referenceSize(): number {
    let n = HEADER_SIZE + varintSize(this.txs.length);
    for (const tx of this.txs) n += tx.referenceSize();
    if (this.header.version === BLOCK_VERSION.POS) n += BLOCK_SIG_SIZE;
    if (this.header.version === BLOCK_VERSION.DPOS) n += BLOCK_SIG_SIZE + BLOCK_PUBKEY_SIZE;
    return n;
  }

  hash(): Buffer {
    return this.header.hash();
  }

  hashHex(): string {
    return this.header.hashHex();
  }

  computeMerkleRoot(): Buffer {
    return merkleRoot(this.txs.map((t) => t.hash()));
  }
}
