import type { Block } from '../primitives/block.js';
import { MAX_BLOCK_SIZE } from '../primitives/block.js';
import type { BlockHeader } from '../primitives/header.js';
import { BLOCK_VERSION } from '../primitives/header.js';
import type { Transaction, TxOutput } from '../primitives/transaction.js';
import { OutPoint } from '../primitives/transaction.js';
import { ATTACHMENT_TYPE } from '../primitives/attachment.js';
import { encodeScriptNum, decodeScriptNum, depositLockHeight, parseOps, Script } from '../primitives/script.js';
import { Address, scriptAddress } from '../primitives/address.js';
import { hashToHex } from '../primitives/hex.js';
import { type Network, MAX_MONEY, blockSubsidy, depositReward, checkpointHash } from '../networks/index.js';
import { VerifyError } from './errors.js';
import { checkTransaction, isCoinstake, MIN_TX_FEE, TX_VERSION } from './tx.js';
import { requiredBits, type AncestorLookup } from './difficulty.js';
import { Coin, type CoinView, type SpentCoin } from './coin.js';
// pos.ts imports isFinalTx from here; the cycle is between function bodies only.
import { checkPosGenesisTx } from './pos.js';

export const MAX_BLOCK_SIGOPS = MAX_BLOCK_SIZE / 50;
const LOCKTIME_THRESHOLD = 500_000_000;
const SEQUENCE_FINAL = 0xffffffff;
const SEQUENCE_DISABLE_FLAG = 0x80000000;
const SEQUENCE_TYPE_FLAG = 1 << 22;
const SEQUENCE_MASK = 0x000fffff;
/** Relative time locks count 32-second units (shift 5; Bitcoin: 512 s). */
const SEQUENCE_GRANULARITY = 5;
const U64 = (1n << 64n) - 1n;

/** Legacy sigops of one transaction (accurate counting, as for blocks; mvs-consensus §4.3). */
export function legacySigops(tx: Transaction): number {
  let n = 0;
  for (const i of tx.inputs) n += i.script.sigopCount(true);
  for (const o of tx.outputs) n += o.script.sigopCount(true);
  return n;
}

/** Number of leading coinbase-shaped transactions plus the PoS coinstake (the "leading group"). */
export function leadingGroupSize(block: Block, network: Network): number {
  const pos = block.header.version === BLOCK_VERSION.POS;
  let i = 0;
  for (; i < block.txs.length; i++) {
    const tx = block.txs[i];
    if (tx.isCoinbase()) continue;
    if (pos && i === 1 && isCoinstake(tx, network)) continue;
    break;
  }
  return i;
}

/**
 * check_block's transaction and layout rules (mvs-consensus §3.2, §4.3, §4.5):
 * size, coinbase layout and BIP34 height prefixes, per-transaction checks,
 * distinct txids, legacy sigops, merkle root. `height` is the block's height
 * on its branch (used for BIP34 and the tip-dependent transaction gates).
 */
