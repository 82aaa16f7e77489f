import { sha256d } from '../crypto/hash.js';
import type { Block } from '../primitives/block.js';
import type { BlockHeader } from '../primitives/header.js';
import type { OutPoint, Transaction } from '../primitives/transaction.js';
import { sequenceLockValue, depositLockHeight, type Script } from '../primitives/script.js';
import { COIN, type Network } from '../networks/index.js';
import { pushRlpInteger, pushRlpByteList } from './rlp.js';
import { VerifyError } from './errors.js';
import { isFinalTx } from './block.js';
import { verifyBlockSignature } from '../crypto/secp256k1/index.js';
import type { Secp256k1Backend } from '../crypto/secp256k1/types.js';

/**
 * Proof-of-stake rules (mvs-consensus §4.7; mvs-org/metaverse:
 * src/lib/consensus/common/miner/MinerAux.cpp verify_stake,
 * src/lib/blockchain/block_chain_impl.cpp check_pos_capability,
 * is_utxo_spendable; src/lib/bitcoin/constants.cpp). Pure: the caller
 * supplies the stake coin and the address's coins.
 */
export const POS_PARAMS = {
  /** pos_stake_min_value / the capability deposit: 1000 ETP. */
  stakeMinValue: 1000n * COIN,
  /** pos_lock_min_height: the capability deposit's sequence lock, in blocks. */
  lockMinHeight: 24_000,
  /** pos_lock_gap_height: the deposit must stay locked this many blocks beyond the tip. */
  lockGapHeight: 1_000,
  /** pos_stake_factor. */
  stakeFactor: 30,
  /** Confirmations of the stake output (is_utxo_spendable with 3). */
  stakeConfirmations: 3,
} as const;

const RELATIVE_LOCK_DISABLE = 0x80000000;
const RELATIVE_LOCK_TIME = 1 << 22;
const RELATIVE_LOCK_MASK = 0x000fffff;
const MAX_U256 = (1n << 256n) - 1n;

/**
 * The kernel preimage (HeaderAux::hash_head_pos): RLP(version) ‖ RLP(number)
 * ‖ RLPLIST32(prev_hash) ‖ RLP(timestamp) ‖ RLPLIST32(stake txid) ‖
 * RLP(stake index) — no bits, no outer list (§4.7.2, vector in §9).
 */
export function kernelPreimage(header: Pick<BlockHeader, 'version' | 'number' | 'prevHash' | 'timestamp'>, stake: OutPoint): Buffer {
  const out: number[] = [];
  pushRlpInteger(out, BigInt(header.version));
  pushRlpInteger(out, BigInt(header.number));
  pushRlpByteList(out, header.prevHash);
  pushRlpInteger(out, BigInt(header.timestamp));
  pushRlpByteList(out, stake.hash);
  pushRlpInteger(out, BigInt(stake.index));
  return Buffer.from(out);
}

/** dSHA256 of the preimage read as a LITTLE-endian u256 (the reference reverses it through hex) [V]. */
export function kernelHash(header: Pick<BlockHeader, 'version' | 'number' | 'prevHash' | 'timestamp'>, stake: OutPoint): bigint {
  const d = sha256d(kernelPreimage(header, stake));
  return BigInt('0x' + Buffer.from(d).reverse().toString('hex'));
}

/** weight = u64(round(log2(max(1, value / 10^8)))³ × 30.0). */
export function stakeWeight(value: bigint): bigint {
  const amount = value / COIN > 0n ? value / COIN : 1n;
  const s = Math.round(Math.log2(Number(amount)));
  return BigInt(Math.trunc(s * s * s * POS_PARAMS.stakeFactor));
}

/** Kernel test: floor(kernel / weight) ≤ floor((2^256 − 1) / bits). */
export function checkKernel(header: BlockHeader, stake: OutPoint, value: bigint): boolean {
  if (header.bits === 0n) return false;
  const weight = stakeWeight(value);
  if (weight === 0n) return false;
  return kernelHash(header, stake) / weight <= MAX_U256 / header.bits;
}

/** glibc's answers at the exact-tie points of the maturity formula (§4.7.2 [V]). */
const MATURITY_TIES: Record<number, number> = { 15: 938, 79: 987, 399: 998, 1999: 999 };

/** Stake maturity M: max(250, round(1000 / (1 + e^(−ln a)))) with a = floor(bits / 10^8). */
export function stakeMaturity(bits: bigint): number {
  const a = Number(bits / COIN);
  if (a === 0) return 250;
  const tie = MATURITY_TIES[a];
  const r = tie ?? Math.round(1000.0 / (1 + Math.exp(-Math.log(a))));
  return Math.max(250, r);
}

/** An unspent output of the staking address, as the capability rule reads it. */
export interface StakeCoin {
  outpoint: OutPoint;
  value: bigint;
  height: number;
  script: Script;
  coinbase: boolean;
  /** Version and lock time of the transaction that created it (for the finality test). */
  txVersion?: number;
  tx?: Transaction;
}

/**
 * check_pos_capability: the address holds an unspent, confirmed ≥ 1000 ETP
 * ETP output with a *height* sequence lock of ≥ 24,000 blocks, confirmed at
 * least `voteMaturity` blocks ago, still locked for more than 1,000 blocks.
 */
export function hasStakeCapability(coins: readonly StakeCoin[], best: number, network: Network): boolean {
  return coins.some((c) => {
    if (c.value < POS_PARAMS.stakeMinValue) return false;
    if (c.height + network.voteMaturity > best) return false;
    const seq = sequenceLockValue(c.script);
    if (seq === null || seq & RELATIVE_LOCK_DISABLE || seq & RELATIVE_LOCK_TIME) return false;
    const lock = seq & RELATIVE_LOCK_MASK;
    return lock >= POS_PARAMS.lockMinHeight && c.height + lock - POS_PARAMS.lockGapHeight > best;
  });
}

