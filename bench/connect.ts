/**
 * Block connection throughput (project issue #4): blocks/s, transactions/s
 * and inputs/s for connecting a synthetic regtest chain — by default 500
 * blocks × 200 signed P2PKH spends — through Chain.addBlock into a fresh
 * durable LMDB store (the production setting, noSync false), with the real
 * script-verification pool. In the same run, beside it:
 *
 *   - the same connection with a script verifier that accepts at once (what
 *     the chain's bookkeeping costs on its own);
 *   - the raw LMDB ceiling of the same workload: the same puts, gets and
 *     removes per block (same keys, same value sizes), one write transaction
 *     per block, nothing else;
 *   - the raw signature-verification rate of the same inputs (same
 *     signatures, digests and keys; the sighash is precomputed) through the
 *     crypto VerifyPool with as many workers as the script pool, same backend.
 *
 * ratio = inputs_per_s ÷ verify_per_s says whether signature checks bound
 * block connection (≥ 0.5 is the goal) or bookkeeping does. Proof of work is
 * not part of connection (it is checked per header before); the chain gets a
 * verifier that accepts every seal.
 *
 *   npm run bench -- connect [--blocks 500] [--spends 200] [--keys 8] [--rounds 3] [--slice 100] [--workers N] [--nice 10] [--no-sync] [--threads]
 *   node dist/bench/connect.js --blocks 100 (after npm run build)
 *
 * The fixture is raw blocks (see Workload); `--threads` adds each thread's
 * CPU per measurement (Linux), which shows where connection's time goes.
 *
 * The machine is noisy: the measurements take turns every --slice
 * blocks (default 100) and the figures are medians over rounds. Each turn
 * of the chain starts with its pipeline empty and ends by draining it,
 * which a syncing node, connecting blocks as they stream in, does not pay:
 * with 25-block turns the fills and drains left 7.7% of the script
 * workers' capacity unused, against 1.9% within the turns (docs/storage.md).
 * `script_workers_idle_connect_pct` is that unused share, as the pool counts it.
 * The last output line is one JSON object.
 */
import { mkdtempSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { open, type Database } from 'lmdb';
import { Chain, type AddBlockResult, type ScriptVerifier } from '../src/chain/chain.js';
import type { ScriptJob } from '../src/consensus/block.js';
import { ChainStore, StoreWrite, txOffsets } from '../src/chain/store.js';
import { applyOps } from '../src/chain/store-writer.js';
import { PooledScriptVerifier } from '../src/chain/script-checker.js';
import { VERIFY_WORKER_NICE } from '../src/util/thread-priority.js';
import { EventBus } from '../src/bus/index.js';
import { regtest, blockSubsidy } from '../src/networks/index.js';
import { Block } from '../src/primitives/block.js';
import { OutPoint } from '../src/primitives/transaction.js';
import { Coin } from '../src/consensus/coin.js';
import { signatureHash, SIGHASH } from '../src/consensus/sighash.js';
import { getSecp256k1, parseDerLax } from '../src/crypto/secp256k1/index.js';
import { VerifyPool, type VerifyItem } from '../src/crypto/verify-pool.js';
import { TABLES, type TableName, heightKey, addrHistoryKey, addrCoinKey } from '../src/chain/layout.js';
import { HeaderRecord, encodeTxLocation, encodeUndo } from '../src/chain/records.js';
import { scriptAddress } from '../src/primitives/address.js';
import { TestPow } from '../test/helpers/chain.js';
import { testKey, p2pkhSpend, type TestKey } from '../test/helpers/signing.js';
import { buildBlocks, SpendWallet, type OwnedCoin } from '../test/integration/chain/spend-chain.js';
import { argInt, median, round2 } from './_shared.js';

const BLOCKS = argInt('--blocks', 500);
const SPENDS = argInt('--spends', 200);
const ROUNDS = argInt('--rounds', 3);
const WORKERS = argInt('--workers', availableParallelism());
/** Nice value of both pools' workers (the script pool's and the baseline's; Linux; 0 = the process's own; the pools refuse anything outside 0–19). */
const NICE = process.argv.includes('--nice') ? Number(process.argv[process.argv.indexOf('--nice') + 1]) : VERIFY_WORKER_NICE;
/** Diagnostics only: commits without fsync, to see what the durable commit costs. */
const NO_SYNC = process.argv.includes('--no-sync');
/** addBlock calls outstanding at once (1 = each block awaited before the next is handed in). */
const WINDOW = argInt('--window', 8);
/** Blocks per turn of each measurement. */
const SLICE = argInt('--slice', 100);
/** Diagnostics only (e.g. under --cpu-prof): run just these measurements, comma-separated. */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : null;
const FEE = 10_000n;
/**
 * Payment addresses the lanes rotate through. The default 8 makes every block pay and spend
 * 8 addresses 25 times each, so the address tables take their inserts at 8 places; a chain
 * whose 200 spends per block touch 200 addresses (`--keys 200`) costs more (docs/storage.md).
 */
const KEYS = Math.min(argInt('--keys', 8), 65_535);
const SPACING = 30;

/** Diagnostics only (Linux): print each thread's CPU seconds per measurement. */
const THREADS = process.argv.includes('--threads');

/** CPU ticks (user, system) of every thread of this process, by thread id (Linux /proc; empty elsewhere). */
function threadTicks(): Map<string, [string, number, number]> {
  const out = new Map<string, [string, number, number]>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'latin1').trim();
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, [name, Number(fields[11]), Number(fields[12])]);
    } catch {
      // the thread ended
    }
  }
  return out;
}

