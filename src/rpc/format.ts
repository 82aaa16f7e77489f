/**
 * mvsd's JSON shapes of chain objects (mvs-rpc §2.2), as
 * mvs-org/metaverse: src/lib/explorer/json_helper.cpp emits them:
 *   HDR (header), BLK (block), TXB / TX (transaction, TX adds height),
 *   IN, OUT and ATT (attachment).
 *
 * The API version changes types, not content: v1 (/rpc) writes every number
 * through `operator+=` (a string), v2/v3 write numbers, except TX `lock_time`
 * and `version` which are strings in every version; v3 names the header time
 * `timestamp`, v1/v2 `time_stamp`; v1/v2 `getblock` wraps header and
 * transactions (`{header:{result}, txs:{transactions}}`). Keys are emitted in
 * jsoncpp's sorted member order. uint64 values are exact (bigint beyond 2^53).
 */
import type { Block } from '../primitives/block.js';
import type { BlockHeader } from '../primitives/header.js';
import type { Transaction, TxInput, TxOutput } from '../primitives/transaction.js';
import { Script, classify, decodeScriptNum, attenuationParts } from '../primitives/script.js';
import { Attachment, ATTACHMENT_TYPE, DID_STATUS, MIT_STATUS, CERT_TYPE, text } from '../primitives/attachment.js';
import { scriptAddress, inputAddress as inputScriptAddress, type AddressVersions } from '../primitives/address.js';
import { hashToHex } from '../primitives/hex.js';
import { sha256d } from '../crypto/hash.js';
import type { ApiVersion } from './params.js';
import type { JsonValue } from './json.js';

export interface FormatContext {
  apiVersion: ApiVersion;
  /** Address versions of the node's network (mvs-wire §1.1). */
  addresses: AddressVersions;
}

type Obj = { [key: string]: JsonValue };

