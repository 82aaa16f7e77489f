import { CodecError } from './errors.js';
import { OP, opcodeName, opcodeFromName, isPushOpcode } from './opcodes.js';
import { BufferWriter } from './writer.js';
import { fromHex } from './hex.js';

/**
 * One parsed script operation. `code` is the raw opcode byte; a direct push
 * has code 1..75 (the reference's "special"), PUSHDATA1/2/4 keep their own
 * code so re-serialization reproduces the original push form exactly
 * (attenuation-model params are pushed with PUSHDATA2 even when short).
 */
export interface ScriptOp {
  code: number;
  data: Buffer | null;
}

/** The reference's script_pattern classification (script::pattern()), in its test order. */
export type ScriptPattern =
  | 'null_data'
  | 'pay_multisig'
  | 'pay_public_key'
  | 'pay_key_hash'
  | 'pay_key_hash_with_lock_height'
  | 'pay_script_hash'
  | 'sign_multisig'
  | 'sign_public_key'
  | 'sign_key_hash'
  | 'sign_key_hash_with_lock_height'
  | 'sign_script_hash'
  | 'pay_blackhole_address'
  | 'pay_key_hash_with_attenuation_model'
  | 'pay_key_hash_with_sequence_lock'
  | 'non_standard';

const MAX_NULL_DATA = 80;

export function isPublicKey(data: Uint8Array | null): boolean {
  if (!data) return false;
  if (data.length === 33) return data[0] === 0x02 || data[0] === 0x03;
  if (data.length === 65) return data[0] === 0x04;
  return false;
}

function isSpecial(op: ScriptOp): boolean {
  return op.code >= 1 && op.code <= 75;
}

/**
 * Parse script bytes into operations, as the reference's script::parse.
 * Returns null when a push runs past the end (the reference then keeps the
 * script as one raw_data op, i.e. as opaque bytes).
 */
export function parseOps(raw: Uint8Array): ScriptOp[] | null {
  const ops: ScriptOp[] = [];
  for (let i = 0; i < raw.length; ) {
    const code = raw[i];
    const next = skipOp(raw, i);
    if (next < 0) return null;
    if (code >= 1 && code <= OP.PUSHDATA4) {
      // The data follows the opcode and its 0, 1, 2 or 4 length bytes.
      const start = i + 1 + (code <= 75 ? 0 : code === OP.PUSHDATA1 ? 1 : code === OP.PUSHDATA2 ? 2 : 4);
      ops.push({ code, data: Buffer.from(raw.subarray(start, next)) });
    } else {
      ops.push({ code, data: null });
    }
    i = next;
  }
  return ops;
}

/**
 * The position after the operation at `i` of `raw` (push data skipped), or
 * −1 when its push runs past the end: the script does not parse. parseOps
 * and the byte scans below walk scripts with it.
 */
function skipOp(raw: Uint8Array, i: number): number {
  const n = raw.length;
  const code = raw[i++];
  let size: number;
  if (code >= 1 && code <= 75) size = code;
  else if (code === OP.PUSHDATA1) {
    if (i + 1 > n) return -1;
    size = raw[i];
    i += 1;
  } else if (code === OP.PUSHDATA2) {
    if (i + 2 > n) return -1;
    size = raw[i] | (raw[i + 1] << 8);
    i += 2;
  } else if (code === OP.PUSHDATA4) {
    if (i + 4 > n) return -1;
    size = (raw[i] | (raw[i + 1] << 8) | (raw[i + 2] << 16)) + raw[i + 3] * 0x1000000;
    i += 4;
  } else return i;
  return i + size > n ? -1 : i + size;
}

/** The bytes are exactly DUP HASH160 <20 bytes> EQUALVERIFY CHECKSIG, a plain P2PKH output script. */
export function isPayKeyHashBytes(raw: Uint8Array): boolean {
  return raw.length === 25 && raw[0] === OP.DUP && raw[1] === OP.HASH160 && raw[2] === 20 && raw[23] === OP.EQUALVERIFY && raw[24] === OP.CHECKSIG;
}

