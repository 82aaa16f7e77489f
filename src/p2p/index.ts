import type { Network } from '../networks/index.js';
import type { Chain } from '../chain/chain.js';
import type { Mempool } from '../mempool/mempool.js';
import type { EventBus } from '../bus/index.js';
import { INVENTORY_TYPE, type P2PMessage } from './messages/index.js';
import { defaultResolveHost, PeerPool, splitHostPort, type PeerInfo, type PeerRouter } from './pool.js';
import type { Peer, PeerLimits, PeerTimeouts } from './peer.js';
import { SyncManager, type SyncOptions, type SyncStatus } from './sync.js';
import { RelayManager, type RelayOptions } from './relay.js';
import { Server } from './serve.js';
import { DEFAULT_BAN_SECONDS, type BanEntry } from './bans.js';
import type { AddressEntry } from './addrbook.js';
import { defaultUserAgent } from './user-agent.js';
import { ipFromString } from './netaddr.js';

export type { PeerInfo } from './pool.js';
export type { SyncStatus, SyncOptions } from './sync.js';
export type { RelayOptions } from './relay.js';
export type { PeerLimits, PeerTimeouts } from './peer.js';
export type { BanEntry } from './bans.js';
export type { AddressEntry } from './addrbook.js';
export { DEFAULT_PEER_LIMITS, DEFAULT_PEER_TIMEOUTS } from './peer.js';
export { DEFAULT_SYNC_OPTIONS } from './sync.js';
export { DEFAULT_RELAY_OPTIONS } from './relay.js';

export interface P2POptions {
  network: Network;
  chain: Chain;
  bus: EventBus;
  /** Without a pool the node relays no transactions (and answers `mempool` with nothing). */
  mempool?: Mempool;
  /** Where hosts.json and bans.json live; in memory only when absent. */
  dataDir?: string;
  /** Accept inbound connections (default true). */
  listen?: boolean;
  /** Listen port (default the network's; 0 picks a free one, see `port`). */
  port?: number;
  /** Listen address (default 0.0.0.0). */
  bind?: string;
  /** Connect only to these "host:port" peers: no address book, no seeds. */
  connect?: string[];
  /** Keep connections to these "host:port" peers in addition to the others. */
  addnode?: string[];
  /** Seed nodes "host:port" (default the network's; none on regtest), resolved with dns.lookup. */
  seeds?: string[];
  /** Automatic outbound connections (default 8, the reference's outbound_connections). */
  maxOutbound?: number;
  /** All connections (default 64, like the config's maxpeers). */
  maxPeers?: number;
  /** IPs never dialled nor accepted. */
  blacklist?: string[];
  /** Ban length (default 24 h). */
  banSeconds?: number;
  /** version.relay and transaction relay (default: true when there is a mempool). */
  relayTransactions?: boolean;
  /** Default "/mvs-node:<package version>/". */
  userAgent?: string;
  /** Our reachable "ip:port", announced in version and addr (the reference's network.self). */
  advertise?: string;
  /** Keep private/loopback addresses from gossip (default: only on regtest). */
  acceptPrivateAddresses?: boolean;
  timeouts?: Partial<PeerTimeouts>;
  limits?: Partial<PeerLimits>;
  sync?: Partial<SyncOptions>;
  relay?: Partial<RelayOptions>;
  dialIntervalMs?: number;
  reseedDelayMs?: number;
  hostsFlushMs?: number;
  /** DNS resolution (tests inject one). */
  resolveHost?: (host: string) => Promise<string[]>;
  /** Local address for outbound sockets. */
  localAddress?: string;
}

export type AddNodeOperation = 'add' | 'remove' | 'onetry';

/**
 * The P2P subsystem behind one object: peers, address book, bans, sync,
 * serving and relay (docs/p2p.md). The node wires it with the chain, the
 * mempool and the bus; everything it reports goes out as bus events
 * (p2p:peer:connected/disconnected/banned, sync:progress, sync:synced).
 */
export class P2PNode {
  readonly pool: PeerPool;
  readonly sync: SyncManager;
  readonly relay: RelayManager;
  readonly server: Server;
  private readonly network: Network;
  private relayTimer: NodeJS.Timeout | null = null;
  private started = false;

  constructor(opts: P2POptions) {
    this.network = opts.network;
    // Without a pool we cannot take transactions: announce relay = 0 so peers do not offer them (§1.5).
    const relayTransactions = opts.relayTransactions ?? opts.mempool !== undefined;
    this.pool = new PeerPool({
      network: opts.network,
      chain: opts.chain,
      bus: opts.bus,
      dataDir: opts.dataDir,
      listen: opts.listen ?? true,
      port: opts.port ?? opts.network.port,
      bind: opts.bind ?? '0.0.0.0',
      connect: opts.connect ?? [],
      addnode: opts.addnode ?? [],
      seeds: opts.seeds ?? opts.network.seeds,
      maxOutbound: opts.maxOutbound ?? 8,
      maxPeers: opts.maxPeers ?? 64,
      blacklist: opts.blacklist ?? [],
      banSeconds: opts.banSeconds ?? DEFAULT_BAN_SECONDS,
      relayTransactions,
      userAgent: opts.userAgent ?? defaultUserAgent(),
      advertise: opts.advertise ?? null,
      acceptPrivateAddresses: opts.acceptPrivateAddresses ?? opts.network.name === 'regtest',
      timeouts: opts.timeouts ?? {},
      limits: opts.limits ?? {},
      dialIntervalMs: opts.dialIntervalMs ?? 1000,
      reseedDelayMs: opts.reseedDelayMs ?? 60_000,
      hostsFlushMs: opts.hostsFlushMs ?? 5 * 60_000,
      resolveHost: opts.resolveHost ?? defaultResolveHost,
      localAddress: opts.localAddress,
    });
    this.sync = new SyncManager({ chain: opts.chain, bus: opts.bus, options: opts.sync });
    this.server = new Server({ chain: opts.chain, mempool: opts.mempool });
    this.relay = new RelayManager({
      chain: opts.chain,
      mempool: opts.mempool,
      bus: opts.bus,
      sync: this.sync,
      options: { ...opts.relay, relayTransactions },
    });
    this.pool.setRouter(this.router());
  }

