import type { Network } from '../networks/index.js';
import { blockSubsidy, depositReward } from '../networks/index.js';
import { Block, MAX_BLOCK_SIZE } from '../primitives/block.js';
import { BLOCK_VERSION, HEADER_SIZE } from '../primitives/header.js';
import type { Transaction } from '../primitives/transaction.js';
import { depositLockHeight, lockHeightScript, type Script } from '../primitives/script.js';
import { scriptAddress } from '../primitives/address.js';
import { requiredBits } from '../consensus/difficulty.js';
import { legacySigops, MAX_BLOCK_SIGOPS } from '../consensus/block.js';
import type { Chain } from '../chain/chain.js';
import type { Mempool, MempoolEntry } from '../mempool/mempool.js';
import { BinaryHeap } from '../mempool/heap.js';
import { createCoinbase, assembleBlock } from './assemble.js';

/** The reference miner fills at most half a block (miner.cpp get_block_transactions). */
export const TEMPLATE_MAX_SIZE = MAX_BLOCK_SIZE / 2;

export interface TemplateOptions {
  chain: Chain;
  mempool?: Mempool;
  network: Network;
  /** Output script of the coinbase (the miner's address). */
  payTo: Script;
  now?: () => number;
  /** Size budget in bytes (default TEMPLATE_MAX_SIZE); the block stays strictly below it. */
  maxSize?: number;
  /** Sigop budget, legacy plus P2SH (default MAX_BLOCK_SIGOPS); the block stays strictly below it. */
  maxSigops?: number;
  /** Extra coinbase push (distinct coinbases for parallel templates). */
  extraNonce?: Buffer;
}

export interface BlockTemplate {
  block: Block;
  height: number;
  fees: bigint;
  /** Parent hash this template builds on (stale when the tip moves). */
  prevHash: Buffer;
  txCount: number;
  createdAt: number;
}

/**
 * A PoW block template (create_new_block_pow, mvs-consensus §7.1): version 1,
 * number tip+1, timestamp max(now, parent), bits by the difficulty rule, a
 * coinbase paying subsidy + fees, then — before PoS — one reward coinbase per
 * deposit output (paired in order, §3.5), then pool transactions by fee rate
 * with parents before children, within the size and sigop limits.
 */
export function buildTemplate(opts: TemplateOptions): BlockTemplate {
  const { chain, network } = opts;
  const tip = chain.tip;
  const height = tip.height + 1;
  const now = (opts.now ?? (() => Math.floor(Date.now() / 1000)))();
  const timestamp = Math.max(now, tip.header.timestamp);
  const maxSize = opts.maxSize ?? TEMPLATE_MAX_SIZE;
  const lookup = (h: number) => chain.getRecordAt(h)?.header ?? null;
  const bits = requiredBits(network, height, { version: BLOCK_VERSION.POW, timestamp, bits: 0n, number: height }, lookup);

  const coinbaseProbe = createCoinbase(height, opts.payTo, 0n, opts.extraNonce);
  const picked = opts.mempool
    ? selectTransactions(opts.mempool.entryList(), {
        network,
        height,
        maxSize,
        maxSigops: opts.maxSigops ?? MAX_BLOCK_SIGOPS,
        // Header, the largest transaction-count varint, the coinbase (its value has a fixed width).
        baseSize: HEADER_SIZE + 9 + coinbaseProbe.size(),
        baseSigops: legacySigops(coinbaseProbe),
      })
    : { selected: [], rewards: [], fees: 0n };
  const { selected, rewards, fees } = picked;

  const coinbase = createCoinbase(height, opts.payTo, blockSubsidy(network, height, BLOCK_VERSION.POW) + fees, opts.extraNonce);
  const block = assembleBlock({ prevHash: tip.hash, height, timestamp, bits, txs: [coinbase, ...rewards, ...selected.map((e) => e.tx)] });
  return { block, height, fees, prevHash: tip.hash, txCount: block.txs.length, createdAt: now };
}

interface SelectionLimits {
  network: Network;
  height: number;
  maxSize: number;
  maxSigops: number;
  /** Bytes and sigops already taken by the header and the coinbase. */
  baseSize: number;
  baseSigops: number;
}

interface Selection {
  selected: MempoolEntry[];
  rewards: Transaction[];
  fees: bigint;
}

