import { createServer, connect as tcpConnect, isIP, type Server as NetServer, type Socket } from 'node:net';
import { listenOn, boundAddress } from '../util/net.js';
import { lookup } from 'node:dns/promises';
import type { Network } from '../networks/index.js';
import type { Chain } from '../chain/chain.js';
import type { EventBus } from '../bus/index.js';
import { OUR_PROTOCOL_VERSION, type P2PMessage, type VersionMessage } from './messages/index.js';
import { formatHostPort, ipFromString, ipToString, unspecifiedAddress, type NetAddress, type TimedNetAddress } from './netaddr.js';
import { AddressBook, type AddressEntry } from './addrbook.js';
import { BanList, type BanEntry } from './bans.js';
import { canonicalHost } from './persist.js';
import { BAN_SCORE, Peer, type PeerEvents, type PeerLimits, type PeerTimeouts } from './peer.js';
import { logger } from '../util/logger.js';

/** Longest wait between two dials of a connect/addnode peer. */
export const MANUAL_RETRY_MAX_MS = 30_000;

/** The protocol modules behind the pool (sync, serving, relay), wired by the facade. */
export interface PeerRouter {
  peerReady(peer: Peer): void;
  peerMessage(peer: Peer, message: P2PMessage, payload: Buffer): Promise<void> | void;
  peerClosed(peer: Peer): void;
}

export interface PoolOptions {
  network: Network;
  chain: Chain;
  bus: EventBus;
  dataDir?: string;
  listen: boolean;
  port: number;
  bind: string;
  /** Only these peers (no address book, no seeds). */
  connect: string[];
  /** Also these peers, kept connected. */
  addnode: string[];
  seeds: string[];
  maxOutbound: number;
  maxPeers: number;
  blacklist: string[];
  banSeconds: number;
  relayTransactions: boolean;
  userAgent: string;
  /** Our reachable address ("ip:port"), sent in version.addr_from and `addr` (the reference's network.self). */
  advertise: string | null;
  acceptPrivateAddresses: boolean;
  timeouts: Partial<PeerTimeouts>;
  limits: Partial<PeerLimits>;
  /** Outbound slot refill period (the reference redials after 2 s). */
  dialIntervalMs: number;
  /** Re-resolve the seeds after this long with ≤ 1 outbound peer (the reference: 60 s). */
  reseedDelayMs: number;
  /** Address book flush period (the reference: 5 min). */
  hostsFlushMs: number;
  resolveHost: (host: string) => Promise<string[]>;
  /** Local address outbound sockets bind to (tests give nodes distinct loopback addresses). */
  localAddress?: string;
}

/** A connect/addnode target. */
interface ManualTarget {
  /** As given ("host:port"). */
  key: string;
  host: string;
  port: number;
  /** addnode/connect entries are kept connected; `onetry` ones are tried once. */
  persistent: boolean;
  peer: Peer | null;
  dialing: boolean;
  failures: number;
  nextAttempt: number;
}

interface OutboundInfo {
  manual: ManualTarget | null;
  bookKey: string | null;
}

export interface PeerInfo {
  id: number;
  address: string;
  inbound: boolean;
  manual: boolean;
  state: Peer['state'];
  version: number;
  userAgent: string;
  services: string;
  startHeight: number;
  relay: boolean;
  banScore: number;
  connectedAt: number;
  bytesSent: number;
  bytesReceived: number;
  pingMs: number | null;
}

/** "host:port", "[v6]:port", bare host or bare IPv6 (then `defaultPort`). */
export function splitHostPort(text: string, defaultPort: number): { host: string; port: number } {
  const t = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  let host = t;
  let portText: string | undefined;
  if (bracketed) {
    host = bracketed[1];
    portText = bracketed[2];
  } else if (t.indexOf(':') >= 0 && t.indexOf(':') === t.lastIndexOf(':')) {
    host = t.slice(0, t.indexOf(':'));
    portText = t.slice(t.indexOf(':') + 1);
  }
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!host || !Number.isInteger(port) || port <= 0 || port > 0xffff) throw new Error(`bad peer address ${JSON.stringify(text)}`);
  return { host, port };
}

/** DNS names through dns.lookup (all addresses); IP literals as they are. */
export async function defaultResolveHost(host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  const results = await lookup(host, { all: true });
  return results.map((r) => r.address);
}

