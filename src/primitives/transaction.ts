import { BufferReader } from './reader.js';
import { BufferWriter, varintSize } from './writer.js';
import { CodecError } from './errors.js';
import { Script } from './script.js';
import { Attachment, ATTACHMENT_TYPE } from './attachment.js';
import { fromHex, hashToHex, isZeroHash, ZERO_HASH } from './hex.js';
import { sha256d } from '../crypto/hash.js';

/** Smallest possible encodings, used to bound counts before allocating. */
const MIN_INPUT_SIZE = 32 + 4 + 1 + 4;
const MIN_OUTPUT_SIZE = 8 + 1 + 8;

/** The latin1 form of a little-endian u32 output index, for indexes below 256 (nearly all). */
const INDEX_TEXT: string[] = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i, 0, 0, 0));

/**
 * OutPoint.keyString() of (txid, index), from the txid's latin1 string
 * (Transaction.hashKey()) — without building the 36-byte key.
 */
export function outpointKeyText(txidKey: string, index: number): string {
  return txidKey + (index < 256 ? INDEX_TEXT[index] : String.fromCharCode(index & 0xff, (index >>> 8) & 0xff, (index >>> 16) & 0xff, index >>> 24));
}

export class OutPoint {
  /** Previous txid, internal byte order. */
  readonly hash: Buffer;
  readonly index: number;
  private key: Buffer | undefined;
  private keyText: string | undefined;
  private hashText: string | undefined;

  constructor(hash: Buffer, index: number) {
    this.hash = hash;
    this.index = index >>> 0;
  }

  static null(): OutPoint {
    return new OutPoint(ZERO_HASH, 0xffffffff);
  }

  /** Null previous output: zero hash and index 0xffffffff (coinbase inputs). */
  isNull(): boolean {
    return this.index === 0xffffffff && isZeroHash(this.hash);
  }

  /**
   * 36-byte key: hash ‖ index LE (also the attenuation "input point"
   * encoding). Built once: every call returns the same buffer, which callers
   * must not write into. (Connecting a block asks each input for it several
   * times: rules, UTXO view, store write.)
   */
  toKey(): Buffer {
    if (!this.key) {
      const b = Buffer.allocUnsafe(36);
      this.hash.copy(b, 0);
      b.writeUInt32LE(this.index, 32);
      this.key = b;
    }
    return this.key;
  }

  /** toKey() as a latin1 string, for Map and Set keys (also built once). */
  keyString(): string {
    if (this.keyText === undefined) this.keyText = outpointKeyText(this.hashKey(), this.index);
    return this.keyText;
  }

  /** The previous txid as a latin1 string (Map keys by txid; built once). */
  hashKey(): string {
    if (this.hashText === undefined) this.hashText = this.hash.toString('latin1');
    return this.hashText;
  }

  static fromKey(key: Uint8Array): OutPoint {
    const b = Buffer.from(key);
    return new OutPoint(b.subarray(0, 32), b.readUInt32LE(32));
  }

  txidHex(): string {
    return hashToHex(this.hash);
  }

  toString(): string {
    return `${this.txidHex()}:${this.index}`;
  }
}

export class TxInput {
  constructor(
    public prevout: OutPoint,
    public script: Script,
    public sequence: number,
  ) {}

  static decode(r: BufferReader): TxInput {
    const prevout = new OutPoint(r.hash(), r.u32le());
    const script = new Script(r.varBytes('input script'));
    const sequence = r.u32le();
    const input = new TxInput(prevout, script, sequence);
    // Coinbase scripts are kept raw by the reference; any other script is parsed
    // and re-serialized, which drops an opcode byte 0xbb (its raw_data enum value).
    if (!prevout.isNull() && script.hasUnserializableOpcode()) {
      throw new CodecError('BAD_ENCODING', 'input script holds opcode 0xbb, which the reference cannot re-serialize');
    }
    return input;
  }

  encode(w: BufferWriter): void {
    w.bytes(this.prevout.hash).u32le(this.prevout.index).varBytes(this.script.raw).u32le(this.sequence);
  }

  size(): number {
    return 36 + varintSize(this.script.length) + this.script.length + 4;
  }
}

export class TxOutput {
  constructor(
    public value: bigint,
    public script: Script,
    public attachment: Attachment,
  ) {}

  static decode(r: BufferReader): TxOutput {
    const value = r.u64le();
    const script = new Script(r.varBytes('output script'));
    if (script.hasUnserializableOpcode()) {
      throw new CodecError('BAD_ENCODING', 'output script holds opcode 0xbb, which the reference cannot re-serialize');
    }
    const attachment = Attachment.decode(r);
    return new TxOutput(value, script, attachment);
  }

  encode(w: BufferWriter): void {
    w.u64le(this.value).varBytes(this.script.raw);
    this.attachment.encode(w);
  }