export function checkBlockBody(block: Block, network: Network, height: number, opts: { posGenesis?: boolean } = {}): void {
  const txs = block.txs;
  if (txs.length === 0) throw new VerifyError('empty_block', 'block has no transactions');
  if (block.referenceSize() > MAX_BLOCK_SIZE) throw new VerifyError('size_limits', `block larger than ${MAX_BLOCK_SIZE} bytes`);

  const pos = block.header.version === BLOCK_VERSION.POS;
  if (!txs[0].isCoinbase()) throw new VerifyError('first_not_coinbase', 'first transaction is not a coinbase', 100, { txIndex: 0 });
  const lead = leadingGroupSize(block, network);
  if (pos && !(lead >= 2 && isCoinstake(txs[1], network))) throw new VerifyError('miss_coinstake', 'PoS block without a coinstake at index 1');
  for (let i = lead; i < txs.length; i++) {
    if (txs[i].isCoinbase()) throw new VerifyError('extra_coinbases', `coinbase at index ${i} after ordinary transactions`, 100, { txIndex: i });
    if (isCoinstake(txs[i], network)) throw new VerifyError('illegal_coinstake', `coinstake shape at index ${i}`, 100, { txIndex: i });
  }
  if (!pos && lead > 1 && isCoinstake(txs[1], network)) throw new VerifyError('illegal_coinstake', 'coinstake in a non-PoS block', 100, { txIndex: 1 });

  // The first PoS block of a network carries the PoS genesis transaction at index 2, exempt from
  // BIP34 and the reward-coinbase shape (§3.8; the caller decides with pos_exist_before).
  const posGenesis = pos && opts.posGenesis === true;
  if (posGenesis) {
    if (lead < 3 || !txs[2].isCoinbase()) throw new VerifyError('proof_of_stake', 'the first PoS block must carry the PoS genesis transaction at index 2', 100, { txIndex: 2 });
    checkPosGenesisTx(txs[2], network, Address.fromString(network.foundationAddress).toScript(network.address));
  }

  const bip34 = encodeScriptNum(height);
  const prefix = Buffer.concat([Buffer.from([bip34.length]), bip34]);
  for (let i = 0; i < lead; i++) {
    const tx = txs[i];
    if (!tx.isCoinbase()) continue; // the coinstake
    if (posGenesis && i === 2) continue;
    const outs = tx.outputs;
    if (outs.length === 0 || outs[0].attachment.type !== ATTACHMENT_TYPE.ETP) {
      throw new VerifyError('coinbase_output_invalid', `coinbase ${i}: output 0 must carry an ETP attachment`, 100, { txIndex: i });
    }
    if (i === 0) {
      if (outs.length > 2) throw new VerifyError('coinbase_output_invalid', 'coinbase has more than two outputs', 100, { txIndex: 0 });
      if (outs.length === 2 && outs[1].attachment.body.kind !== 'asset_transfer') {
        throw new VerifyError('coinbase_output_invalid', 'coinbase output 1 must be an MST mining transfer', 100, { txIndex: 0 });
      }
    } else if (outs.length !== 1) {
      throw new VerifyError('coinbase_output_invalid', `reward coinbase ${i} must have exactly one output`, 100, { txIndex: i });
    }
    // BIP34 is always active: the serialized input script starts with the height push.
    if (height > 0 && !tx.inputs[0].script.raw.subarray(0, prefix.length).equals(prefix)) {
      throw new VerifyError('coinbase_height_mismatch', `coinbase ${i} does not start with the height ${height}`, 100, { txIndex: i });
    }
  }

  for (let i = 0; i < txs.length; i++) {
    try {
      checkTransaction(txs[i], { network, tipHeight: height - 1, coinstake: pos && i === 1 && i < lead });
    } catch (err) {
      if (err instanceof VerifyError) throw new VerifyError(err.code, `tx ${i} (${txs[i].txid()}): ${err.message}`, err.banScore, { txIndex: i });
      throw err;
    }
  }

  const ids = new Set<string>();
  for (const tx of txs) {
    const id = tx.hash().toString('latin1');
    if (ids.has(id)) throw new VerifyError('duplicate', `duplicate transaction ${tx.txid()} in block`);
    ids.add(id);
  }

  let sigops = 0;
  for (const tx of txs) sigops += legacySigops(tx);
  if (sigops > MAX_BLOCK_SIGOPS) throw new VerifyError('too_many_sigs', `block has ${sigops} legacy sigops (max ${MAX_BLOCK_SIGOPS})`);

  if (!block.computeMerkleRoot().equals(block.header.merkleRoot)) throw new VerifyError('merkle_mismatch', 'merkle root mismatch');
}

export interface HeaderContext {
  network: Network;
  /** Height of the block on its branch. */
  height: number;
  parent: BlockHeader;
  /** Ancestors on the block's own branch. */
  ancestors: AncestorLookup;
  /** Adjusted wall-clock time in seconds. */
  now: number;
}

