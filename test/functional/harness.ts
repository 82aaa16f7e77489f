/**
 * Functional test harness (Bitcoin Core's test_framework in spirit): spawn
 * and stop real `mvsd` processes on 127.0.0.1 with ephemeral ports, wait for
 * their RPC, connect/split/join them, wait until they agree (syncAll), mine
 * through RPC, and keep each node's log for the failure report. Timeouts
 * scale with MVS_TEST_TIMEOUT_FACTOR. A pre-mined regtest chain is built once
 * per machine (cached, lock-protected) so tests need not mine from genesis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, openSync, closeSync, writeFileSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { repoRoot } from '../helpers/vectors.js';
import { rpcCall, RpcClientError } from '../../src/rpc/client.js';
import type { JsonValue } from '../../src/rpc/json.js';

export const TIMEOUT_FACTOR = Number(process.env.MVS_TEST_TIMEOUT_FACTOR ?? '1') || 1;
export const scaled = (ms: number) => Math.round(ms * TIMEOUT_FACTOR);
export const MVSD = join(repoRoot(), 'dist', 'src', 'cli', 'mvsd.js');
export const MVS_CLI = join(repoRoot(), 'dist', 'src', 'cli', 'mvs-cli.js');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Whether a test of this file failed: tests wrapped by guard() set it, and the
 * file's network cleanup then keeps the nodes' data and prints their logs.
 */
export class FailureFlag {
  failed = false;

  guard(fn: (t: TestContext) => Promise<void>): (t: TestContext) => Promise<void> {
    return async (t) => {
      try {
        await fn(t);
      } catch (err) {
        this.failed = true;
        throw err;
      }
    };
  }
}

/** Poll `check` until it returns a truthy value or the (scaled) timeout passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const until = Date.now() + scaled(timeoutMs);
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(intervalMs);
  }
}

/** Ports the OS says are free right now (bound once to port 0 and released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<import('node:net').Server>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface NodeOptions {
  /** Extra mvsd arguments. */
  args?: string[];
  /** Start from this template data directory (copied). */
  fromTemplate?: string;
  /** Worker threads per pool (default 1: several nodes share 2 cores in CI). */
  threads?: number;
  wallet?: boolean;
}

/** One spawned mvsd. */
export class TestNode {
  readonly index: number;
  readonly datadir: string;
  readonly logPath: string;
  rpcPort = 0;
  wsPort = 0;
  p2pPort = 0;
  proc: ChildProcess | null = null;
  private exited: Promise<number | null> | null = null;
  private readonly baseArgs: string[];

  constructor(index: number, root: string, private readonly opts: NodeOptions = {}) {
    this.index = index;
    this.datadir = join(root, `node${index}`);
    mkdirSync(this.datadir, { recursive: true });
    this.logPath = join(this.datadir, 'mvsd.log');
    if (opts.fromTemplate) cpSync(opts.fromTemplate, join(this.datadir, 'regtest'), { recursive: true });
    const threads = String(opts.threads ?? 1);
    this.baseArgs = ['--network', 'regtest', '--datadir', this.datadir, '--ethash-threads', threads, '--script-threads', threads, '--log-level', process.env.MVS_TEST_LOG_LEVEL ?? 'info', '--log-format', 'json'];
    if (opts.wallet === false) this.baseArgs.push('--no-wallet');
  }

