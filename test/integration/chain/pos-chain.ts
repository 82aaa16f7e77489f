import { regtest, blockSubsidy, COIN, type Network } from '../../../src/networks/index.js';
import type { Block } from '../../../src/primitives/block.js';
import { BLOCK_VERSION, type BlockHeader } from '../../../src/primitives/header.js';
import { Transaction, TxInput, TxOutput, OutPoint } from '../../../src/primitives/transaction.js';
import { Script, sequenceLockScript } from '../../../src/primitives/script.js';
import { Attachment, ATTACHMENT_TYPE, CERT_STATUS, CERT_TYPE } from '../../../src/primitives/attachment.js';
import { Address } from '../../../src/primitives/address.js';
import { createCoinbase, assembleBlock } from '../../../src/miner/assemble.js';
import { requiredBits, type AncestorLookup } from '../../../src/consensus/difficulty.js';
import { checkKernel, stakeMaturity, POS_PARAMS, POS_GENESIS_REWARD } from '../../../src/consensus/pos.js';
import { MIN_TX_FEE, TX_VERSION } from '../../../src/consensus/tx.js';
import { signBlockHash } from '../../../src/crypto/secp256k1/index.js';
import { testKey, signP2pkhInput, p2pkhSpend, type TestKey } from '../../helpers/signing.js';

/*
 * A real proof-of-stake chain on a regtest-derived network, built in memory
 * (no Chain needed: difficulty is computed from the builder's own headers),
 * deterministic (fixed keys, fixed timestamps, deterministic kernel grind).
 *
 * Base chain (what `buildPosBase` returns; heights on POS_NET):
 *   1 … 2338        PoW, every coinbase (3 ETP) pays `miner`            (FUNDING_COINBASES)
 *   2339 … 2347     PoW, empty (coinbase maturity 10 for the last ones)
 *   2348 = F = P    PoW, 7 funding txs (v1, 334 coinbase inputs each):
 *                     staker: 4 stake coins of exactly 1000 ETP,
 *                             the deposit pre-fund (1000 ETP + 10,000),
 *                             a small coin of 1000 ETP − 1 unit,
 *                     lonely: one coin of exactly 1000 ETP (no deposit, ever)
 *                   (P = posEnabledHeight: PoS blocks allowed from P+1.)
 *   2349 = P+1      PoW, the staker's capability deposit: 1000 ETP with a
 *                   24,000-block *height* sequence lock (tx v4; sequence-lock
 *                   outputs are only accepted from tip ≥ P)
 *   2350 … 2597     PoW, empty
 * The first PoS block is due at 2598 = F + 250: the stake coins are exactly
 * stakeMaturity(bits) = 250 blocks old there (bits ≪ 10^8), the deposit is
 * 248 blocks old (≥ voteMaturity = 10 before h−1) and locked far beyond h.
 */

export const P = 2348;
export const FUNDING_COINBASES = 2338;
export const INPUTS_PER_FUNDING_TX = 334;
/** Height of the funding block (= P). */
export const FUNDING_HEIGHT = P;
export const DEPOSIT_HEIGHT = P + 1;
/** The height of the first PoS block: the stake coins (height F) are exactly 250 blocks old there. */
export const FIRST_POS_HEIGHT = FUNDING_HEIGHT + 250;
/** Seconds between PoW blocks (v1 and v2 PoW tracks both settle at the minimum). */
export const SPACING = 30;
/** The capability deposit's height lock (pos_lock_min_height). */
export const DEPOSIT_LOCK = POS_PARAMS.lockMinHeight;

/**
 * Regtest with PoS switched on at P. minPosDifficulty 120,000: the kernel of a
 * 1000-ETP stake (weight 30,000) passes for about 1 timestamp in 4, so the
 * builder really grinds; a = floor(bits / 10^8) = 0 keeps the maturity at 250.
 */
export const POS_NET: Network = {
  ...regtest,
  posEnabledHeight: P,
  minPosDifficulty: 120_000n,
  voteMaturity: 10,
  firstPosBlockHeight: null,
  // Pure PoW stays legal; the consecutive-version limit is not what these tests are about.
  successiveLimitAboveHeight: regtest.successiveLimitAboveHeight,
};