/**
 * Header rules of check_block / accept_block that need the branch but no
 * coins (mvs-consensus §2, §4.2, §4.4, §4.8, §4.9, §4.12). Ethash is checked
 * separately (by the Ethash engine, off the main thread).
 */
export function checkHeaderContext(header: BlockHeader, ctx: HeaderContext): void {
  const { network, height } = ctx;
  const v = header.version;
  if (v !== BLOCK_VERSION.POW && v !== BLOCK_VERSION.POS && v !== BLOCK_VERSION.DPOS) {
    throw new VerifyError('old_version_block', `block version ${v} is not 1, 2 or 3`);
  }
  if (v === BLOCK_VERSION.DPOS && height < network.dposEnabledHeight) {
    throw new VerifyError('block_version_not_match', 'DPoS blocks are not enabled on this network');
  }
  if (v === BLOCK_VERSION.POS && height <= network.posEnabledHeight) {
    throw new VerifyError('block_version_not_match', 'PoS block before PoS activation');
  }
  // The reference never compares number with the height, but every rule keys on it (§4.12).
  if (header.number !== height) throw new VerifyError('header_number_mismatch', `header number ${header.number} at height ${height}`);
  if (!header.prevHash.equals(ctx.parent.hash())) throw new VerifyError('orphan_block', 'parent hash mismatch');

  // Future window by height (§4.4); a block from the future is not the sender's fault forever.
  const window = height < network.futureBlocktimeForkHeight ? 7200 : height < network.posEnabledHeight ? 24 : 38;
  if (header.timestamp > ctx.now + window) {
    throw new VerifyError('futuristic_timestamp', `timestamp ${header.timestamp} more than ${window}s ahead of ${ctx.now}`, 0);
  }
  if (height >= network.futureBlocktimeForkHeight && header.timestamp < ctx.parent.timestamp) {
    throw new VerifyError('timestamp_too_early', `timestamp ${header.timestamp} before the parent's ${ctx.parent.timestamp}`);
  }

  const check = checkpointHash(network, height);
  if (check && (network.checkpointsInCheckBlock || height === 0) && !check.equals(header.hash())) {
    throw new VerifyError('checkpoints_failed', `block ${height} does not match the checkpoint`);
  }

  const bits = requiredBits(network, height, header, ctx.ancestors);
  if (header.bits !== bits) throw new VerifyError('incorrect_proof_of_work', `bits ${header.bits} but ${bits} required`);

  if (height > network.successiveLimitAboveHeight) {
    // check_max_successive_height: with L the latest height below h of another
    // version, reject when h − L > 60 (PoW) or > 24 (PoS); no such block: pass.
    const limit = v === BLOCK_VERSION.POW ? 60 : 24;
    let run = 0;
    while (run < limit) {
      const a = ctx.ancestors(height - 1 - run);
      if (!a || a.version !== v) break;
      run++;
    }
    if (run === limit) {
      for (let h = height - 1 - limit; h >= 0; h--) {
        const a = ctx.ancestors(h);
        if (!a) break;
        if (a.version !== v) throw new VerifyError('block_intermix_interval_error', `more than ${limit} consecutive version-${v} blocks`);
      }
    }
  }
}

/** Block timestamps by height on the branch (relative time locks read them). */
export type TimestampLookup = (height: number) => number | null;

export interface ConnectContext {
  network: Network;
  height: number;
  /** Median of the 11 timestamps before this block. */
  medianTimePast: number;
  timestampAt: TimestampLookup;
  /**
   * BIP30-like rule (inverted, mvs-consensus §4.5): true when a transaction
   * with this transaction's txid is in the main chain at or below the fork
   * point and all its outputs are spent.
   */
  isSpentDuplicate: (tx: Transaction) => boolean;
  /** Distinguishes "spent" from "never existed" for a missing input (error codes only). */
  outputExisted?: (outpoint: OutPoint) => boolean;
}

export interface ScriptJob {
  txIndex: number;
  inputIndex: number;
  prevScript: Script;
  prevValue: bigint;
}

