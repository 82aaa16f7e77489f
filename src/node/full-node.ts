import { mkdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getNetwork, type Network } from '../networks/index.js';
import { EventBus } from '../bus/index.js';
import { ChainStore } from '../chain/store.js';
import { Chain, type PowVerifier } from '../chain/chain.js';
import { PooledScriptVerifier } from '../chain/script-checker.js';
import { Mempool } from '../mempool/mempool.js';
import { Miner } from '../miner/miner.js';
import { Ethash } from '../consensus/ethash/index.js';
import { Wallet } from '../wallet/wallet.js';
import { registerWalletMethods } from '../wallet/rpc.js';
import { P2PNode } from '../p2p/index.js';
import { Registry } from '../rpc/registry.js';
import { RpcServer } from '../rpc/server.js';
import { WsPushServer } from '../rpc/ws.js';
import { registerNodeMethods } from '../rpc/methods/node.js';
import { registerMiningMethods } from '../rpc/methods/mining.js';
import type { RpcNode, AccountAccess } from '../rpc/methods/context.js';
import type { NodeConfig } from './config.js';
import { logger } from '../util/logger.js';
import { hashToHex } from '../primitives/hex.js';

/** The package version (package.json next to dist/). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mvs-node' && pkg.version) return pkg.version;
    } catch {
      // keep walking up
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

export interface FullNodeOverrides {
  /** Replace the Ethash verifier (tests). */
  pow?: PowVerifier;
  /** Ethash worker threads. */
  ethashThreads?: number;
  /** Script verification workers. */
  scriptWorkers?: number;
  /** Seconds between status lines (0 = off). */
  statusIntervalSeconds?: number;
}

/**
 * The composition root: the only place that knows every component. Opens in
 * order (store, Ethash, chain, mempool, miner, wallet, P2P, RPC, websocket)
 * and closes in reverse; a fatal store error stops the node instead of letting
 * it limp on.
 */
export class FullNode implements RpcNode {
  readonly network: Network;
  readonly config: NodeConfig;
  readonly version = packageVersion();
  readonly bus = new EventBus();
  store!: ChainStore;
  ethash!: Ethash;
  scripts!: PooledScriptVerifier;
  chain!: Chain;
  mempool!: Mempool;
  miner!: Miner;
  wallet: Wallet | null = null;
  p2p!: P2PNode;
  rpc: RpcServer<RpcNode> | null = null;
  ws: WsPushServer | null = null;
  readonly registry = new Registry<RpcNode>();
  private readonly log = logger('node');
  private readonly overrides: FullNodeOverrides;
  private statusTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private opened: string[] = [];
  private closing: Promise<void> | null = null;
  private shutdownHandler: ((reason: string, exitCode: number) => void) | null = null;

  constructor(config: NodeConfig, overrides: FullNodeOverrides = {}) {
    this.config = config;
    this.network = getNetwork(config.network);
    this.overrides = overrides;
    this.bus.on('chain:fatal', ({ error }) => this.requestShutdown(`fatal chain store error: ${error.message}`, 1));
  }

  /** Called when something (the shutdown RPC, a fatal error) asks the node to stop. */
  onShutdownRequest(handler: (reason: string, exitCode: number) => void): void {
    this.shutdownHandler = handler;
  }

  /** exitCode: 0 for a requested stop, 1 after a fatal error. */
  requestShutdown(reason: string, exitCode = 0): void {
    if (this.shutdownHandler) this.shutdownHandler(reason, exitCode);
    else void this.close();
  }

