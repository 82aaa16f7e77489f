/**
 * Script verification throughput: per-input cost of the in-thread path with
 * each secp256k1 backend, and the worker pool on a block-sized workload
 * (signed P2PKH inputs), plus the pool's pure messaging overhead (inputs
 * whose scripts need no signature check). Medians over rounds; the last
 * output line is one JSON object.
 *
 *   npm run bench -- script [--rounds 5] [--txs 1000]
 */
import { availableParallelism } from 'node:os';
import { availableBackends, getBackend, type Secp256k1Backend } from '../src/crypto/secp256k1/index.js';
import { compactToDer } from '../src/crypto/secp256k1/der.js';
import { hash160, sha256 } from '../src/crypto/hash.js';
import { signatureHash, SIGHASH } from '../src/consensus/sighash.js';
import { OutPoint, Transaction, TxInput, TxOutput } from '../src/primitives/transaction.js';
import { Attachment } from '../src/primitives/attachment.js';
import { Script, p2pkhScript, pushOp, serializeOps } from '../src/primitives/script.js';
import { MVS_CONSENSUS_FLAGS, ScriptVerifierPool, verifyTransactionsSync, type TransactionJob } from '../src/consensus/script/index.js';
import { argNumber, median } from './_shared.js';

const ROUNDS = argNumber('--rounds', 5);
const TXS = argNumber('--txs', 1000);
const INPUTS_PER_TX = 2;

const signer = getBackend(availableBackends()[0]);
const privateKey = sha256(Buffer.from('bench script key'));
const pubkey = Buffer.from(signer.publicKeyCreate(privateKey, true));
const prevScript = p2pkhScript(hash160(pubkey)).raw;

/** `count` two-input P2PKH transactions, every input signed (SIGHASH_ALL). */
function signedJobs(count: number): TransactionJob[] {
  const jobs: TransactionJob[] = [];
  for (let t = 0; t < count; t++) {
    const inputs = Array.from({ length: INPUTS_PER_TX }, (_, i) => new TxInput(new OutPoint(sha256(Buffer.from(`prev ${t} ${i}`)), i), new Script(), 0xffffffff));
    const outputs = [new TxOutput(BigInt(1000 + t), p2pkhScript(Buffer.alloc(20, t & 0xff)), Attachment.etp())];
    const tx = new Transaction(2, inputs, outputs, 0);
    for (let i = 0; i < INPUTS_PER_TX; i++) {
      const digest = signatureHash(tx, i, prevScript, SIGHASH.ALL);
      const sig = Buffer.concat([compactToDer(signer.sign(digest, privateKey)), Buffer.from([SIGHASH.ALL])]);
      tx.inputs[i].script = new Script(serializeOps([pushOp(sig), pushOp(pubkey)]));
    }
    tx.invalidate();
    jobs.push({ txRaw: tx.toRaw(), prevScripts: Array(INPUTS_PER_TX).fill(prevScript), flags: MVS_CONSENSUS_FLAGS });
  }
  return jobs;
}

/** Inputs that verify without any signature: `OP_1` against an empty previous script. */
function trivialJobs(count: number): TransactionJob[] {
  const op1 = serializeOps([{ code: 0x51, data: null }]);
  return Array.from({ length: count }, (_, t) => {
    const inputs = Array.from({ length: INPUTS_PER_TX }, (_, i) => new TxInput(new OutPoint(sha256(Buffer.from(`trivial ${t} ${i}`)), i), new Script(op1), 0xffffffff));
    const tx = new Transaction(2, inputs, [new TxOutput(1n, p2pkhScript(Buffer.alloc(20, 1)), Attachment.etp())], 0);
    return { txRaw: tx.toRaw(), prevScripts: Array(INPUTS_PER_TX).fill(Buffer.alloc(0)), flags: MVS_CONSENSUS_FLAGS };
  });
}

function checkAllOk(results: { ok: boolean }[][], what: string): void {
  const bad = results.flat().filter((r) => !r.ok).length;
  if (bad) throw new Error(`${what}: ${bad} inputs failed`);
}

function syncMicrosPerInput(backend: Secp256k1Backend, jobs: TransactionJob[]): number {
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    const results = verifyTransactionsSync(jobs, backend);
    samples.push(((performance.now() - start) * 1000) / (jobs.length * INPUTS_PER_TX));
    checkAllOk(results, `sync ${backend.name}`);
  }
  return median(samples);
}

async function poolInputsPerSecond(pool: ScriptVerifierPool, jobs: TransactionJob[], what: string): Promise<number> {
  checkAllOk(await pool.verifyTransactions(jobs), `${what} warm-up`);
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    const results = await pool.verifyTransactions(jobs);
    samples.push((jobs.length * INPUTS_PER_TX * 1000) / (performance.now() - start));
    checkAllOk(results, what);
  }
  return median(samples);
}

const jobs = signedJobs(TXS);
const report: Record<string, number | string> = { bench: 'script', baseline: 'in-thread verification of the same inputs with the same backend', txs: TXS, inputs: TXS * INPUTS_PER_TX, workers: availableParallelism() };

// Interpreter + sighash + DER cost alone: a backend whose verify always succeeds.
const noEcdsa: Secp256k1Backend = { ...getBackend('noble'), verify: () => true };
verifyTransactionsSync(jobs.slice(0, 50), noEcdsa);
report.sync_without_ecdsa_us_per_input = Number(syncMicrosPerInput(noEcdsa, jobs).toFixed(1));
console.log(`in-thread without ECDSA: ${report.sync_without_ecdsa_us_per_input} µs/input`);

for (const name of availableBackends()) {
  // noble is ~50x slower: measure it on a slice.
  const slice = name === 'noble' ? jobs.slice(0, Math.max(10, Math.floor(TXS / 20))) : jobs;
  verifyTransactionsSync(slice.slice(0, 20), getBackend(name)); // JIT warm-up
  report[`sync_${name}_us_per_input`] = Number(syncMicrosPerInput(getBackend(name), slice).toFixed(1));
  console.log(`in-thread ${name}: ${report[`sync_${name}_us_per_input`]} µs/input`);
}

// The machine is shared and noisy: each round times the in-thread path and the pool back to back,
// and the speed-up is the median of the per-round ratios.
const best = availableBackends()[0];
const pool = new ScriptVerifierPool({ backend: best });
try {
  checkAllOk(await pool.verifyTransactions(jobs), 'pool warm-up');
  const poolRates: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let start = performance.now();
    checkAllOk(verifyTransactionsSync(jobs, getBackend(best)), 'sync');
    const syncMs = performance.now() - start;
    start = performance.now();
    checkAllOk(await pool.verifyTransactions(jobs), 'pool');
    const poolMs = performance.now() - start;
    poolRates.push((jobs.length * INPUTS_PER_TX * 1000) / poolMs);
    ratios.push(syncMs / poolMs);
  }
  report[`pool_${best}_inputs_per_s`] = Math.round(median(poolRates));
  report.pool_speedup_vs_in_thread = Number(median(ratios).toFixed(2));
  console.log(`pool (${pool.size} workers, ${best}): ${report[`pool_${best}_inputs_per_s`]} inputs/s, ${report.pool_speedup_vs_in_thread}x in-thread`);
  report.pool_overhead_inputs_per_s = Math.round(await poolInputsPerSecond(pool, trivialJobs(TXS), 'pool overhead'));
  console.log(`pool messaging only (no signatures): ${report.pool_overhead_inputs_per_s} inputs/s`);
} finally {
  await pool.close();
}
console.log(JSON.stringify(report));