/** is_utxo_spendable(tx, index, height, 3 confirmations) for the stake output at block height `h`. */
export function isStakeSpendable(coin: StakeCoin, h: number, network: Network, mtp: number): boolean {
  if (coin.height === 0 || h - coin.height < POS_PARAMS.stakeConfirmations) return false;
  const deposit = depositLockHeight(coin.script);
  if (deposit !== null && deposit > h - coin.height) return false;
  const seq = sequenceLockValue(coin.script);
  if (seq !== null && !(seq & RELATIVE_LOCK_DISABLE)) {
    // A time lock reads the current block's timestamp as 0 in the reference, so it never passes [Q].
    if (seq & RELATIVE_LOCK_TIME) return false;
    if (coin.height + (seq & RELATIVE_LOCK_MASK) > h) return false;
  }
  if (coin.coinbase) return h - coin.height >= network.coinbaseMaturity;
  if (coin.tx && coin.tx.version >= 2 && !isFinalTx(coin.tx, h + 1, mtp)) return false;
  return true;
}

export interface PosContext {
  network: Network;
  height: number;
  /** The coin the coinstake's input 0 spends, with its creating tx when known. */
  stake: StakeCoin | null;
  /** Unspent outputs of the staking address (for the capability rule). */
  addressCoins: readonly StakeCoin[];
  medianTimePast: number;
  backend: Secp256k1Backend;
}

/**
 * verify_stake and check_block_signature for a version-2 block whose
 * header context (difficulty, time) and layout (coinbase, coinstake at 1)
 * were already checked.
 */
export function checkProofOfStake(block: Block, ctx: PosContext): void {
  const { network, height } = ctx;
  const coinstake = block.txs[1];
  if (!coinstake) throw new VerifyError('miss_coinstake', 'PoS block without a coinstake');
  const stake = ctx.stake;
  if (!stake) throw new VerifyError('proof_of_stake', 'the coinstake spends an unknown output');
  if (!hasStakeCapability(ctx.addressCoins, height - 1, network)) {
    throw new VerifyError('proof_of_stake', 'the staking address holds no qualifying locked deposit');
  }
  if (stake.value < POS_PARAMS.stakeMinValue) throw new VerifyError('proof_of_stake', `stake ${stake.value} below 1000 ETP`);
  if (stake.height + stakeMaturity(block.header.bits) > height) throw new VerifyError('proof_of_stake', 'stake output not mature');
  if (!isStakeSpendable(stake, height, network, ctx.medianTimePast)) throw new VerifyError('proof_of_stake', 'stake output not spendable yet');
  if (!checkKernel(block.header, coinstake.inputs[0].prevout, stake.value)) throw new VerifyError('proof_of_stake', 'stake kernel above target');

  // The signing key is the last push of coinstake input 0's script (a deposit's last push is
  // its lock height, so such stakes never sign [Q]).
  const ops = coinstake.inputs[0].script.ops;
  const key = ops && ops.length > 0 ? ops[ops.length - 1].data : null;
  if (!block.blockSig || !key || !verifyBlockSignature(block.blockSig, block.hash(), key, ctx.backend)) {
    throw new VerifyError('block_signature_invalid', 'PoS block signature does not verify with the coinstake key');
  }
}

/** pos_genesis_reward: 0x1076F8E ETP (mvs-consensus §3.8). */
export const POS_GENESIS_REWARD = 0x1076f8en * COIN;

/**
 * The PoS genesis transaction (transaction::is_pos_genesis_tx, §3.8): a
 * coinbase-shaped tx at index 2 of the first PoS block with exactly 24
 * outputs — 17,264,526 ETP to the foundation address, then the 23 primary
 * witness certificates MVS.WITNESS.1…23, auto-issued to the same address.
 */
export function checkPosGenesisTx(tx: Transaction, network: Network, foundationScript: Script): void {
  const fail = (why: string): never => {
    throw new VerifyError('proof_of_stake', `PoS genesis transaction: ${why}`);
  };
  if (!tx.isCoinbase()) fail('not coinbase-shaped');
  if (tx.outputs.length !== 24) fail(`${tx.outputs.length} outputs, 24 required`);
  const prefix = foundationScript.raw;
  const o0 = tx.outputs[0];
  if (o0.attachment.body.kind !== 'etp' || o0.value !== POS_GENESIS_REWARD || !o0.script.raw.subarray(0, prefix.length).equals(prefix)) {
    fail('output 0 must pay 17,264,526 ETP to the foundation address');
  }
  const seen = new Set<number>();
  for (let i = 1; i < 24; i++) {
    const o = tx.outputs[i];
    const b = o.attachment.body;
    const n = b.kind === 'cert' ? /^MVS\.WITNESS\.([1-9]|1[0-9]|2[0-3])$/.exec(b.symbol.toString('latin1')) : null;
    const ok =
      b.kind === 'cert' &&
      n !== null &&
      !seen.has(Number(n[1])) &&
      b.status === 3 &&
      b.certType === 5 &&
      b.address.toString('latin1') === network.foundationAddress &&
      o.script.raw.subarray(0, prefix.length).equals(prefix);
    if (!ok) fail(`output ${i} must auto-issue one of the witness certificates MVS.WITNESS.1…23 to the foundation`);
    seen.add(Number(n![1]));
  }
}
