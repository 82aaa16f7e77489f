/**
 * getwork acceptance (issue #6, mvs-rpc §3, mvs-consensus §7.3): an external
 * miner written independently of the node — its own Ethash (light hashing
 * with @ethereumjs/ethash), its own header-hash check (@noble/hashes Keccak),
 * plain HTTP JSON-RPC (node:http, and raw HTTP/1.0 sockets the way ethminer
 * talks) — mines regtest blocks through eth_getWork / eth_submitWork on
 * /rpc/v3, and a second node accepts every one of them. Then the edges:
 * a nonce without 0x, a wrong mix, the legacy /rpc/v2 nonce mask,
 * eth_submitHashrate, and several packages staying valid until the tip moves.
 *
 * @ethereumjs/ethash is slow (~0.2 s per light hash, ~25 s for the epoch-0
 * cache); the cache is kept in the shared test cache folder after the first
 * run. Regtest bits = 10, so a block needs ~10 hashes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Ethash as EthereumjsEthash } from '@ethereumjs/ethash';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { TestNetwork, type TestNode, FUNDED_ACCOUNTS, preminedChain, waitFor, scaled } from './harness.js';

const PREMINED_HEIGHT = 100;
const BLOCKS = 20;
const PASSWORD = 'password1';
const MAX_U256 = (1n << 256n) - 1n;
const LEGACY_MASK = 0x6675636b6d657461n;
const HEX32 = /^0x[0-9a-f]{64}$/;

// ------------------------------------------------------------------ the external miner

/** How a request travels: ethminer's style (HTTP/1.0, Connection: close, no `jsonrpc`) or a plain JSON-RPC 2.0 client. */
interface RequestStyle {
  path?: string;
  jsonrpc?: boolean;
  http10?: boolean;
}

interface Envelope {
  id?: number;
  jsonrpc?: string;
  result?: unknown;
  error?: { code: number; message: string };
}

interface Work {
  header: string;
  seed: string;
  boundary: string;
  headerBytes: Buffer;
  target: bigint;
}

interface Solution {
  nonce: bigint;
  mix: Buffer;
  hashes: number;
}

