/**
 * Block template and mempool admission: `npm run bench -- template [--rounds 3] [--sizes 1000,10000]`.
 *
 * Workload: signed one-input P2PKH spends on a regtest chain, a third of them
 * spending an unconfirmed pool transaction (chains up to 40 deep), with fee
 * rates drawn so that children often pay more than their parents — the
 * ordering a dependency-aware selection must handle — and every 20th one
 * extending a single long chain with rising fee rates (N/20 deep). Each measurement stands
 * beside a baseline measured in the same round on the same transactions:
 *
 *  - template build (buildTemplate over a pool of N) vs "sort + assemble":
 *    sorting the pool entries by fee rate and assembling a block from the
 *    ones that fit the size cap, ignoring dependencies and sigops;
 *  - mempool admission (Mempool.add, one at a time) vs "direct validation":
 *    checkTransaction + input lookups (chain store, then the earlier
 *    transactions) + script verification through the same verifier;
 *  - admission into a full pool (byte cap at half the workload, so every
 *    second transaction evicts) vs the same direct validation.
 *
 * Ratios near 1 mean the pool and template add little over the irreducible
 * work; a ratio that grows from 1,000 to 10,000 transactions means something
 * is superlinear. Rounds alternate the cases; medians are reported. The last
 * output line is one JSON object.
 */
import { performance } from 'node:perf_hooks';
import { makeChain, buildBlock, removeDir, type TestChain } from '../test/helpers/chain.js';
import { testKey, p2pkhSpend, type TestKey } from '../test/helpers/signing.js';
import { PooledScriptVerifier } from '../src/chain/script-checker.js';
import { Mempool, MempoolError } from '../src/mempool/mempool.js';
import { buildTemplate, TEMPLATE_MAX_SIZE } from '../src/miner/template.js';
import { createCoinbase, assembleBlock } from '../src/miner/assemble.js';
import { checkTransaction } from '../src/consensus/tx.js';
import { connectTxInputs } from '../src/consensus/block.js';
import { Coin } from '../src/consensus/coin.js';
import { OutPoint, type Transaction } from '../src/primitives/transaction.js';
import { blockSubsidy } from '../src/networks/index.js';
import { argString, median, round2 } from './_shared.js';

const ROUNDS = Math.max(1, Number(argString('--rounds', '3')) || 3);
const SIZES = argString('--sizes', '1000,10000')
  .split(',')
  .map((s) => Number(s))
  .filter((n) => Number.isInteger(n) && n > 0);
const MAX_TXS = Math.max(...SIZES);
const FANOUT = 500;
const CHILD_SHARE = 1 / 3;
const MAX_CHAIN_DEPTH = 40;
/** Every 20th transaction extends one long chain (a wallet spending its own unconfirmed change). */
const DEEP_CHAIN_EVERY = 20;

const say = (line: string) => process.stdout.write(line + '\n');

/** Deterministic PRNG (mulberry32) so every run measures the same workload. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Workload {
  tc: TestChain;
  key: TestKey;
  /** Pool transactions, parents before children; every prefix is closed under parents. */
  txs: Transaction[];
}