/**
 * The measured chain, held compactly: raw blocks (off the JS heap) and the
 * inputs' verification data packed into flat buffers. A syncing node holds a
 * few blocks at a time, so the fixture must not hold 100,000 decoded
 * transactions either — every major GC would mark them, and the bench would
 * measure its own heap instead of the chain (docs/storage.md, "Throughput").
 */
interface Workload {
  /** Funding blocks (not timed): coinbases, maturity, one fan-out transaction. */
  setup: Block[];
  /** The measured blocks, raw: SPENDS one-input P2PKH spends each. */
  raws: Buffer[];
  /** The same inputs as bare ECDSA checks: compact signature 64 ‖ digest 32 ‖ public key 33, per input. */
  items: Buffer;
  /** Per measured block and spend: which key's script the spent output pays (prevScript of the script job). */
  laneKeys: Uint16Array;
  /** Per measured block and spend: the spent output's value. */
  laneValues: BigInt64Array;
  keys: TestKey[];
  txs: number;
  inputs: number;
}

const ITEM_BYTES = 64 + 32 + 33;

/** The VerifyItems of inputs [from, to). */
function verifyItems(w: Workload, from: number, to: number): VerifyItem[] {
  const items: VerifyItem[] = [];
  for (let i = from; i < to; i++) {
    const at = i * ITEM_BYTES;
    items.push({ signature: w.items.subarray(at, at + 64), message: w.items.subarray(at + 64, at + 96), publicKey: w.items.subarray(at + 96, at + ITEM_BYTES) });
  }
  return items;
}

/** The script checks of measured block `b`, as the chain hands them to the script pool. */
function scriptJobs(w: Workload, b: number): ScriptJob[] {
  const jobs: ScriptJob[] = [];
  for (let j = 0; j < SPENDS; j++) {
    const at = b * SPENDS + j;
    jobs.push({ txIndex: j + 1, inputIndex: 0, prevScript: w.keys[w.laneKeys[at]].script, prevValue: w.laneValues[at] });
  }
  return jobs;
}

