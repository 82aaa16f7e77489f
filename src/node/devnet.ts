/**
 * `mvsd devnet`: a local MVS regtest network in one command. Starts N mvsd
 * processes on 127.0.0.1 (own data directories and ports, connected in a
 * line), creates a wallet account on each, funds them by mining to them in
 * turn from node 1 at a steady pace, and prints every node's RPC and websocket
 * URL. Ctrl-C stops all nodes cleanly. Without --reset it resumes the chain
 * and accounts in the data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, openSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { rpcCall } from '../rpc/client.js';
import { regtest } from '../networks/index.js';

export interface DevnetOptions {
  nodes: number;
  datadir: string;
  reset: boolean;
  /** Seconds between mined blocks (0 = no pacing). */
  blockInterval: number;
  rpcPort: number;
  p2pPort: number;
  logLevel: string;
}

interface DevnetAccount {
  node: number;
  name: string;
  password: string;
  address: string;
}

interface NodeProc {
  index: number;
  rpcUrl: string;
  wsUrl: string;
  p2p: number;
  proc: ChildProcess;
  exited: Promise<number | null>;
}

const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'];
const PASSWORD = 'devnet-password';

export function parseDevnetArgs(argv: string[]): DevnetOptions {
  const cmd = new Command('mvsd devnet')
    .description('Start a local regtest network of several mvsd nodes.')
    .option('--nodes <n>', 'number of nodes', '3')
    .option('--datadir <path>', 'root folder of the nodes’ data directories', join(homedir(), '.mvs-node', 'devnet'))
    .option('--reset', 'start from an empty chain (deletes the devnet data directory)', false)
    .option('--block-interval <seconds>', 'seconds between blocks mined by node 1 (0: no pacing)', '2')
    .option('--rpc-port <port>', 'RPC port of node 1; node i uses port + 10·(i−1), websocket port + 1', '8820')
    .option('--p2p-port <port>', 'P2P port of node 1; node i uses port + i − 1', String(regtest.port))
    .option('--log-level <spec>', 'log level of the nodes (logs go to <datadir>/nodeN/mvsd.log)', 'info')
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts();
  const int = (v: string, name: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in ${min}..${max}`);
    return n;
  };
  const interval = Number(o.blockInterval);
  if (!(interval >= 0 && interval <= 3600)) throw new Error('--block-interval must be 0..3600 seconds');
  return {
    nodes: int(o.nodes, 'nodes', 1, NAMES.length),
    datadir: resolve(o.datadir),
    reset: Boolean(o.reset),
    blockInterval: interval,
    rpcPort: int(o.rpcPort, 'rpc-port', 1, 65000),
    p2pPort: int(o.p2pPort, 'p2p-port', 1, 65000),
    logLevel: String(o.logLevel),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForRpc(url: string, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`node exited with code ${proc.exitCode} before its RPC came up (${url})`);
    try {
      await rpcCall(url, 'getheight', [], 2000);
      return;
    } catch {
      if (Date.now() > until) throw new Error(`no RPC answer from ${url} after ${timeoutMs / 1000}s`);
      await sleep(200);
    }
  }
}

export async function runDevnet(argv: string[]): Promise<number> {
  let opts: DevnetOptions;
  try {
    opts = parseDevnetArgs(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.code === 'commander.helpDisplayed' || err.code === 'commander.help' ? 0 : 2;
    process.stderr.write(`mvsd devnet: ${(err as Error).message}\n`);
    return 2;
  }
  if (opts.reset) rmSync(opts.datadir, { recursive: true, force: true });
  mkdirSync(opts.datadir, { recursive: true });
  const mvsd = fileURLToPath(new URL('../cli/mvsd.js', import.meta.url));
  const say = (s: string) => process.stdout.write(s + '\n');

  const nodes: NodeProc[] = [];
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    for (const n of nodes) if (n.proc.exitCode === null) n.proc.kill('SIGINT');
    const timer = setTimeout(() => nodes.forEach((n) => n.proc.exitCode === null && n.proc.kill('SIGKILL')), 20_000);
    await Promise.all(nodes.map((n) => n.exited));
    clearTimeout(timer);
  };
  let interrupted = 0;
  const onSignal = () => {
    interrupted++;
    if (interrupted > 1) process.exit(1);
    say('stopping the devnet…');
    void stopAll().then(() => {
      say('all nodes stopped.');
      process.exit(0);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    for (let i = 1; i <= opts.nodes; i++) {
      const dir = join(opts.datadir, `node${i}`);
      mkdirSync(dir, { recursive: true });
      const rpc = opts.rpcPort + 10 * (i - 1);
      const p2p = opts.p2pPort + i - 1;
      const args = [
        mvsd,
        '--network', 'regtest',
        '--datadir', dir,
        '--rpc-bind', `127.0.0.1:${rpc}`,
        '--ws-bind', `127.0.0.1:${rpc + 1}`,
        '--bind', '127.0.0.1',
        '--port', String(p2p),
        '--log-level', opts.logLevel,
        '--log-format', 'human',
      ];
      // A line: each node keeps a connection to the previous one.
      if (i > 1) args.push('--addnode', `127.0.0.1:${opts.p2pPort + i - 2}`);
      const log = openSync(join(dir, 'mvsd.log'), 'a');
      const proc = spawn(process.execPath, args, { stdio: ['ignore', log, log] });
      const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
      nodes.push({ index: i, rpcUrl: `http://127.0.0.1:${rpc}/rpc/v3`, wsUrl: `ws://127.0.0.1:${rpc + 1}/ws`, p2p, proc, exited });
    }
    for (const n of nodes) await waitForRpc(n.rpcUrl, n.proc, 60_000);

    // Accounts: reuse the ones recorded in the devnet folder, else create them.
    const stateFile = join(opts.datadir, 'devnet.json');
    let accounts: DevnetAccount[] = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')).accounts as DevnetAccount[]) : [];
    accounts = accounts.filter((a) => a.node <= opts.nodes);
    for (const n of nodes) {
      if (accounts.some((a) => a.node === n.index)) continue;
      const name = NAMES[n.index - 1];
      const r = await rpcCall<{ addresses: string[] }>(n.rpcUrl, 'getnewaccount', [name, PASSWORD]);
      accounts.push({ node: n.index, name, password: PASSWORD, address: r.addresses[0] });
    }
    accounts.sort((a, b) => a.node - b.node);
    writeFileSync(stateFile, JSON.stringify({ accounts }, null, 2) + '\n', { mode: 0o600 });

    // Fund every account: one coinbase each, then enough blocks for them to mature.
    const miner = nodes[0];
    const height = Number(await rpcCall(miner.rpcUrl, 'getheight'));
    const needed = opts.nodes + regtest.coinbaseMaturity + 1;
    if (height < needed) {
      for (let k = height; k < needed; k++) await rpcCall(miner.rpcUrl, 'generate', [1, accounts[k % accounts.length].address]);
    }

    say(`MVS devnet: ${opts.nodes} regtest node(s), data in ${opts.datadir}`);
    for (const n of nodes) {
      const a = accounts.find((x) => x.node === n.index)!;
      say(`  node${n.index}  rpc ${n.rpcUrl}  ws ${n.wsUrl}  p2p 127.0.0.1:${n.p2p}`);
      say(`         account "${a.name}"  password "${a.password}"  address ${a.address}`);
    }
    say(opts.blockInterval > 0 ? `node1 mines a block every ${opts.blockInterval}s. Ctrl-C stops all nodes.` : 'Ctrl-C stops all nodes.');

    let turn = 0;
    let lastStatus = 0;
    while (!stopping) {
      // Report before mining the next block, so every node had the interval to catch up.
      if (Date.now() - lastStatus >= 5000) {
        lastStatus = Date.now();
        const heights = await Promise.all(nodes.map((n) => rpcCall(n.rpcUrl, 'getheight', [], 2000).then(String, () => '?')));
        if (!stopping) say(`heights: ${heights.map((h, i) => `node${i + 1}=${h}`).join(' ')}`);
      }
      if (opts.blockInterval > 0) {
        try {
          await rpcCall(miner.rpcUrl, 'generate', [1, accounts[turn++ % accounts.length].address]);
        } catch (err) {
          if (!stopping) say(`mining failed: ${(err as Error).message}`);
        }
      }
      for (const n of nodes) if (n.proc.exitCode !== null && !stopping) throw new Error(`node${n.index} exited (code ${n.proc.exitCode}); see its mvsd.log`);
      await sleep(opts.blockInterval > 0 ? opts.blockInterval * 1000 : 1000);
    }
    return 0;
  } catch (err) {
    process.stderr.write(`mvsd devnet: ${(err as Error).message}\n`);
    await stopAll();
    return 1;
  }
}
