import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScriptVerifier, ScriptCheckResult } from '../../src/chain/chain.js';
import type { ScriptJob } from '../../src/consensus/block.js';
import { verifyInput, MVS_CONSENSUS_FLAGS } from '../../src/consensus/script/index.js';
import { getSecp256k1 } from '../../src/crypto/secp256k1/index.js';
import { Mempool } from '../../src/mempool/mempool.js';
import type { Network } from '../../src/networks/index.js';
import type { Block } from '../../src/primitives/block.js';
import { Address, scriptAddress } from '../../src/primitives/address.js';
import { Coin } from '../../src/consensus/coin.js';
import type { Script } from '../../src/primitives/script.js';
import { OutPoint, type Transaction } from '../../src/primitives/transaction.js';
import { Wallet } from '../../src/wallet/index.js';
import { makeChain, buildBlock, removeDir, type TestChain, type BlockSpec } from './chain.js';

/**
 * Wallet tests need real signatures checked: this ScriptVerifier runs the
 * consensus interpreter on every input, synchronously (no worker pool).
 */
export class RealScripts implements ScriptVerifier {
  checked = 0;
  async verifyScripts(txs: readonly Transaction[], jobs: readonly ScriptJob[]): Promise<ScriptCheckResult> {
    const backend = getSecp256k1();
    for (const j of jobs) {
      this.checked++;
      const r = verifyInput({ tx: txs[j.txIndex], index: j.inputIndex, prevScript: j.prevScript.raw, flags: MVS_CONSENSUS_FLAGS, backend });
      if (!r.ok) return { ok: false, txIndex: j.txIndex, inputIndex: j.inputIndex, code: r.code, message: r.message };
    }
    return { ok: true };
  }
}

/** The scrypt floor: enough to exercise the real KDF, fast enough for many calls. */
export const TEST_KDF = { N: 1 << 14, r: 8, p: 1 };

export interface WalletFixture {
  tc: TestChain;
  mempool: Mempool;
  wallet: Wallet;
  scripts: RealScripts;
  /** Directory holding the chain (`chain/`) and the wallet (`wallet/`). */
  dir: string;
  walletPath: string;
  close(): Promise<void>;
}

export async function makeWalletFixture(opts: { network?: Network; walletPath?: string | null } = {}): Promise<WalletFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'mvs-wallet-'));
  const scripts = new RealScripts();
  const tc = await makeChain({ dir: join(dir, 'chain'), network: opts.network, scripts });
  const mempool = new Mempool({ chain: tc.chain, network: tc.network, bus: tc.bus, scripts });
  const walletPath = opts.walletPath === undefined ? join(dir, 'wallet') : opts.walletPath;
  const wallet = new Wallet({ path: walletPath, chain: tc.chain, mempool, kdf: TEST_KDF, noSync: true });
  return {
    tc,
    mempool,
    wallet,
    scripts,
    dir,
    walletPath: walletPath ?? '',
    async close() {
      await wallet.close();
      mempool.close();
      await tc.close();
      removeDir(dir);
    },
  };
}

export function p2pkhOf(fx: WalletFixture, address: string): Script {
  return Address.parse(address, fx.tc.network.address)!.toScript(fx.tc.network.address);
}

/** Mine `n` blocks whose coinbases pay `address` (or the helper's OP_TRUE script). */
export async function mineTo(fx: WalletFixture, n: number, address?: string, spec: BlockSpec = {}): Promise<Block[]> {
  const out: Block[] = [];
  for (let i = 0; i < n; i++) {
    const block = buildBlock(fx.tc, { ...spec, payTo: address ? p2pkhOf(fx, address) : spec.payTo });
    const r = await fx.tc.chain.addBlock(block);
    if (r.status !== 'connected' && r.status !== 'reorganized') throw new Error(`block not connected: ${r.status} ${r.error?.code} ${r.error?.message}`);
    out.push(block);
  }
  return out;
}

/** Mine one block holding every pool transaction (parents first), fees to the coinbase. */
export async function minePool(fx: WalletFixture, spec: BlockSpec = {}): Promise<Block> {
  const entries = fx.mempool.all();
  const fees = entries.reduce((s, e) => s + e.fee, 0n);
  const block = buildBlock(fx.tc, { ...spec, txs: entries.map((e) => e.tx) }, fees);
  const r = await fx.tc.chain.addBlock(block);
  if (r.status !== 'connected' && r.status !== 'reorganized') throw new Error(`block not connected: ${r.status} ${r.error?.code} ${r.error?.message}`);
  return block;
}

/** Sum of the UTXO set's values paying `addresses`, read from the coin table directly (not the address index). */
export function utxoSum(fx: WalletFixture, addresses: readonly string[]): bigint {
  const wanted = new Set(addresses);
  let total = 0n;
  for (const { value } of fx.tc.store.allCoins()) {
    const coin = Coin.fromRaw(value);
    const address = scriptAddress(coin.script, fx.tc.network.address);
    if (address && wanted.has(address.toString())) total += coin.value;
  }
  return total;
}

/**
 * What `addresses` hold once the pool confirms: UTXO-set coins no pool
 * transaction spends, plus pool outputs to them that no pool transaction spends.
 */
export function pendingSum(fx: WalletFixture, addresses: readonly string[]): bigint {
  const wanted = new Set(addresses);
  const pool = fx.mempool.all();
  const spent = new Set(pool.flatMap((e) => e.tx.inputs.map((i) => i.prevout.toKey().toString('hex'))));
  let total = 0n;
  for (const { key, value } of fx.tc.store.allCoins()) {
    const coin = Coin.fromRaw(value);
    const address = scriptAddress(coin.script, fx.tc.network.address);
    if (address && wanted.has(address.toString()) && !spent.has(key.toString('hex'))) total += coin.value;
  }
  for (const e of pool) {
    e.tx.outputs.forEach((o, i) => {
      const address = scriptAddress(o.script, fx.tc.network.address);
      if (address && wanted.has(address.toString()) && !spent.has(new OutPoint(e.txid, i).toKey().toString('hex'))) total += o.value;
    });
  }
  return total;
}

export async function expectCode(promise: Promise<unknown> | (() => unknown), code: number, message?: RegExp): Promise<void> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    const e = err as { code?: number; message?: string };
    if (e.code !== code) throw new Error(`expected code ${code}, got ${String(e.code)}: ${e.message}`);
    if (message && !message.test(e.message ?? '')) throw new Error(`message '${e.message}' does not match ${message}`);
    return;
  }
  throw new Error(`expected an error with code ${code}, got success`);
}

export { removeDir };