/** Chain, not timed: fund SPENDS lanes, then each measured block moves every lane's coin once. */
async function buildWorkload(): Promise<Workload> {
  const keys: TestKey[] = Array.from({ length: KEYS }, (_, i) => testKey(`bench connect key ${i}`));
  const wallet = new SpendWallet(keys);
  const perLane = BigInt(BLOCKS) * FEE + FEE;
  const subsidy = blockSubsidy(regtest, 1, 1);
  const fundingCoinbases = Number((BigInt(SPENDS) * perLane + FEE + subsidy - 1n) / subsidy);
  const history = [regtest.genesis.header];
  const onBlock = (b: Block, h: number) => {
    wallet.apply(b, h);
    history.push(b.header);
  };
  const setup = await buildBlocks({
    history: [...history],
    count: fundingCoinbases + regtest.coinbaseMaturity,
    spacing: SPACING,
    coinbaseScript: () => keys[0].script,
    spends: () => ({ txs: [], fees: 0n }),
    onBlock,
  });
  const funding = wallet.spendable(history.length, regtest.coinbaseMaturity).filter((c) => c.coinbase);
  const total = funding.reduce((s, c) => s + c.value, 0n);
  const fanOut = p2pkhSpend(
    funding.map((c) => ({ txid: c.txid, index: c.index })),
    Array.from({ length: SPENDS }, (_, j) => ({ script: keys[j % KEYS].script, value: j === 0 ? total - FEE - perLane * BigInt(SPENDS - 1) : perLane })),
    keys[0],
  );
  setup.push(...(await buildBlocks({ history: [...history], count: 1, spacing: SPACING, coinbaseScript: () => keys[0].script, spends: () => ({ txs: [fanOut], fees: FEE }), onBlock })));

  let lanes: OwnedCoin[] = fanOut.outputs.map((o, index) => ({ txid: fanOut.hash(), index, value: o.value, key: keys[index % KEYS], height: history.length - 1, coinbase: false }));
  const items = Buffer.alloc(BLOCKS * SPENDS * ITEM_BYTES);
  const laneKeys = new Uint16Array(BLOCKS * SPENDS);
  const laneValues = new BigInt64Array(BLOCKS * SPENDS);
  let input = 0;
  const secp = getSecp256k1();
  const raws: Buffer[] = [];
  let txCount = 0;
  await buildBlocks({
    history: [...history],
    count: BLOCKS,
    spacing: SPACING,
    coinbaseScript: () => keys[0].script,
    spends: (height) => {
      const txs = lanes.map((coin, j) => p2pkhSpend([{ txid: coin.txid, index: coin.index }], [{ script: keys[(j + height) % KEYS].script, value: coin.value - FEE }], coin.key));
      txs.forEach((tx, j) => {
        const sig = tx.inputs[0].script.ops![0].data!;
        const compact = parseDerLax(sig.subarray(0, sig.length - 1))!;
        const message = signatureHash(tx, 0, lanes[j].key.script.raw, SIGHASH.ALL);
        if (!secp.verify(compact, message, lanes[j].key.pub)) throw new Error('workload signature does not verify');
        const at = input * ITEM_BYTES;
        items.set(compact, at);
        items.set(message, at + 64);
        items.set(lanes[j].key.pub, at + 96);
        laneKeys[input] = keys.indexOf(lanes[j].key);
        laneValues[input] = lanes[j].value;
        input++;
      });
      lanes = txs.map((tx, j) => ({ txid: tx.hash(), index: 0, value: tx.outputs[0].value, key: keys[(j + height) % KEYS], height, coinbase: false }));
      return { txs, fees: FEE * BigInt(txs.length) };
    },
    onBlock: (b) => {
      raws.push(b.toRaw());
      txCount += b.txs.length;
    },
  });
  return { setup, raws, items, laneKeys, laneValues, keys, txs: txCount, inputs: input };
}

/** Measures one pass over the measured blocks in slices; `run` times one slice. */
interface Session {
  run(from: number, to: number): Promise<number>;
  close(): Promise<void>;
  /** Script-worker idle milliseconds (summed over workers) inside the last run's timed region, for sessions that use the script pool. */
  idleMs?: number;
}

/** The script pool's idle-time counter (ScriptVerifierPool.idleMilliseconds). */
type IdleClock = () => number;

/** Accepts every script at once: what connection costs besides the signature checks. */
const NO_SCRIPTS: ScriptVerifier = { verifyScripts: async () => ({ ok: true }) };

