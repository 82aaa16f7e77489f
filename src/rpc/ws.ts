/**
 * The websocket push service (mvs-rpc §1.7; mvs-org/metaverse:
 * src/mvsd/mgbubble/WsPushServ.cpp) on its own port (default 127.0.0.1:8821).
 *
 * Protocol as mvsd: on connect `{"event":"version","result":"0.9.1"}` and
 * `{"event":"info","result":{"connections":n}}`; client frames subscribe /
 * unsubscribe the `tx` (by address or DID, accumulating, empty = all),
 * `block` and `height` channels, ask `version` or `ping`; errors are
 * `{"event":"error","result":{"code":1000001,"message":…}}` (1000002 while the
 * node synchronises). Pushes are `{"event":"publish","channel":…,"result":…}`
 * (`tx` frames add `topic`).
 *
 * Additions: `start_height` on a block/height subscription replays blocks
 * start..tip in order before going live; every client has a bounded send
 * queue (messages and bytes) — a client that stops reading is dropped, never
 * waited for. Unlike mvsd, unsubscribing block/height leaves tx subscriptions
 * alone (the reference erases from the wrong map).
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { listenOn, boundAddress, type BoundAddress } from '../util/net.js';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { Block } from '../primitives/block.js';
import type { Transaction } from '../primitives/transaction.js';
import { Address, type AddressVersions } from '../primitives/address.js';
import type { EventBus } from '../bus/index.js';
import { formatBlock, formatTransaction, transactionAddresses } from './format.js';
import { parseJson, stringifyJson, isJsonObject, type JsonValue } from './json.js';
import { RPC_ERROR_CODES } from './errors.js';
import { logger } from '../util/logger.js';

export interface WsPushOptions {
  host?: string;
  /** Default 8821; 0 = ephemeral. */
  port?: number;
  /** Address versions of the node's network (formatting, address validation). */
  addresses: AddressVersions;
  /** Bus to publish from (mempool:tx:added, chain:block:connected / disconnected). */
  bus?: EventBus;
  /** Wallet version string of the connect and `version` frames (default "0.9.1"). */
  walletVersion?: string;
  /** Protocol version of the `version` answer (default 70012). */
  protocolVersion?: number;
  /** DID symbol → its address(es); null when unknown. Without it only addresses are accepted. */
  resolveDid?: (symbol: string) => string[] | null | Promise<string[] | null>;
  /** Addresses a transaction touches (default: input and output script addresses). */
  transactionAddresses?: (tx: Transaction) => string[];
  /** Block at a height of the main chain, for `start_height` replays. */
  getBlockByHeight?: (height: number) => Block | null | Promise<Block | null>;
  /** Current tip height, for replays. */
  getTipHeight?: () => number | Promise<number>;
  /** While true every client frame is answered with error 1000002. */
  isSyncing?: () => boolean;
  /** Per-client send queue bound, in frames (default 1024). */
  queueMaxMessages?: number;
  /** Per-client send queue bound, in bytes (default 8 MiB). */
  queueMaxBytes?: number;
  /** Most simultaneous clients (default 256). */
  maxConnections?: number;
  /** Largest client frame in bytes (default 64 KiB). */
  maxClientFrameBytes?: number;
  /** Most subscribed addresses per client (default 10000). */
  maxAddressesPerClient?: number;
  /** Longest replay, in blocks (default 1,000,000). */
  maxReplayBlocks?: number;
  /** A replaying client whose queue does not drain for this long is dropped (ms, default 30000). */
  stallTimeoutMs?: number;
  /** Websocket ping interval to reap dead peers (ms, default 30000; 0 = off). */
  heartbeatMs?: number;
}

type Channel = 'tx' | 'block' | 'height';
const CHANNELS: readonly Channel[] = ['tx', 'block', 'height'];

interface Client {
  id: number;
  ws: WebSocket;
  closed: boolean;
  alive: boolean;
  txAll: boolean;
  txAddresses: Set<string>;
  block: boolean;
  height: boolean;
  /** Replay in progress per channel; live pushes for it wait until it ends. */
  replaying: { block: boolean; height: boolean };
  /** Highest height pushed per channel (replay dedupe); -1 = none. */
  lastSent: { block: number; height: number };
  /** Highest height connected while replaying per channel; -1 = none. */
  pendingMax: { block: number; height: number };
  queuedMessages: number;
  queuedBytes: number;
  roomWaiters: Array<() => void>;
}

const D = {
  host: '127.0.0.1',
  port: 8821,
  walletVersion: '0.9.1',
  protocolVersion: 70012,
  queueMaxMessages: 1024,
  queueMaxBytes: 8 * 1024 * 1024,
  maxConnections: 256,
  maxClientFrameBytes: 64 * 1024,
  maxAddressesPerClient: 10000,
  maxReplayBlocks: 1_000_000,
  stallTimeoutMs: 30000,
  heartbeatMs: 30000,
};