/** Script.sigopCount on the bytes: 0 for a script that does not parse. */
export function countSigops(raw: Uint8Array, accurate: boolean): number {
  let total = 0;
  let prev = -1;
  for (let i = 0; i < raw.length; ) {
    const code = raw[i];
    if ((i = skipOp(raw, i)) < 0) return 0;
    if (code === OP.CHECKSIG || code === OP.CHECKSIGVERIFY) total += 1;
    else if (code === OP.CHECKMULTISIG || code === OP.CHECKMULTISIGVERIFY) {
      total += accurate && prev >= OP.OP_1 && prev <= OP.OP_16 ? prev - OP.OP_1 + 1 : 20;
    }
    prev = code;
  }
  return total;
}

/**
 * parseOps(raw) holds an op with code OP.RAW_DATA (a script that does not
 * parse holds none: it is one raw_data op as a whole, which the reference
 * re-serializes as its bytes).
 */
export function hasRawDataOpcode(raw: Uint8Array): boolean {
  let found = false;
  for (let i = 0; i < raw.length; ) {
    if (raw[i] === OP.RAW_DATA) found = true;
    if ((i = skipOp(raw, i)) < 0) return false;
  }
  return found;
}

/** parseOps(raw)?.length (null when the script does not parse), without building the list. */
export function countOps(raw: Uint8Array): number | null {
  let count = 0;
  for (let i = 0; i < raw.length; count++) if ((i = skipOp(raw, i)) < 0) return null;
  return count;
}

export function serializeOps(ops: readonly ScriptOp[]): Buffer {
  const w = new BufferWriter(64);
  for (const op of ops) {
    const data = op.data ?? Buffer.alloc(0);
    if (op.code >= 1 && op.code <= 75) {
      if (data.length !== op.code) throw new CodecError('BAD_VALUE', `direct push of ${data.length} bytes with opcode ${op.code}`);
      w.u8(op.code).bytes(data);
    } else if (op.code === OP.PUSHDATA1) {
      if (data.length > 0xff) throw new CodecError('BAD_VALUE', 'PUSHDATA1 data too long');
      w.u8(op.code).u8(data.length).bytes(data);
    } else if (op.code === OP.PUSHDATA2) {
      if (data.length > 0xffff) throw new CodecError('BAD_VALUE', 'PUSHDATA2 data too long');
      w.u8(op.code).u16le(data.length).bytes(data);
    } else if (op.code === OP.PUSHDATA4) {
      w.u8(op.code).u32le(data.length).bytes(data);
    } else {
      if (op.data && op.data.length > 0) throw new CodecError('BAD_VALUE', `opcode ${op.code} carries no data`);
      w.u8(op.code);
    }
  }
  return w.finish();
}

/** A minimal push of `data` (direct, then PUSHDATA1/2/4), as data_to_opcode does. */
export function pushOp(data: Uint8Array): ScriptOp {
  const d = Buffer.from(data);
  if (d.length === 0) return { code: OP.ZERO, data: null };
  if (d.length < 76) return { code: d.length, data: d };
  if (d.length < 0xff) return { code: OP.PUSHDATA1, data: d };
  if (d.length < 0xffff) return { code: OP.PUSHDATA2, data: d };
  return { code: OP.PUSHDATA4, data: d };
}

export function opcode(code: number): ScriptOp {
  return { code, data: null };
}

/**
 * A script: the exact bytes plus a lazily parsed operation list. The bytes are
 * authoritative, so decode → encode is always byte-identical and a script
 * built from operations keeps each push opcode as given.
 */
export class Script {
  readonly raw: Buffer;
  private parsed: ScriptOp[] | null | undefined;

  constructor(raw: Uint8Array = Buffer.alloc(0)) {
    this.raw = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
  }