export const KEYS = {
  miner: testKey('pos-chain miner'),
  staker: testKey('pos-chain staker'),
  /** Holds a mature 1000-ETP coin but no locked deposit. */
  lonely: testKey('pos-chain lonely'),
  /** Holds nothing; signs blocks it did not stake. */
  stranger: testKey('pos-chain stranger'),
} as const;

/** A coin the fixture knows (what a staker's wallet would hold). */
export interface FixtureCoin {
  outpoint: OutPoint;
  value: bigint;
  height: number;
  key: TestKey;
  script: Script;
}

export interface PosBase {
  network: Network;
  /** Blocks 1 … FIRST_POS_HEIGHT − 1. */
  blocks: Block[];
  /** The four mature 1000-ETP stake coins of the staker (height F). */
  stakes: FixtureCoin[];
  /** The capability deposit (height P+1). */
  deposit: FixtureCoin;
  /** The staker's mature coin of 1000 ETP − 1 unit (height F). */
  small: FixtureCoin;
  /** The lonely key's mature 1000-ETP coin (height F). */
  lonelyCoin: FixtureCoin;
}

export interface PowSpec {
  txs?: Transaction[];
  payTo?: Script;
  spacing?: number;
  tag?: string;
}

export interface PosSpec {
  /** The coin coinstake input 0 spends. */
  stake: FixtureCoin;
  /** Signs the block (default: the stake's key). */
  signer?: TestKey;
  /** Carry the PoS genesis tx at index 2 (default: when no PoS block exists in P+1 … h−1, as the rule demands). */
  genesis?: boolean;
  /** Coinstake fee (default 0: output 1 returns the whole stake). */
  coinstakeFee?: bigint;
  /** Leave the coinstake out (the block then has only its coinbase, plus the genesis tx if any). */
  noCoinstake?: boolean;
  /** Grind the timestamp until the kernel passes (default) or until it fails. */
  kernel?: 'pass' | 'fail';
  /** First timestamp tried (default parent + SPACING). */
  timestamp?: number;
  /** Extra push in the coinbase script, to make otherwise identical variants distinct blocks. */
  tag?: string;
  /** Coinbase output value (default: the PoS subsidy + the coinstake fee). */
  coinbaseValue?: bigint;
}

/** The parts of a built PoS block the tests look at. */
export interface PosBlockInfo {
  block: Block;
  coinstake: Transaction | null;
  genesisTx: Transaction | null;
  /** Timestamps tried before the kernel did what was asked. */
  grindSteps: number;
}

const FOUNDATION_TEXT = 'MVS start PoS at 2017-02-11 06:40:00 (pos-chain fixture)';

/**
 * The PoS genesis transaction (miner::create_pos_genesis_tx, §3.8): coinbase
 * shaped, input script the raw text, 17,264,526 ETP to the foundation, then
 * MVS.WITNESS.1 … 23 auto-issued (status 3, type 5) to the foundation address.
 * The certificate owner is not checked by the rule; the fixture uses the
 * foundation address string.
 */
export function posGenesisTx(network: Network): Transaction {
  const foundation = Address.fromString(network.foundationAddress).toScript(network.address);
  const addr = Buffer.from(network.foundationAddress, 'latin1');
  const outputs = [new TxOutput(POS_GENESIS_REWARD, foundation, Attachment.etp(1))];
  for (let n = 1; n <= 23; n++) {
    const cert = new Attachment(1, ATTACHMENT_TYPE.CERT, {
      kind: 'cert',
      symbol: Buffer.from(`MVS.WITNESS.${n}`, 'latin1'),
      owner: addr,
      address: addr,
      certType: CERT_TYPE.WITNESS,
      status: CERT_STATUS.AUTOISSUE,
      content: null,
    });
    outputs.push(new TxOutput(0n, foundation, cert));
  }
  return new Transaction(1, [new TxInput(OutPoint.null(), new Script(Buffer.from(FOUNDATION_TEXT, 'latin1')), 0xffffffff)], outputs, 0);
}

/**
 * The coinstake (§4.7.1, §7.4): version 2, input 0 the stake (sequence final,
 * signed P2PKH), output 0 the null output (value 0, empty script, attachment
 * version 0 type 0xFFFFFFFF), output 1 the stake back to the same address.
 */