/** A chain with FANOUT-way splits of mature coinbases confirmed, and MAX_TXS spends of them (some chained). */
async function buildWorkload(scripts: PooledScriptVerifier): Promise<Workload> {
  const tc = await makeChain({ scripts });
  const key = testKey('bench template');
  const coinbases: Transaction[] = [];
  // One split more than the roots need: its last output starts the long chain.
  const fanouts = Math.ceil(MAX_TXS / FANOUT) + 1;
  for (let i = 0; i < fanouts + tc.network.coinbaseMaturity; i++) {
    const b = buildBlock(tc, { payTo: key.script });
    if ((await tc.chain.addBlock(b)).status !== 'connected') throw new Error('setup block not connected');
    coinbases.push(b.txs[0]);
  }
  const splitFee = 1_000_000n;
  const splits: Transaction[] = coinbases.slice(0, fanouts).map((cb) => {
    const each = (cb.outputs[0].value - splitFee) / BigInt(FANOUT);
    return p2pkhSpend([{ txid: cb.hash(), index: 0 }], Array.from({ length: FANOUT }, () => ({ script: key.script, value: each })), key);
  });
  for (let i = 0; i < splits.length; i += 4) {
    const batch = splits.slice(i, i + 4);
    const b = buildBlock(tc, { txs: batch, payTo: key.script }, splitFee * BigInt(batch.length));
    const r = await tc.chain.addBlock(b);
    if (r.status !== 'connected') throw new Error(`split block not connected: ${r.error?.code} ${r.error?.message}`);
  }

  const random = prng(0x6d76_7321);
  const txs: Transaction[] = [];
  /** Pool transactions whose output is still unspent, with their chain depth. */
  const open: { tx: Transaction; depth: number }[] = [];
  let nextSplitOutput = 0;
  let deepTip: Transaction | null = null;
  for (let n = 0; n < MAX_TXS; n++) {
    if (n % DEEP_CHAIN_EVERY === DEEP_CHAIN_EVERY - 1) {
      // The long chain: each link pays a little more than its parent, so it sorts ahead of it.
      const fee = 10_000n + BigInt(n);
      const from = deepTip ?? splits[splits.length - 1];
      const index = deepTip ? 0 : FANOUT - 1;
      deepTip = p2pkhSpend([{ txid: from.hash(), index }], [{ script: key.script, value: from.outputs[index].value - fee }], key);
      txs.push(deepTip);
      continue;
    }
    const fee = 10_000n + BigInt(Math.floor(random() * 90_000));
    let parent: { txid: Buffer; value: bigint; depth: number };
    const pick = open.length > 0 && random() < CHILD_SHARE ? Math.floor(random() * Math.min(open.length, 64)) : -1;
    if (pick >= 0 && open[open.length - 1 - pick].depth < MAX_CHAIN_DEPTH) {
      const [chosen] = open.splice(open.length - 1 - pick, 1);
      parent = { txid: chosen.tx.hash(), value: chosen.tx.outputs[0].value, depth: chosen.depth + 1 };
    } else {
      const split = splits[Math.floor(nextSplitOutput / FANOUT)];
      parent = { txid: split.hash(), value: split.outputs[nextSplitOutput % FANOUT].value, depth: 0 };
      const tx = p2pkhSpend([{ txid: parent.txid, index: nextSplitOutput % FANOUT }], [{ script: key.script, value: parent.value - fee }], key);
      nextSplitOutput++;
      txs.push(tx);
      open.push({ tx, depth: 0 });
      continue;
    }
    const tx = p2pkhSpend([{ txid: parent.txid, index: 0 }], [{ script: key.script, value: parent.value - fee }], key);
    txs.push(tx);
    open.push({ tx, depth: parent.depth });
  }
  return { tc, key, txs };
}

/** Admit `txs` one by one; returns elapsed ms and how many were refused (a full pool refuses low fee rates). */
async function admit(pool: Mempool, txs: readonly Transaction[]): Promise<{ ms: number; refused: number }> {
  let refused = 0;
  const start = performance.now();
  for (const tx of txs) {
    try {
      await pool.add(tx);
    } catch (err) {
      // A full pool refuses (or later evicts the parent of) low fee-rate transactions; nothing else may fail.
      if (!(err instanceof MempoolError) || (err.code !== 'pool_full' && err.code !== 'missing_inputs')) throw err;
      refused++;
    }
  }
  return { ms: performance.now() - start, refused };
}

/** The baseline: the consensus work of admitting `txs` without the pool (mvs-consensus §5 via the shared rules). */
async function validateDirectly(w: Workload, scripts: PooledScriptVerifier, txs: readonly Transaction[]): Promise<number> {
  const { chain, network } = w.tc;
  const tip = chain.tip;
  const earlier = new Map<string, Transaction>();
  const mtp = chain.medianTimePast(tip);
  const start = performance.now();
  for (const tx of txs) {
    checkTransaction(tx, { network, tipHeight: tip.height });
    const lookup = (op: OutPoint) => {
      const parent = earlier.get(op.hash.toString('latin1'));
      if (parent) return { coin: new Coin(parent.outputs[op.index], tip.height + 1, false), own: true };
      const coin = chain.store.getCoin(op.toKey());
      return coin ? { coin, own: false } : null;
    };
    const result = connectTxInputs(tx, lookup, {
      network,
      height: tip.height + 1,
      maturityHeight: tip.height,
      medianTimePast: mtp,
      timestampAt: (h) => chain.getRecordAt(h)?.header.timestamp ?? null,
    });
    const r = await scripts.verifyScripts([tx], result.scriptJobs);
    if (!r.ok) throw new Error(`baseline: script check failed: ${r.code}`);
    earlier.set(tx.hash().toString('latin1'), tx);
  }
  return performance.now() - start;
}

/** The template baseline: fee-rate sort and block assembly of what fits, without dependency or sigop logic. */
function sortAndAssemble(w: Workload, pool: Mempool): number {
  const start = performance.now();
  const entries = pool.all().sort((a, b) => b.feeRate - a.feeRate);
  const chosen: Transaction[] = [];
  let size = 1000;
  let fees = 0n;
  for (const e of entries) {
    if (size + e.size >= TEMPLATE_MAX_SIZE) continue;
    chosen.push(e.tx);
    size += e.size;
    fees += e.fee;
  }
  const tip = w.tc.chain.tip;
  const coinbase = createCoinbase(tip.height + 1, w.key.script, blockSubsidy(w.tc.network, tip.height + 1, 1) + fees);
  assembleBlock({ prevHash: tip.hash, height: tip.height + 1, timestamp: tip.header.timestamp + 1, bits: 10n, txs: [coinbase, ...chosen] });
  return performance.now() - start;
}

