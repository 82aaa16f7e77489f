import { BufferReader } from '../primitives/reader.js';
import { BufferWriter } from '../primitives/writer.js';
import { Script } from '../primitives/script.js';
import { Attachment } from '../primitives/attachment.js';
import { TxOutput } from '../primitives/transaction.js';

/**
 * An unspent output as the UTXO set holds it: the output itself plus where it
 * was created. `coinbase` marks outputs of coinbase-shaped transactions
 * (maturity applies to all of them, mvs-consensus §3.2).
 */
export class Coin {
  /** The encoding this coin was decoded from, reused by toRaw (undo data, the coin table). */
  private raw: Buffer | null = null;

  constructor(
    public readonly output: TxOutput,
    public readonly height: number,
    public readonly coinbase: boolean,
  ) {}

  get value(): bigint {
    return this.output.value;
  }

  get script(): Script {
    return this.output.script;
  }

  /** height u32 | flags u8 | output (value, script, attachment) */
  encode(w: BufferWriter): void {
    w.u32le(this.height).u8(this.coinbase ? 1 : 0);
    this.output.encode(w);
  }

  toRaw(): Buffer {
    if (this.raw) return this.raw;
    const w = new BufferWriter(5 + this.output.size());
    this.encode(w);
    return (this.raw = w.finish());
  }

  static decode(r: BufferReader): Coin {
    const height = r.u32le();
    const flags = r.u8();
    const value = r.u64le();
    const script = new Script(r.varBytes('coin script'));
    const attachment = Attachment.decode(r);
    return new Coin(new TxOutput(value, script, attachment), height, (flags & 1) !== 0);
  }

  /** Decode one coin; it keeps `data` as its encoding (the caller must not reuse that memory). */
  static fromRaw(data: Uint8Array): Coin {
    const r = new BufferReader(data);
    const c = Coin.decode(r);
    r.assertEnd('coin');
    c.raw = r.data;
    return c;
  }
}

/** A coin an input spends, with its outpoint key (and that key as a latin1 string, when the caller has it: OutPoint.keyString()). Undo data keeps these. */
export interface SpentCoin {
  key: Buffer;
  coin: Coin;
  keyText?: string;
}

/** Read access to unspent outputs (the UTXO set, possibly with an overlay). */
export interface CoinView {
  /**
   * The unspent coin at `outpointKey` (36 bytes: txid ‖ index LE), or null if
   * absent or spent. `keyText`, when the caller has it, is the same key as a
   * latin1 string (OutPoint.keyString()): views keyed by strings use it.
   */
  getCoin(outpointKey: Buffer, keyText?: string): Coin | null;
}