export interface ConnectResult {
  fees: bigint;
  /** Coins this block spends that existed before it (the undo data), in input order. */
  spent: SpentCoin[];
  /** Script checks still to run (batched to the verification pool by the caller). */
  scriptJobs: ScriptJob[];
  p2shSigops: number;
}

/** Does `tx` satisfy nLockTime at (height, mtp)? (check_final_tx, §5.6) */
export function isFinalTx(tx: Transaction, height: number, mtp: number): boolean {
  if (tx.locktime === 0) return true;
  const limit = tx.locktime < LOCKTIME_THRESHOLD ? height : mtp;
  if (tx.locktime < limit) return true;
  return tx.inputs.every((i) => i.sequence === SEQUENCE_FINAL);
}

/**
 * check_sequence_locks with MVS constants (§5.6): 20-bit values, 32 s time
 * units, the reference time is the timestamp of the block holding the
 * previous output (a parent in the same block is not in the index → fails),
 * u64 arithmetic for heights (a 0 value at height 0 underflows: locked).
 */
export function checkSequenceLocks(
  tx: Transaction,
  /** Per input, the height of the block holding its previous output; null before version 2 (never read). */
  prevHeights: readonly number[] | null,
  height: number,
  mtp: number,
  timestampAt: TimestampLookup,
): boolean {
  if (tx.version < TX_VERSION.CHECK_OUTPUT_SCRIPT || tx.isCoinbase()) return true;
  if (!prevHeights) throw new TypeError('sequence locks of a version-2 transaction need its previous heights');
  let minTime = 0n;
  let minHeight = 0n;
  for (let i = 0; i < tx.inputs.length; i++) {
    const seq = tx.inputs[i].sequence;
    if (seq & SEQUENCE_DISABLE_FLAG) continue;
    const value = BigInt(seq & SEQUENCE_MASK);
    const prevHeight = prevHeights[i];
    if (seq & SEQUENCE_TYPE_FLAG) {
      const ts = prevHeight < height ? timestampAt(prevHeight) : null;
      if (ts === null) return false;
      const t = (BigInt(ts) + (value << BigInt(SEQUENCE_GRANULARITY)) - 1n) & U64;
      if (t > minTime) minTime = t;
    } else {
      const hh = (BigInt(prevHeight) + value - 1n) & U64;
      if (hh > minHeight) minHeight = hh;
    }
  }
  return BigInt(mtp) > minTime && BigInt(height) > minHeight;
}

/**
 * connect_block's strict rules (mvs-consensus §3.2–§3.5, §4.3, §4.5, §4.6,
 * §5.4, §5.6): duplicate rule, deposit pairing, input connection against
 * `view` plus this block's own outputs in any order, maturity, deposit-spend
 * maturity, lock times, sequence locks, fees, P2SH sigops and the coinbase
 * value bound. Script checks are returned as jobs for the caller to batch.
 */
