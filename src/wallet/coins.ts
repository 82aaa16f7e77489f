import type { Chain } from '../chain/chain.js';
import type { Mempool } from '../mempool/mempool.js';
import type { Network } from '../networks/index.js';
import { Address, scriptAddress } from '../primitives/address.js';
import { ATTACHMENT_TYPE } from '../primitives/attachment.js';
import { depositLockHeight, sequenceLockValue } from '../primitives/script.js';
import { OutPoint, TxOutput } from '../primitives/transaction.js';
import { RELATIVE_LOCKTIME_DISABLED, RELATIVE_LOCKTIME_MASK, RELATIVE_LOCKTIME_TIME_LOCKED, SEQUENCE_FINAL } from '../consensus/script/lock.js';

/**
 * What the wallet reads from the node: the chain's address index and UTXO
 * set (which follow reorgs inside the chain's own write transactions) and the
 * memory pool. Nothing is cached here, so every answer reflects the current
 * tip and pool.
 */
export type WalletChain = Pick<Chain, 'network' | 'height' | 'tip' | 'store' | 'getRecordAt' | 'medianTimePast'>;
export type WalletMempool = Pick<Mempool, 'add' | 'all' | 'spenderOf' | 'get'>;

/** An output paying one of the wallet's addresses, confirmed or in the pool. */
export interface WalletCoin {
  outpoint: OutPoint;
  output: TxOutput;
  /** Block height, or null for an output of a pool transaction. */
  height: number | null;
  coinbase: boolean;
  /** A pool transaction spends it already. */
  spentInPool: boolean;
}

/** Why an unspent coin cannot be spent in the next block (frozen). */
export type FrozenReason = 'immature' | 'deposit' | 'sequence';

export interface AddressBalance {
  /** Confirmed outputs not spent by a confirmed transaction (pool spends ignored). */
  confirmed: bigint;
  /** Every output ever paid to the address, confirmed or pending. */
  received: bigint;
  /** Outputs, confirmed or pending, not spent by a confirmed or pending transaction. */
  unspent: bigint;
  /** The part of `unspent` that cannot be spent yet (immature coinbase, deposit and sequence locks). */
  frozen: bigint;
  /** unspent − frozen. */
  available: bigint;
}

/** The 21-byte address-index key of the chain store: version ‖ hash160 (chain/layout.ts). */
export function addressKey(address: Address): Buffer {
  return Buffer.concat([Buffer.from([address.version]), address.hash]);
}

const outpointKey = (op: OutPoint) => op.keyString();

/**
 * A read view of the chain and pool taken at one moment: the pool's outputs
 * are indexed by address once, the tip height and median time are read once.
 */
export class CoinView {
  readonly network: Network;
  readonly tipHeight: number;
  private readonly poolOutputs = new Map<string, { outpoint: OutPoint; output: TxOutput }[]>();
  private mtp: number | undefined;

  constructor(
    private readonly chain: WalletChain,
    private readonly mempool: WalletMempool,
  ) {
    this.network = chain.network;
    this.tipHeight = chain.height;
    for (const entry of mempool.all()) {
      entry.tx.outputs.forEach((output, index) => {
        const address = scriptAddress(output.script, this.network.address);
        if (!address) return;
        const k = addressKey(address).toString('latin1');
        let list = this.poolOutputs.get(k);
        if (!list) this.poolOutputs.set(k, (list = []));
        list.push({ outpoint: new OutPoint(entry.txid, index), output });
      });
    }
  }

  private spentInPool(outpoint: OutPoint): boolean {
    return this.mempool.spenderOf(outpoint) !== undefined;
  }

  /**
   * Unspent outputs of `address`: confirmed ones newest first (height, then
   * output index, descending — the order of the reference's expand_history,
   * block_chain_impl.cpp, which its coin selection walks), then pool outputs.
   */
  coins(address: Address): WalletCoin[] {
    const key = addressKey(address);
    const confirmed: WalletCoin[] = [];
    for (const entry of this.chain.store.addressCoins(key)) {
      const coin = this.chain.store.getCoin(entry.outpoint);
      if (!coin) continue;
      const outpoint = OutPoint.fromKey(entry.outpoint);
      confirmed.push({ outpoint, output: coin.output, height: coin.height, coinbase: coin.coinbase, spentInPool: this.spentInPool(outpoint) });
    }
    confirmed.sort((a, b) => b.height! - a.height! || b.outpoint.index - a.outpoint.index || Buffer.compare(a.outpoint.hash, b.outpoint.hash));
    const pending = (this.poolOutputs.get(key.toString('latin1')) ?? []).map(
      (p): WalletCoin => ({ outpoint: p.outpoint, output: p.output, height: null, coinbase: false, spentInPool: this.spentInPool(p.outpoint) }),
    );
    return [...confirmed, ...pending];
  }

  /** Sum of every output ever paid to `address` (history) plus the pool's outputs to it. */
  received(address: Address): bigint {
    const key = addressKey(address);
    let total = 0n;
    for (const e of this.chain.store.addressHistory(key)) if (e.kind === 0) total += e.value;
    for (const p of this.poolOutputs.get(key.toString('latin1')) ?? []) total += p.output.value;
    return total;
  }

  private medianTime(): number {
    if (this.mtp === undefined) this.mtp = this.chain.medianTimePast(this.chain.tip);
    return this.mtp;
  }