  static fromOps(ops: readonly ScriptOp[]): Script {
    const s = new Script(serializeOps(ops));
    s.parsed = ops.map((o) => ({ code: o.code, data: o.data ? Buffer.from(o.data) : null }));
    return s;
  }

  static fromHex(hex: string): Script {
    return new Script(fromHex(hex, 'script'));
  }

  /** Assemble from the reference's text form ("dup hash160 [ … ] equalverify checksig"). */
  static fromAsm(text: string): Script {
    const tokens = text.trim().split(/\s+/).filter((t) => t.length > 0);
    const ops: ScriptOp[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (t === '[') {
        const hex = tokens[++i];
        if (tokens[++i] !== ']' || hex === undefined) throw new CodecError('BAD_ENCODING', 'unterminated [ … ] in script text');
        const data = fromHex(hex, 'script push');
        if (data.length === 0) throw new CodecError('BAD_ENCODING', 'empty push in script text');
        ops.push(pushOp(data));
      } else {
        const code = opcodeFromName(t);
        if (code === undefined || code === OP.RAW_DATA) throw new CodecError('BAD_ENCODING', `unknown opcode '${t}'`);
        ops.push(opcode(code));
      }
    }
    return Script.fromOps(ops);
  }

  get length(): number {
    return this.raw.length;
  }

  /** Parsed operations, or null when the bytes do not parse (the reference's raw_data form). */
  get ops(): ScriptOp[] | null {
    if (this.parsed === undefined) this.parsed = parseOps(this.raw);
    return this.parsed;
  }

  /** ops?.length (null when the bytes do not parse), without building the op list when it is not built yet. */
  opCount(): number | null {
    if (this.parsed !== undefined) return this.parsed === null ? null : this.parsed.length;
    return countOps(this.raw);
  }

  isRawData(): boolean {
    return this.ops === null;
  }

  toHex(): string {
    return this.raw.toString('hex');
  }

  equals(other: Script): boolean {
    return this.raw.equals(other.raw);
  }

  /**
   * Disassembly exactly as the reference prints it (script::to_string): ops
   * with data as "[ hex ]", others by name, space separated; an unparseable
   * script prints as one "[ hex ]".
   */
  toAsm(): string {
    const ops = this.ops;
    if (ops === null) return this.raw.length > 0 ? `[ ${this.raw.toString('hex')} ]` : '';
    return ops
      .map((op) => (op.data && op.data.length > 0 ? `[ ${op.data.toString('hex')} ]` : opcodeName(op.code)))
      .join(' ');
  }

  pattern(): ScriptPattern {
    // Most outputs are plain P2PKH: no op list is needed to say so.
    if (this.parsed === undefined && isPayKeyHashBytes(this.raw)) return 'pay_key_hash';
    const ops = this.ops;
    if (ops === null) return 'non_standard';
    return classify(ops);
  }

  /** hash160 of a P2PKH-family output (plain, deposit, attenuation, sequence lock). */
  getPubkeyHash(): Buffer | null {
    const ops = this.ops;
    if (!ops) return null;
    switch (classify(ops)) {
      case 'pay_key_hash':
        return ops[2].data;
      case 'pay_key_hash_with_lock_height':
        return ops[4].data;
      case 'pay_key_hash_with_attenuation_model':
      case 'pay_key_hash_with_sequence_lock':
        return ops[5].data;
      default:
        return null;
    }
  }

  getScriptHash(): Buffer | null {
    const ops = this.ops;
    if (!ops || classify(ops) !== 'pay_script_hash') return null;
    return ops[1].data;
  }