const BAD_REQUEST = RPC_ERROR_CODES.ws_bad_request;
const SYNCING = RPC_ERROR_CODES.ws_syncing;

export class WsPushServer {
  private readonly opts: WsPushOptions & typeof D;
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  private readonly sockets = new Set<Socket>();
  private readonly unsubscribe: Array<() => void> = [];
  private heartbeat: NodeJS.Timeout | null = null;
  private nextId = 1;
  private closing: Promise<void> | null = null;
  private readonly log = logger('ws');
  /** Clients dropped for a full send queue (for tests and metrics). */
  droppedClients = 0;

  constructor(options: WsPushOptions) {
    this.opts = { ...D, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as WsPushOptions & typeof D;
    this.http = http.createServer((req, res) => {
      // Plain HTTP on the push port is refused (WsPushServ answers 403).
      req.resume();
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      res.end('websocket only\n');
    });
    this.http.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.opts.maxClientFrameBytes, perMessageDeflate: false });
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    const bus = this.opts.bus;
    if (bus) {
      this.unsubscribe.push(
        bus.on('mempool:tx:added', ({ tx }) => this.publishTransaction(tx, 0)),
        bus.on('chain:block:connected', ({ block, height }) => this.publishBlock(block, height)),
        bus.on('chain:block:disconnected', ({ height }) => this.onDisconnected(height)),
      );
    }
  }

  async listen(): Promise<BoundAddress> {
    const a = await listenOn(this.http, this.opts.port, this.opts.host);
    if (this.opts.heartbeatMs > 0) {
      this.heartbeat = setInterval(() => this.reapDead(), this.opts.heartbeatMs);
      this.heartbeat.unref();
    }
    this.log.info(a, 'websocket push listening');
    return a;
  }

  address(): BoundAddress | null {
    return boundAddress(this.http);
  }

  connectionCount(): number {
    return this.clients.size;
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closing = new Promise<void>((resolve) => {
        for (const u of this.unsubscribe) u();
        this.unsubscribe.length = 0;
        if (this.heartbeat) clearInterval(this.heartbeat);
        for (const c of this.clients) this.drop(c, null);
        this.wss.close();
        if (!this.http.listening) return resolve();
        this.http.close(() => resolve());
        this.http.closeAllConnections();
        for (const s of this.sockets) s.destroy();
        this.sockets.clear();
      });
    }
    return this.closing;
  }

  // -------------------------------------------------------------------------
  // Connections

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0];
    if (!path.startsWith('/ws') || this.closing) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (this.clients.size >= this.opts.maxConnections) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
  }

  private onConnection(ws: WebSocket): void {
    const client: Client = {
      id: this.nextId++,
      ws,
      closed: false,
      alive: true,
      txAll: false,
      txAddresses: new Set(),
      block: false,
      height: false,
      replaying: { block: false, height: false },
      lastSent: { block: -1, height: -1 },
      pendingMax: { block: -1, height: -1 },
      queuedMessages: 0,
      queuedBytes: 0,
      roomWaiters: [],
    };
    this.clients.add(client);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      void this.onFrame(client, data, isBinary);
    });
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('close', () => this.forget(client));
    ws.on('error', () => this.forget(client));
    this.send(client, stringifyJson({ event: 'version', result: this.opts.walletVersion }));
    this.send(client, stringifyJson({ event: 'info', result: { connections: this.clients.size } }));
  }

  private forget(client: Client): void {
    if (client.closed) return;
    client.closed = true;
    this.clients.delete(client);
    for (const w of client.roomWaiters.splice(0)) w();
  }

  private drop(client: Client, reason: string | null): void {
    if (reason) this.log.warn({ client: client.id, reason }, 'dropping websocket client');
    this.forget(client);
    client.ws.terminate();
  }

  private reapDead(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        this.drop(c, 'no pong');
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {
        this.drop(c, 'ping failed');
      }
    }
  }

  /**
   * Queue one frame for a client. The queue is what the socket has not yet
   * taken; past either bound the client is dropped — publishing never waits.
   */
  private send(client: Client, frame: string): void {
    if (client.closed) return;
    const bytes = Buffer.byteLength(frame);
    if (client.queuedMessages + 1 > this.opts.queueMaxMessages || client.queuedBytes + bytes > this.opts.queueMaxBytes) {
      this.droppedClients++;
      this.drop(client, 'send queue full');
      return;
    }
    client.queuedMessages++;
    client.queuedBytes += bytes;
    client.ws.send(frame, () => {
      client.queuedMessages--;
      client.queuedBytes -= bytes;
      if (client.roomWaiters.length > 0 && this.hasRoom(client)) for (const w of client.roomWaiters.splice(0)) w();
    });
  }

  private hasRoom(client: Client): boolean {
    return client.queuedMessages * 2 <= this.opts.queueMaxMessages && client.queuedBytes * 2 <= this.opts.queueMaxBytes;
  }

  /** Wait until a client's queue is at most half full (replays); false if it closed or stalled. */
  private waitForRoom(client: Client): Promise<boolean> {
    if (client.closed) return Promise.resolve(false);
    if (this.hasRoom(client)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = client.roomWaiters.indexOf(wake);
        if (i >= 0) client.roomWaiters.splice(i, 1);
        this.drop(client, 'stalled during replay');
        resolve(false);
      }, this.opts.stallTimeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(!client.closed);
      };
      client.roomWaiters.push(wake);
    });
  }

  private sendError(client: Client, message: string, code: number = BAD_REQUEST): void {
    this.send(client, stringifyJson({ event: 'error', result: { code, message } }));
  }

  // -------------------------------------------------------------------------
  // Client frames

  private async onFrame(client: Client, data: RawData, isBinary: boolean): Promise<void> {
    let msg: JsonValue;
    try {
      if (isBinary) throw new Error('binary frame');
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      msg = parseJson(text, { maxDepth: 8 });
    } catch {
      return this.sendError(client, 'bad request');
    }
    if (!isJsonObject(msg) || typeof msg.event !== 'string') return this.sendError(client, 'bad request');
    try {
      if (this.opts.isSyncing?.()) return this.sendError(client, 'node is synchronising, try again later', SYNCING);
      const channel = msg.channel;
      switch (msg.event) {
        case 'subscribe':
          return await this.subscribe(client, channel, msg);
        case 'unsubscribe':
          return this.unsubscribeChannel(client, channel);
        case 'version':
          return this.send(client, stringifyJson({ event: 'version', result: { wallet: this.opts.walletVersion, protocol: this.opts.protocolVersion } }));
        case 'ping':
          return this.send(client, stringifyJson({ event: 'ping', result: 'pong' }));
        default:
          return this.sendError(client, 'request not support.');
      }
    } catch (err) {
      // Injected callbacks (DID resolver, syncing check, tip) failed: answer, never throw.
      this.log.debug({ err }, 'websocket request failed');
      return this.sendError(client, 'request failed.');
    }
  }

  private isChannel(v: JsonValue | undefined): v is Channel {
    return typeof v === 'string' && (CHANNELS as readonly string[]).includes(v);
  }

  private async subscribe(client: Client, channel: JsonValue | undefined, msg: { [k: string]: JsonValue }): Promise<void> {
    if (!this.isChannel(channel)) return this.sendError(client, 'request not support.');
    const start = msg.start_height;
    if (channel === 'tx') {
      if (start !== undefined) return this.sendError(client, 'start_height is supported on the block and height channels only.');
      const raw = msg.address;
      let wanted: string[];
      if (typeof raw === 'string') wanted = [raw];
      else if (Array.isArray(raw) && raw.every((a) => typeof a === 'string')) wanted = raw as string[];
      else return this.sendError(client, 'invalid address.');
      wanted = wanted.filter((a) => a !== '');
      if (wanted.length === 0) {
        client.txAll = true;
        return this.send(client, stringifyJson({ event: 'subscribed', channel }));
      }
      if (wanted.length > this.opts.maxAddressesPerClient) return this.sendError(client, `too many subscribed addresses (limit ${this.opts.maxAddressesPerClient}).`);
      // Validate everything first so a bad entry changes nothing.
      const resolved: string[] = [];
      for (const entry of wanted) {
        const found = await this.resolve(entry);
        if (!found) return this.sendError(client, `invalid address or did: ${entry.length > 64 ? entry.slice(0, 64) + '…' : entry}`);
        resolved.push(...found);
      }
      const next = new Set([...client.txAddresses, ...resolved]);
      if (next.size > this.opts.maxAddressesPerClient) return this.sendError(client, `too many subscribed addresses (limit ${this.opts.maxAddressesPerClient}).`);
      client.txAddresses = next;
      return this.send(client, stringifyJson({ event: 'subscribed', channel }));
    }
    let startHeight: number | null = null;
    if (start !== undefined) {
      if (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0) return this.sendError(client, 'start_height must be a non-negative integer.');
      if (!this.opts.getBlockByHeight || !this.opts.getTipHeight) return this.sendError(client, 'replay is not available on this node.');
      const tip = await this.opts.getTipHeight();
      if (tip - start + 1 > this.opts.maxReplayBlocks) return this.sendError(client, `start_height is more than ${this.opts.maxReplayBlocks} blocks below the tip.`);
      startHeight = start;
    }
    if (startHeight !== null && client.replaying[channel]) return this.sendError(client, 'a replay is already running on this channel.');
    client[channel] = true;
    this.send(client, stringifyJson({ event: 'subscribed', channel }));
    if (startHeight !== null) await this.replay(client, channel, startHeight);
  }

  private unsubscribeChannel(client: Client, channel: JsonValue | undefined): void {
    if (!this.isChannel(channel)) return this.sendError(client, 'request not support.');
    if (channel === 'tx') {
      client.txAll = false;
      client.txAddresses = new Set();
    } else {
      client[channel] = false;
    }
    this.send(client, stringifyJson({ event: 'unsubscribed', channel }));
  }

  private async resolve(entry: string): Promise<string[] | null> {
    if (Address.parse(entry, this.opts.addresses)) return [entry];
    if (!this.opts.resolveDid) return null;
    const found = await this.opts.resolveDid(entry);
    return found && found.length > 0 ? found : null;
  }

  /**
   * Push blocks start..tip in order, following the tip as it grows, then go
   * live. Live pushes for the channel are held back meanwhile; their heights
   * are noted in `pendingMax`, so a block connected while the replay reads the
   * tip is still sent (the stop decision and the switch to live happen in one
   * synchronous step).
   */
  private async replay(client: Client, channel: 'block' | 'height', start: number): Promise<void> {
    const getBlock = this.opts.getBlockByHeight!;
    const getTip = this.opts.getTipHeight!;
    client.replaying[channel] = true;
    client.pendingMax[channel] = -1;
    try {
      for (let h = start; ; h++) {
        if (client.closed || !client[channel]) return;
        const tip = await getTip();
        if (h > tip && h > client.pendingMax[channel]) return;
        if (!(await this.waitForRoom(client))) return;
        if (channel === 'height') {
          this.pushHeight(client, h);
          continue;
        }
        const block = await getBlock(h);
        if (!block) return;
        this.pushBlock(client, h, this.blockFrame(block));
      }
    } catch (err) {
      this.log.warn({ err, client: client.id }, 'replay failed');
      this.sendError(client, 'replay failed.');
    } finally {
      client.replaying[channel] = false;
    }
  }

  // -------------------------------------------------------------------------
  // Publishing

  private blockFrame(block: Block): string {
    const result = stringifyJson(formatBlock(block, { apiVersion: 3, addresses: this.opts.addresses }));
    return `{"event":"publish","channel":"block","result":${result}}`;
  }

  private pushBlock(client: Client, height: number, frame: string): void {
    if (height <= client.lastSent.block) return;
    client.lastSent.block = height;
    this.send(client, frame);
  }

  private pushHeight(client: Client, height: number): void {
    if (height <= client.lastSent.height) return;
    client.lastSent.height = height;
    this.send(client, `{"event":"publish","channel":"height","result":${height}}`);
  }

  /** Push a transaction to matching `tx` subscribers (height 0 = mempool). Never blocks. */
  publishTransaction(tx: Transaction, height: number): void {
    if (tx.outputs.length === 0) return;
    let addresses: Set<string> | null = null;
    let result: string | null = null;
    for (const client of this.clients) {
      if (!client.txAll && client.txAddresses.size === 0) continue;
      let topic: JsonValue;
      if (client.txAll) topic = 'all';
      else {
        addresses ??= new Set(this.opts.transactionAddresses ? this.opts.transactionAddresses(tx) : transactionAddresses(tx, this.opts.addresses));
        const matches = [...addresses].filter((a) => client.txAddresses.has(a));
        if (matches.length === 0) continue;
        topic = matches.length === 1 ? matches[0] : matches;
      }
      result ??= stringifyJson(formatTransaction(tx, { apiVersion: 3, addresses: this.opts.addresses }, { height }));
      this.send(client, `{"event":"publish","channel":"tx","topic":${stringifyJson(topic)},"result":${result}}`);
    }
  }

  /** Push a newly connected block: its transactions, then `block` and `height` subscribers. */
  publishBlock(block: Block, height: number): void {
    for (const tx of block.txs) this.publishTransaction(tx, height);
    let frame: string | null = null;
    for (const client of this.clients) {
      if (client.block && !client.replaying.block) {
        frame ??= this.blockFrame(block);
        this.pushBlock(client, height, frame);
      }
      if (client.height && !client.replaying.height) this.pushHeight(client, height);
      if (client.replaying.block) client.pendingMax.block = Math.max(client.pendingMax.block, height);
      if (client.replaying.height) client.pendingMax.height = Math.max(client.pendingMax.height, height);
    }
  }

  /** A disconnected block lets the replacement at that height be pushed again. */
  private onDisconnected(height: number): void {
    for (const c of this.clients) {
      c.lastSent.block = Math.min(c.lastSent.block, height - 1);
      c.lastSent.height = Math.min(c.lastSent.height, height - 1);
    }
  }
}

export async function startWsPushServer(options: WsPushOptions): Promise<WsPushServer> {
  const server = new WsPushServer(options);
  await server.listen();
  return server;
}
