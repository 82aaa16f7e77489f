/**
 * Sync throughput with real proof of work: one node syncing a regtest chain
 * (default 5,000 empty blocks, every one sealed with a real Ethash nonce)
 * from another over 127.0.0.1 — headers/s until the best header is the
 * source's tip, blocks/s until the tip is — beside the two rates that should
 * bound it, measured in the same run:
 *
 * - the raw Ethash pool verification rate (`ethash.verifyHeaders` on batches
 *   of 500 headers, as sync receives them from a reference peer, §7.1), with
 *   the same worker threads the syncing node uses;
 * - the raw block-connect rate (`chain.addBlock` in order, headers already
 *   known, as after headers-first).
 *
 * headers_ratio = sync headers/s ÷ verification rate; blocks_ratio = sync
 * blocks/s ÷ min(verification, connect rate) — every block waits for its
 * header's verification, so neither bound can be beaten. Ratios near 1 mean
 * sync is limited by Ethash and block connection, not by networking. Two
 * figures do not depend on the machine's load: pool_busy_fraction, the share
 * of the headers phase during which a verification was running (1: the
 * networking never made the pool wait), and in_sync_verify_per_s, the
 * pool's own speed during the sync; seals_verified should equal the blocks.
 *
 * The chain is mined once with the engine's light search (regtest bits ≈ 10
 * hashes per block) and cached like the functional tests' chains
 * ($MVS_TEST_CACHE or $TMPDIR/mvs-node-test-cache, lock-protected), so
 * repeated runs do not mine again.
 *
 *   npm run bench -- sync [--blocks 5000] [--rounds 3] [--threads cores−1]
 *
 * Both nodes run in this process (the main thread does serving and both
 * ends' framing); Ethash hashing runs in the worker pool, with one core left
 * to the main thread by default. The machine is noisy, so each round
 * measures the pool before and after the sync and the connect rate just
 * before it, and the ratios are per-round medians. The last output line is
 * one JSON object.
 */
import { performance } from 'node:perf_hooks';
import { availableParallelism, tmpdir } from 'node:os';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { P2PNode } from '../src/p2p/index.js';
import { Block } from '../src/primitives/block.js';
import { Ethash, boundary, epochOf, sealHash } from '../src/consensus/ethash/index.js';
import type { PowVerifier } from '../src/chain/chain.js';
import { buildBlock, makeChain, removeDir, TestPow, type TestChain } from '../test/helpers/chain.js';
import { argInt, median } from './_shared.js';

const BLOCKS = argInt('--blocks', 5000);
const ROUNDS = argInt('--rounds', 3);
/**
 * Ethash workers of the syncing node: one core is left to the main thread by
 * default (networking, serving, block connection), so that the ratios show
 * what the networking costs rather than how the cores were oversubscribed.
 */
const THREADS = argInt('--threads', Math.max(1, availableParallelism() - 1));
/** Headers per message from a reference peer far behind (mvs-wire §7.1). */
const HEADER_BATCH = 500;
/** Bump when the cached chain's format or contents change. */
const CACHE_VERSION = 1;

const say = (line: string) => process.stdout.write(line + '\n');

function cacheRoot(): string {
  return process.env.MVS_TEST_CACHE ?? join(tmpdir(), 'mvs-node-test-cache');
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

// ------------------------------------------------------------ the chain

/** Raw blocks as [u32 LE length][bytes]… */
function encodeBlocks(raws: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const raw of raws) {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(raw.length);
    parts.push(len, raw);
  }
  return Buffer.concat(parts);
}