/** uint64 as an exact JSON integer: a number when safe, else a bigint. */
export function exactInteger(v: bigint | number): number | bigint {
  if (typeof v === 'number') return v;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** A number as the version writes it: v1 through `+=` (decimal string), v2/v3 as a JSON number. */
function num(ctx: FormatContext, v: bigint | number): JsonValue {
  return ctx.apiVersion === 1 ? v.toString() : exactInteger(v);
}

/** Object with keys in jsoncpp's (byte-wise sorted) order, undefined members dropped. */
function sorted(entries: Record<string, JsonValue | undefined>): Obj {
  const out: Obj = {};
  for (const k of Object.keys(entries).sort()) {
    const v = entries[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Addresses (wallet/payment_address.cpp payment_address::extract)

/** The address an output script pays, as text (primitives/address.ts scriptAddress). */
export function outputAddress(script: Script, versions: AddressVersions): string | null {
  return scriptAddress(script, versions)?.toString() ?? null;
}

/** The address an input spends from, as text; coinbase inputs (null prevout) have none. */
export function inputAddress(input: TxInput, versions: AddressVersions): string | null {
  if (input.prevout.isNull()) return null;
  return inputScriptAddress(input.script, versions)?.toString() ?? null;
}

/** Every address a transaction touches (inputs then outputs, duplicates removed), for websocket matching. */
export function transactionAddresses(tx: Transaction, versions: AddressVersions): string[] {
  const out = new Set<string>();
  for (const i of tx.inputs) {
    const a = inputAddress(i, versions);
    if (a) out.add(a);
  }
  for (const o of tx.outputs) {
    const a = outputAddress(o.script, versions);
    if (a) out.add(a);
  }
  return [...out];
}

/** Disassembly of an input script; coinbase scripts are one raw `[ hex ]` item (§4.3). */
export function inputScriptText(input: TxInput): string {
  if (input.prevout.isNull()) return input.script.length > 0 ? `[ ${input.script.toHex()} ]` : '';
  return input.script.toAsm();
}

// ---------------------------------------------------------------------------
// Outputs

/** Lock height of a deposit output, else 0 (json_helper: locked_height_range). */
export function lockedHeightRange(script: Script): bigint {
  const ops = script.ops;
  if (!ops || classify(ops) !== 'pay_key_hash_with_lock_height') return 0n;
  const v = decodeScriptNum(ops[0].data!, 8, false);
  return v === null || v < 0n ? 0n : v;
}

const MODEL_KEY_NAMES: Record<string, string> = {
  PN: 'current_period_nbr',
  LH: 'next_interval',
  TYPE: 'type',
  LQ: 'lock_quantity',
  LP: 'lock_period',
  UN: 'total_period_nbr',
  IR: 'inflation_rate',
};

const U64_MOD = 1n << 64n;

/** std::stoull: leading blanks, optional sign (a minus wraps), digits; junk after them ignored. */
function stoull(s: string): bigint | null {
  const m = /^\s*([+-]?)(\d+)/.exec(s);
  if (!m) return null;
  let v = BigInt(m[2]);
  if (v >= U64_MOD) return null;
  if (m[1] === '-' && v !== 0n) v = U64_MOD - v;
  return v;
}

/**
 * The attenuation model parameter ("PN=0;LH=20000;TYPE=1;LQ=9000;LP=60000;UN=3")
 * as json_helper::prop_attenuation_model_param prints it: each KEY=VALUE under
 * its display name (PN current_period_nbr, LH next_interval, TYPE type, LQ
 * lock_quantity, LP lock_period, UN total_period_nbr, IR inflation_rate), and
 * UC/UQ lists paired into `locked: [{number, quantity}]` when both have the same
 * non-zero length. Deviation: a scalar value that is not a number is skipped
 * (the reference's stoull would throw and fail the whole call with 1000).
 */
export function attenuationModelParam(param: string): Obj {
  const tree: Record<string, JsonValue> = {};
  let cycles: bigint[] = [];
  let quantities: bigint[] = [];
  for (const kv of param.split(';').filter((s) => s.length > 0)) {
    const parts = kv.split('=').filter((s) => s.length > 0);
    if (parts.length !== 2) continue;
    const [key, value] = parts;
    if (key === 'UC' || key === 'UQ') {
      const items = value.split(',').filter((s) => s.length > 0).map(stoull);
      if (items.some((x) => x === null)) {
        cycles = [];
        quantities = [];
        continue;
      }
      if (key === 'UC') cycles.push(...(items as bigint[]));
      else quantities.push(...(items as bigint[]));
      continue;
    }
    const n = stoull(value);
    if (n === null) continue;
    tree[MODEL_KEY_NAMES[key] ?? key] = exactInteger(n);
  }
  if (cycles.length > 0 && cycles.length === quantities.length) {
    tree.locked = cycles.map((c, i) => ({ number: exactInteger(c), quantity: exactInteger(quantities[i]) }));
  }
  return sorted(tree);
}

/**
 * Stealth metadata of a null-data output with at least 32 data bytes
 * (libbitcoin math/stealth.cpp): prefix = first 4 bytes (LE) of
 * dSHA256(script), ephemeral key = 0x02 ‖ first 32 data bytes. Both strings.
 */
export function stealthInfo(script: Script): Obj | null {
  const ops = script.ops;
  if (!ops || classify(ops) !== 'null_data') return null;
  const data = ops[1].data!;
  if (data.length < 32) return null;
  const prefix = sha256d(script.raw).readUInt32LE(0);
  return { ephemeral_public_key: '02' + data.subarray(0, 32).toString('hex'), prefix: String(prefix) };
}

function certTypeName(certType: number): string {
  switch (certType >>> 0) {
    case CERT_TYPE.ISSUE:
      return 'issue';
    case CERT_TYPE.DOMAIN:
      return 'domain';
    case CERT_TYPE.NAMING:
      return 'naming';
    case CERT_TYPE.MINING:
      return 'mining';
    case CERT_TYPE.WITNESS:
      return 'witness';
    case CERT_TYPE.MARRIAGE:
      return 'marriage';
    case CERT_TYPE.KYC:
      return 'KYC';
    default:
      // asset_cert::get_type_name: unnamed types print as hex.
      return '0x' + (certType >>> 0).toString(16);
  }
}

function mitStatusName(status: number): string {
  if (status === MIT_STATUS.REGISTER) return 'registered';
  if (status === MIT_STATUS.TRANSFER) return 'transfered';
  return 'none';
}

/** ATT: the attachment object by type (json_helper prop_list(attachment)). */
export function formatAttachment(att: Attachment, ctx: FormatContext): Obj {
  const b = att.body;
  const fields: Record<string, JsonValue | undefined> = {};
  if (att.type === ATTACHMENT_TYPE.ETP) {
    fields.type = 'etp';
  } else if (att.type === ATTACHMENT_TYPE.ASSET && b.kind === 'asset_issue') {
    const raw = b.secondaryIssueThreshold;
    const isSecondary = raw >= 128;
    fields.type = 'asset-issue';
    fields.symbol = text(b.symbol);
    fields.issuer = text(b.issuer);
    fields.address = text(b.address);
    fields.description = text(b.description);
    fields.quantity = num(ctx, b.maximumSupply);
    fields.decimal_number = num(ctx, b.decimalNumber);
    fields.secondaryissue_threshold = num(ctx, isSecondary ? raw - 128 : raw);
    fields.is_secondaryissue = ctx.apiVersion === 1 ? String(isSecondary) : isSecondary;
  } else if (att.type === ATTACHMENT_TYPE.ASSET && b.kind === 'asset_transfer') {
    fields.type = 'asset-transfer';
    fields.symbol = text(b.symbol);
    fields.quantity = num(ctx, b.quantity);
  } else if (att.type === ATTACHMENT_TYPE.MIT && b.kind === 'mit') {
    fields.type = 'mit';
    fields.symbol = text(b.symbol);
    fields.address = text(b.address);
    fields.status = mitStatusName(b.status);
    if (b.status === MIT_STATUS.REGISTER) fields.content = text(b.content ?? Buffer.alloc(0));
  } else if (att.type === ATTACHMENT_TYPE.CERT && b.kind === 'cert') {
    fields.type = 'asset-cert';
    fields.symbol = text(b.symbol);
    fields.owner = text(b.owner);
    fields.address = text(b.address);
    fields.cert = certTypeName(b.certType);
    if (b.content !== null) fields.content = text(b.content);
  } else if (att.type === ATTACHMENT_TYPE.DID && b.kind === 'did') {
    fields.type = b.status === DID_STATUS.REGISTER ? 'did-register' : 'did-transfer';
    fields.symbol = text(b.symbol);
    fields.address = text(b.address);
  } else if (att.type === ATTACHMENT_TYPE.MESSAGE && b.kind === 'message') {
    fields.type = 'message';
    fields.content = text(b.content);
  } else if (att.type === ATTACHMENT_TYPE.COINSTAKE) {
    fields.type = 'coinstake';
  } else {
    fields.type = 'unknown business';
  }
  if (att.isDidVersion()) {
    fields.from_did = text(att.fromDid);
    fields.to_did = text(att.toDid);
  }
  return sorted(fields);
}

/** OUT (json_helper prop_list(tx_output, index)). */
export function formatOutput(output: TxOutput, index: number, ctx: FormatContext): Obj {
  const address = outputAddress(output.script, ctx.addresses);
  const attenuation = attenuationParts(output.script);
  return sorted({
    address: address ?? undefined,
    attachment: formatAttachment(output.attachment, ctx),
    attenuation_model_param: attenuation ? attenuationModelParam(attenuation.param.toString('latin1')) : undefined,
    index: num(ctx, index),
    locked_height_range: num(ctx, lockedHeightRange(output.script)),
    script: output.script.toAsm(),
    // Only when derivable; the old reference wrote an empty object for every
    // address-less output, later releases (and their docs) do not.
    stealth: address === null ? (stealthInfo(output.script) ?? undefined) : undefined,
    value: num(ctx, output.value),
  });
}

/** IN (json_helper prop_list(tx_input)). */
export function formatInput(input: TxInput, ctx: FormatContext): Obj {
  return sorted({
    address: inputAddress(input, ctx.addresses) ?? undefined,
    previous_output: { hash: hashToHex(input.prevout.hash), index: num(ctx, input.prevout.index) },
    script: inputScriptText(input),
    sequence: num(ctx, input.sequence),
  });
}

export interface TxFormatOptions {
  /** Adds `height` (TX instead of TXB); 0 means mempool. */
  height?: number | bigint;
}

/** TXB, or TX with `height` (json_helper prop_list(transaction[, height])). */
export function formatTransaction(tx: Transaction, ctx: FormatContext, options: TxFormatOptions = {}): Obj {
  const outputs: JsonValue = tx.outputs.map((o, i) => formatOutput(o, i, ctx));
  return sorted({
    hash: tx.txid(),
    height: options.height === undefined ? undefined : num(ctx, options.height),
    inputs: tx.inputs.map((i) => formatInput(i, ctx)),
    lock_time: String(tx.locktime),
    // v1 compatibility in the reference: an empty output list prints as "".
    outputs: ctx.apiVersion === 1 && tx.outputs.length === 0 ? '' : outputs,
    version: String(tx.version),
  });
}

/** HDR (json_helper prop_list(header)). `transactionCount` is what the caller knows (0 for a bare header). */
export function formatHeader(header: BlockHeader, transactionCount: number | bigint, ctx: FormatContext): Obj {
  return sorted({
    bits: header.bits.toString(),
    hash: header.hashHex(),
    merkle_tree_hash: hashToHex(header.merkleRoot),
    mixhash: header.mixHashDecimal(),
    nonce: header.nonce.toString(),
    number: num(ctx, header.number),
    previous_block_hash: hashToHex(header.prevHash),
    [ctx.apiVersion >= 3 ? 'timestamp' : 'time_stamp']: num(ctx, header.timestamp),
    transaction_count: num(ctx, transactionCount),
    version: num(ctx, header.version),
  });
}

export interface BlockFormatOptions {
  /** false → transactions as raw hex (getblock's `tx_json`). */
  txJson?: boolean;
}

/**
 * BLK. v3: HDR + `transactions` (+ `blocksig` for PoS/DPoS, `public_key` for
 * DPoS). v1/v2: `{header:{result:HDR}, txs:{transactions:[…]}}` as the older
 * serializer nests them, raw transactions there as `{raw: hex}`.
 * (getblock with json=false returns `block.toHex()` itself.)
 */
export function formatBlock(block: Block, ctx: FormatContext, options: BlockFormatOptions = {}): Obj {
  const txJson = options.txJson ?? true;
  const header = formatHeader(block.header, block.txs.length, ctx);
  if (ctx.apiVersion >= 3) {
    return sorted({
      ...header,
      blocksig: block.blockSig ? block.blockSig.toString('hex') : undefined,
      public_key: block.publicKey ? block.publicKey.toString('hex') : undefined,
      transactions: block.txs.map((tx) => (txJson ? formatTransaction(tx, ctx) : tx.toHex())),
    });
  }
  return {
    header: { result: header },
    txs: { transactions: block.txs.map((tx) => (txJson ? formatTransaction(tx, ctx) : { raw: tx.toHex() })) },
  };
}