  get rpcUrl(): string {
    return `http://127.0.0.1:${this.rpcPort}/rpc/v3`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.wsPort}/ws`;
  }

  get p2pAddress(): string {
    return `127.0.0.1:${this.p2pPort}`;
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /**
   * Start (or restart on the same ports and data); resolves when its RPC
   * answers. Ports are chosen free just before the first start; if another
   * process grabbed one in between (the node exits with EADDRINUSE), new ports
   * are chosen and the start retried.
   */
  async start(extraArgs: string[] = []): Promise<void> {
    if (this.running) throw new Error(`node${this.index} is already running`);
    const firstStart = this.rpcPort === 0;
    for (let attempt = 1; ; attempt++) {
      if (this.rpcPort === 0) [this.rpcPort, this.wsPort, this.p2pPort] = await freePorts(3);
      try {
        await this.spawnOnce(extraArgs);
        return;
      } catch (err) {
        const inUse = /EADDRINUSE/.test(this.tail(20));
        if (!firstStart || !inUse || attempt >= 3) throw err;
        this.rpcPort = 0;
      }
    }
  }

  private async spawnOnce(extraArgs: string[]): Promise<void> {
    const args = [
      MVSD,
      ...this.baseArgs,
      '--rpc-bind', `127.0.0.1:${this.rpcPort}`,
      '--ws-bind', `127.0.0.1:${this.wsPort}`,
      '--bind', '127.0.0.1',
      '--port', String(this.p2pPort),
      ...(this.opts.args ?? []),
      ...extraArgs,
    ];
    const fd = openSync(this.logPath, 'a');
    const proc = spawn(process.execPath, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.proc = proc;
    this.exited = new Promise((r) => proc.once('exit', (code, signal) => r(code ?? (signal ? -1 : null))));
    const exitedEarly = this.exited.then((code) => {
      throw new Error(`node${this.index} exited with ${code} before its RPC answered:\n${this.tail()}`);
    });
    const ready = waitFor(`node${this.index} RPC`, async () => {
      if (proc.exitCode !== null) return false;
      await this.rpc('getheight');
      return true;
    }, 60_000, 100);
    try {
      await Promise.race([ready, exitedEarly]);
    } finally {
      exitedEarly.catch(() => undefined);
    }
  }

  /** SIGTERM (or another signal) and wait; returns the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<number | null> {
    if (!this.proc || !this.exited) return null;
    if (this.running) this.proc.kill(signal);
    const t = setTimeout(() => this.proc?.kill('SIGKILL'), scaled(timeoutMs));
    const code = await this.exited;
    clearTimeout(t);
    this.proc = null;
    return code;
  }

  /** SIGKILL: no cleanup, as a crash. */
  async kill(): Promise<void> {
    await this.stop('SIGKILL');
  }

  rpc<T = JsonValue>(method: string, ...params: JsonValue[]): Promise<T> {
    return rpcCall<T>(this.rpcUrl, method, params, scaled(120_000));
  }

  /** The RPC error code of a call expected to fail (throws if it succeeds). */
  async rpcError(method: string, ...params: JsonValue[]): Promise<{ code: number | null; message: string }> {
    try {
      await this.rpc(method, ...params);
    } catch (err) {
      if (err instanceof RpcClientError) return { code: err.code, message: err.message };
      throw err;
    }
    throw new Error(`${method} was expected to fail`);
  }

  async height(): Promise<number> {
    return Number(await this.rpc('getheight'));
  }

  async tipHash(): Promise<string> {
    return String(await this.rpc('getbestblockhash'));
  }

  /** Mine `n` blocks paying `address` (regtest `generate`); returns their hashes. */
  async mine(n: number, address: string): Promise<string[]> {
    return (await this.rpc<string[]>('generate', n, address)).map(String);
  }

  /** Last lines of the node's log. */
  tail(lines = 40): string {
    if (!existsSync(this.logPath)) return '(no log)';
    return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
  }
}

/** Several nodes in one temporary root, cleaned up (and their logs reported on failure) at the end. */
export class TestNetwork {
  readonly root: string;
  readonly nodes: TestNode[] = [];

  constructor(name = 'net') {
    this.root = mkdtempSync(join(tmpdir(), `mvs-func-${name}-`));
  }

  async addNode(opts: NodeOptions = {}, start = true, extraArgs: string[] = []): Promise<TestNode> {
    const node = new TestNode(this.nodes.length + 1, this.root, opts);
    this.nodes.push(node);
    if (start) await node.start(extraArgs);
    return node;
  }

  /** Ask `a` to keep a connection to `b`, and wait until both see each other. */
  async connect(a: TestNode, b: TestNode): Promise<void> {
    await a.rpc('addnode', b.p2pAddress);
    await waitFor(`node${a.index} ↔ node${b.index} connection`, async () => {
      const pa = await a.rpc<string[]>('getpeerinfo');
      return pa.length > 0;
    }, 30_000);
  }

  /** Wait until every running node has the same tip hash. */
  async syncAll(nodes: TestNode[] = this.nodes.filter((n) => n.running), timeoutMs = 60_000): Promise<string> {
    return waitFor('all nodes at the same tip', async () => {
      const tips = await Promise.all(nodes.map((n) => n.tipHash()));
      return tips.every((t) => t === tips[0]) ? tips[0] : null;
    }, timeoutMs, 200);
  }

  /** Wait until every node's mempool holds `txid`. */
  async syncMempools(txid: string, nodes: TestNode[] = this.nodes.filter((n) => n.running), timeoutMs = 30_000): Promise<void> {
    await waitFor(`tx ${txid} in every mempool`, async () => {
      const pools = await Promise.all(nodes.map((n) => n.rpc<{ hash: string }[]>('getmemorypool')));
      return pools.every((p) => p.some((t) => t.hash === txid));
    }, timeoutMs, 200);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop().catch(() => undefined)));
  }

  /** Stop everything; on failure print each node's log tail through the test context; remove the root. */
  async cleanup(t?: TestContext, failed = false): Promise<void> {
    await this.stopAll();
    if (failed || process.env.MVS_TEST_KEEP_LOGS) {
      for (const n of this.nodes) {
        const msg = `--- node${n.index} log (${n.logPath}) ---\n${n.tail(80)}`;
        if (t) t.diagnostic(msg);
        else process.stderr.write(msg + '\n');
      }
    }
    if (!process.env.MVS_TEST_KEEP_LOGS) rmSync(this.root, { recursive: true, force: true });
  }
}

/** Keys of the pre-mined chain: the first addresses (m/0) of the reference's test accounts (test/test-rpc-v3/Roles.py). */
export const FUNDED_ACCOUNTS = {
  alice: {
    mnemonic: 'notice judge certain company novel quality plunge list blind library ride uncover fold wink biology original aim whale stand coach hire clinic fame robot',
  },
  bob: {
    mnemonic: 'umbrella social junk engine slender slam adult piece van eight high marriage honey clerk fox input perfect super net refuse connect kick retire sight',
  },
} as const;

function cacheRoot(): string {
  return process.env.MVS_TEST_CACHE ?? join(tmpdir(), 'mvs-node-test-cache');
}

/**
 * A regtest data directory (the `regtest` folder of a datadir) with `height`
 * blocks mined alternately to alice's and bob's first addresses, built once
 * per machine and cached by height (a lock file keeps parallel test files
 * from building it twice). Copy it into a node with `fromTemplate`.
 */
export async function preminedChain(height: number): Promise<{ dir: string; addresses: Record<keyof typeof FUNDED_ACCOUNTS, string> }> {
  const root = join(cacheRoot(), `premined-${height}`);
  const done = join(root, 'done.json');
  if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8'));
  mkdirSync(cacheRoot(), { recursive: true });
  const lock = join(cacheRoot(), `premined-${height}.lock`);
  let fd: number | null = null;
  await waitFor('premined chain lock', () => {
    if (existsSync(done)) return true;
    try {
      fd = openSync(lock, 'wx');
      return true;
    } catch {
      // A stale lock (no owner) older than 10 minutes is broken.
      return false;
    }
  }, 600_000, 250);
  if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8'));
  try {
    const net = new TestNetwork('premine');
    try {
      const node = await net.addNode({ threads: 2 });
      const addresses = {} as Record<keyof typeof FUNDED_ACCOUNTS, string>;
      for (const [name, acct] of Object.entries(FUNDED_ACCOUNTS) as [keyof typeof FUNDED_ACCOUNTS, { mnemonic: string }][]) {
        const r = await node.rpc<{ addresses: string[] }>('importaccount', acct.mnemonic, '-n', name, '-p', 'password1', '-i', '1');
        addresses[name] = String(r.addresses[0]);
      }
      for (let h = 0; h < height; h += 10) {
        const n = Math.min(10, height - h);
        await node.mine(n, (h / 10) % 2 === 0 ? addresses.alice : addresses.bob);
      }
      await node.stop();
      rmSync(root, { recursive: true, force: true });
      const staging = `${root}.tmp-${process.pid}`;
      rmSync(staging, { recursive: true, force: true });
      // Only the chain travels; wallets are per test.
      mkdirSync(join(staging, 'dir'), { recursive: true });
      cpSync(join(node.datadir, 'regtest', 'chain'), join(staging, 'dir', 'chain'), { recursive: true });
      if (existsSync(join(node.datadir, 'regtest', 'ethash'))) cpSync(join(node.datadir, 'regtest', 'ethash'), join(staging, 'dir', 'ethash'), { recursive: true });
      const result = { dir: join(root, 'dir'), addresses };
      writeFileSync(join(staging, 'done.json'), JSON.stringify(result));
      renameSync(staging, root);
      return result;
    } finally {
      await net.cleanup();
    }
  } finally {
    if (fd !== null) closeSync(fd);
    rmSync(lock, { force: true });
  }
}
