/**
 * JSON-RPC throughput: `getheight` and `getblockheader` requests per second
 * at concurrency 1 and 8 through the node's real stack — a FullNode (regtest,
 * on a real LMDB chain of --blocks blocks) answering on /rpc/v3, so each call
 * goes through the HTTP server, JSON parsing, argv parsing, the registry, the
 * serial call queue, the node methods and the formatter — beside a bare
 * node:http JSON-RPC server in the same process that answers the same
 * requests with the same bytes from the same chain (JSON.parse, a switch,
 * JSON.stringify). The ratio is what the framework costs.
 *
 * The load comes from a worker thread (`concurrency` keep-alive connections,
 * one request in flight on each), so client and servers do not share one
 * event loop.
 * Each round measures every case on both servers back to back (short slices,
 * alternating which goes first); the rates are per-case medians over the
 * rounds and each ratio is the median of the per-round ratios, which keeps a
 * shared, noisy machine from deciding the result. Proof of work is the chain helper's
 * TestPow: the blocks are empty and unsealed, which does not matter to header
 * queries.
 *
 *   npm run bench -- rpc [--seconds 0.6] [--rounds 11] [--blocks 500]
 *
 * The last output line is one JSON object: the four rates of each server and
 * the node/bare ratios (goal ≥ 0.7).
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FullNode } from '../src/node/full-node.js';
import { loadConfig } from '../src/node/config.js';
import { createCoinbase, assembleBlock } from '../src/miner/assemble.js';
import { requiredBits } from '../src/consensus/difficulty.js';
import { blockSubsidy } from '../src/networks/index.js';
import { formatHeader } from '../src/rpc/format.js';
import { stringifyJson } from '../src/rpc/json.js';
import { p2pkhScript } from '../src/primitives/script.js';
import { TestPow } from '../test/helpers/chain.js';
import { argNumber, median } from './_shared.js';

interface LoadJob {
  port: number;
  path: string;
  body: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

interface LoadResult {
  requests: number;
  elapsedMs: number;
  failures: number;
}

// ------------------------------------------------------------ load worker

/**
 * Keep `concurrency` requests in flight for warmup + duration, one per
 * keep-alive connection, and count the answers inside the window. The client
 * is raw sockets with a prebuilt request and a minimal response reader
 * (status line, Content-Length): node:http's client costs more CPU than the
 * servers being measured and would cap both rates at its own speed.
 */
async function runLoad(job: LoadJob): Promise<LoadResult> {
  const request = Buffer.from(
    `POST ${job.path} HTTP/1.1\r\nHost: 127.0.0.1:${job.port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(job.body)}\r\n\r\n${job.body}`,
  );
  const start = performance.now();
  const measureFrom = start + job.warmupMs;
  const stopAt = measureFrom + job.durationMs;
  let requests = 0;
  let failures = 0;
  const connection = () =>
    new Promise<void>((resolve) => {
      const socket = net.connect(job.port, '127.0.0.1');
      socket.setNoDelay(true);
      let pending: Buffer = Buffer.alloc(0);
      const finish = () => {
        socket.destroy();
        resolve();
      };
      socket.on('connect', () => socket.write(request));
      socket.on('error', () => {
        failures++;
        finish();
      });
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        for (;;) {
          const headerEnd = pending.indexOf('\r\n\r\n');
          if (headerEnd < 0) return;
          const head = pending.subarray(0, headerEnd).toString('latin1');
          const length = /\r\ncontent-length: *(\d+)/i.exec(head);
          if (!length) {
            failures++;
            return finish();
          }
          const total = headerEnd + 4 + Number(length[1]);
          if (pending.length < total) return;
          if (!head.startsWith('HTTP/1.1 200 ') || Number(length[1]) === 0) failures++;
          pending = pending.subarray(total);
          const now = performance.now();
          if (now >= measureFrom && now <= stopAt) requests++;
          if (now >= stopAt) return finish();
          socket.write(request);
        }
      });
    });
  await Promise.all(Array.from({ length: job.concurrency }, connection));
  return { requests, elapsedMs: job.durationMs, failures };
}

if (!isMainThread) {
  // One worker serves every slice of the run: jobs in, results out.
  parentPort!.on('message', (job: LoadJob) => {
    runLoad(job).then((r) => parentPort!.postMessage(r));
  });
}

/** The load generator thread, kept for the whole run (no thread start-up inside the slices). */
class LoadGenerator {
  private readonly worker = new Worker(new URL(import.meta.url));
  private failure: Error | null = null;

  constructor() {
    this.worker.on('error', (err) => (this.failure = err));
  }