export function coinstakeTx(stake: FixtureCoin, fee = 0n): Transaction {
  const tx = new Transaction(
    TX_VERSION.CHECK_OUTPUT_SCRIPT,
    [new TxInput(stake.outpoint, new Script(), 0xffffffff)],
    [new TxOutput(0n, new Script(), Attachment.coinstakeMarker()), new TxOutput(stake.value - fee, stake.key.script, Attachment.etp(1))],
    0,
  );
  signP2pkhInput(tx, 0, stake.key, stake.script);
  return tx;
}

/** The builder's own view of one branch: headers by height (genesis at 0). */
export class PosChainBuilder {
  readonly headers: BlockHeader[];

  constructor(
    readonly network: Network,
    headers?: readonly BlockHeader[],
  ) {
    this.headers = headers ? [...headers] : [network.genesis.header];
  }

  clone(): PosChainBuilder {
    return new PosChainBuilder(this.network, this.headers);
  }

  get height(): number {
    return this.headers.length - 1;
  }

  get tip(): BlockHeader {
    return this.headers[this.headers.length - 1];
  }

  private lookup(): AncestorLookup {
    return (h) => this.headers[h] ?? null;
  }

  /** Append a block the chain accepted (or that the base is made of). */
  push(block: Block): void {
    if (!block.header.prevHash.equals(this.tip.hash())) throw new Error('block does not extend the builder tip');
    this.headers.push(block.header);
  }

  /** Does a PoS block exist at P+1 … h−1 on this branch (pos_exist_before outside mainnet)? */
  posExistsBefore(h: number): boolean {
    for (let i = this.network.posEnabledHeight + 1; i < h && i < this.headers.length; i++) if (this.headers[i].version === BLOCK_VERSION.POS) return true;
    return false;
  }

  /** Next PoW block on the tip (not appended). */
  powBlock(spec: PowSpec = {}): Block {
    const height = this.height + 1;
    const timestamp = this.tip.timestamp + (spec.spacing ?? SPACING);
    const txs = spec.txs ?? [];
    const coinbase = createCoinbase(height, spec.payTo ?? KEYS.miner.script, blockSubsidy(this.network, height, BLOCK_VERSION.POW), spec.tag ? Buffer.from(spec.tag) : undefined);
    const bits = requiredBits(this.network, height, { version: BLOCK_VERSION.POW, timestamp, bits: 0n, number: height }, this.lookup());
    return assembleBlock({ prevHash: this.tip.hash(), height, timestamp, bits, txs: [coinbase, ...txs], version: BLOCK_VERSION.POW });
  }

  /** Next PoS block on the tip (not appended), signed. */
  posBlock(spec: PosSpec): PosBlockInfo {
    const height = this.height + 1;
    const parent = this.tip;
    const fee = spec.coinstakeFee ?? 0n;
    const coinstake = spec.noCoinstake ? null : coinstakeTx(spec.stake, fee);
    const withGenesis = spec.genesis ?? !this.posExistsBefore(height);
    const genesisTx = withGenesis ? posGenesisTx(this.network) : null;
    const value = spec.coinbaseValue ?? blockSubsidy(this.network, height, BLOCK_VERSION.POS) + fee;
    const coinbase = createCoinbase(height, spec.stake.key.script, value, spec.tag ? Buffer.from(spec.tag) : undefined);
    const txs = [coinbase, ...(coinstake ? [coinstake] : []), ...(genesisTx ? [genesisTx] : [])];
    // The PoS track reads the two previous PoS blocks, not this block's time.
    const bits = requiredBits(this.network, height, { version: BLOCK_VERSION.POS, timestamp: 0, bits: 0n, number: height }, this.lookup());
    const want = spec.kernel ?? 'pass';
    let timestamp = spec.timestamp ?? parent.timestamp + SPACING;
    let block = assembleBlock({ prevHash: parent.hash(), height, timestamp, bits, txs, version: BLOCK_VERSION.POS });
    let steps = 0;
    for (;;) {
      const ok = checkKernel(block.header, spec.stake.outpoint, spec.stake.value);
      if (ok === (want === 'pass')) break;
      if (++steps > 10_000) throw new Error(`no timestamp makes the kernel ${want} at height ${height}`);
      timestamp++;
      block.header.timestamp = timestamp;
      block.header.invalidate();
    }
    block.blockSig = signBlockHash(block.hash(), (spec.signer ?? spec.stake.key).priv);
    return { block, coinstake, genesisTx, grindSteps: steps };
  }
}

