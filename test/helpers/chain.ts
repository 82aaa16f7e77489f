import { thrownCode } from './errors.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chain, type PowVerifier, type PowResult, type ScriptVerifier } from '../../src/chain/chain.js';
import { ChainStore } from '../../src/chain/store.js';
import { EventBus } from '../../src/bus/index.js';
import { regtest, blockSubsidy, type Network } from '../../src/networks/index.js';
import type { Block } from '../../src/primitives/block.js';
import type { BlockHeader } from '../../src/primitives/header.js';
import { Transaction, TxInput, TxOutput, OutPoint } from '../../src/primitives/transaction.js';
import { Script, opcode, p2pkhScript } from '../../src/primitives/script.js';
import { OP } from '../../src/primitives/opcodes.js';
import { Attachment } from '../../src/primitives/attachment.js';
import { createCoinbase, assembleBlock } from '../../src/miner/assemble.js';
import { requiredBits } from '../../src/consensus/difficulty.js';
import type { ScriptJob } from '../../src/consensus/block.js';
import { VerifyError } from '../../src/consensus/errors.js';

/**
 * Proof of work is not what these chain-logic tests exercise: they accept any
 * nonce, except a header whose nonce is REJECT_NONCE, so rejection paths stay
 * testable. Tests with real Ethash use the engine instead.
 */
export const REJECT_NONCE = 0xdeadn;
export class TestPow implements PowVerifier {
  calls = 0;
  async verifyHeaders(headers: readonly BlockHeader[]): Promise<PowResult[]> {
    this.calls += headers.length;
    return headers.map((h) => (h.nonce === REJECT_NONCE ? { ok: false, reason: 'MIX_MISMATCH' } : { ok: true }));
  }
}

/**
 * A deliberately tiny script checker for chain tests: an input is valid iff
 * its script is empty and the coin's script is exactly OP_TRUE. The full
 * interpreter is tested on its own; this keeps chain tests independent of it.
 */
export const ANYONE = Script.fromOps([opcode(OP.OP_1)]);
export class OpTrueScripts implements ScriptVerifier {
  async verifyScripts(txs: readonly Transaction[], jobs: readonly ScriptJob[]) {
    for (const j of jobs) {
      const input = txs[j.txIndex].inputs[j.inputIndex];
      if (input.script.length !== 0 || !j.prevScript.equals(ANYONE)) {
        return { ok: false as const, txIndex: j.txIndex, inputIndex: j.inputIndex, code: 'EVAL_FALSE', message: 'not an OP_TRUE spend' };
      }
    }
    return { ok: true as const };
  }
}

export interface TestChain {
  chain: Chain;
  store: ChainStore;
  bus: EventBus;
  dir: string;
  network: Network;
  close(): Promise<void>;
  /** Re-open the same directory (simulates a restart). */
  reopen(): Promise<TestChain>;
}

export const T0 = regtest.genesis.header.timestamp;

export async function makeChain(opts: { dir?: string; network?: Network; pow?: PowVerifier; scripts?: ScriptVerifier; now?: () => number } = {}): Promise<TestChain> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'mvs-chain-'));
  const network = opts.network ?? regtest;
  const store = new ChainStore({ path: dir, network, noSync: true });
  const bus = new EventBus();
  const chain = new Chain({
    store,
    network,
    bus,
    pow: opts.pow ?? new TestPow(),
    scripts: opts.scripts ?? new OpTrueScripts(),
    now: opts.now ?? (() => T0 + 10_000_000),
  });
  await chain.open();
  const tc: TestChain = {
    chain,
    store,
    bus,
    dir,
    network,
    async close() {
      await store.close();
    },
    async reopen() {
      await store.close();
      return makeChain({ ...opts, dir });
    },
  };
  return tc;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface BlockSpec {
  txs?: Transaction[];
  payTo?: Script;
  /** Seconds after the parent. */
  spacing?: number;
  timestamp?: number;
  coinbaseValue?: bigint;
  /** Extra push in the coinbase script to make competing blocks distinct. */
  tag?: string;
  bits?: bigint;
  parent?: { hash: Buffer; height: number; timestamp: number };
  mutate?: (b: Block) => void;
}

/** Build the next block on `parent` (default: the tip) with correct bits and coinbase value (subsidy + fees given). */
export function buildBlock(tc: TestChain, spec: BlockSpec = {}, fees = 0n): Block {
  const parentRec = spec.parent ? tc.chain.getRecord(spec.parent.hash)! : tc.chain.tip;
  const height = parentRec.height + 1;
  const timestamp = spec.timestamp ?? parentRec.header.timestamp + (spec.spacing ?? 30);
  const payTo = spec.payTo ?? ANYONE;
  const value = spec.coinbaseValue ?? blockSubsidy(tc.network, height, 1) + fees;
  const coinbase = createCoinbase(height, payTo, value, spec.tag ? Buffer.from(spec.tag) : undefined);
  const txs = [coinbase, ...(spec.txs ?? [])];
  const lookup = (h: number) => tc.chain.ancestorOf(parentRec, h)?.header ?? null;
  const bits =
    spec.bits ?? requiredBits(tc.network, height, { version: 1, timestamp, bits: 0n, number: height }, lookup);
  const block = assembleBlock({ prevHash: parentRec.hash, height, timestamp, bits, txs });
  if (spec.mutate) {
    spec.mutate(block);
    block.header.invalidate();
  }
  return block;
}

/** Mine `n` empty blocks on the tip; returns them. */
export async function mineEmpty(tc: TestChain, n: number, spec: BlockSpec = {}): Promise<Block[]> {
  const out: Block[] = [];
  for (let i = 0; i < n; i++) {
    const b = buildBlock(tc, spec);
    const r = await tc.chain.addBlock(b);
    if (r.status !== 'connected' && r.status !== 'reorganized') throw new Error(`block not connected: ${r.status} ${r.error?.code} ${r.error?.message}`);
    out.push(b);
  }
  return out;
}

/** A version-1 transaction spending OP_TRUE outputs to OP_TRUE outputs (scripts empty). */
export function spendTx(prevouts: { txid: Buffer; index: number }[], values: bigint[], version = 1): Transaction {
  return new Transaction(
    version,
    prevouts.map((p) => new TxInput(new OutPoint(p.txid, p.index), new Script(), 0xffffffff)),
    values.map((v) => new TxOutput(v, ANYONE, Attachment.etp(1))),
    0,
  );
}

export { p2pkhScript };

/** The VerifyError code `fn` throws (fails the test when it throws anything else or nothing). */
export function verifyErrorCode(fn: () => void): string {
  return thrownCode(fn, VerifyError);
}