  size(): number {
    return 8 + varintSize(this.script.length) + this.script.length + this.attachment.size();
  }

  /** The reference's size estimate (capped attachment sizes, mvs-consensus §5.7). */
  referenceSize(): number {
    return 8 + varintSize(this.script.length) + this.script.length + this.attachment.referenceSize();
  }

  isEtp(): boolean {
    return this.attachment.type === ATTACHMENT_TYPE.ETP;
  }
}

/**
 * An MVS transaction: Bitcoin's legacy layout plus an attachment after every
 * output (mvs-wire §4.3). txid = dSHA256 of the full serialization. Treat an
 * instance as immutable once hashed (the hash and encoding are cached); build
 * a new one, or call `invalidate()` after editing fields.
 */
export class Transaction {
  private cachedRaw: Buffer | null = null;
  private cachedHash: Buffer | null = null;
  private cachedHashKey: string | null = null;

  constructor(
    public version: number,
    public inputs: TxInput[],
    public outputs: TxOutput[],
    public locktime: number,
  ) {}

  static decode(r: BufferReader): Transaction {
    const start = r.offset;
    const version = r.u32le();
    const nIn = r.count(MIN_INPUT_SIZE, 'input');
    const inputs: TxInput[] = new Array(nIn);
    for (let i = 0; i < nIn; i++) inputs[i] = TxInput.decode(r);
    const nOut = r.count(MIN_OUTPUT_SIZE, 'output');
    const outputs: TxOutput[] = new Array(nOut);
    for (let i = 0; i < nOut; i++) outputs[i] = TxOutput.decode(r);
    const locktime = r.u32le();
    const tx = new Transaction(version, inputs, outputs, locktime);
    // Raw bytes equal the reference's re-serialization (minimal varints, no NUL
    // strings, no 0xbb opcodes are enforced above), so they can be reused.
    tx.cachedRaw = Buffer.from(r.data.subarray(start, r.offset));
    return tx;
  }

  /** Decode exactly one transaction; trailing bytes are an error. */
  static fromRaw(data: Uint8Array): Transaction {
    const r = new BufferReader(data);
    const tx = Transaction.decode(r);
    r.assertEnd('transaction');
    return tx;
  }

  static fromHex(hex: string): Transaction {
    return Transaction.fromRaw(fromHex(hex, 'transaction hex'));
  }

  encode(w: BufferWriter): void {
    if (this.cachedRaw) {
      w.bytes(this.cachedRaw);
      return;
    }
    this.encodeFields(w);
  }

  private encodeFields(w: BufferWriter): void {
    w.u32le(this.version).varint(this.inputs.length);
    for (const i of this.inputs) i.encode(w);
    w.varint(this.outputs.length);
    for (const o of this.outputs) o.encode(w);
    w.u32le(this.locktime);
  }

  toRaw(): Buffer {
    if (!this.cachedRaw) {
      const w = new BufferWriter(this.size());
      this.encodeFields(w);
      this.cachedRaw = w.finish();
    }
    return this.cachedRaw;
  }

  toHex(): string {
    return this.toRaw().toString('hex');
  }

  /** Exact serialized length. */
  size(): number {
    if (this.cachedRaw) return this.cachedRaw.length;
    let n = 4 + varintSize(this.inputs.length) + varintSize(this.outputs.length) + 4;
    for (const i of this.inputs) n += i.size();
    for (const o of this.outputs) n += o.size();
    return n;
  }

  /** The reference's serialized_size() with capped attachment estimates (for its size limits). */
  referenceSize(): number {
    let n = 4 + varintSize(this.inputs.length) + varintSize(this.outputs.length) + 4;
    for (const i of this.inputs) n += i.size();
    for (const o of this.outputs) n += o.referenceSize();
    return n;
  }

  /** txid in internal byte order. */
  hash(): Buffer {
    if (!this.cachedHash) this.cachedHash = sha256d(this.toRaw());
    return this.cachedHash;
  }

  /** hash() as a latin1 string, for Map and Set keys by txid (cached with the hash). */
  hashKey(): string {
    if (this.cachedHashKey === null) this.cachedHashKey = this.hash().toString('latin1');
    return this.cachedHashKey;
  }

  /** txid in display order, as mvsd prints it. */
  txid(): string {
    return hashToHex(this.hash());
  }

  /** Drop cached encoding and hash after mutating fields. */
  invalidate(): void {
    this.cachedRaw = null;
    this.cachedHash = null;
    this.cachedHashKey = null;
  }

  /** Exactly one input spending the null outpoint. */
  isCoinbase(): boolean {
    return this.inputs.length === 1 && this.inputs[0].prevout.isNull();
  }

  clone(): Transaction {
    return Transaction.fromRaw(this.toRaw());
  }
}