/** Chain.addBlock into a fresh store, the setup connected untimed. */
async function connectSession(w: Workload, scripts: ScriptVerifier, window: number, idle?: IdleClock): Promise<Session> {
  const dir = mkdtempSync(join(tmpdir(), 'mvs-bench-connect-'));
  const store = new ChainStore({ path: dir, network: regtest, noSync: NO_SYNC });
  const chain = new Chain({ store, network: regtest, bus: new EventBus(), pow: new TestPow(), scripts, now: () => 2 ** 31 });
  await chain.open();
  for (const b of w.setup) {
    const r = await chain.addBlock(b);
    if (r.status !== 'connected') throw new Error(`setup block ${r.height}: ${r.status} ${r.error?.message}`);
  }
  let ran = false;
  const session: Session = {
    async run(from, to) {
      ran = true;
      const idle0 = idle?.() ?? 0;
      const start = performance.now();
      // Up to `window` blocks handed in ahead, as downloaded blocks reach the chain during sync.
      const outstanding: Promise<AddBlockResult>[] = [];
      const check = (r: AddBlockResult) => {
        if (r.status !== 'connected') throw new Error(`block ${r.height}: ${r.status} ${r.error?.code} ${r.error?.message}`);
      };
      for (let i = from; i < to; i++) {
        // Decoded as it is handed in, timed: the P2P layer decodes each block message on arrival, on
        // this thread, and at most its download window of decoded blocks waits for the chain. (Decoding
        // a whole slice ahead kept thousands of transactions alive through every young-generation GC.)
        outstanding.push(chain.addBlock(Block.fromRaw(w.raws[i]), w.raws[i]));
        if (outstanding.length >= window) check(await outstanding.shift()!);
      }
      for (const p of outstanding) check(await p);
      const seconds = (performance.now() - start) / 1000;
      if (idle) session.idleMs = idle() - idle0;
      return seconds;
    },
    async close() {
      const expected = SPENDS + w.setup.length + w.raws.length + 1 - fundingInputs(w);
      const got = store.coinCount();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
      if (ran && got !== expected) throw new Error(`unexpected UTXO count ${got} (expected ${expected})`);
    },
  };
  return session;
}

/** Coinbases the fan-out spent. */
function fundingInputs(w: Workload): number {
  return w.setup[w.setup.length - 1].txs[1].inputs.length;
}

/**
 * The same table operations per block as ChainStore.connectBlock, with the
 * real keys and value encodings prepared before timing: read every spent coin,
 * then in one write transaction store the raw block, the tx index, each output
 * (coin, address history, address coin), each spend (coin and address-coin
 * removes, a history put), undo data, height index, header record and tip.
 */
