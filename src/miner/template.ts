import type { Network } from '../networks/index.js';
import { blockSubsidy, depositReward } from '../networks/index.js';
import { Block, MAX_BLOCK_SIZE } from '../primitives/block.js';
import { BLOCK_VERSION } from '../primitives/header.js';
import type { Transaction } from '../primitives/transaction.js';
import { depositLockHeight, lockHeightScript, type Script } from '../primitives/script.js';
import { scriptAddress } from '../primitives/address.js';
import { requiredBits } from '../consensus/difficulty.js';
import { legacySigops, MAX_BLOCK_SIGOPS } from '../consensus/block.js';
import type { Chain } from '../chain/chain.js';
import type { Mempool, MempoolEntry } from '../mempool/mempool.js';
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
  maxSize?: number;
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

  const selected: MempoolEntry[] = [];
  const rewards: Transaction[] = [];
  let fees = 0n;
  const coinbaseProbe = createCoinbase(height, opts.payTo, 0n, opts.extraNonce);
  let size = 148 + 9 + coinbaseProbe.size() + 8;
  let sigops = legacySigops(coinbaseProbe);

  if (opts.mempool) {
    const included = new Set<string>();
    const rewardIds = new Set<string>();
    const pending = opts.mempool.all().sort((a, b) => b.feeRate - a.feeRate);
    let progress = true;
    while (progress && pending.length > 0) {
      progress = false;
      for (let i = 0; i < pending.length; i++) {
        const e = pending[i];
        if ([...e.parents].some((p) => !included.has(p))) continue; // parent not in yet
        pending.splice(i--, 1);
        const own = rewardCoinbasesFor(e.tx, network, height);
        if (own === null) continue; // deposit not payable (unknown lock or after PoS)
        const ownIds = own.map((r) => r.hash().toString('latin1'));
        if (ownIds.some((id) => rewardIds.has(id))) continue; // identical reward coinbase would duplicate a txid
        const addSize = e.size + own.reduce((n, r) => n + r.size(), 0);
        const addSigops = e.sigops + own.reduce((n, r) => n + legacySigops(r), 0);
        if (size + addSize >= maxSize || sigops + addSigops >= MAX_BLOCK_SIGOPS) continue;
        selected.push(e);
        rewards.push(...own);
        ownIds.forEach((id) => rewardIds.add(id));
        included.add(e.txid.toString('latin1'));
        size += addSize;
        sigops += addSigops;
        fees += e.fee;
        progress = true;
      }
    }
  }

  const coinbase = createCoinbase(height, opts.payTo, blockSubsidy(network, height, BLOCK_VERSION.POW) + fees, opts.extraNonce);
  const block = assembleBlock({ prevHash: tip.hash, height, timestamp, bits, txs: [coinbase, ...rewards, ...selected.map((e) => e.tx)] });
  return { block, height, fees, prevHash: tip.hash, txCount: block.txs.length, createdAt: now };
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