/** The coin output `index` of `tx` at `height`, owned by `key`. */
export function coinOf(tx: Transaction, index: number, height: number, key: TestKey): FixtureCoin {
  const o = tx.outputs[index];
  return { outpoint: new OutPoint(tx.hash(), index), value: o.value, height, key, script: o.script };
}

/** Spend `count` consecutive miner coinbases starting at `fromHeight` of `blocks` into `value` for `to` plus change. */
function fundingTx(blocks: readonly Block[], fromHeight: number, to: Script, value: bigint): Transaction {
  const prevouts: { txid: Buffer; index: number }[] = [];
  let total = 0n;
  for (let h = fromHeight; h < fromHeight + INPUTS_PER_FUNDING_TX; h++) {
    const cb = blocks[h - 1].txs[0];
    prevouts.push({ txid: cb.hash(), index: 0 });
    total += cb.outputs[0].value;
  }
  const change = total - value - MIN_TX_FEE;
  if (change < 0n) throw new Error('funding inputs do not cover the output');
  return p2pkhSpend(prevouts, [{ script: to, value }, ...(change > 0n ? [{ script: KEYS.miner.script, value: change }] : [])], KEYS.miner, TX_VERSION.FIRST);
}

/** Build the base chain, up to the block before the first PoS block. */
export function buildPosBase(network: Network = POS_NET): PosBase {
  const b = new PosChainBuilder(network);
  const blocks: Block[] = [];
  const add = (block: Block) => {
    b.push(block);
    blocks.push(block);
  };
  while (b.height < FUNDING_HEIGHT - 1) add(b.powBlock());

  const stakeValue = POS_PARAMS.stakeMinValue;
  const targets: { key: TestKey; value: bigint }[] = [
    { key: KEYS.staker, value: stakeValue },
    { key: KEYS.staker, value: stakeValue },
    { key: KEYS.staker, value: stakeValue },
    { key: KEYS.staker, value: stakeValue },
    { key: KEYS.staker, value: stakeValue + MIN_TX_FEE }, // deposit pre-fund
    { key: KEYS.staker, value: stakeValue - 1n }, // just below pos_stake_min_value
    { key: KEYS.lonely, value: stakeValue },
  ];
  if (targets.length * INPUTS_PER_FUNDING_TX !== FUNDING_COINBASES) throw new Error('funding layout mismatch');
  const funding = targets.map((t, i) => fundingTx(blocks, 1 + i * INPUTS_PER_FUNDING_TX, t.key.script, t.value));
  add(b.powBlock({ txs: funding }));
  const coins = funding.map((tx, i) => coinOf(tx, 0, FUNDING_HEIGHT, targets[i].key));

  // The capability deposit: a 24,000-block height sequence lock, 1000 ETP (tx v4 after PoS activation).
  const prefund = coins[4];
  const lockScript = sequenceLockScript(KEYS.staker.hash, DEPOSIT_LOCK);
  const depositTx = p2pkhSpend([{ txid: prefund.outpoint.hash, index: prefund.outpoint.index }], [{ script: lockScript, value: stakeValue }], KEYS.staker, TX_VERSION.CHECK_NOVA_FEATURE);
  add(b.powBlock({ txs: [depositTx] }));
  const deposit = coinOf(depositTx, 0, DEPOSIT_HEIGHT, KEYS.staker);

  while (b.height < FIRST_POS_HEIGHT - 1) add(b.powBlock());

  const stakes = coins.slice(0, 4);
  // Self-checks of the layout the tests rely on.
  if (stakes[0].height + stakeMaturity(network.minPosDifficulty) !== FIRST_POS_HEIGHT) throw new Error('stake maturity layout mismatch');
  if (deposit.height + network.voteMaturity > FIRST_POS_HEIGHT - 1) throw new Error('deposit not old enough');
  if (stakeValue !== 1000n * COIN) throw new Error('unexpected stake minimum');
  return { network, blocks, stakes, deposit, small: coins[5], lonelyCoin: coins[6] };
}

/** A builder positioned at the base tip. */
export function builderAt(base: PosBase): PosChainBuilder {
  const b = new PosChainBuilder(base.network);
  for (const block of base.blocks) b.push(block);
  return b;
}
