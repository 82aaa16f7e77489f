/**
 * Ethash benchmark: `npm run bench -- ethash [--rounds N]`.
 *
 * Measures, in one process and against @ethereumjs/ethash as the baseline:
 * epoch-0 cache generation, light verifications per second on one thread,
 * the worker pool's verification throughput, dataset items per second, and
 * the Keccak-512 kernels for Ethash's word-sized inputs. The machine is noisy
 * (perf.md §1), so the cases of each group run interleaved, round by round,
 * and the report gives medians of per-round values and ratios. The last line
 * is one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ethash as BaselineEthash } from '@ethereumjs/ethash';
import { keccak_256, keccak_512 } from '@noble/hashes/sha3.js';
import { createKeccak } from 'hash-wasm';
import { BlockHeader } from '../src/primitives/header.js';
import { Ethash, cacheSize, datasetSize, hashimotoLight, sealHash, seedHash, verifyHeaderWithCache } from '../src/consensus/ethash/index.js';
import { fillDatasetItems, generateCache } from '../src/consensus/ethash/algorithm.js';
import { createJsKernel, createWasmKernel } from '../src/consensus/ethash/keccak.js';
import type { KeccakKernel } from '../src/consensus/ethash/keccak.js';
import { median, round2 } from './_shared.js';

const argRounds = process.argv.indexOf('--rounds');
const ROUNDS = argRounds > 0 ? Number(process.argv[argRounds + 1]) : 5;
const CACHE_ROUNDS = Math.min(ROUNDS, 3); // the baseline's cache takes ~21 s per round
const POOL_THREADS = 2;

function time(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

function say(line: string): void {
  process.stdout.write(line + '\n');
}

// ---------------------------------------------------------------- Keccak kernels

async function benchKeccak(): Promise<Record<string, number>> {
  const nodes = 1024;
  const words = new Int32Array(nodes * 16);
  for (let i = 0; i < words.length; i++) words[i] = Math.imul(i, 0x9e3779b1);
  const bytes = new Uint8Array(words.buffer);
  const calls = 100_000;
  const hashWasm = await createKeccak(512);
  const wasmKernel = createWasmKernel();
  const jsKernel = createJsKernel();
  const kernelCase = (k: KeccakKernel) => () => {
    const io = k.io;
    for (let c = 0; c < calls; c++) {
      const src = (c & (nodes - 1)) * 16;
      const dst = ((c + 1) & (nodes - 1)) * 16;
      for (let w = 0; w < 16; w++) io[w] = words[src + w];
      k.keccak512_64();
      for (let w = 0; w < 16; w++) words[dst + w] = io[w];
    }
  };
  const cases: Record<string, () => void> = {
    'own WASM kernel': kernelCase(wasmKernel),
    'own JS kernel': kernelCase(jsKernel),
    '@noble/hashes keccak_512': () => {
      for (let c = 0; c < calls; c++) {
        const src = (c & (nodes - 1)) * 64;
        bytes.set(keccak_512(bytes.subarray(src, src + 64)), ((c + 1) & (nodes - 1)) * 64);
      }
    },
    'hash-wasm keccak(512)': () => {
      for (let c = 0; c < calls; c++) {
        const src = (c & (nodes - 1)) * 64;
        hashWasm.init();
        hashWasm.update(bytes.subarray(src, src + 64));
        bytes.set(hashWasm.digest('binary'), ((c + 1) & (nodes - 1)) * 64);
      }
    },
  };
  const samples: Record<string, number[]> = {};
  for (const name of Object.keys(cases)) {
    cases[name](); // warm-up
    samples[name] = [];
  }
  for (let r = 0; r < ROUNDS; r++) for (const [name, run] of Object.entries(cases)) samples[name].push(calls / (time(run) / 1000));
  const rates: Record<string, number> = {};
  for (const [name, s] of Object.entries(samples)) rates[name] = median(s);
  return rates;
}

// ---------------------------------------------------------------- headers

/** Valid headers (bits = 1, so every one runs the full light check and passes). */
function makeHeaders(cache: Int32Array, count: number): BlockHeader[] {
  const headers: BlockHeader[] = [];
  for (let i = 0; i < count; i++) {
    const filler = (tag: number) => Buffer.alloc(32, (i * 7 + tag) & 0xff);
    const header = new BlockHeader({
      version: 1,
      prevHash: filler(1),
      merkleRoot: filler(2),
      timestamp: 1_600_000_000 + i,
      bits: 1n,
      nonce: BigInt(i) * 0x1_0000_0001n,
      mixHash: Buffer.alloc(32),
      number: 1 + (i % 29_000),
    });
    header.mixHash = hashimotoLight(cache, datasetSize(0), sealHash(header), header.nonce).mixHash;
    headers.push(header);
  }
  return headers;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const benchStarted = performance.now();
  say(`ethash bench: ${ROUNDS} rounds (${CACHE_ROUNDS} for cache generation), baseline @ethereumjs/ethash`);

  // Cache generation, epoch 0.
  const epoch0Bytes = cacheSize(0);
  const fullSize = datasetSize(0);
  const seed = seedHash(0);
  const baseline = new BaselineEthash();
  const cache = new Int32Array(epoch0Bytes / 4);
  const ownCacheMs: number[] = [];
  const baseCacheMs: number[] = [];
  const cacheRatios: number[] = [];
  for (let r = 0; r < CACHE_ROUNDS; r++) {
    const own = time(() => generateCache(seed, cache));
    const base = time(() => baseline.mkcache(epoch0Bytes, new Uint8Array(seed)));
    ownCacheMs.push(own);
    baseCacheMs.push(base);
    cacheRatios.push(base / own);
    say(`  cache round ${r + 1}: own ${own.toFixed(0)} ms, baseline ${base.toFixed(0)} ms`);
  }
  if (!Buffer.from(baseline.cacheHash()).equals(Buffer.from(keccak_256(new Uint8Array(cache.buffer))))) throw new Error('baseline and own caches differ');

  // Light verification, one thread.
  const headers = makeHeaders(cache, 256);
  const verifyRates: number[] = [];
  const baseRates: number[] = [];
  const lightRatios: number[] = [];
  const view = { epoch: 0, words: cache, datasetBytes: fullSize };
  // Warm-up (JIT) of both sides before timing.
  for (const h of headers.slice(0, 40)) if (!verifyHeaderWithCache(h, view).ok) throw new Error('bench header does not verify');
  baseline.run(sealHash(headers[0]), Buffer.alloc(8), fullSize);
  const ownPerRound = 60;
  const basePerRound = 3;
  for (let r = 0; r < ROUNDS; r++) {
    const own = time(() => {
      for (let i = 0; i < ownPerRound; i++) if (!verifyHeaderWithCache(headers[i], view).ok) throw new Error('verify failed');
    });
    const base = time(() => {
      for (let i = 0; i < basePerRound; i++) {
        const nonce = Buffer.from(headers[i].nonce.toString(16).padStart(16, '0'), 'hex');
        const out = baseline.run(sealHash(headers[i]), nonce, fullSize);
        if (!Buffer.from(out.mix).equals(headers[i].mixHash)) throw new Error('baseline mix differs');
      }
    });
    const ownRate = (ownPerRound * 1000) / own;
    const baseRate = (basePerRound * 1000) / base;
    verifyRates.push(ownRate);
    baseRates.push(baseRate);
    lightRatios.push(ownRate / baseRate);
    say(`  light round ${r + 1}: own ${ownRate.toFixed(0)}/s, baseline ${baseRate.toFixed(2)}/s`);
  }

  // Pool throughput against one thread, interleaved.
  const dir = mkdtempSync(join(tmpdir(), 'mvs-ethash-bench-'));
  const engine = new Ethash({ dataDir: dir, threads: POOL_THREADS });
  let poolRates: number[] = [];
  const poolSpeedups: number[] = [];
  try {
    const warm = await engine.verifyHeaders(headers.slice(0, 64));
    if (!warm.every((x) => x.ok)) throw new Error('pool warm-up failed');
    for (let r = 0; r < ROUNDS; r++) {
      const single = time(() => {
        for (let i = 0; i < ownPerRound; i++) if (!verifyHeaderWithCache(headers[i], view).ok) throw new Error('verify failed');
      });
      let results: Awaited<ReturnType<typeof engine.verifyHeaders>> = [];
      const pooled = await timeAsync(async () => {
        results = await engine.verifyHeaders(headers);
      });
      if (!results.every((x) => x.ok)) throw new Error('pool verification failed');
      const singleRate = (ownPerRound * 1000) / single;
      const poolRate = (headers.length * 1000) / pooled;
      poolRates.push(poolRate);
      poolSpeedups.push(poolRate / singleRate);
      say(`  pool round ${r + 1}: ${POOL_THREADS} workers ${poolRate.toFixed(0)}/s, one thread ${singleRate.toFixed(0)}/s`);
    }
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }

  // Dataset items.
  const ownItems = 16_384;
  const baseItems = 200;
  const itemTarget = new Int32Array(ownItems * 16);
  const itemRates: number[] = [];
  const baseItemRates: number[] = [];
  for (let r = 0; r < Math.min(ROUNDS, 3); r++) {
    const own = time(() => fillDatasetItems(cache, itemTarget, 0, ownItems));
    const base = time(() => {
      for (let i = 0; i < baseItems; i++) baseline.calcDatasetItem(i);
    });
    itemRates.push((ownItems * 1000) / own);
    baseItemRates.push((baseItems * 1000) / base);
    say(`  dataset round ${r + 1}: own ${((ownItems * 1000) / own).toFixed(0)} items/s, baseline ${((baseItems * 1000) / base).toFixed(0)} items/s`);
  }

  const keccak = await benchKeccak();
  say('  keccak512 of a 64-byte word node (calls/s, median):');
  for (const [name, rate] of Object.entries(keccak)) say(`    ${name.padEnd(26)} ${(rate / 1000).toFixed(0)}k/s`);

  const summary = {
    bench: 'ethash',
    cache_gen_ms: Math.round(median(ownCacheMs)),
    baseline_cache_gen_ms: Math.round(median(baseCacheMs)),
    cache_ratio: round2(median(cacheRatios)),
    light_verify_per_s: Math.round(median(verifyRates)),
    baseline_light_verify_per_s: round2(median(baseRates)),
    light_ratio: round2(median(lightRatios)),
    pool_threads: POOL_THREADS,
    pool_verify_per_s: Math.round(median(poolRates)),
    pool_speedup: round2(median(poolSpeedups)),
    dataset_items_per_s: Math.round(median(itemRates)),
    baseline_dataset_items_per_s: Math.round(median(baseItemRates)),
    keccak512_per_s: Object.fromEntries(Object.entries(keccak).map(([k, v]) => [k, Math.round(v)])),
    rounds: ROUNDS,
    elapsed_s: Math.round((performance.now() - benchStarted) / 1000),
    baseline: '@ethereumjs/ethash',
  };
  say(
    `summary: cache ${summary.cache_gen_ms} ms (${summary.cache_ratio}x baseline), light ${summary.light_verify_per_s}/s (${summary.light_ratio}x), ` +
      `pool ${summary.pool_verify_per_s}/s (${summary.pool_speedup}x one thread), items ${summary.dataset_items_per_s}/s`,
  );
  say(JSON.stringify(summary));
}

await main();