/** One HTTP/1.1 POST with node:http; resolves with status and body. */
function postHttp11(port: number, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One POST as ethminer's getwork client sends it: HTTP/1.0, Connection: close, read to EOF. */
function postHttp10(port: number, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('connect', () => {
      socket.write(`POST ${path} HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const split = raw.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0);
      resolve({ status, text: split >= 0 ? raw.slice(split + 4) : '' });
    });
  });
}

let nextRequestId = 1;

/** One JSON-RPC call over plain HTTP; the reply is the parsed body (an envelope on v2/v3, the bare result on v1). */
async function jsonRpc(port: number, method: string, params: unknown[], style: RequestStyle = {}): Promise<Envelope> {
  const path = style.path ?? '/rpc/v3';
  const body: Record<string, unknown> = { id: nextRequestId++, method, params };
  if (style.jsonrpc !== false) body.jsonrpc = '2.0';
  const text = JSON.stringify(body);
  const reply = style.http10 ? await postHttp10(port, path, text) : await postHttp11(port, path, text);
  assert.equal(reply.status, 200, `HTTP status for ${method}: ${reply.text}`);
  return JSON.parse(reply.text) as Envelope;
}

/**
 * A level-like store for @ethereumjs/ethash's epoch caches, kept as one JSON
 * file per epoch in the shared test cache folder (written atomically).
 */
class FileCacheDb {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  private file(epoch: number): string {
    return join(this.dir, `ethereumjs-ethash-epoch-${epoch}.json`);
  }
  async get(epoch: number): Promise<Record<string, string | string[] | number> | undefined> {
    const f = this.file(epoch);
    if (!existsSync(f)) return undefined;
    try {
      return JSON.parse(readFileSync(f, 'utf8'));
    } catch {
      return undefined; // a damaged file is regenerated
    }
  }
  async put(epoch: number, value: Record<string, string | string[] | number>): Promise<void> {
    const tmp = `${this.file(epoch)}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(value));
    renameSync(tmp, this.file(epoch));
  }
  async del(): Promise<void> {}
  async batch(): Promise<void> {}
  shallowCopy(): this {
    return this;
  }
  async open(): Promise<void> {}
}

/** ethminer in miniature: getwork, a light Ethash nonce search, submitwork. */
class ExternalMiner {
  private readonly ethash: EthereumjsEthash;
  private epoch = -1;
  totalHashes = 0;

  constructor(private readonly port: number) {
    const cacheDir = join(process.env.MVS_TEST_CACHE ?? join(tmpdir(), 'mvs-node-test-cache'), 'ethereumjs');
    this.ethash = new EthereumjsEthash(new FileCacheDb(cacheDir) as unknown as ConstructorParameters<typeof EthereumjsEthash>[0]);
  }

  request(method: string, params: unknown[], style: RequestStyle = {}): Promise<Envelope> {
    return jsonRpc(this.port, method, params, style);
  }

  /** eth_getWork, checked the way ethminer reads it: three 32-byte hex strings. */
  async getWork(style: RequestStyle = {}, method = 'eth_getWork'): Promise<Work> {
    const reply = await this.request(method, [], style);
    assert.equal(reply.error, undefined, `getwork failed: ${JSON.stringify(reply.error)}`);
    return this.parseWork(reply.result);
  }

  parseWork(result: unknown): Work {
    assert.ok(Array.isArray(result) && result.length === 3, `getwork result ${JSON.stringify(result)}`);
    const [header, seed, boundary] = result as string[];
    for (const h of [header, seed, boundary]) assert.match(h, HEX32);
    return { header, seed, boundary, headerBytes: Buffer.from(header.slice(2), 'hex'), target: BigInt(boundary) };
  }

  /** Epoch from the seed hash (Keccak-256 iterated from zero), then the cache for it. */
  async prepare(seed: string): Promise<void> {
    let s: Uint8Array = new Uint8Array(32);
    let epoch = 0;
    while ('0x' + Buffer.from(s).toString('hex') !== seed) {
      s = keccak_256(s);
      epoch++;
      assert.ok(epoch < 2048, `unknown seed ${seed}`);
    }
    if (epoch !== this.epoch) {
      await this.ethash.loadEpoc(BigInt(epoch * 30_000));
      this.epoch = epoch;
    }
  }

  /** Search nonces upward from `start` until Ethash's final hash is ≤ the boundary. */
  async solve(work: Work, start = BigInt('0x' + randomBytes(8).toString('hex'))): Promise<Solution> {
    await this.prepare(work.seed);
    let nonce = start;
    for (let hashes = 1; ; hashes++) {
      const nonceBytes = Buffer.from(nonce.toString(16).padStart(16, '0'), 'hex');
      const { mix, hash } = this.ethash.run(work.headerBytes, nonceBytes);
      this.totalHashes++;
      if (BigInt('0x' + Buffer.from(hash).toString('hex')) <= work.target) return { nonce, mix: Buffer.from(mix), hashes };
      nonce = (nonce + 1n) & 0xffffffffffffffffn;
      await yieldToLoop();
    }
  }

  /** eth_submitWork with ethminer's encodings: "0x" + 16 hex digits, header and mix as 0x + 64 hex. */
  async submit(nonceHex: string, work: Work, mix: Buffer, style: RequestStyle = {}, method = 'eth_submitWork'): Promise<Envelope> {
    return this.request(method, [nonceHex, work.header, '0x' + mix.toString('hex')], style);
  }
}

const nonceHex = (n: bigint) => '0x' + n.toString(16).padStart(16, '0');

// ------------------------------------------------------------------ independent header check

function rlpInteger(value: bigint): number[] {
  if (value === 0n) return [0x80];
  if (value < 0x80n) return [Number(value)];
  const out: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) out.unshift(Number(v & 0xffn));
  return [0x80 + out.length, ...out];
}

/** A 32-byte hash as the reference RLP-encodes it: a list of 32 one-byte integers (mvs-rpc §3). */
function rlpByteList(wireOrder: Buffer): number[] {
  const body = [...wireOrder].flatMap((b) => rlpInteger(BigInt(b)));
  return body.length < 56 ? [0xc0 + body.length, ...body] : [0xf8, body.length, ...body];
}

interface HeaderJson {
  hash: string;
  version: number;
  bits: string;
  number: number;
  merkle_tree_hash: string;
  previous_block_hash: string;
  timestamp: number;
  nonce: string;
  mixhash: string;
}

/** The getwork header hash of a block as returned by getblock, computed from spec §3 alone. */
function headerHashOf(h: HeaderJson): string {
  const wire = (displayHex: string) => Buffer.from(displayHex, 'hex').reverse();
  const preimage = Buffer.from([
    ...rlpInteger(BigInt(h.version)),
    ...rlpInteger(BigInt(h.bits)),
    ...rlpInteger(BigInt(h.number)),
    ...rlpByteList(wire(h.merkle_tree_hash)),
    ...rlpByteList(wire(h.previous_block_hash)),
    ...rlpInteger(BigInt(h.timestamp)),
  ]);
  return '0x' + Buffer.from(keccak_256(preimage)).toString('hex');
}

// ------------------------------------------------------------------ the network

const net = new TestNetwork('getwork');
let failed = false;
let node1: TestNode;
let node2: TestNode;
let miner: ExternalMiner;
let aliceAddress: string;
let bobAddress: string;
const minedHashes: string[] = [];

before(async () => {
  try {
    const premined = await preminedChain(PREMINED_HEIGHT);
    aliceAddress = premined.addresses.alice;
    bobAddress = premined.addresses.bob;
    node1 = await net.addNode({ fromTemplate: premined.dir });
    node2 = await net.addNode({ fromTemplate: premined.dir, wallet: false });
    await net.connect(node2, node1);
    miner = new ExternalMiner(node1.rpcPort);
    // The epoch-0 cache (slow the first time on a machine, then read from the shared cache folder).
    await miner.prepare('0x' + '00'.repeat(32));
  } catch (err) {
    failed = true;
    throw err;
  }
});
after(() => net.cleanup(undefined, failed));

/** Run a test body, flagging failure so cleanup prints the node logs. */
function step(name: string, body: (t: import('node:test').TestContext) => Promise<void>, timeout = 120_000): void {
  test(name, { timeout: scaled(timeout) }, async (t) => {
    try {
      await body(t);
    } catch (err) {
      failed = true;
      throw err;
    }
  });
}

/** The block at `height` on `node` as getblock returns it (v3). */
async function blockAt(node: TestNode, height: number): Promise<HeaderJson & { transactions: unknown[] }> {
  const reply = await jsonRpc(node.rpcPort, 'getblock', [String(height)]);
  assert.equal(reply.error, undefined, JSON.stringify(reply.error));
  return reply.result as HeaderJson & { transactions: unknown[] };
}

step('getwork needs a payout address: 1024 until setminingaccount', async () => {
  const before = await miner.request('eth_getWork', [], { jsonrpc: false });
  assert.deepEqual(before.error, { code: 1024, message: 'Use command <setminingaccount> to set mining address.' });
  const imported = await node1.rpc<{ addresses: string[] }>('importaccount', FUNDED_ACCOUNTS.alice.mnemonic, '-n', 'alice', '-p', PASSWORD, '-i', '1');
  assert.equal(String(imported.addresses[0]), aliceAddress);
  const set = await miner.request('setminingaccount', ['alice', PASSWORD, aliceAddress]);
  assert.equal(set.result, `Address [${aliceAddress}] setted.`);
});

step('a work package: header hash, epoch-0 seed, boundary (2^256−1)/bits — the same on every path', async () => {
  const work = await miner.getWork({ jsonrpc: false, http10: true });
  assert.equal(work.seed, '0x' + '00'.repeat(32), 'epoch 0 seed hash');
  const tip = await blockAt(node1, await node1.height());
  assert.equal(work.target, MAX_U256 / BigInt(tip.bits), 'boundary for the next block’s bits (regtest keeps the parent’s)');
  // The same package on /rpc/v3 (with jsonrpc), /rpc/v2 and /rpc (v1 wraps it in {result}).
  const v3 = await miner.request('getwork', []);
  assert.deepEqual(v3.result, [work.header, work.seed, work.boundary]);
  const v2 = await miner.request('eth_getWork', [], { path: '/rpc/v2' });
  assert.deepEqual(v2.result, [work.header, work.seed, work.boundary]);
  const v1 = (await miner.request('getwork', [], { path: '/rpc' })) as { result?: unknown };
  assert.deepEqual(v1, { result: [work.header, work.seed, work.boundary] });
});

step(`an external miner mines ${BLOCKS} blocks through eth_getWork/eth_submitWork; a second node accepts them all`, async (t) => {
  const started = Date.now();
  const startHeight = await node1.height();
  for (let i = 0; i < BLOCKS; i++) {
    // Alternate ethminer's wire style (HTTP/1.0, no jsonrpc member) with a plain JSON-RPC 2.0 client.
    const style: RequestStyle = i % 2 === 0 ? { jsonrpc: false, http10: true } : { jsonrpc: true };
    const work = await miner.getWork(style);
    const solution = await miner.solve(work);
    const reply = await miner.submit(nonceHex(solution.nonce), work, solution.mix, style);
    assert.equal(reply.result, true, `block ${i + 1}: submitwork answered ${JSON.stringify(reply)}`);
    if (!style.jsonrpc) assert.equal(typeof reply.id, 'number');

    const block = await blockAt(node1, startHeight + 1 + i);
    assert.equal(headerHashOf(block), work.header, 'the new block is the package the miner solved');
    assert.equal(block.nonce, solution.nonce.toString(), 'nonce stored unchanged');
    assert.equal(block.mixhash, BigInt('0x' + solution.mix.toString('hex')).toString(), 'mix digest stored unchanged');
    assert.equal(MAX_U256 / BigInt(block.bits), work.target);
    minedHashes.push(block.hash);

    if (i % 5 === 4) {
      // ethminer's hashrate report: id 9, no jsonrpc, [hashrate, client id].
      const rate = await miner.request('eth_submitHashrate', ['0x' + (5).toString(16), '0x' + randomBytes(32).toString('hex')], { jsonrpc: false, http10: true });
      assert.equal(rate.result, true);
    }
  }
  assert.equal(await node1.height(), startHeight + BLOCKS);
  t.diagnostic(`${BLOCKS} blocks, ${miner.totalHashes} hashes in ${Math.round((Date.now() - started) / 1000)} s`);

  const tip = await net.syncAll([node1, node2]);
  assert.equal(tip, minedHashes[minedHashes.length - 1]);
  for (const [i, hash] of minedHashes.entries()) {
    const other = await blockAt(node2, startHeight + 1 + i);
    assert.equal(other.hash, hash, `node2 holds block ${startHeight + 1 + i} on its main chain`);
  }
}, 300_000); // ~200 hashes at ~0.25 s each on a quiet machine; room for a loaded one

step('a nonce without 0x on /rpc/v3 is error 2003', async () => {
  const work = await miner.getWork();
  const reply = await miner.request('eth_submitWork', ['00000000000000ff', work.header, '0x' + '00'.repeat(32)], { jsonrpc: false });
  assert.deepEqual(reply.error, { code: 2003, message: 'nonce should start with "0x" for eth_submitWork' });
});

step('a wrong mix is rejected; the package stays valid for the right one', async () => {
  const height = await node1.height();
  const work = await miner.getWork();
  const solution = await miner.solve(work);
  const wrongMix = Buffer.from(solution.mix);
  wrongMix[0] ^= 0x80;
  assert.equal((await miner.submit(nonceHex(solution.nonce), work, wrongMix)).result, false);
  assert.equal((await miner.submit(nonceHex(solution.nonce), work, Buffer.alloc(32))).result, false);
  assert.equal(await node1.height(), height);
  assert.equal((await miner.submit(nonceHex(solution.nonce), work, solution.mix)).result, true);
  assert.equal(await node1.height(), height + 1);
});

step('legacy /rpc/v2 submitwork takes the nonce XOR 0x6675636b6d657461', async () => {
  const height = await node1.height();
  const work = await miner.getWork({ path: '/rpc/v2' });
  const solution = await miner.solve(work);
  const v2 = { path: '/rpc/v2' };
  assert.equal((await miner.submit(nonceHex(solution.nonce), work, solution.mix, v2, 'submitwork')).result, false, 'unmasked: the node hashes another nonce');
  assert.equal((await miner.submit(nonceHex(solution.nonce ^ LEGACY_MASK), work, solution.mix, v2, 'submitwork')).result, true);
  const block = await blockAt(node1, height + 1);
  assert.equal(block.nonce, solution.nonce.toString(), 'the unmasked nonce is what the block carries');
});

step('several packages stay valid until the tip changes; then the rest are stale', async () => {
  const height = await node1.height();
  const first = await miner.getWork();
  // A pool change lets the node hand out a newer package once the last one is 10 s old.
  const sent = await node1.rpc<{ hash: string }>('send', 'alice', PASSWORD, bobAddress, '100000000');
  const firstSolution = await miner.solve(first);
  const second = await waitFor('a newer work package', async () => {
    const w = await miner.getWork();
    return w.header !== first.header ? w : null;
  }, 45_000, 500);
  const secondSolution = await miner.solve(second);
  assert.equal(await node1.height(), height, 'nothing mined meanwhile');

  assert.equal((await miner.submit(nonceHex(firstSolution.nonce), first, firstSolution.mix, { jsonrpc: false, http10: true })).result, true, 'the older package is still good');
  assert.equal((await miner.submit(nonceHex(secondSolution.nonce), second, secondSolution.mix, { jsonrpc: false, http10: true })).result, false, 'stale after the tip moved');
  assert.equal(await node1.height(), height + 1);

  // The next package (new tip) carries the payment.
  const third = await miner.getWork();
  assert.ok(third.header !== first.header && third.header !== second.header);
  const thirdSolution = await miner.solve(third);
  assert.equal((await miner.submit(nonceHex(thirdSolution.nonce), third, thirdSolution.mix)).result, true);
  const block = await blockAt(node1, height + 2);
  assert.ok(
    (block.transactions as { hash: string }[]).some((tx) => tx.hash === String(sent.hash)),
    'the payment is in the block of the new package',
  );
  assert.equal(await net.syncAll([node1, node2]), block.hash, 'node2 accepts these blocks too');
});