function decodeBlocks(file: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < file.length; ) {
    const len = file.readUInt32LE(at);
    out.push(file.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

/**
 * Mine `count` empty regtest blocks on a fresh chain, each sealed by the
 * engine's light search and checked by the real verifier as it connects.
 */
async function mineChain(count: number, ethash: Ethash): Promise<Buffer[]> {
  const tc = await makeChain({ pow: { verifyHeaders: (hs) => ethash.verifyHeaders(hs) } });
  const raws: Buffer[] = [];
  const started = performance.now();
  let hashes = 0;
  try {
    for (let h = 1; h <= count; h++) {
      const block = buildBlock(tc);
      const header = block.header;
      const found = await ethash.search({
        sealHash: sealHash(header),
        boundary: boundary(header.bits),
        epoch: epochOf(header.number),
        startNonce: randomBytes(8).readBigUInt64LE(),
        mode: 'light',
      });
      if (!found.found) throw new Error(`no nonce found for block ${h}`);
      hashes += found.hashes;
      header.nonce = found.nonce;
      header.mixHash = found.mixHash;
      header.invalidate();
      const raw = block.toRaw();
      const r = await tc.chain.addBlock(block, raw);
      if (r.status !== 'connected') throw new Error(`mined block ${h} not connected: ${r.status} ${r.error?.message ?? ''}`);
      raws.push(raw);
      if (h % 500 === 0) say(`  mined ${h}/${count} (${((performance.now() - started) / 1000).toFixed(0)} s, ${(hashes / h).toFixed(1)} hashes/block)`);
    }
  } finally {
    await tc.close();
    removeDir(tc.dir);
  }
  return raws;
}

/** The cached chain (mined on first use; a lock keeps parallel runs from mining it twice). */
async function cachedChain(count: number, ethash: Ethash): Promise<Buffer[]> {
  const dir = join(cacheRoot(), `bench-sync-${count}-v${CACHE_VERSION}`);
  const file = join(dir, 'blocks.bin');
  if (existsSync(file)) return decodeBlocks(readFileSync(file));
  mkdirSync(cacheRoot(), { recursive: true });
  const lock = `${dir}.lock`;
  let fd: number | null = null;
  for (;;) {
    if (existsSync(file)) return decodeBlocks(readFileSync(file));
    try {
      fd = openSync(lock, 'wx');
      break;
    } catch {
      // Another run is mining it; a lock older than an hour has no owner left.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 3600_000) rmSync(lock, { force: true });
      await sleep(1000);
    }
  }
  try {
    if (existsSync(file)) return decodeBlocks(readFileSync(file));
    say(`mining a ${count}-block regtest chain with real Ethash seals (cached in ${dir})`);
    const raws = await mineChain(count, ethash);
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${file}.tmp`, encodeBlocks(raws));
    renameSync(`${file}.tmp`, file);
    return raws;
  } finally {
    if (fd !== null) closeSync(fd);
    rmSync(lock, { force: true });
  }
}

// ------------------------------------------------------------ measuring

async function dispose(tc: TestChain): Promise<void> {
  await tc.close();
  removeDir(tc.dir);
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
  return performance.now();
}

interface Round {
  verifyPerS: number;
  connectPerS: number;
  headersPerS: number;
  blocksPerS: number;
  /** Process CPU (main thread and Ethash workers) during the sync. */
  syncCpuMs: number;
  /** Seals the syncing node had verified: each header once is the ideal. */
  seals: number;
  /** Share of the headers phase with a verification running. */
  poolBusy: number;
  /** Seals per second inside the syncing node's verification calls (the pool's speed under the sync's load). */
  inSyncVerifyPerS: number;
  /** Event-loop utilization during the sync: the main thread's share (networking, serving, connecting). */
  mainThread: number;
}

/** A chain holding `blocks` (headers first, then the blocks), loaded without proof-of-work checks. */
async function loadedChain(blocks: readonly Block[], raws: readonly Buffer[]): Promise<TestChain> {
  const tc = await makeChain({ pow: new TestPow() });
  for (let i = 0; i < blocks.length; i += HEADER_BATCH) {
    const r = await tc.chain.addHeaders(blocks.slice(i, i + HEADER_BATCH).map((b) => b.header));
    if (r.error) throw new Error(`headers not accepted: ${r.error.message}`);
  }
  for (let i = 0; i < blocks.length; i++) {
    const r = await tc.chain.addBlock(blocks[i], raws[i]);
    if (r.status !== 'connected') throw new Error(`block ${i + 1} not connected: ${r.status} ${r.error?.message ?? ''}`);
  }
  return tc;
}

/**
 * The syncing node's verifier: the Ethash pool, counting seals and the time
 * during which at least one verification is running. That busy time over
 * the headers phase is the share of the sync the pool was working: 1 means
 * the networking never made it wait.
 */
class CountingPow implements PowVerifier {
  seals = 0;
  busyMs = 0;
  private running = 0;
  private since = 0;
  constructor(private readonly ethash: Ethash) {}

  async verifyHeaders(headers: Parameters<PowVerifier['verifyHeaders']>[0]) {
    this.seals += headers.length;
    if (this.running++ === 0) this.since = performance.now();
    try {
      return await this.ethash.verifyHeaders(headers);
    } finally {
      if (--this.running === 0) this.busyMs += performance.now() - this.since;
    }
  }
}

/** Headers per second the Ethash pool verifies alone, in batches of 500 as a reference peer sends them. */
async function poolRate(blocks: readonly Block[], ethash: Ethash): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < blocks.length; i += HEADER_BATCH) {
    const results = await ethash.verifyHeaders(blocks.slice(i, i + HEADER_BATCH).map((b) => b.header));
    const bad = results.findIndex((r) => !r.ok);
    if (bad >= 0) throw new Error(`seal of block ${i + bad + 1} rejected`);
  }
  return blocks.length / ((performance.now() - t) / 1000);
}

/** Baselines, then one sync of a fresh node (real Ethash verification) from `source`: all in the same round. */
async function round(source: TestChain, blocks: readonly Block[], raws: readonly Buffer[], ethash: Ethash, pow: CountingPow): Promise<Round> {
  // Baseline 1: the Ethash pool alone, before and after the sync (the machine's load drifts).
  const verifyBefore = await poolRate(blocks, ethash);

  // Baseline 2: block connection alone, in order, headers known (as after headers-first).
  const connect = await makeChain({ pow: new TestPow() });
  for (let i = 0; i < BLOCKS; i += HEADER_BATCH) await connect.chain.addHeaders(blocks.slice(i, i + HEADER_BATCH).map((b) => b.header));
  const t = performance.now();
  for (let i = 0; i < BLOCKS; i++) {
    const r = await connect.chain.addBlock(blocks[i], raws[i]);
    if (r.status !== 'connected') throw new Error(`block ${i + 1} not connected: ${r.status} ${r.error?.message ?? ''}`);
  }
  const connectPerS = BLOCKS / ((performance.now() - t) / 1000);
  await dispose(connect);

  // The sync: a fresh node whose chain verifies seals in the same Ethash pool dials the source.
  const dirs = [mkdtempSync(join(tmpdir(), 'mvs-bench-a-')), mkdtempSync(join(tmpdir(), 'mvs-bench-b-'))];
  const a = new P2PNode({ network: source.network, chain: source.chain, bus: source.bus, dataDir: dirs[0], bind: '127.0.0.1', port: 0, maxOutbound: 0 });
  await a.start();
  const target = await makeChain({ pow });
  const b = new P2PNode({ network: target.network, chain: target.chain, bus: target.bus, dataDir: dirs[1], listen: false, connect: [`127.0.0.1:${a.port}`], dialIntervalMs: 10 });
  const tipHash = source.chain.tip.hash;
  const cpu0 = process.cpuUsage();
  const seals0 = pow.seals;
  const busy0 = pow.busyMs;
  const elu0 = performance.eventLoopUtilization();
  const start = performance.now();
  await b.start();
  const headersDone = waitUntil(() => target.chain.bestHeader.height >= BLOCKS, 900_000, 'headers');
  const blocksDone = waitUntil(() => target.chain.tip.hash.equals(tipHash), 900_000, 'blocks');
  const headersAt = await headersDone;
  const busyHeadersMs = pow.busyMs - busy0;
  const sealsAtHeaders = pow.seals - seals0;
  const blocksAt = await blocksDone;
  const cpu = process.cpuUsage(cpu0);
  const mainThread = performance.eventLoopUtilization(elu0).utilization;
  const seals = pow.seals - seals0;
  await b.stop();
  await a.stop();
  await dispose(target);
  for (const d of dirs) removeDir(d);
  const verifyAfter = await poolRate(blocks, ethash);
  return {
    verifyPerS: (verifyBefore + verifyAfter) / 2,
    connectPerS,
    headersPerS: BLOCKS / ((headersAt - start) / 1000),
    blocksPerS: BLOCKS / ((blocksAt - start) / 1000),
    syncCpuMs: (cpu.user + cpu.system) / 1000,
    seals,
    poolBusy: busyHeadersMs / (headersAt - start),
    inSyncVerifyPerS: sealsAtHeaders / (busyHeadersMs / 1000),
    mainThread,
  };
}

async function main(): Promise<void> {
  const ethashDir = join(cacheRoot(), 'bench-ethash');
  mkdirSync(ethashDir, { recursive: true });
  // The epoch-0 cache persists there, so only the first run ever generates it.
  const ethash = new Ethash({ dataDir: ethashDir, threads: THREADS });
  try {
    const t = performance.now();
    const raws = await cachedChain(BLOCKS, ethash);
    const blocks = raws.map((raw) => Block.fromRaw(raw));
    say(`chain: ${BLOCKS} blocks with real seals ready in ${((performance.now() - t) / 1000).toFixed(1)} s; ${ROUNDS} rounds, ${THREADS} Ethash threads`);
    const source = await loadedChain(blocks, raws);
    const pow = new CountingPow(ethash);
    await ethash.getCache(0);

    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const r = await round(source, blocks, raws, ethash, pow);
      rounds.push(r);
      say(
        `round ${i + 1}: Ethash pool ${r.verifyPerS.toFixed(0)} headers/s, connect ${r.connectPerS.toFixed(0)} blocks/s | ` +
          `sync ${r.headersPerS.toFixed(0)} headers/s, ${r.blocksPerS.toFixed(0)} blocks/s\n` +
          `         ${r.seals} seals verified, pool busy ${(r.poolBusy * 100).toFixed(0)} % of the headers phase at ${r.inSyncVerifyPerS.toFixed(0)} seals/s, ` +
          `main thread ${(r.mainThread * 100).toFixed(0)} % busy, ${r.syncCpuMs.toFixed(0)} ms CPU (all threads)`,
      );
    }
    await dispose(source);

    const m = (f: (r: Round) => number) => median(rounds.map(f));
    const bound = (r: Round) => Math.min(r.verifyPerS, r.connectPerS);
    const fixed = (x: number, digits = 0) => Number(x.toFixed(digits));
    const result = {
      bench: 'sync',
      blocks: BLOCKS,
      rounds: ROUNDS,
      pow: 'ethash (real seals, light verification)',
      baseline: 'the Ethash pool verifying the same seals alone (headers_ratio); the lower of that and connecting the same blocks alone (blocks_ratio)',
      ethash_threads: THREADS,
      headers_per_s: fixed(m((r) => r.headersPerS)),
      blocks_per_s: fixed(m((r) => r.blocksPerS)),
      ethash_verify_per_s: fixed(m((r) => r.verifyPerS)),
      connect_per_s: fixed(m((r) => r.connectPerS)),
      headers_ratio: fixed(m((r) => r.headersPerS / r.verifyPerS), 2),
      blocks_ratio: fixed(m((r) => r.blocksPerS / bound(r)), 2),
      blocks_to_connect_ratio: fixed(m((r) => r.blocksPerS / r.connectPerS), 2),
      sync_cpu_ms: fixed(m((r) => r.syncCpuMs)),
      seals_verified: m((r) => r.seals),
      pool_busy_fraction: fixed(m((r) => r.poolBusy), 2),
      in_sync_verify_per_s: fixed(m((r) => r.inSyncVerifyPerS)),
      main_thread_utilization: fixed(m((r) => r.mainThread), 2),
    };
    say(
      `medians: sync ${result.headers_per_s} headers/s (×${result.headers_ratio} of the Ethash pool), ` +
        `${result.blocks_per_s} blocks/s (×${result.blocks_ratio} of min(pool, connect))`,
    );
    say(JSON.stringify(result));
  } finally {
    await ethash.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