  /** Count of CHECKSIG-family operations (legacy sigops; `accurate` as for blocks). */
  sigopCount(accurate: boolean): number {
    if (this.parsed === undefined) return countSigops(this.raw, accurate);
    const ops = this.ops;
    if (!ops) return 0;
    let total = 0;
    let prev = -1;
    for (const op of ops) {
      if (op.code === OP.CHECKSIG || op.code === OP.CHECKSIGVERIFY) total += 1;
      else if (op.code === OP.CHECKMULTISIG || op.code === OP.CHECKMULTISIGVERIFY) {
        total += accurate && prev >= OP.OP_1 && prev <= OP.OP_16 ? prev - OP.OP_1 + 1 : 20;
      }
      prev = op.code;
    }
    return total;
  }

  /** True when the bytes hold an opcode byte the reference cannot re-serialize (see OP.RAW_DATA). */
  hasUnserializableOpcode(): boolean {
    if (this.parsed !== undefined) return this.parsed !== null && this.parsed.some((op) => op.code === OP.RAW_DATA);
    // Every decoded script is asked this; scanning leaves the op list to the callers that need it.
    return hasRawDataOpcode(this.raw);
  }
}

export function classify(ops: readonly ScriptOp[]): ScriptPattern {
  const n = ops.length;
  const pushOnly = ops.every((o) => isPushOpcode(o.code));
  // null_data: OP_RETURN + one direct push (≤ 80 by the nominal limit; a direct push is ≤ 75)
  if (n === 2 && ops[0].code === OP.RETURN && isSpecial(ops[1]) && ops[1].data!.length <= MAX_NULL_DATA) return 'null_data';
  if (isPayMultisig(ops)) return 'pay_multisig';
  if (n === 2 && isSpecial(ops[0]) && isPublicKey(ops[0].data) && ops[1].code === OP.CHECKSIG) return 'pay_public_key';
  if (
    n === 5 &&
    ops[0].code === OP.DUP &&
    ops[1].code === OP.HASH160 &&
    isSpecial(ops[2]) &&
    ops[2].data!.length === 20 &&
    ops[3].code === OP.EQUALVERIFY &&
    ops[4].code === OP.CHECKSIG
  )
    return 'pay_key_hash';
  if (
    n === 7 &&
    isSpecial(ops[0]) &&
    ops[1].code === OP.NUMEQUALVERIFY &&
    ops[2].code === OP.DUP &&
    ops[3].code === OP.HASH160 &&
    isSpecial(ops[4]) &&
    ops[4].data!.length === 20 &&
    ops[5].code === OP.EQUALVERIFY &&
    ops[6].code === OP.CHECKSIG
  )
    return 'pay_key_hash_with_lock_height';
  if (n === 3 && ops[0].code === OP.HASH160 && isSpecial(ops[1]) && ops[1].data!.length === 20 && ops[2].code === OP.EQUAL)
    return 'pay_script_hash';
  if (n >= 2 && pushOnly && ops[0].code === OP.ZERO && ops.slice(1, n - 1).every(isSpecial)) return 'sign_multisig';
  if (n === 1 && pushOnly) return 'sign_public_key';
  if (n === 2 && pushOnly && isPublicKey(ops[1].data)) return 'sign_key_hash';
  if (n === 3 && pushOnly && isPublicKey(ops[1].data)) return 'sign_key_hash_with_lock_height';
  if (n >= 2 && pushOnly && isSignScriptHash(ops)) return 'sign_script_hash';
  if (n === 1 && ops[0].code === OP.RETURN) return 'pay_blackhole_address';
  if (
    n === 8 &&
    ops[0].code === OP.PUSHDATA2 &&
    isSpecial(ops[1]) &&
    ops[2].code === OP.CHECKATTENUATIONVERIFY &&
    ops[3].code === OP.DUP &&
    ops[4].code === OP.HASH160 &&
    isSpecial(ops[5]) &&
    ops[5].data!.length === 20 &&
    ops[6].code === OP.EQUALVERIFY &&
    ops[7].code === OP.CHECKSIG
  )
    return 'pay_key_hash_with_attenuation_model';
  if (
    n === 8 &&
    isSpecial(ops[0]) &&
    ops[1].code === OP.CHECKSEQUENCEVERIFY &&
    ops[2].code === OP.DROP &&
    ops[3].code === OP.DUP &&
    ops[4].code === OP.HASH160 &&
    isSpecial(ops[5]) &&
    ops[5].data!.length === 20 &&
    ops[6].code === OP.EQUALVERIFY &&
    ops[7].code === OP.CHECKSIG
  )
    return 'pay_key_hash_with_sequence_lock';
  return 'non_standard';
}