function timeTemplate(w: Workload, pool: Mempool): { ms: number; txs: number } {
  const start = performance.now();
  const t = buildTemplate({ chain: w.tc.chain, mempool: pool, network: w.tc.network, payTo: w.key.script, now: () => w.tc.chain.tip.header.timestamp + 30 });
  const ms = performance.now() - start;
  return { ms, txs: t.txCount - 1 };
}

async function main(): Promise<void> {
  say(`template bench: pool sizes ${SIZES.join(', ')}, ${ROUNDS} rounds, ${Math.round(CHILD_SHARE * 100)}% chained spends`);
  const scripts = new PooledScriptVerifier({ workers: 1 });
  const setupStart = performance.now();
  const w = await buildWorkload(scripts);
  say(`workload: ${w.txs.length} signed transactions on a ${w.tc.chain.height}-block chain (${Math.round(performance.now() - setupStart)} ms)`);
  const report: Record<string, unknown> = {
    bench: 'template',
    baseline: 'sorting and assembling the same pool by fee rate (template_vs_sort_assemble); validating the same transactions directly (admission_vs_direct)',
    rounds: ROUNDS, sizes: SIZES, chained_share: round2(CHILD_SHARE) };
  try {
    for (const n of SIZES) {
      const txs = w.txs.slice(0, n);
      const totalBytes = txs.reduce((s, t) => s + t.size(), 0);
      const samples = { admit: [] as number[], direct: [] as number[], full: [] as number[], template: [] as number[], sortAssemble: [] as number[] };
      // The machine is noisy: ratios are taken within a round (case and baseline back to back), then the median.
      const roundRatios = { template: [] as number[], admit: [] as number[], full: [] as number[] };
      let templateTxs = 0;
      let fullRefused = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const directMs = await validateDirectly(w, scripts, txs);
        samples.direct.push((n * 1000) / directMs);

        const pool = new Mempool({ chain: w.tc.chain, network: w.tc.network, bus: w.tc.bus, scripts });
        const a = await admit(pool, txs);
        if (a.refused !== 0 || pool.size !== n) throw new Error(`admission refused ${a.refused} of ${n}`);
        samples.admit.push((n * 1000) / a.ms);

        // Templates: a few builds per round (they are fast at 1,000), interleaved with the baseline.
        const builds = n <= 2000 ? 5 : 2;
        const tMs: number[] = [];
        const bMs: number[] = [];
        for (let b = 0; b < builds; b++) {
          const t = timeTemplate(w, pool);
          templateTxs = t.txs;
          tMs.push(t.ms);
          bMs.push(sortAndAssemble(w, pool));
        }
        samples.template.push(median(tMs));
        samples.sortAssemble.push(median(bMs));
        roundRatios.template.push(median(tMs) / median(bMs));
        roundRatios.admit.push(directMs / a.ms);
        pool.close();

        const full = new Mempool({ chain: w.tc.chain, network: w.tc.network, bus: w.tc.bus, scripts, maxBytes: Math.floor(totalBytes / 2) });
        const f = await admit(full, txs);
        fullRefused = a.refused + f.refused;
        samples.full.push((n * 1000) / f.ms);
        roundRatios.full.push(directMs / f.ms);
        full.close();
      }
      const res = {
        template_ms: round2(median(samples.template)),
        template_txs: templateTxs,
        sort_assemble_ms: round2(median(samples.sortAssemble)),
        admission_tx_per_s: Math.round(median(samples.admit)),
        full_pool_admission_tx_per_s: Math.round(median(samples.full)),
        full_pool_refused: fullRefused,
        direct_validation_tx_per_s: Math.round(median(samples.direct)),
      };
      const ratios = {
        /** Time ratio: > 1 means the template costs more than the baseline. */
        template_vs_sort_assemble: round2(median(roundRatios.template)),
        /** Rate ratios: < 1 means the pool admits slower than direct validation. */
        admission_vs_direct: round2(median(roundRatios.admit)),
        full_pool_vs_direct: round2(median(roundRatios.full)),
      };
      say(`pool of ${n}:`);
      say(`  template build           ${res.template_ms} ms (${res.template_txs} txs)   baseline sort + assemble ${res.sort_assemble_ms} ms   ratio ${ratios.template_vs_sort_assemble}`);
      say(`  mempool admission        ${res.admission_tx_per_s} tx/s   baseline direct validation ${res.direct_validation_tx_per_s} tx/s   ratio ${ratios.admission_vs_direct}`);
      say(`  admission, full pool     ${res.full_pool_admission_tx_per_s} tx/s (${res.full_pool_refused} refused or evicted on arrival)   ratio ${ratios.full_pool_vs_direct}`);
      report[`pool_${n}`] = { ...res, ...ratios };
    }
  } finally {
    await w.tc.close();
    removeDir(w.tc.dir);
    await scripts.close();
  }
  say(JSON.stringify(report));
}

await main();