export function connectBlockInputs(block: Block, view: CoinView, ctx: ConnectContext): ConnectResult {
  const { network, height } = ctx;
  const txs = block.txs;
  const pos = block.header.version === BLOCK_VERSION.POS;
  const lead = leadingGroupSize(block, network);

  for (let i = 0; i < txs.length; i++) {
    if (ctx.isSpentDuplicate(txs[i])) {
      throw new VerifyError('duplicate_or_spent', `tx ${txs[i].txid()} duplicates a fully spent transaction`, 100, { txIndex: i });
    }
  }

  // Deposit outputs pair with reward coinbases right after the coinbase (and coinstake).
  let k = pos ? 2 : 1;
  for (let i = lead; i < txs.length; i++) {
    for (const out of txs[i].outputs) {
      // The deposit pattern has exactly seven operations: any other count is no deposit, without classifying.
      if (out.script.opCount() !== 7) continue;
      const lock = depositLockHeight(out.script);
      if (lock === null && out.script.pattern() !== 'pay_key_hash_with_lock_height') continue;
      const reward = lock === null ? null : depositReward(network, lock, out.value);
      const rtx = txs[k];
      const ok =
        rtx !== undefined &&
        reward !== null &&
        rtx.outputs.length > 0 &&
        firstPushNumber(rtx.outputs[0].script) === lock &&
        sameAddress(rtx.outputs[0].script, out.script, network) &&
        rtx.outputs[0].value === reward;
      if (!ok) throw new VerifyError('invalid_coinage_reward_coinbase', `deposit in tx ${i} lacks its reward coinbase at index ${k}`, 100, { txIndex: i });
      k++;
    }
  }

  // This block's own outputs, found by txid (§4.6: spends in any order); a Coin is only built when one is spent.
  const txIndexById = new Map<string, number>();
  for (let i = 0; i < txs.length; i++) txIndexById.set(txs[i].hashKey(), i);
  const lookup = (prevout: OutPoint): { coin: Coin; own: boolean } | null => {
    const t = txIndexById.get(prevout.hashKey());
    if (t !== undefined) {
      const out = txs[t].outputs[prevout.index];
      if (out) return { coin: new Coin(out, height, txs[t].isCoinbase()), own: true };
    }
    const coin = view.getCoin(prevout.toKey(), prevout.keyString());
    return coin ? { coin, own: false } : null;
  };
  const spentHere = new Set<string>();
  const spent: SpentCoin[] = [];
  const scriptJobs: ScriptJob[] = [];
  let fees = 0n;
  let p2shSigops = 0;
  // One context object for every transaction, its per-transaction fields set in the loop: a
  // fresh spread per transaction costs more than the input checks (and varies its shape).
  const txCtx: TxInputContext = {
    network,
    height,
    maturityHeight: height,
    medianTimePast: ctx.medianTimePast,
    timestampAt: ctx.timestampAt,
    outputExisted: ctx.outputExisted,
    coinstake: false,
    txIndex: 0,
    spentHere,
    lockHeightOf: undefined,
    spentOut: spent,
    scriptJobsOut: scriptJobs,
  };

  for (let t = 0; t < txs.length; t++) {
    const tx = txs[t];
    if (tx.isCoinbase()) continue;
    txCtx.coinstake = pos && t === 1 && t < lead;
    txCtx.txIndex = t;
    const r = connectTxInputs(tx, lookup, txCtx);
    fees += r.fee;
    p2shSigops += r.p2shSigops;
    if (fees > MAX_MONEY) throw new VerifyError('fees_out_of_range', 'block fees above max_money', 100, { txIndex: t });
  }
  if (p2shSigops > MAX_BLOCK_SIGOPS) throw new VerifyError('p2sh_sigops_limit', `block has ${p2shSigops} P2SH sigops`);

  let claimed = 0n;
  for (const o of txs[0].outputs) claimed += o.value;
  const allowed = blockSubsidy(network, height, block.header.version) + fees;
  if (claimed > allowed) throw new VerifyError('coinbase_too_large', `coinbase claims ${claimed}, at most ${allowed} allowed`, 100, { txIndex: 0 });

  return { fees, spent, scriptJobs, p2shSigops };
}

export interface TxInputContext {
  network: Network;
  /** Height of the block the transaction goes into (mempool: tip + 1). */
  height: number;
  /** H of the coinbase-maturity rule H − h ≥ maturity: the block height; the tip T in the mempool (§3.2). */
  maturityHeight: number;
  medianTimePast: number;
  timestampAt: TimestampLookup;
  outputExisted?: (outpoint: OutPoint) => boolean;
  coinstake?: boolean;
  txIndex?: number;
  /** Outpoints already spent by earlier transactions of the same block. */
  spentHere?: Set<string>;
  /**
   * Height to use for a previous output in the relative-lock rule; the
   * reference's mempool gives pool parents height 0 (§5.6 [Q]).
   */
  lockHeightOf?: (coin: Coin, own: boolean) => number;
  /** Where to append the spent coins and script jobs (a block's lists); else the result gets its own. */
  spentOut?: SpentCoin[];
  scriptJobsOut?: ScriptJob[];
}