  run(job: LoadJob): Promise<LoadResult> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.worker.once('error', onError);
      this.worker.once('message', (r: LoadResult) => {
        this.worker.off('error', onError);
        resolve(r);
      });
      this.worker.postMessage(job);
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

// ------------------------------------------------------------ main

const SECONDS = argNumber('--seconds', 0.6);
const ROUNDS = Math.floor(argNumber('--rounds', 11));
const BLOCKS = Math.floor(argNumber('--blocks', 500));
const say = (s: string) => process.stdout.write(s + '\n');

/** Extend the node's chain by `count` empty blocks (TestPow accepts the unsealed headers). */
async function growChain(node: FullNode, count: number): Promise<void> {
  const payTo = p2pkhScript(Buffer.alloc(20, 7));
  for (let i = 0; i < count; i++) {
    const parent = node.chain.tip;
    const height = parent.height + 1;
    const timestamp = parent.header.timestamp + 30;
    const lookup = (h: number) => node.chain.ancestorOf(parent, h)?.header ?? null;
    const bits = requiredBits(node.network, height, { version: 1, timestamp, bits: 0n, number: height }, lookup);
    const coinbase = createCoinbase(height, payTo, blockSubsidy(node.network, height, 1));
    const block = assembleBlock({ prevHash: parent.hash, height, timestamp, bits, txs: [coinbase] });
    const r = await node.chain.addBlock(block);
    if (r.status !== 'connected') throw new Error(`block ${height} not connected: ${r.status} ${r.error?.message ?? ''}`);
  }
}

/**
 * The baseline: node:http, JSON.parse, a switch over the method, the same
 * result objects from the same chain, the same envelope and body format.
 */
function startBareServer(node: FullNode): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const call = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: number; method?: string };
      let result: unknown;
      if (call.method === 'getheight') result = node.chain.height;
      else if (call.method === 'getblockheader') {
        const tip = node.chain.tip;
        result = formatHeader(tip.header, tip.txCount, { apiVersion: 3, addresses: node.network.address });
      }
      const body = stringifyJson({ jsonrpc: '2.0', id: call.id ?? 0, result: result as never }, 2) + '\n';
      res.statusCode = 200;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.end(body);
    });
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** POST one body and return the response text (for the equality check). */
function fetchOnce(port: number, path: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mvs-bench-rpc-'));
  const config = loadConfig(
    ['--network', 'regtest', '--datadir', dir, '--rpc-bind', '127.0.0.1:0', '--no-ws', '--no-listen', '--no-wallet', '--ethash-threads', '1', '--script-threads', '1'],
    {},
  );
  const node = new FullNode(config, { pow: new TestPow(), statusIntervalSeconds: 0 });
  let bare: http.Server | null = null;
  const generator = new LoadGenerator();
  try {
    await node.open();
    await node.ethash.getCache(0); // the epoch-0 prefetch must not compete with the measurement
    await growChain(node, BLOCKS);
    bare = await startBareServer(node);
    const nodePort = node.rpcAddress()!.port;
    const barePort = (bare.address() as AddressInfo).port;
    say(`chain of ${node.chain.height} blocks; node RPC on ${nodePort}, bare server on ${barePort}; ${ROUNDS} rounds of ${SECONDS} s per case`);

    const cases = [
      { method: 'getheight', concurrency: 1 },
      { method: 'getheight', concurrency: 8 },
      { method: 'getblockheader', concurrency: 1 },
      { method: 'getblockheader', concurrency: 8 },
    ];
    // Both servers must give the same answer, byte for byte.
    for (const { method } of cases) {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] });
      const [ours, theirs] = await Promise.all([fetchOnce(nodePort, '/rpc/v3', body), fetchOnce(barePort, '/rpc/v3', body)]);
      if (ours !== theirs) throw new Error(`the servers answer ${method} differently:\n${ours}\n${theirs}`);
    }

    const rates = new Map<string, { node: number[]; bare: number[] }>();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of cases) {
        const key = `${c.method}_c${c.concurrency}`;
        const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: c.method, params: [] });
        const job = { path: '/rpc/v3', body, concurrency: c.concurrency, warmupMs: 150, durationMs: SECONDS * 1000 };
        const r = rates.get(key) ?? { node: [], bare: [] };
        // Alternate which server goes first, so drift in the machine's load cancels out.
        const order = [['node', nodePort], ['bare', barePort]] as const;
        for (const [which, port] of round % 2 === 1 ? order : [...order].reverse()) {
          const result = await generator.run({ ...job, port });
          if (result.failures > 0) throw new Error(`${key} on the ${which} server: ${result.failures} failed requests`);
          r[which].push(result.requests / (result.elapsedMs / 1000));
        }
        rates.set(key, r);
        say(`round ${round} ${key.padEnd(18)} node ${r.node.at(-1)!.toFixed(0).padStart(6)}/s   bare ${r.bare.at(-1)!.toFixed(0).padStart(6)}/s   ratio ${(r.node.at(-1)! / r.bare.at(-1)!).toFixed(2)}`);
      }
    }

    const summary: Record<string, number | string> = { bench: 'rpc', baseline: 'bare node:http server answering the same bytes from the same chain' };
    const ratios: number[] = [];
    for (const [key, r] of rates) {
      const ratio = median(r.node.map((n, i) => n / r.bare[i]));
      summary[`${key}_node_per_s`] = Math.round(median(r.node));
      summary[`${key}_bare_per_s`] = Math.round(median(r.bare));
      summary[`${key}_ratio`] = Number(ratio.toFixed(3));
      ratios.push(ratio);
    }
    summary.min_ratio = Number(Math.min(...ratios).toFixed(3));
    summary.goal_ratio = 0.7;
    say(stringifyJson(summary));
  } finally {
    await generator.close();
    if (bare) await new Promise((r) => bare!.close(r));
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