  async open(): Promise<void> {
    const dir = this.config.datadir;
    mkdirSync(dir, { recursive: true });
    this.log.info({ network: this.network.name, datadir: dir, version: this.version }, 'starting mvs-node');

    this.store = new ChainStore({ path: join(dir, 'chain'), network: this.network });
    this.opened.push('store');

    this.ethash = new Ethash({ dataDir: dir, threads: this.overrides.ethashThreads ?? (this.config.ethashThreads || undefined) });
    this.opened.push('ethash');
    this.scripts = new PooledScriptVerifier({ workers: this.overrides.scriptWorkers ?? (this.config.scriptThreads || undefined) });
    this.opened.push('scripts');

    const pow: PowVerifier = this.overrides.pow ?? { verifyHeaders: (hs) => this.ethash.verifyHeaders(hs) };
    this.chain = new Chain({ store: this.store, network: this.network, bus: this.bus, pow, scripts: this.scripts });
    await this.chain.open();
    // The tip's epoch cache is needed for the next blocks: start on it now, off the main thread.
    this.ethash.prefetchEpoch(Math.floor((this.chain.height + 1) / 30000));

    this.mempool = new Mempool({ chain: this.chain, network: this.network, bus: this.bus, scripts: this.scripts });
    this.opened.push('mempool');
    this.expiryTimer = setInterval(() => void this.mempool.expire(), 10 * 60_000);
    this.expiryTimer.unref();

    this.miner = new Miner({ chain: this.chain, mempool: this.mempool, network: this.network, ethash: this.ethash, bus: this.bus });
    this.opened.push('miner');

    this.wallet = this.config.wallet
      ? new Wallet({ path: join(dir, 'wallet'), chain: this.chain, mempool: this.mempool, keyfileDir: join(dir, 'mvs-htmls', 'keys') })
      : new Wallet({ path: null, chain: this.chain, mempool: this.mempool });
    this.opened.push('wallet');

    this.p2p = new P2PNode({
      network: this.network,
      chain: this.chain,
      mempool: this.mempool,
      bus: this.bus,
      dataDir: dir,
      listen: this.config.listen,
      port: this.config.port,
      bind: this.config.bind,
      connect: this.config.connect,
      addnode: this.config.addnode,
      maxPeers: this.config.maxpeers,
    });
    await this.p2p.start();
    this.opened.push('p2p');

    registerNodeMethods(this.registry);
    registerMiningMethods(this.registry);
    registerWalletMethods(this.registry, this.wallet);
    this.rpc = new RpcServer<RpcNode>({
      registry: this.registry,
      context: this,
      host: this.config.rpcBind.host,
      port: this.config.rpcBind.port,
      maxBodyBytes: this.config.rpcMaxBody,
      maxConnections: this.config.rpcMaxConnections,
    });
    const rpcAddr = await this.rpc.listen();
    this.opened.push('rpc');
    this.log.info({ url: `http://${rpcAddr.host}:${rpcAddr.port}/rpc/v3` }, 'JSON-RPC listening');

    if (this.config.ws) {
      this.ws = new WsPushServer({
        host: this.config.wsBind.host,
        port: this.config.wsBind.port,
        bus: this.bus,
        addresses: this.network.address,
        getBlockByHeight: (h) => this.chain.getBlockAt(h),
        getTipHeight: () => this.chain.height,
        isSyncing: () => this.isSyncing(),
        queueMaxBytes: this.config.wsQueueLimit,
        queueMaxMessages: this.config.wsQueueMessages,
        maxConnections: this.config.wsMaxConnections,
        walletVersion: '0.9.1',
      });
      const wsAddr = await this.ws.listen();
      this.opened.push('ws');
      this.log.info({ url: `ws://${wsAddr.host}:${wsAddr.port}/ws` }, 'websocket push listening');
    }

    const every = this.overrides.statusIntervalSeconds ?? 60;
    if (every > 0) {
      this.statusTimer = setInterval(() => this.logStatus(), every * 1000);
      this.statusTimer.unref();
    }
    this.log.info({ height: this.chain.height, hash: hashToHex(this.chain.tip.hash) }, 'node ready');
  }

  /** The RPC endpoint actually bound (port 0 picks one). */
  rpcAddress(): { host: string; port: number } | null {
    return this.rpc?.address() ?? null;
  }

  wsAddress(): { host: string; port: number } | null {
    return this.ws?.address() ?? null;
  }

  private logStatus(): void {
    const sync = this.p2p.syncStatus();
    this.log.info(
      {
        height: this.chain.height,
        bestHeader: this.chain.bestHeader.height,
        peers: this.p2p.connectionCount(),
        mempool: this.mempool.size,
        syncing: !sync.synced,
        blocksPerSecond: sync.blocksPerSecond,
      },
      'status',
    );
  }

  /** Close in reverse order; safe to call twice (the second waits for the first). */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.closeInner();
    return this.closing;
  }

  private async closeInner(): Promise<void> {
    if (this.statusTimer) clearInterval(this.statusTimer);
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    const step = async (name: string, fn: () => Promise<void> | void) => {
      if (!this.opened.includes(name)) return;
      try {
        await fn();
      } catch (err) {
        this.log.error({ err, component: name }, 'error while closing');
      }
    };
    await step('ws', () => this.ws?.close());
    await step('rpc', () => this.rpc?.close());
    await step('p2p', () => this.p2p.stop());
    await step('wallet', () => this.wallet?.close());
    await step('miner', () => this.miner.close());
    await step('mempool', () => this.mempool.close());
    await step('scripts', () => this.scripts.close());
    await step('ethash', () => this.ethash.close());
    await step('store', () => this.store.close());
    this.opened = [];
    this.log.info('node stopped');
  }

  // ------------------------------------------------------------- RpcNode

  peerAddresses(): string[] {
    return this.p2p.peers().filter((p) => p.state === 'ready').map((p) => p.address);
  }

  async addNode(address: string | undefined, operation: string): Promise<unknown> {
    const op = operation || 'add';
    switch (op) {
      case 'add':
      case 'peer':
        if (!address) throw new Error('NODEADDRESS is required');
        this.p2p.addNode(address, op === 'add' ? 'add' : 'onetry');
        return 'success';
      case 'ban':
        if (!address) throw new Error('NODEADDRESS is required');
        this.p2p.ban(address);
        return 'success';
      case 'list':
        return {
          seeds: this.p2p.seeds(),
          peers: this.peerAddresses(),
          banned: this.p2p.bans().map((b) => `${b.host}, timestamp:${b.until}`),
          manual_banned: this.p2p.bans().filter((b) => b.reason === 'manual').map((b) => b.host),
        };
      case 'reseed':
        await this.p2p.reseed();
        return 'success';
      default:
        return `Invalid operation [${op}].`;
    }
  }

  walletAccountCount(): number {
    return this.wallet?.accountCount() ?? 0;
  }

  assetCount(): number {
    return this.store.assetCount();
  }

  get accounts(): AccountAccess | null {
    if (!this.wallet || !this.config.wallet) return null;
    const w = this.wallet;
    return {
      listAddresses: (name, password) => w.listAddresses(name, password),
      newAddresses: (name, password, count) => w.newAddresses(name, password, count),
    };
  }

  isSyncing(): boolean {
    if (!this.p2p) return false;
    const s = this.p2p.syncStatus();
    // No peer means nothing to catch up with (a lone regtest node, a solo miner).
    return s.peers > 0 ? !s.synced : s.bestHeaderHeight > s.height;
  }
}