export interface TxInputResult {
  fee: bigint;
  /** Coins spent that existed before (not created by the same block); ctx.spentOut when given. */
  spent: SpentCoin[];
  /** ctx.scriptJobsOut when given. */
  scriptJobs: ScriptJob[];
  p2shSigops: number;
}

/**
 * The per-transaction input rules of connect_block / the mempool (§5.4,
 * §5.6, §3.5): inputs exist and are unspent, value bounds, coinbase maturity,
 * deposit-spend maturity, fee ≥ 10,000 (a coinstake: exactly 0), lock-time
 * finality from PoS activation, sequence locks. `lookup` resolves a previous
 * output (`own` when created in the same block or pool).
 */
export function connectTxInputs(
  tx: Transaction,
  lookup: (prevout: OutPoint) => { coin: Coin; own: boolean } | null,
  ctx: TxInputContext,
): TxInputResult {
  const { network, height } = ctx;
  const t = ctx.txIndex ?? 0;
  const spentHere = ctx.spentHere ?? new Set<string>();
  const spent = ctx.spentOut ?? [];
  const scriptJobs = ctx.scriptJobsOut ?? [];
  let p2shSigops = 0;
  let valueIn = 0n;
  // Only relative locks read the previous heights, and only from transaction version 2 (§5.6).
  const prevHeights: number[] | null = tx.version >= TX_VERSION.CHECK_OUTPUT_SCRIPT ? [] : null;
  for (let n = 0; n < tx.inputs.length; n++) {
    const input = tx.inputs[n];
    const key = input.prevout.toKey();
    const skey = input.prevout.keyString();
    if (spentHere.has(skey)) throw new VerifyError('double_spend', `${input.prevout} spent twice`, 100, inputAt(t, n));
    spentHere.add(skey);
    const found = lookup(input.prevout);
    if (!found) {
      const existed = ctx.outputExisted?.(input.prevout) ?? false;
      throw new VerifyError(existed ? 'double_spend' : 'input_not_found', `${input.prevout} is ${existed ? 'already spent' : 'unknown'}`, 100, inputAt(t, n));
    }
    const { coin, own } = found;
    if (!own) spent.push({ key, coin, keyText: skey });
    if (coin.value > MAX_MONEY) throw new VerifyError('output_value_overflow', 'previous output value above max_money', 100, inputAt(t, n));
    if (coin.coinbase && ctx.maturityHeight - coin.height < network.coinbaseMaturity) {
      throw new VerifyError('coinbase_maturity', `spends a coinbase from height ${coin.height} before maturity (${network.coinbaseMaturity})`, 100, inputAt(t, n));
    }
    checkDepositSpend(input.script, coin, height, t, n);
    valueIn += coin.value;
    if (valueIn > MAX_MONEY) throw new VerifyError('output_value_overflow', 'input total above max_money', 100, inputAt(t, n));
    if (prevHeights) prevHeights.push(ctx.lockHeightOf ? ctx.lockHeightOf(coin, own) : coin.height);
    if (isPayScriptHash(coin.script)) p2shSigops += p2shSigopCount(input.script, t, n);
    scriptJobs.push({ txIndex: t, inputIndex: n, prevScript: coin.script, prevValue: coin.value });
  }
  let valueOut = 0n;
  for (const o of tx.outputs) valueOut += o.value;
  if (valueIn < valueOut) throw new VerifyError('spend_exceeds_value', `tx ${t} spends ${valueOut} from inputs worth ${valueIn}`, 100, { txIndex: t });
  const fee = valueIn - valueOut;
  if (ctx.coinstake ? fee !== 0n : fee < MIN_TX_FEE) {
    throw new VerifyError('fees_out_of_range', `tx ${t} fee ${fee} ${ctx.coinstake ? 'must be 0 for a coinstake' : `below ${MIN_TX_FEE}`}`, 100, { txIndex: t });
  }
  if (tx.version >= TX_VERSION.CHECK_OUTPUT_SCRIPT && height >= network.posEnabledHeight && !isFinalTx(tx, height, ctx.medianTimePast)) {
    throw new VerifyError('non_final_transaction', `tx ${t} is not final`, 100, { txIndex: t });
  }
  if (!checkSequenceLocks(tx, prevHeights, height, ctx.medianTimePast, ctx.timestampAt)) {
    throw new VerifyError('sequence_locked', `tx ${t} spends an output before its relative lock`, 100, { txIndex: t });
  }
  return { fee, spent, scriptJobs, p2shSigops };
}