function isPayMultisig(ops: readonly ScriptOp[]): boolean {
  const n = ops.length;
  if (n < 4 || ops[n - 1].code !== OP.CHECKMULTISIG) return false;
  const m = ops[0].code;
  const k = ops[n - 2].code;
  if (m < OP.OP_1 || m > k || k < OP.OP_1 || k > OP.OP_16) return false;
  if (k - OP.OP_1 + 1 !== n - 3) return false;
  for (let i = 1; i < n - 2; i++) if (!isPublicKey(ops[i].data)) return false;
  return true;
}

function isSignScriptHash(ops: readonly ScriptOp[]): boolean {
  const redeem = ops[ops.length - 1].data;
  if (!redeem || redeem.length === 0) return false;
  const inner = parseOps(redeem);
  if (!inner) return false;
  const p = classify(inner);
  return p === 'pay_multisig' || p === 'pay_public_key' || p === 'pay_key_hash' || p === 'pay_script_hash' || p === 'null_data';
}

// ---------------------------------------------------------------------------
// Script numbers (CScriptNum): minimal little-endian sign-magnitude.

export function encodeScriptNum(value: number | bigint): Buffer {
  let v = BigInt(value);
  if (v === 0n) return Buffer.alloc(0);
  const neg = v < 0n;
  if (neg) v = -v;
  const bytes: number[] = [];
  while (v > 0n) {
    bytes.push(Number(v & 0xffn));
    v >>= 8n;
  }
  if (bytes[bytes.length - 1] & 0x80) bytes.push(neg ? 0x80 : 0x00);
  else if (neg) bytes[bytes.length - 1] |= 0x80;
  return Buffer.from(bytes);
}

/**
 * Decode a script number. With `requireMinimal`, non-minimal encodings fail
 * (as CScriptNum does in minimal mode); returns null on failure or when longer
 * than `maxSize`.
 */
export function decodeScriptNum(data: Uint8Array, maxSize = 4, requireMinimal = true): bigint | null {
  if (data.length > maxSize) return null;
  if (data.length === 0) return 0n;
  if (requireMinimal) {
    const last = data[data.length - 1];
    if ((last & 0x7f) === 0 && (data.length <= 1 || (data[data.length - 2] & 0x80) === 0)) return null;
  }
  let v = 0n;
  for (let i = 0; i < data.length; i++) v |= BigInt(data[i]) << BigInt(8 * i);
  const last = data[data.length - 1];
  if (last & 0x80) {
    v &= ~(0x80n << BigInt(8 * (data.length - 1)));
    return -v;
  }
  return v;
}

// ---------------------------------------------------------------------------
// Standard templates (operation::to_*_pattern)

export function p2pkhScript(hash160: Uint8Array): Script {
  return Script.fromOps([opcode(OP.DUP), opcode(OP.HASH160), pushOp(hash160), opcode(OP.EQUALVERIFY), opcode(OP.CHECKSIG)]);
}

export function p2shScript(hash160: Uint8Array): Script {
  return Script.fromOps([opcode(OP.HASH160), pushOp(hash160), opcode(OP.EQUAL)]);
}

export function multisigScript(m: number, pubkeys: readonly Uint8Array[]): Script {
  const n = pubkeys.length;
  if (m < 1 || m > n || n < 1 || n > 16) throw new CodecError('BAD_VALUE', `invalid multisig ${m}-of-${n}`);
  for (const k of pubkeys) if (!isPublicKey(k)) throw new CodecError('BAD_VALUE', 'invalid public key in multisig');
  return Script.fromOps([opcode(OP.OP_1 + m - 1), ...pubkeys.map((k) => pushOp(k)), opcode(OP.OP_1 + n - 1), opcode(OP.CHECKMULTISIG)]);
}