async function lmdbSession(w: Workload): Promise<Session> {
  const dir = mkdtempSync(join(tmpdir(), 'mvs-bench-lmdb-'));
  const env = open({ path: dir, maxDbs: TABLES.length + 4, noSync: NO_SYNC, encoding: 'binary', keyEncoding: 'binary' });
  const db = Object.fromEntries(TABLES.map((t) => [t, env.openDB<Buffer, Buffer>(t, { encoding: 'binary', keyEncoding: 'binary' })])) as Record<TableName, Database<Buffer, Buffer>>;
  const tableDbs = TABLES.map((t) => db[t]);
  /** One block's work, packed (the fixture stays off the JS heap): the coin keys it reads, and its changes as a StoreWrite. */
  interface Prepared {
    reads: Buffer;
    write: StoreWrite;
  }
  const address = (coin: Coin): Buffer => {
    const a = scriptAddress(coin.script, regtest.address)!;
    return Buffer.concat([Buffer.from([a.version]), a.hash]);
  };
  const prep = (b: Block, raw: Buffer, height: number, coins: Map<string, Coin>): Prepared => {
    const hash = b.hash();
    const offsets = txOffsets(b);
    const reads: Buffer[] = [];
    const puts: [TableName, Buffer, Buffer][] = [['block', hash, raw]];
    const removes: [TableName, Buffer][] = [];
    const spent: { key: Buffer; coin: Coin }[] = [];
    b.txs.forEach((tx, t) => {
      const txid = tx.hash();
      puts.push(['tx', txid, encodeTxLocation({ height, blockHash: hash, offset: offsets[t].offset, length: offsets[t].length, index: t, outputs: tx.outputs.length })]);
      if (t > 0) {
        tx.inputs.forEach((input, n) => {
          const key = input.prevout.toKey();
          const coinKey = key.toString('latin1');
          const coin = coins.get(coinKey)!;
          coins.delete(coinKey);
          spent.push({ key, coin });
          reads.push(key);
          removes.push(['coin', key], ['addrcoin', addrCoinKey(address(coin), key)]);
          puts.push(['addr', addrHistoryKey(address(coin), height, txid, 1, n), Buffer.concat([Buffer.alloc(8), key])]);
        });
      }
      tx.outputs.forEach((o, i) => {
        const key = new OutPoint(txid, i).toKey();
        const coin = new Coin(o, height, t === 0);
        coins.set(key.toString('latin1'), coin);
        puts.push(['coin', key, coin.toRaw()], ['addr', addrHistoryKey(address(coin), height, txid, 0, i), Buffer.alloc(8)], ['addrcoin', addrCoinKey(address(coin), key), Buffer.alloc(13)]);
      });
    });
    const rec = new HeaderRecord(b.header, height, BigInt(height) * 10n, 7, b.txs.length);
    puts.push(['undo', hash, encodeUndo(spent)], ['main', heightKey(height), hash], ['header', hash, rec.encode()], ['meta', Buffer.from('tip'), hash]);
    const write = new StoreWrite(raw.length * 2);
    for (const [t, k, v] of puts) write.put(t, k, v);
    for (const [t, k] of removes) write.remove(t, k);
    return { reads: Buffer.concat(reads), write };
  };
  const coins = new Map<string, Coin>();
  const prepared: Prepared[] = [];
  w.setup.forEach((b, i) => prepared.push(prep(b, b.toRaw(), i + 1, coins)));
  w.raws.forEach((raw, i) => prepared.push(prep(Block.fromRaw(raw), raw, w.setup.length + i + 1, coins)));
  const apply = (p: Prepared) => {
    for (let at = 0; at < p.reads.length; at += 36) if (!db.coin.getBinaryFast(p.reads.subarray(at, at + 36))) throw new Error('lmdb ceiling: a spent coin is missing');
    env.transactionSync(() => applyOps(p.write.bytes.buffer as ArrayBuffer, p.write.length, tableDbs));
  };
  for (const p of prepared.slice(0, w.setup.length)) apply(p);
  const measured = prepared.slice(w.setup.length);
  return {
    async run(from, to) {
      const start = performance.now();
      for (let i = from; i < to; i++) apply(measured[i]);
      return (performance.now() - start) / 1000;
    },
    async close() {
      await env.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The slice's blocks' script checks through the chain's script pool, all handed in at once, no chain. */
function scriptSession(w: Workload, scripts: PooledScriptVerifier): Session {
  const session: Session = {
    async run(from, to) {
      const blocks = w.raws.slice(from, to).map((raw) => Block.fromRaw(raw));
      const jobs = blocks.map((_, i) => scriptJobs(w, from + i));
      const idle0 = scripts.pool.idleMilliseconds();
      const start = performance.now();
      const results = await Promise.all(blocks.map((b, i) => scripts.verifyScripts(b.txs, jobs[i])));
      const seconds = (performance.now() - start) / 1000;
      session.idleMs = scripts.pool.idleMilliseconds() - idle0;
      if (!results.every((r) => r.ok)) throw new Error('script pool: a valid input failed');
      return seconds;
    },
    async close() {},
  };
  return session;
}

/** The slice's inputs as bare ECDSA checks through the crypto pool, in one call. */
function verifySession(w: Workload, pool: VerifyPool): Session {
  return {
    async run(from, to) {
      const items = verifyItems(w, from * SPENDS, to * SPENDS);
      const start = performance.now();
      const results = await pool.verifyBatch(items);
      const seconds = (performance.now() - start) / 1000;
      if (!results.every(Boolean)) throw new Error('verify pool: a valid signature failed');
      return seconds;
    },
    async close() {},
  };
}

async function main(): Promise<void> {
  const backend = getSecp256k1().name;
  console.log(`connect bench: ${BLOCKS} blocks × ${SPENDS} P2PKH spends to ${KEYS} addresses, ${WORKERS} workers, backend ${backend}, ${ROUNDS} rounds`);
  const t0 = performance.now();
  const w = await buildWorkload();
  console.log(`workload: ${w.setup.length} setup blocks, ${w.raws.length} measured blocks, ${w.txs} txs, ${w.inputs} inputs (built in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  const scripts = new PooledScriptVerifier({ workers: WORKERS, nice: NICE });
  const pool = new VerifyPool({ workers: WORKERS, nice: NICE });
  // Warm-up: worker start-up, JIT, lazy tables.
  await pool.verifyBatch(verifyItems(w, 0, Math.min(4096, w.inputs)));
  await scripts.verifyScripts(Block.fromRaw(w.raws[0]).txs, scriptJobs(w, 0));

  // Each round makes one pass per session; the sessions take turns slice by
  // slice (a second or so each), so a slow phase of the machine hits all three.
  const kinds = ['connect', 'bookkeeping', 'lmdb', 'scripts', 'verify'] as const;
  const rounds: Record<(typeof kinds)[number], number>[] = [];
  const cpuRounds: Record<(typeof kinds)[number], number>[] = [];
  /** Per round: the share of the script workers' time with no batch in flight, while connecting and in the script pool alone. */
  const idleRounds: { connect: number; scripts: number }[] = [];
  // The workload's garbage is not the first round's to collect.
  (globalThis as { gc?: () => void }).gc?.();
  for (let r = 0; r < ROUNDS; r++) {
    const sessions = {
      connect: await connectSession(w, scripts, WINDOW, () => scripts.pool.idleMilliseconds()),
      bookkeeping: await connectSession(w, NO_SCRIPTS, WINDOW),
      lmdb: await lmdbSession(w),
      scripts: scriptSession(w, scripts),
      verify: verifySession(w, pool),
    };
    const total = { connect: 0, bookkeeping: 0, lmdb: 0, scripts: 0, verify: 0 };
    /** CPU seconds of all the process's threads during each measurement (÷ wall time = cores kept busy). */
    const cpu = { connect: 0, bookkeeping: 0, lmdb: 0, scripts: 0, verify: 0 };
    /** Script-worker milliseconds with no batch in flight, summed over workers. */
    const idleMs = { connect: 0, scripts: 0 };
    const threads = Object.fromEntries(kinds.map((k) => [k, new Map<string, [string, number, number]>()])) as Record<(typeof kinds)[number], Map<string, [string, number, number]>>;
    for (let from = 0; from < w.raws.length; from += SLICE) {
      const to = Math.min(w.raws.length, from + SLICE);
      for (const k of kinds) {
        if (ONLY && !ONLY.includes(k)) continue;
        const ticksBefore = THREADS ? threadTicks() : null;
        const before = process.cpuUsage();
        const seconds = await sessions[k].run(from, to);
        const used = process.cpuUsage(before);
        if (k === 'connect' || k === 'scripts') idleMs[k] += sessions[k].idleMs ?? 0;
        if (ticksBefore) {
          for (const [tid, [name, user, sys]] of threadTicks()) {
            const [, user0, sys0] = ticksBefore.get(tid) ?? [name, 0, 0];
            const acc = threads[k].get(tid) ?? [name, 0, 0];
            threads[k].set(tid, [name, acc[1] + user - user0, acc[2] + sys - sys0]);
          }
        }
        total[k] += seconds;
        cpu[k] += (used.user + used.system) / 1e6;
      }
    }
    for (const k of kinds) await sessions[k].close();
    rounds.push(total);
    cpuRounds.push(cpu);
    const idleShare = (k: 'connect' | 'scripts') => idleMs[k] / (total[k] * 1000 * scripts.pool.size);
    idleRounds.push({ connect: idleShare('connect'), scripts: idleShare('scripts') });
    if (THREADS) {
      for (const k of kinds) {
        const busy = [...threads[k]].filter(([, [, u, s]]) => u + s > 0).sort((a, b) => b[1][1] + b[1][2] - (a[1][1] + a[1][2]));
        if (busy.length) console.log(`threads ${k}: ${busy.map(([tid, [name, u, s]]) => `${tid} ${name} ${((u + s) / 100).toFixed(2)}s (sys ${(s / 100).toFixed(2)})`).join(', ')}`);
      }
    }
    const rate = (k: (typeof kinds)[number]) => (w.inputs / total[k]).toFixed(0);
    console.log(
      `round ${r + 1}: connect ${rate('connect')} inputs/s (${(w.raws.length / total.connect).toFixed(1)} blocks/s), without scripts ${rate('bookkeeping')}, lmdb ceiling ${rate('lmdb')}, script pool ${rate('scripts')}/s, ECDSA ${rate('verify')}/s; ratio ${(total.verify / total.connect).toFixed(2)} (vs script pool ${(total.scripts / total.connect).toFixed(2)}); CPU µs/input (cores busy): ${kinds.map((k) => `${k} ${((cpu[k] / w.inputs) * 1e6).toFixed(0)} (${(cpu[k] / total[k]).toFixed(2)})`).join(', ')}; script workers idle: connect ${(idleShare('connect') * 100).toFixed(1)}%, script pool ${(idleShare('scripts') * 100).toFixed(1)}%`,
    );
    (globalThis as { gc?: () => void }).gc?.();
  }
  await scripts.close();
  await pool.close();

  const connect = median(rounds.map((r) => r.connect));
  const bookkeeping = median(rounds.map((r) => r.bookkeeping));
  const lmdb = median(rounds.map((r) => r.lmdb));
  const verify = median(rounds.map((r) => r.verify));
  const scriptRate = median(rounds.map((r) => r.scripts));
  console.log(
    JSON.stringify({
      bench: 'connect',
      blocks: w.raws.length,
      spends_per_block: SPENDS,
      addresses: KEYS,
      inputs: w.inputs,
      workers: WORKERS,
      backend,
      durable: !NO_SYNC,
      worker_nice: NICE,
      blocks_per_s: round2(w.raws.length / connect),
      txs_per_s: Math.round(w.txs / connect),
      inputs_per_s: Math.round(w.inputs / connect),
      no_scripts_inputs_per_s: Math.round(w.inputs / bookkeeping),
      lmdb_blocks_per_s: round2(w.raws.length / lmdb),
      lmdb_inputs_per_s: Math.round(w.inputs / lmdb),
      script_verify_per_s: Math.round(w.inputs / scriptRate),
      verify_per_s: Math.round(w.inputs / verify),
      baseline: `VerifyPool ECDSA verify of the same inputs (${backend}, ${WORKERS} workers)`,
      ratio: round2(median(rounds.map((r) => r.verify / r.connect))),
      ratio_vs_script_pool: round2(median(rounds.map((r) => r.scripts / r.connect))),
      script_pool_baseline: `script pool verifying the same inputs without the chain (${backend}, ${WORKERS} workers)`,
      // Share of the script workers' time with no batch in flight: starvation rather than CPU spent.
      script_workers_idle_connect_pct: Math.round(median(idleRounds.map((r) => r.connect)) * 1000) / 10,
      script_workers_idle_scripts_pct: Math.round(median(idleRounds.map((r) => r.scripts)) * 1000) / 10,
      // Process CPU (all threads) per input: where the time goes on a machine this small.
      ...Object.fromEntries(kinds.map((k) => [`cpu_us_per_input_${k}`, Math.round((median(cpuRounds.map((c) => c[k])) / w.inputs) * 1e6)])),
      rounds: ROUNDS,
    }),
  );
}

await main();
