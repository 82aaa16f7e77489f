import { regtest, blockSubsidy, type Network } from '../../../src/networks/index.js';
import type { Block } from '../../../src/primitives/block.js';
import type { BlockHeader } from '../../../src/primitives/header.js';
import type { Transaction } from '../../../src/primitives/transaction.js';
import { createHash } from 'node:crypto';
import { open } from 'lmdb';
import { TABLES } from '../../../src/chain/layout.js';
import { spendTx, ANYONE } from '../../helpers/chain.js';
import type { Script } from '../../../src/primitives/script.js';
import { createCoinbase, assembleBlock } from '../../../src/miner/assemble.js';
import { requiredBits, type DifficultyHeader } from '../../../src/consensus/difficulty.js';
import type { TestKey } from '../../helpers/signing.js';

/**
 * Deterministic regtest chains with signed P2PKH spends, built in memory
 * without a Chain: the blocks are what a miner would produce, so tests and
 * the connect benchmark can feed them to any store. Every output pays one of
 * `keys`, which lets a SpendWallet replay any prefix of a chain and know
 * which coins it can spend next.
 */

export interface OwnedCoin {
  txid: Buffer;
  index: number;
  value: bigint;
  key: TestKey;
  height: number;
  coinbase: boolean;
}

const coinId = (txid: Buffer, index: number) => txid.toString('hex') + ':' + index;

/** The unspent outputs of a chain that pay the known keys, in creation order. */
export class SpendWallet {
  private readonly byScript = new Map<string, TestKey>();
  private readonly coins = new Map<string, OwnedCoin>();

  constructor(readonly keys: readonly TestKey[]) {
    for (const k of keys) this.byScript.set(k.script.raw.toString('hex'), k);
  }

  /** Apply a connected block: owned outputs arrive, then spent coins leave (outputs spent in the same block included). */
  apply(block: Block, height: number): void {
    for (const tx of block.txs) {
      const coinbase = tx.isCoinbase();
      const txid = tx.hash();
      tx.outputs.forEach((out, index) => {
        const key = this.byScript.get(out.script.raw.toString('hex'));
        if (key) this.coins.set(coinId(txid, index), { txid, index, value: out.value, key, height, coinbase });
      });
    }
    for (const tx of block.txs) {
      if (!tx.isCoinbase()) for (const input of tx.inputs) this.coins.delete(coinId(input.prevout.hash, input.prevout.index));
    }
  }

  /** Coins spendable in a block at `height` (coinbases need `maturity` confirmations, mvs-consensus §3.2). */
  spendable(height: number, maturity: number): OwnedCoin[] {
    return [...this.coins.values()].filter((c) => !c.coinbase || height - c.height >= maturity);
  }

  take(coin: OwnedCoin): void {
    this.coins.delete(coinId(coin.txid, coin.index));
  }

  get size(): number {
    return this.coins.size;
  }

  clone(): SpendWallet {
    const w = new SpendWallet(this.keys);
    for (const [k, v] of this.coins) w.coins.set(k, v);
    return w;
  }
}

export interface ChainTip {
  hash: Buffer;
  height: number;
  header: BlockHeader;
}

export interface BuildOptions {
  network?: Network;
  /** Headers of the chain below the first new block, by height (genesis first); used for bits. */
  history: BlockHeader[];
  count: number;
  /** Seconds between blocks. */
  spacing: number;
  /** What each coinbase pays. */
  coinbaseScript: (height: number) => Script;
  /** Makes blocks of competing branches distinct (an extra coinbase push). */
  tag?: string;
  /** The block's transactions after the coinbase, and their total fee. */
  spends: (height: number) => { txs: Transaction[]; fees: bigint };
  /** Called with each assembled block before the next one is built (e.g. to seal it and update a wallet). */
  onBlock?: (block: Block, height: number) => void | Promise<void>;
}

/** Build `count` blocks on top of `history`, each with correct bits, BIP34 coinbase and merkle root. */
export async function buildBlocks(opts: BuildOptions): Promise<Block[]> {
  const network = opts.network ?? regtest;
  const headers = [...opts.history];
  const lookup = (h: number): DifficultyHeader | null => headers[h] ?? null;
  const out: Block[] = [];
  for (let i = 0; i < opts.count; i++) {
    const parent = headers[headers.length - 1];
    const height = headers.length;
    const timestamp = parent.timestamp + opts.spacing;
    const { txs, fees } = opts.spends(height);
    const coinbase = createCoinbase(height, opts.coinbaseScript(height), blockSubsidy(network, height, 1) + fees, opts.tag ? Buffer.from(opts.tag) : undefined);
    const bits = requiredBits(network, height, { version: 1, timestamp, bits: 0n, number: height }, lookup);
    const block = assembleBlock({ prevHash: parent.hash(), height, timestamp, bits, txs: [coinbase, ...txs] });
    await opts.onBlock?.(block, height);
    headers.push(block.header);
    out.push(block);
  }
  return out;
}

interface OpTrueCoin {
  txid: Buffer;
  index: number;
  value: bigint;
  height: number;
  coinbase: boolean;
}

/**
 * `count` regtest blocks paying OP_TRUE outputs (for the chain tests' fake
 * script checker, OpTrueScripts): from height 11 each splits its mature
 * coinbase eight ways and spends twelve earlier outputs in six two-input
 * transactions, so a block has ~13 inputs and ~26 outputs to write.
 */
export async function opTrueChain(count: number, fee = 10_000n): Promise<Block[]> {
  const coins: OpTrueCoin[] = [];
  return buildBlocks({
    history: [regtest.genesis.header],
    count,
    spacing: 30,
    coinbaseScript: () => ANYONE,
    spends: (height) => {
      const txs: Transaction[] = [];
      const cbIndex = coins.findIndex((c) => c.coinbase && height - c.height >= regtest.coinbaseMaturity);
      if (cbIndex >= 0) {
        const [cb] = coins.splice(cbIndex, 1);
        const part = (cb.value - fee) / 8n;
        txs.push(spendTx([cb], Array.from({ length: 8 }, (_, i) => (i === 0 ? cb.value - fee - part * 7n : part))));
      }
      const spendable = coins.filter((c) => !c.coinbase).slice(0, 12);
      for (let k = 0; k + 1 < spendable.length; k += 2) {
        const pair = [spendable[k], spendable[k + 1]];
        for (const c of pair) coins.splice(coins.indexOf(c), 1);
        const total = pair[0].value + pair[1].value - fee;
        txs.push(spendTx(pair, [total - 2n * (total / 3n), total / 3n, total / 3n]));
      }
      return { txs, fees: fee * BigInt(txs.length) };
    },
    onBlock: (block, height) => {
      for (const tx of block.txs) tx.outputs.forEach((o, index) => coins.push({ txid: tx.hash(), index, value: o.value, height, coinbase: tx.isCoinbase() }));
    },
  });
}

/** Entry count and a digest of every key and value, per table, of the (closed) store at `dir`. */
export async function tableDigests(dir: string): Promise<Record<string, string>> {
  const env = open({ path: dir, maxDbs: TABLES.length + 4, readOnly: true, encoding: 'binary', keyEncoding: 'binary' });
  try {
    const out: Record<string, string> = {};
    for (const t of TABLES) {
      const db = env.openDB<Buffer, Buffer>(t, { encoding: 'binary', keyEncoding: 'binary' });
      const h = createHash('sha256');
      let n = 0;
      for (const { key, value } of db.getRange({})) {
        h.update(key).update(value);
        n++;
      }
      out[t] = `${n}:${h.digest('hex')}`;
    }
    return out;
  } finally {
    await env.close();
  }
}