/**
 * Connections: the inbound listener, outbound slots filled from the address
 * book, connect/addnode targets, address gossip (addr/getaddr), misbehaviour
 * scores and bans (docs/p2p.md). Protocol messages go to the router.
 */
export class PeerPool {
  readonly addrbook: AddressBook;
  readonly bans: BanList;
  private readonly opts: PoolOptions;
  private readonly log = logger('p2p');
  private readonly peers = new Map<number, Peer>();
  private readonly outbound = new Map<number, OutboundInfo>();
  private readonly manual = new Map<string, ManualTarget>();
  private readonly blacklist = new Set<string>();
  /** Addresses that turned out to be ourselves. */
  private readonly selfAddresses = new Set<string>();
  private readonly answeredGetAddr = new Set<number>();
  private readonly advertised: NetAddress | null;
  private readonly onlyManual: boolean;
  private router: PeerRouter | null = null;
  private server: NetServer | null = null;
  private nextPeerId = 1;
  private running = false;
  private dialTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private lowOutboundSince: number | null = null;
  private lastSeedAt = 0;
  private seeding: Promise<void> | null = null;
  private readonly peerEvents: PeerEvents;

  constructor(opts: PoolOptions) {
    this.opts = opts;
    this.addrbook = new AddressBook({ dataDir: opts.dataDir, acceptPrivate: opts.acceptPrivateAddresses });
    this.bans = new BanList({ dataDir: opts.dataDir });
    for (const entry of opts.blacklist) {
      const host = canonicalHost(entry);
      if (!host) throw new Error(`blacklist entry ${JSON.stringify(entry)} is not an IP address`);
      this.blacklist.add(host);
    }
    this.advertised = opts.advertise ? { services: 1n, ...splitToNetAddress(opts.advertise, opts.network.port) } : null;
    this.onlyManual = opts.connect.length > 0;
    for (const target of opts.connect) this.addManual(target, true);
    for (const target of opts.addnode) this.addManual(target, true);
    this.peerEvents = {
      isOwnNonce: (nonce) => this.isOwnNonce(nonce),
      ready: (peer) => this.onReady(peer),
      message: (peer, message, payload) => this.onMessage(peer, message, payload),
      misbehave: (peer, score, reason) => this.onMisbehave(peer, score, reason),
      closed: (peer, reason) => this.onClosed(peer, reason),
    };
  }

  setRouter(router: PeerRouter): void {
    this.router = router;
  }

