/**
 * secp256k1 throughput: verify/s and sign/s of each backend and of the raw
 * @noble/secp256k1 library (the baseline), plus the worker pool with 2
 * workers. The machine is noisy (perf.md §1), so every round runs every case
 * in turn and ratios are taken within a round; the figures are medians over
 * rounds. The last output line is one JSON object.
 *
 *   npm run bench -- crypto [--rounds 7] [--window-ms 400]
 */
import * as secp from '@noble/secp256k1';
import { availableBackends, getBackend, getSecp256k1, type Secp256k1Backend } from '../src/crypto/secp256k1/index.js';
import { VerifyPool, type VerifyItem } from '../src/crypto/verify-pool.js';
import { sha256 } from '../src/crypto/hash.js';
import { argNumber, median, round2 } from './_shared.js';

const ROUNDS = argNumber('--rounds', 7);
const WINDOW_MS = argNumber('--window-ms', 400);
const POOL_WORKERS = 2;
const ITEMS = 256;

interface Case {
  name: string;
  /** Runs op #i; returns false if the result is wrong (a broken case must not look fast). */
  op: (i: number) => boolean;
}

/** Ops per second of `op` over a time window. */
function measure(c: Case, windowMs: number): number {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < windowMs) {
    if (!c.op(n)) throw new Error(`${c.name}: wrong result at op ${n}`);
    n++;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

const defaultBackend = getSecp256k1();
const backends: Secp256k1Backend[] = availableBackends().map((n) => getBackend(n));
const fastest = backends[0];

// Deterministic keys, digests and low-S compact signatures with 33-byte keys, as the node verifies them.
const keys = Array.from({ length: ITEMS }, (_, i) => sha256(Buffer.from(`bench key ${i}`)));
const digests = Array.from({ length: ITEMS }, (_, i) => sha256(Buffer.from(`bench digest ${i}`)));
const items: VerifyItem[] = keys.map((k, i) => ({
  signature: fastest.sign(digests[i], k),
  message: digests[i],
  publicKey: fastest.publicKeyCreate(k, true),
}));

const verifyCases: Case[] = [
  ...backends.map((b) => ({
    name: `${b.name} verify`,
    op: (i: number) => {
      const it = items[i % ITEMS];
      return b.verify(it.signature, it.message, it.publicKey);
    },
  })),
  {
    name: '@noble/secp256k1 verify',
    op: (i: number) => {
      const it = items[i % ITEMS];
      return secp.verify(it.signature, it.message, it.publicKey, { prehash: false });
    },
  },
];
const signCases: Case[] = [
  ...backends.map((b) => ({ name: `${b.name} sign`, op: (i: number) => b.sign(digests[i % ITEMS], keys[i % ITEMS]).length === 64 })),
  {
    name: '@noble/secp256k1 sign',
    op: (i: number) => secp.sign(digests[i % ITEMS], keys[i % ITEMS], { prehash: false }).length === 64,
  },
];
const cases = [...verifyCases, ...signCases];

async function measurePool(pool: VerifyPool, batch: VerifyItem[], windowMs: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < windowMs) {
    const results = await pool.verifyBatch(batch);
    if (!results.every(Boolean)) throw new Error('pool: a valid signature failed');
    n += batch.length;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

async function main(): Promise<void> {
  console.log(`crypto bench: backends ${backends.map((b) => b.name).join(', ')}; default ${defaultBackend.name}; ${ROUNDS} rounds × ${WINDOW_MS} ms windows`);
  const pool = new VerifyPool({ workers: POOL_WORKERS });
  // Enough work per call to keep both workers' two in-flight batches full for a while.
  const poolBatch: VerifyItem[] = [];
  const poolItems = defaultBackend.name === 'native' ? 128 * 32 : 128 * 4;
  for (let i = 0; i < poolItems; i++) poolBatch.push(items[i % ITEMS]);

  // Warm-up: JIT, noble's lazy precomputed tables, worker start-up.
  for (const c of cases) measure(c, 150);
  await measurePool(pool, poolBatch, 300);

  const samples = new Map<string, number[]>();
  const ratios = { verify: [] as number[], sign: [] as number[], pool: [] as number[] };
  const add = (k: string, v: number) => samples.set(k, [...(samples.get(k) ?? []), v]);
  for (let round = 0; round < ROUNDS; round++) {
    const got = new Map<string, number>();
    for (const c of cases) got.set(c.name, measure(c, WINDOW_MS));
    got.set('pool verify', await measurePool(pool, poolBatch, WINDOW_MS));
    for (const [k, v] of got) add(k, v);
    ratios.verify.push(got.get(`${defaultBackend.name} verify`)! / got.get('@noble/secp256k1 verify')!);
    ratios.sign.push(got.get(`${defaultBackend.name} sign`)! / got.get('@noble/secp256k1 sign')!);
    ratios.pool.push(got.get('pool verify')! / got.get(`${defaultBackend.name} verify`)!);
    (globalThis as { gc?: () => void }).gc?.();
  }
  await pool.close();

  const med = (k: string) => (samples.has(k) ? Math.round(median(samples.get(k)!)) : null);
  for (const [k, v] of samples) {
    console.log(`${k.padEnd(26)} median ${String(Math.round(median(v))).padStart(7)}/s  (min ${Math.round(Math.min(...v))}, max ${Math.round(Math.max(...v))})`);
  }
  console.log(`default (${defaultBackend.name}) / @noble/secp256k1: verify ${round2(median(ratios.verify))}x, sign ${round2(median(ratios.sign))}x; pool(${POOL_WORKERS}) / 1 thread: ${round2(median(ratios.pool))}x`);
  console.log(
    JSON.stringify({
      bench: 'crypto',
      default_backend: defaultBackend.name,
      native_verify_per_s: med('native verify'),
      noble_verify_per_s: med('@noble/secp256k1 verify'),
      noble_backend_verify_per_s: med('noble verify'),
      native_sign_per_s: med('native sign'),
      noble_sign_per_s: med('@noble/secp256k1 sign'),
      noble_backend_sign_per_s: med('noble sign'),
      pool_workers: POOL_WORKERS,
      pool_verify_per_s: med('pool verify'),
      pool_scaling: round2(median(ratios.pool)),
      baseline: '@noble/secp256k1',
      verify_ratio: round2(median(ratios.verify)),
      sign_ratio: round2(median(ratios.sign)),
      rounds: ROUNDS,
    }),
  );
}

await main();