  /**
   * Whether a coin can be spent in the next block, else why not: coinbase
   * maturity (tip − h ≥ maturity, as the pool checks it, mvs-consensus §3.2),
   * deposit lock (lock ≤ tip − h, §3.5), sequence lock (the input's relative
   * lock with the script's value, §5.6). Deposit and sequence-lock outputs
   * still in the pool are frozen: the reference never spends them
   * (base_transfer_common::get_spendable_output).
   */
  frozenReason(coin: WalletCoin): FrozenReason | null {
    const script = coin.output.script;
    const pattern = script.pattern();
    if (pattern === 'pay_key_hash_with_lock_height') {
      const lock = depositLockHeight(script);
      if (coin.height === null || lock === null || lock > this.tipHeight - coin.height) return 'deposit';
    } else if (pattern === 'pay_key_hash_with_sequence_lock') {
      if (coin.height === null || !this.sequenceLockMature(coin.height, sequenceLockValue(script))) return 'sequence';
    }
    if (coin.coinbase && coin.height !== null && this.tipHeight - coin.height < this.network.coinbaseMaturity) return 'immature';
    return null;
  }

  private sequenceLockMature(height: number, value: number | null): boolean {
    if (value === null) return false;
    if (value & RELATIVE_LOCKTIME_DISABLED) return true;
    const units = value & RELATIVE_LOCKTIME_MASK;
    if (value & RELATIVE_LOCKTIME_TIME_LOCKED) {
      const stamp = this.chain.getRecordAt(height)?.header.timestamp;
      return stamp !== undefined && this.medianTime() > stamp + 32 * units - 1;
    }
    // The next block (tip + 1) must be above h_prev + units − 1.
    return this.tipHeight + 1 > height + units - 1;
  }

  /** Confirmations of a coin: 0 in the pool, 1 in the tip block. */
  confirmations(coin: WalletCoin): number {
    return coin.height === null ? 0 : this.tipHeight - coin.height + 1;
  }

  balance(address: Address): AddressBalance {
    let confirmed = 0n;
    let unspent = 0n;
    let frozen = 0n;
    for (const coin of this.coins(address)) {
      if (coin.height !== null) confirmed += coin.output.value;
      if (coin.spentInPool) continue;
      unspent += coin.output.value;
      if (this.frozenReason(coin)) frozen += coin.output.value;
    }
    return { confirmed, received: this.received(address), unspent, frozen, available: unspent - frozen };
  }
}

export function sumBalances(list: readonly AddressBalance[]): AddressBalance {
  const total: AddressBalance = { confirmed: 0n, received: 0n, unspent: 0n, frozen: 0n, available: 0n };
  for (const b of list) {
    total.confirmed += b.confirmed;
    total.received += b.received;
    total.unspent += b.unspent;
    total.frozen += b.frozen;
    total.available += b.available;
  }
  return total;
}

// ---------------------------------------------------------------------------
// Coin selection (base_transfer_common::sync_fetchutxo / populate_unspent_list,
// src/lib/explorer/extensions/base_helper.cpp)

export interface SelectionOptions {
  /** Skip coins with value in [from, to) (send --exclude). */
  exclude?: readonly [bigint, bigint];
  /** A transaction lock time > 0 needs non-final inputs: sequence-locked coins are skipped. */
  locktime?: number;
  /** createrawtx -c: coins with fewer confirmations are skipped (0: pool outputs allowed). */
  minConfirmations?: number;
}

export interface SelectedCoin {
  coin: WalletCoin;
  /** Address the coin pays (text). */
  address: string;
  /** Input sequence: the lock of a sequence-lock output, final otherwise, "relative lock disabled" with a lock time. */
  sequence: number;
}

/**
 * Whether the coin is a spendable ETP coin under `opts` and, if so, the input
 * sequence to spend it with.
 */
export function spendableSequence(view: CoinView, coin: WalletCoin, opts: SelectionOptions): number | null {
  if (coin.spentInPool) return null;
  if (coin.output.attachment.type !== ATTACHMENT_TYPE.ETP || coin.output.value === 0n) return null;
  const [low, high] = opts.exclude ?? [0n, 0n];
  if (low < high && coin.output.value >= low && coin.output.value < high) return null;
  if ((opts.minConfirmations ?? 0) > view.confirmations(coin)) return null;
  if (view.frozenReason(coin)) return null;
  let sequence = SEQUENCE_FINAL;
  if (coin.output.script.pattern() === 'pay_key_hash_with_sequence_lock') sequence = sequenceLockValue(coin.output.script) ?? SEQUENCE_FINAL;
  if ((opts.locktime ?? 0) > 0) {
    // ref. is_locktime_conflict (BIP65): an input must be non-final for the lock time to count.
    if (sequence !== SEQUENCE_FINAL) return null;
    sequence = RELATIVE_LOCKTIME_DISABLED;
  }
  return sequence;
}

/**
 * Walk `addresses` in order, taking spendable ETP coins until `payment` is
 * covered (the reference stops at the first address that completes it).
 * Returns what was taken; the caller checks the total.
 */
export function selectCoins(view: CoinView, addresses: readonly Address[], payment: bigint, opts: SelectionOptions = {}, taken: SelectedCoin[] = []): { coins: SelectedCoin[]; total: bigint } {
  const seen = new Set(taken.map((t) => outpointKey(t.coin.outpoint)));
  let total = taken.reduce((s, t) => s + t.coin.output.value, 0n);
  const coins = [...taken];
  for (const address of addresses) {
    if (total >= payment) break;
    const text = address.toString();
    for (const coin of view.coins(address)) {
      if (total >= payment) break;
      const k = outpointKey(coin.outpoint);
      if (seen.has(k)) continue;
      const sequence = spendableSequence(view, coin, opts);
      if (sequence === null) continue;
      seen.add(k);
      coins.push({ coin, address: text, sequence });
      total += coin.output.value;
    }
  }
  return { coins, total };
}