  // -------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    this.bans.load();
    this.addrbook.load();
    this.running = true;
    if (this.opts.listen) await this.listen();
    if (!this.onlyManual && this.opts.seeds.length > 0) this.seeding = this.seed();
    this.dialTimer = setInterval(() => this.dialTick(), this.opts.dialIntervalMs);
    this.dialTimer.unref();
    this.flushTimer = setInterval(() => this.addrbook.save(), this.opts.hostsFlushMs);
    this.flushTimer.unref();
    this.dialTick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.dialTimer) clearInterval(this.dialTimer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.dialTimer = this.flushTimer = null;
    const server = this.server;
    this.server = null;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const peers = [...this.peers.values()];
    for (const peer of peers) peer.disconnect('shutting down');
    await closed;
    // Messages being handled finish before the chain and the pool under them close.
    await Promise.all(peers.map((peer) => peer.idle()));
    await this.seeding?.catch(() => undefined);
    this.addrbook.save();
    this.bans.save();
  }

  private async listen(): Promise<void> {
    const server = createServer((socket) => this.onInbound(socket));
    this.server = server;
    await listenOn(server, this.opts.port, this.opts.bind);
    server.on('error', (err) => this.log.error({ err }, 'P2P listener error'));
    this.log.info({ bind: this.opts.bind, port: this.listenPort }, 'P2P listening');
  }

  /** The port the listener is bound to (the chosen one when `port` was 0), or null. */
  get listenPort(): number | null {
    return this.server ? (boundAddress(this.server)?.port ?? null) : null;
  }

  // ------------------------------------------------------------ connections

  private attach(socket: Socket, inbound: boolean, remote: { ip: Buffer; port: number }, manual: boolean): Peer {
    const peer = new Peer({
      id: this.nextPeerId++,
      socket,
      inbound,
      manual,
      connecting: !inbound,
      remote,
      magic: this.opts.network.magic,
      localVersion: (p) => this.localVersion(p),
      events: this.peerEvents,
      timeouts: this.opts.timeouts,
      limits: this.opts.limits,
    });
    this.peers.set(peer.id, peer);
    return peer;
  }

  private onInbound(socket: Socket): void {
    let remote: { ip: Buffer; port: number };
    try {
      remote = { ip: ipFromString(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    } catch {
      socket.destroy();
      return;
    }
    const host = ipToString(remote.ip);
    if (!this.running || this.isRefused(host)) {
      this.log.debug({ host }, 'inbound connection refused (banned or blacklisted)');
      socket.destroy();
      return;
    }
    const inbound = [...this.peers.values()].filter((p) => p.inbound).length;
    const inboundSlots = this.opts.maxPeers - (this.onlyManual ? 0 : this.opts.maxOutbound);
    if (this.peers.size >= this.opts.maxPeers || inbound >= inboundSlots) {
      // The reference closes inbound sockets silently when full (§1.5).
      socket.destroy();
      return;
    }
    this.attach(socket, true, remote, false);
  }

  private isRefused(host: string): boolean {
    return this.blacklist.has(host) || this.bans.isBanned(host);
  }

  private connectedTo(address: string): boolean {
    for (const p of this.peers.values()) if (!p.inbound && p.address === address) return true;
    return false;
  }

  private dial(ip: string, port: number, info: OutboundInfo): Peer | null {
    const remote = { ip: ipFromString(ip), port };
    const address = formatHostPort(remote);
    if (this.connectedTo(address) || this.selfAddresses.has(address) || this.isRefused(ipToString(remote.ip))) return null;
    const socket = tcpConnect({ host: ipToString(remote.ip), port, localAddress: this.opts.localAddress });
    const peer = this.attach(socket, false, remote, info.manual !== null);
    this.outbound.set(peer.id, info);
    return peer;
  }

  private dialTick(): void {
    if (!this.running) return;
    const now = Date.now();
    for (const m of this.manual.values()) if (!m.peer && !m.dialing && now >= m.nextAttempt) void this.dialManual(m);
    if (this.onlyManual) return;
    let automatic = 0;
    for (const [id, info] of this.outbound) if (!info.manual && this.peers.has(id)) automatic++;
    for (let tries = 0; automatic < this.opts.maxOutbound && tries < this.opts.maxOutbound; tries++) {
      const entry = this.addrbook.pickForDial((e) => this.excludedFromDial(e));
      if (!entry) break;
      this.addrbook.markAttempt(entry.key);
      if (this.dial(ipToString(entry.ip), entry.port, { manual: null, bookKey: entry.key })) automatic++;
    }
    this.maybeReseed(now, automatic);
  }

  private excludedFromDial(e: AddressEntry): boolean {
    return this.connectedTo(e.key) || this.selfAddresses.has(e.key) || this.isRefused(ipToString(e.ip)) || this.isAdvertised(e);
  }

  private isAdvertised(a: { ip: Uint8Array; port: number }): boolean {
    return this.advertised !== null && this.advertised.port === a.port && this.advertised.ip.equals(a.ip);
  }

  /** 60 s with ≤ 1 outbound peer → resolve the seeds again, as the reference re-seeds (§1.5). */
  private maybeReseed(now: number, outbound: number): void {
    if (this.opts.seeds.length === 0) return;
    if (outbound > 1) {
      this.lowOutboundSince = null;
      return;
    }
    this.lowOutboundSince ??= now;
    if (now - this.lowOutboundSince >= this.opts.reseedDelayMs && now - this.lastSeedAt >= this.opts.reseedDelayMs && !this.seeding) {
      this.seeding = this.seed();
    }
  }

  /** Resolve every seed name (dns.lookup) into the address book (§7.3: every resolved address joins the pool). */
  async seed(): Promise<void> {
    this.lastSeedAt = Date.now();
    try {
      await Promise.all(
        this.opts.seeds.map(async (seed) => {
          try {
            const { host, port } = splitHostPort(seed, this.opts.network.port);
            const ips = await this.opts.resolveHost(host);
            let added = 0;
            for (const ip of ips) if (this.addrbook.add({ ip: ipFromString(ip), port, services: 1n }, 'seed')) added++;
            this.log.debug({ seed, addresses: ips.length, added }, 'seed resolved');
          } catch (err) {
            this.log.debug({ seed, err: (err as Error).message }, 'seed did not resolve');
          }
        }),
      );
    } finally {
      this.seeding = null;
    }
    if (this.running) this.dialTick();
  }

  private async dialManual(m: ManualTarget): Promise<void> {
    m.dialing = true;
    try {
      const ips = await this.opts.resolveHost(m.host);
      if (!this.running || !this.manual.has(m.key)) return;
      const ip = ips.find((candidate) => {
        const host = canonicalHost(candidate);
        return host !== null && !this.isRefused(host);
      });
      if (!ip) throw new Error(ips.length === 0 ? 'no address' : 'every address is banned or blacklisted');
      m.peer = this.dial(ip, m.port, { manual: m, bookKey: null });
      if (!m.peer) m.nextAttempt = Date.now() + this.opts.dialIntervalMs;
    } catch (err) {
      m.failures++;
      m.nextAttempt = Date.now() + this.manualBackoffMs(m.failures);
      this.log.debug({ target: m.key, err: (err as Error).message }, 'manual peer not dialled');
    } finally {
      m.dialing = false;
    }
  }

  /**
   * Redial delay of a connect/addnode target: the address book's doubling
   * backoff, capped at MANUAL_RETRY_MAX_MS. The reference retries manual
   * peers every 2 s forever (session_manual.cpp); an hour-long backoff would
   * leave a node cut off long after its configured peer came back.
   */
  private manualBackoffMs(failures: number): number {
    return Math.min(MANUAL_RETRY_MAX_MS, this.addrbook.backoffMs(failures));
  }

  /** Add a connect/addnode target (`persistent` false: one try). */
  addManual(target: string, persistent: boolean): void {
    const { host, port } = splitHostPort(target, this.opts.network.port);
    const key = `${host}:${port}`;
    const existing = this.manual.get(key);
    if (existing) {
      existing.persistent ||= persistent;
      return;
    }
    this.manual.set(key, { key, host, port, persistent, peer: null, dialing: false, failures: 0, nextAttempt: 0 });
    if (this.running) this.dialTick();
  }

  /** Forget a connect/addnode target and drop its connection. */
  removeManual(target: string): boolean {
    const { host, port } = splitHostPort(target, this.opts.network.port);
    const m = this.manual.get(`${host}:${port}`);
    if (!m) return false;
    this.manual.delete(m.key);
    m.peer?.disconnect('removed by operator');
    return true;
  }

  manualTargets(): string[] {
    return [...this.manual.keys()];
  }

  // ------------------------------------------------------------ peer events

  private localVersion(peer: Peer): VersionMessage {
    return {
      command: 'version',
      version: OUR_PROTOCOL_VERSION,
      services: 1n,
      timestamp: BigInt(Math.floor(Date.now() / 1000)),
      addrRecv: { services: 1n, ip: peer.ip, port: peer.port },
      addrFrom: this.advertised ? { ...this.advertised, services: 0n } : unspecifiedAddress(0n),
      nonce: peer.localNonce,
      userAgent: this.opts.userAgent,
      startHeight: this.opts.chain.height,
      relay: this.opts.relayTransactions,
    };
  }

  private isOwnNonce(nonce: bigint): boolean {
    for (const p of this.peers.values()) {
      if (p.localNonce !== nonce) continue;
      if (!p.inbound) {
        this.selfAddresses.add(p.address);
        this.addrbook.remove(p.address);
      }
      p.disconnect('connected to self');
      return true;
    }
    return false;
  }

  private onReady(peer: Peer): void {
    for (const other of this.peers.values()) {
      if (other !== peer && other.isReady && !other.inbound && !peer.inbound && other.address === peer.address) {
        peer.disconnect('duplicate connection');
        return;
      }
    }
    const out = this.outbound.get(peer.id);
    if (out?.bookKey) this.addrbook.markSuccess(out.bookKey);
    if (out?.manual) out.manual.failures = 0;
    this.log.info({ id: peer.id, peer: peer.address, inbound: peer.inbound, userAgent: peer.userAgent, version: peer.protocolVersion, startHeight: peer.startHeight }, 'peer connected');
    void this.opts.bus.emit('p2p:peer:connected', {
      id: peer.id,
      address: peer.address,
      inbound: peer.inbound,
      userAgent: peer.userAgent,
      startHeight: peer.startHeight,
      version: peer.protocolVersion,
    });
    // Address gossip after the handshake (§7.4): our address when configured, then getaddr.
    if (this.advertised) peer.send({ command: 'addr', addresses: [{ ...this.advertised, timestamp: Math.floor(Date.now() / 1000) }] });
    peer.send({ command: 'getaddr' });
    this.router?.peerReady(peer);
  }

  private onMessage(peer: Peer, message: P2PMessage, payload: Buffer): Promise<void> | void {
    if (message.command === 'addr') return this.onAddr(message.addresses);
    if (message.command === 'getaddr') return this.onGetAddr(peer);
    return this.router?.peerMessage(peer, message, payload);
  }

  /** Store gossiped addresses: invalid/padding, banned, blacklisted and our own are skipped (§7.4). */
  private onAddr(addresses: readonly TimedNetAddress[]): void {
    const usable = addresses.filter((a) => {
      if (!this.addrbook.acceptable(a) || this.isAdvertised(a)) return false;
      const host = ipToString(a.ip);
      return !this.isRefused(host) && !this.selfAddresses.has(formatHostPort(a));
    });
    this.addrbook.addMany(usable, 'gossip');
  }

  /** Answered once per connection, with nothing when the book is empty (the reference does the same). */
  private onGetAddr(peer: Peer): void {
    if (this.answeredGetAddr.has(peer.id)) return;
    this.answeredGetAddr.add(peer.id);
    const addresses = this.addrbook.sample(peer.address);
    if (addresses.length > 0) peer.send({ command: 'addr', addresses });
  }

  private onMisbehave(peer: Peer, score: number, reason: string): void {
    peer.banScore += score;
    this.log.info({ peer: peer.address, score, total: peer.banScore, reason }, 'peer misbehaved');
    if (peer.banScore >= BAN_SCORE) this.banHost(peer.host, this.opts.banSeconds, reason);
  }

  private onClosed(peer: Peer, reason: string): void {
    this.peers.delete(peer.id);
    this.answeredGetAddr.delete(peer.id);
    const out = this.outbound.get(peer.id);
    this.outbound.delete(peer.id);
    const wasReady = peer.readyAt > 0;
    if (out?.bookKey && !wasReady) this.addrbook.markFailure(out.bookKey);
    const m = out?.manual;
    if (m && m.peer === peer) {
      m.peer = null;
      if (!wasReady) m.failures++;
      m.nextAttempt = Date.now() + (wasReady ? this.opts.dialIntervalMs : this.manualBackoffMs(m.failures));
      if (!m.persistent) this.manual.delete(m.key);
    }
    if (wasReady) {
      this.log.info({ id: peer.id, peer: peer.address, reason }, 'peer disconnected');
      void this.opts.bus.emit('p2p:peer:disconnected', { id: peer.id, address: peer.address, reason });
      this.router?.peerClosed(peer);
    }
  }

  // ----------------------------------------------------------------- bans

  /** Ban a host: persisted, announced on the bus, every connection from it dropped. */
  banHost(address: string, seconds = this.opts.banSeconds, reason = 'manual'): BanEntry {
    const entry = this.bans.ban(address, seconds, reason);
    this.log.warn({ host: entry.host, reason, until: new Date(entry.until * 1000).toISOString() }, 'peer banned');
    void this.opts.bus.emit('p2p:peer:banned', { address: entry.host, reason, until: entry.until });
    for (const p of [...this.peers.values()]) if (p.host === entry.host) p.disconnect(`banned: ${reason}`);
    return entry;
  }

  // ---------------------------------------------------------------- queries

  readyPeers(): Peer[] {
    return [...this.peers.values()].filter((p) => p.isReady);
  }

  allPeers(): Peer[] {
    return [...this.peers.values()];
  }

  getPeer(id: number): Peer | undefined {
    return this.peers.get(id);
  }

  info(): PeerInfo[] {
    return this.allPeers().map((p) => ({
      id: p.id,
      address: p.address,
      inbound: p.inbound,
      manual: p.manual,
      state: p.state,
      version: p.version?.version ?? 0,
      userAgent: p.userAgent,
      services: p.services.toString(),
      startHeight: p.startHeight,
      relay: p.relay,
      banScore: p.banScore,
      connectedAt: p.connectedAt,
      bytesSent: p.bytesSent,
      bytesReceived: p.bytesReceived,
      pingMs: p.pingLatencyMs,
    }));
  }
}

function splitToNetAddress(text: string, defaultPort: number): { ip: Buffer; port: number } {
  const { host, port } = splitHostPort(text, defaultPort);
  return { ip: ipFromString(host), port };
}