/** A rejection's position (built only when rejecting: connection runs once per input). */
function inputAt(txIndex: number, inputIndex: number): { txIndex: number; inputIndex: number } {
  return { txIndex, inputIndex };
}

function firstPushNumber(script: Script): number | null {
  const ops = script.ops;
  if (!ops || ops.length === 0 || !ops[0].data) return null;
  const v = decodeScriptNum(ops[0].data, 4, true);
  return v === null ? null : Number(v);
}

function sameAddress(a: Script, b: Script, network: Network): boolean {
  const x = scriptAddress(a, network.address);
  const y = scriptAddress(b, network.address);
  return x !== null && y !== null && x.equals(y);
}

/**
 * Deposit-spend maturity (check_transaction_basic, §3.5): keyed on the *input*
 * pattern `<sig> <pubkey> <lock>` (a leading extra push escapes it — kept as
 * the reference has it); P2SH previous outputs are exempt.
 */
function checkDepositSpend(inputScript: Script, coin: Coin, height: number, t: number, n: number): void {
  // The pattern has exactly three operations; counting first skips classifying every ordinary spend.
  if (inputScript.opCount() !== 3 || inputScript.pattern() !== 'sign_key_hash_with_lock_height') return;
  if (isPayScriptHash(coin.script)) return;
  const data = inputScript.ops![2].data ?? Buffer.alloc(0);
  const lock = decodeScriptNum(data, 4, true);
  if (lock === null) throw new VerifyError('invalid_input_script_lock_height', 'lock height push is not a minimal script number', 100, inputAt(t, n));
  if (lock > BigInt(height - 1 - coin.height)) {
    throw new VerifyError('invalid_input_script_lock_height', `deposit from height ${coin.height} locked for ${lock} blocks`, 100, inputAt(t, n));
  }
}

/**
 * `script.pattern() === 'pay_script_hash'` without parsing: that pattern is
 * exactly HASH160, a direct 20-byte push, EQUAL — the 23 bytes a9 14 <20> 87
 * (the patterns tested before it need 2, 4+, 5 or 7 operations).
 */
function isPayScriptHash(script: Script): boolean {
  const r = script.raw;
  return r.length === 23 && r[0] === 0xa9 && r[1] === 0x14 && r[22] === 0x87;
}

/** Accurate sigops of the redeem script (last push), parsed strictly: a parse failure invalidates the block. */
function p2shSigopCount(inputScript: Script, t: number, n: number): number {
  const ops = inputScript.ops;
  const last = ops && ops.length > 0 ? ops[ops.length - 1].data : null;
  if (!last) return 0;
  const inner = parseOps(last);
  if (!inner) throw new VerifyError('validate_inputs_failed', 'P2SH redeem script does not parse', 100, inputAt(t, n));
  return new Script(last).sigopCount(true);
}

/** Coins a block creates, keyed by outpoint, for the UTXO delta (all outputs, any spend order). */
export function createdCoins(block: Block, height: number): { key: Buffer; coin: Coin; output: TxOutput }[] {
  const out: { key: Buffer; coin: Coin; output: TxOutput }[] = [];
  for (const tx of block.txs) {
    const cb = tx.isCoinbase();
    const h = tx.hash();
    tx.outputs.forEach((o, i) => out.push({ key: new OutPoint(h, i).toKey(), coin: new Coin(o, height, cb), output: o }));
  }
  return out;
}

export function describeBlock(block: Block, height: number): string {
  return `${height}:${hashToHex(block.hash())}`;
}