  private router(): PeerRouter {
    return {
      peerReady: (peer) => {
        this.sync.onPeerReady(peer);
        this.relay.onPeerReady(peer);
      },
      peerClosed: (peer) => {
        this.sync.onPeerClosed(peer);
        this.relay.onPeerClosed(peer);
        this.server.onPeerClosed(peer);
      },
      peerMessage: (peer, message, payload) => this.route(peer, message, payload),
    };
  }

  private route(peer: Peer, message: P2PMessage, payload: Buffer): Promise<void> | void {
    switch (message.command) {
      case 'headers':
        return this.sync.onHeaders(peer, message.headers);
      case 'block':
        return this.sync.onBlock(peer, message.block, payload);
      case 'tx':
        return this.relay.onTransaction(peer, message.tx);
      case 'inv': {
        const blocks = message.inventory.filter((i) => i.type === INVENTORY_TYPE.BLOCK).map((i) => i.hash);
        const txs = message.inventory.filter((i) => i.type === INVENTORY_TYPE.TRANSACTION).map((i) => i.hash);
        if (blocks.length > 0) this.sync.onBlockInventory(peer, blocks);
        if (txs.length > 0 && !peer.isClosed) this.relay.onTransactionInventory(peer, txs);
        return;
      }
      case 'notfound': {
        const blocks = message.inventory.filter((i) => i.type === INVENTORY_TYPE.BLOCK).map((i) => i.hash);
        const txs = message.inventory.filter((i) => i.type === INVENTORY_TYPE.TRANSACTION).map((i) => i.hash);
        if (blocks.length > 0) this.sync.onBlockNotFound(peer, blocks);
        if (txs.length > 0) this.relay.onTransactionNotFound(peer, txs);
        return;
      }
      case 'getheaders': {
        const peerHas = this.server.onGetHeaders(peer, message);
        if (peerHas) this.relay.noteHeaderSent(peer, peerHas);
        return;
      }
      case 'getblocks':
        return this.server.onGetBlocks(peer, message);
      case 'getdata':
        return this.server.onGetData(peer, message);
      case 'mempool':
        return this.server.onMempool(peer);
      default:
        // reject, sendheaders, merkleblock, filter*, compact blocks: parsed (version-gated by the codec) and ignored, as in the reference.
        return;
    }
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.sync.start();
    this.relay.start();
    this.relayTimer = setInterval(() => this.relay.tick(), this.sync.options.tickMs);
    this.relayTimer.unref();
    try {
      await this.pool.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Closes the listener and every peer and waits for the messages being handled; persists hosts and bans. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.relayTimer) clearInterval(this.relayTimer);
    this.relayTimer = null;
    await this.pool.stop();
    // Headers still in verification and blocks waiting for their verdicts would otherwise reach a closed chain.
    await this.sync.drain();
    this.relay.stop();
    this.sync.stop();
  }

  /** The listening port (useful with port 0), or null when not listening. */
  get port(): number | null {
    return this.pool.listenPort;
  }

  peers(): PeerInfo[] {
    return this.pool.info();
  }

  /** Peers past the handshake. */
  connectionCount(): number {
    return this.pool.readyPeers().length;
  }

  /** addnode: `add` keeps a connection to it, `remove` forgets and drops it, `onetry` dials it once. */
  addNode(hostPort: string, op: AddNodeOperation = 'add'): boolean {
    if (op === 'remove') return this.pool.removeManual(hostPort);
    this.pool.addManual(hostPort, op === 'add');
    return true;
  }

  /** The connect/addnode targets. */
  manualPeers(): string[] {
    return this.pool.manualTargets();
  }

  /** Drop a connection by peer id or "ip:port". */
  disconnect(peer: number | string, reason = 'disconnected by operator'): boolean {
    const target = typeof peer === 'number' ? this.pool.getPeer(peer) : this.pool.allPeers().find((p) => p.address === peer);
    if (!target) return false;
    target.disconnect(reason);
    return true;
  }

  ban(address: string, seconds?: number, reason = 'manual'): BanEntry {
    return this.pool.banHost(address, seconds, reason);
  }

  unban(address: string): boolean {
    return this.pool.bans.unban(address);
  }

  bans(): BanEntry[] {
    return this.pool.bans.list();
  }

  /** Resolve the seeds again and dial. */
  reseed(): Promise<void> {
    return this.pool.seed();
  }

  seeds(): string[] {
    return [...this.network.seeds];
  }

  /** The address book. */
  addresses(): AddressEntry[] {
    return this.pool.addrbook.list();
  }

  /** Put an "ip:port" into the address book (dialled when an outbound slot is free). */
  addAddress(hostPort: string): boolean {
    const { host, port } = splitHostPort(hostPort, this.network.port);
    return this.pool.addrbook.add({ ip: ipFromString(host), port, services: 1n }, 'manual');
  }

  syncStatus(): SyncStatus {
    return this.sync.status();
  }

  isSynced(): boolean {
    return this.sync.isSynced();
  }
}