export function nullDataScript(data: Uint8Array): Script {
  if (data.length === 0 || data.length > 75) throw new CodecError('BAD_VALUE', 'null data must be 1..75 bytes');
  return Script.fromOps([opcode(OP.RETURN), pushOp(data)]);
}

/** Deposit: `<lock height> NUMEQUALVERIFY DUP HASH160 <hash> EQUALVERIFY CHECKSIG`. */
export function lockHeightScript(hash160: Uint8Array, lockHeight: number): Script {
  const num = encodeScriptNum(lockHeight);
  return Script.fromOps([
    { code: num.length, data: num },
    opcode(OP.NUMEQUALVERIFY),
    opcode(OP.DUP),
    opcode(OP.HASH160),
    pushOp(hash160),
    opcode(OP.EQUALVERIFY),
    opcode(OP.CHECKSIG),
  ]);
}

/** Asset lock (MIP-8): the model parameter is always pushed with PUSHDATA2. */
export function attenuationScript(hash160: Uint8Array, modelParam: string | Uint8Array, inputPoint: Uint8Array): Script {
  const param = typeof modelParam === 'string' ? Buffer.from(modelParam, 'ascii') : Buffer.from(modelParam);
  if (inputPoint.length !== 36) throw new CodecError('BAD_VALUE', 'attenuation input point must be 36 bytes');
  return Script.fromOps([
    { code: OP.PUSHDATA2, data: param },
    pushOp(inputPoint),
    opcode(OP.CHECKATTENUATIONVERIFY),
    opcode(OP.DUP),
    opcode(OP.HASH160),
    pushOp(hash160),
    opcode(OP.EQUALVERIFY),
    opcode(OP.CHECKSIG),
  ]);
}

/** Stake lock: `<sequence> CHECKSEQUENCEVERIFY DROP DUP HASH160 <hash> EQUALVERIFY CHECKSIG`. */
export function sequenceLockScript(hash160: Uint8Array, sequence: number): Script {
  const num = encodeScriptNum(sequence);
  if (num.length === 0) throw new CodecError('BAD_VALUE', 'sequence lock must be non-zero');
  return Script.fromOps([
    { code: num.length, data: num },
    opcode(OP.CHECKSEQUENCEVERIFY),
    opcode(OP.DROP),
    opcode(OP.DUP),
    opcode(OP.HASH160),
    pushOp(hash160),
    opcode(OP.EQUALVERIFY),
    opcode(OP.CHECKSIG),
  ]);
}

/** Lock height of a deposit output script (CScriptNum, minimal, ≤ 4 bytes), or null. */
export function depositLockHeight(script: Script): number | null {
  const ops = script.ops;
  if (!ops || classify(ops) !== 'pay_key_hash_with_lock_height') return null;
  const v = decodeScriptNum(ops[0].data!, 4, true);
  return v === null ? null : Number(v);
}

/** Sequence value of a stake-lock output script, or null. */
export function sequenceLockValue(script: Script): number | null {
  const ops = script.ops;
  if (!ops || classify(ops) !== 'pay_key_hash_with_sequence_lock') return null;
  const v = decodeScriptNum(ops[0].data!, 4, true);
  return v === null ? null : Number(BigInt.asUintN(32, v));
}

/** Model parameter and input point of an attenuation output script, or null. */
export function attenuationParts(script: Script): { param: Buffer; inputPoint: Buffer } | null {
  const ops = script.ops;
  if (!ops || classify(ops) !== 'pay_key_hash_with_attenuation_model') return null;
  return { param: ops[0].data!, inputPoint: ops[1].data! };
}