/** Highest fee rate first; ties by arrival time, then txid, so a template is a function of the pool. */
function compareCandidates(a: MempoolEntry, b: MempoolEntry): number {
  return b.feeRate - a.feeRate || a.time - b.time || Buffer.compare(a.txid, b.txid);
}
const betterCandidate = (a: MempoolEntry, b: MempoolEntry) => compareCandidates(a, b) < 0;

/**
 * Bitcoin-0.8-style selection (get_block_transactions, mvs-consensus §7.1):
 * repeatedly take the best fee rate among the transactions whose in-pool
 * parents are all in the block already; taking one releases the children it
 * was the last missing parent of. A transaction that does not fit the size
 * or sigop budget is skipped, and so are its descendants (never ready).
 * The transactions ready from the start are sorted once; only released
 * children go through a heap, and the next pick is the better of the two
 * heads — O(n log n) in the pool size.
 */
function selectTransactions(entries: readonly MempoolEntry[], limits: SelectionLimits): Selection {
  const { network, height, maxSize, maxSigops } = limits;
  const initial: MempoolEntry[] = [];
  /** Transactions waiting for in-pool parents (the pool keeps `parents` to entries it holds), by txid key. */
  const waiting = new Map<string, { entry: MempoolEntry; missing: number }>();
  for (const e of entries) {
    if (e.parents.size === 0) initial.push(e);
    else waiting.set(e.txid.toString('latin1'), { entry: e, missing: e.parents.size });
  }
  initial.sort(compareCandidates);
  const released = new BinaryHeap<MempoolEntry>(betterCandidate);
  let next = 0;
  const take = (): MempoolEntry | undefined => {
    const head = released.peek();
    if (next < initial.length && (head === undefined || betterCandidate(initial[next], head))) return initial[next++];
    return released.pop();
  };

  const out: Selection = { selected: [], rewards: [], fees: 0n };
  const rewardIds = new Set<string>();
  let size = limits.baseSize;
  let sigops = limits.baseSigops;
  for (let e = take(); e; e = take()) {
    if (size + e.size >= maxSize || sigops + e.sigops >= maxSigops) continue; // cannot fit, rewards or not
    const own = rewardCoinbasesFor(e.tx, network, height);
    if (own === null) continue; // deposit not payable (unknown lock or after PoS)
    let addSize = e.size;
    let addSigops = e.sigops;
    let ownIds: string[] = [];
    if (own.length > 0) {
      ownIds = own.map((r) => r.hash().toString('latin1'));
      if (ownIds.some((id) => rewardIds.has(id))) continue; // an identical reward coinbase would duplicate a txid
      for (const r of own) {
        addSize += r.size();
        addSigops += legacySigops(r);
      }
    }
    // The reference's bounds: block size and sigops strictly below the caps.
    if (size + addSize >= maxSize || sigops + addSigops >= maxSigops) continue;
    out.selected.push(e);
    out.rewards.push(...own);
    for (const id of ownIds) rewardIds.add(id);
    size += addSize;
    sigops += addSigops;
    out.fees += e.fee;
    for (const c of e.children) {
      const w = waiting.get(c);
      if (!w) continue;
      if (--w.missing === 0) {
        waiting.delete(c);
        released.push(w.entry);
      }
    }
  }
  return out;
}

/**
 * The reward coinbases a transaction's deposit outputs require (one per
 * deposit, in output order), or null when one cannot be paid. The reference
 * miner takes the address from the depositing tx's output 0 [Q]; validation
 * compares against the deposit output itself, so we pay that.
 */
function rewardCoinbasesFor(tx: Transaction, network: Network, height: number): Transaction[] | null {
  const out: Transaction[] = [];
  for (const o of tx.outputs) {
    if (o.script.pattern() !== 'pay_key_hash_with_lock_height') continue;
    if (height - 1 >= network.posEnabledHeight) return null;
    const lock = depositLockHeight(o.script);
    const reward = lock === null ? null : depositReward(network, lock, o.value);
    const addr = scriptAddress(o.script, network.address);
    if (lock === null || reward === null || !addr) return null;
    out.push(createCoinbase(height, lockHeightScript(addr.hash, lock), reward));
  }
  return out;
}
