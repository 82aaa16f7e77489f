/**
 * Sync throughput: one node syncing a regtest chain (default 5,000 empty
 * blocks) from another over 127.0.0.1 — headers/s until the best header is
 * the source's tip, blocks/s until the tip is — beside the two rates that
 * should bound it, measured in the same run on a fresh chain: raw header
 * verification (chain.addHeaders in batches of 500) and raw block connection
 * (chain.addBlock in order, headers already known). Ratios near 1 mean sync
 * is limited by verification and connection, not by networking.
 *
 * Proof of work is the chain test helper's fake verifier (TestPow): regtest
 * blocks built by the helper carry no real Ethash seal. With the real engine
 * the header rate is bound by Ethash (~5–6 ms per header per core) instead.
 *
 *   npm run bench -- sync [--blocks 5000] [--rounds 3]
 *   node dist-net/bench/sync.js --blocks 5000
 *
 * Both nodes run in this process, on one thread: the sync's CPU includes the
 * serving side and both ends' framing. The machine is noisy, so each round
 * measures the baselines and the sync back to back and the ratios are
 * per-round medians. The last output line is one JSON object.
 */
import { performance } from 'node:perf_hooks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { P2PNode } from '../src/p2p/index.js';
import { Block } from '../src/primitives/block.js';
import { makeChain, mineEmpty, removeDir, type TestChain } from '../test/helpers/chain.js';

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
}

const BLOCKS = argValue('--blocks', 5000);
const ROUNDS = argValue('--rounds', 3);
const HEADER_BATCH = 500;

async function dispose(tc: TestChain): Promise<void> {
  await tc.close();
  removeDir(tc.dir);
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return performance.now();
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
};

interface Round {
  headerVerifyPerS: number;
  connectPerS: number;
  headersPerS: number;
  blocksPerS: number;
  syncCpuMs: number;
}

/** Baselines on a fresh chain, then one sync of a fresh node from `source`: all in the same round. */
async function round(source: TestChain, blocks: Block[], raws: Buffer[]): Promise<Round> {
  // Baseline 1: raw header verification (context + fake PoW + store), batches of 500 as sync gives them.
  const verify = await makeChain();
  let t = performance.now();
  for (let i = 0; i < BLOCKS; i += HEADER_BATCH) {
    const r = await verify.chain.addHeaders(blocks.slice(i, i + HEADER_BATCH).map((b) => b.header));
    if (r.error) throw new Error(`header verification failed: ${r.error.message}`);
  }
  const headerVerifyPerS = BLOCKS / ((performance.now() - t) / 1000);

  // Baseline 2: raw block connection, in order, headers known (as after headers-first).
  t = performance.now();
  for (let i = 0; i < BLOCKS; i++) {
    const r = await verify.chain.addBlock(blocks[i], raws[i]);
    if (r.status !== 'connected') throw new Error(`block ${i + 1} not connected: ${r.status} ${r.error?.message ?? ''}`);
  }
  const connectPerS = BLOCKS / ((performance.now() - t) / 1000);
  await dispose(verify);

  // The sync: a fresh node dials the source over loopback (both in this process, on one thread).
  const dirs = [mkdtempSync(join(tmpdir(), 'mvs-bench-a-')), mkdtempSync(join(tmpdir(), 'mvs-bench-b-'))];
  const a = new P2PNode({ network: source.network, chain: source.chain, bus: source.bus, dataDir: dirs[0], bind: '127.0.0.1', port: 0, maxOutbound: 0 });
  await a.start();
  const target = await makeChain();
  const b = new P2PNode({ network: target.network, chain: target.chain, bus: target.bus, dataDir: dirs[1], listen: false, connect: [`127.0.0.1:${a.port}`], dialIntervalMs: 10 });
  const tipHash = source.chain.tip.hash;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  await b.start();
  const headersDone = waitUntil(() => target.chain.bestHeader.height >= BLOCKS, 600_000, 'headers');
  const blocksDone = waitUntil(() => target.chain.tip.hash.equals(tipHash), 600_000, 'blocks');
  const headersAt = await headersDone;
  const blocksAt = await blocksDone;
  const cpu = process.cpuUsage(cpu0);
  await b.stop();
  await a.stop();
  await dispose(target);
  for (const d of dirs) removeDir(d);
  return {
    headerVerifyPerS,
    connectPerS,
    headersPerS: BLOCKS / ((headersAt - start) / 1000),
    blocksPerS: BLOCKS / ((blocksAt - start) / 1000),
    syncCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

async function main(): Promise<void> {
  const source = await makeChain();
  const t = performance.now();
  await mineEmpty(source, BLOCKS);
  const raws: Buffer[] = [];
  for (let h = 1; h <= BLOCKS; h++) raws.push(source.store.getBlockRaw(source.chain.getRecordAt(h)!.hash)!);
  const blocks = raws.map((raw) => Block.fromRaw(raw));
  console.log(`source chain: ${BLOCKS} blocks mined in ${((performance.now() - t) / 1000).toFixed(1)} s; ${ROUNDS} rounds`);

  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const r = await round(source, blocks, raws);
    rounds.push(r);
    console.log(
      `round ${i + 1}: verify ${r.headerVerifyPerS.toFixed(0)} headers/s, connect ${r.connectPerS.toFixed(0)} blocks/s | ` +
        `sync ${r.headersPerS.toFixed(0)} headers/s, ${r.blocksPerS.toFixed(0)} blocks/s, ${r.syncCpuMs.toFixed(0)} ms CPU`,
    );
  }
  await dispose(source);

  const m = (f: (r: Round) => number) => median(rounds.map(f));
  // A one-threaded node must both verify every header and connect every block: that serial rate bounds blocks/s.
  const serialBound = (r: Round) => 1 / (1 / r.headerVerifyPerS + 1 / r.connectPerS);
  const fixed = (x: number, digits = 0) => Number(x.toFixed(digits));
  const result = {
    bench: 'sync',
    blocks: BLOCKS,
    rounds: ROUNDS,
    pow: 'fake (test/helpers/chain.ts TestPow)',
    headers_per_s: fixed(m((r) => r.headersPerS)),
    blocks_per_s: fixed(m((r) => r.blocksPerS)),
    connect_per_s: fixed(m((r) => r.connectPerS)),
    header_verify_per_s: fixed(m((r) => r.headerVerifyPerS)),
    blocks_ratio: fixed(m((r) => r.blocksPerS / r.connectPerS), 2),
    headers_ratio: fixed(m((r) => r.headersPerS / r.headerVerifyPerS), 2),
    serial_bound_per_s: fixed(m(serialBound)),
    blocks_to_serial_bound_ratio: fixed(m((r) => r.blocksPerS / serialBound(r)), 2),
    sync_cpu_ms: fixed(m((r) => r.syncCpuMs)),
  };
  console.log(`medians: sync ${result.headers_per_s} headers/s (×${result.headers_ratio} of verification), ${result.blocks_per_s} blocks/s (×${result.blocks_ratio} of connection, ×${result.blocks_to_serial_bound_ratio} of verification+connection in series)`);
  console.log(JSON.stringify(result));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
