import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { FrameDecoder, FrameError, encodeFrame, encodeMessageFrame, type Frame } from './framer.js';
import {
  decodePayload,
  OUR_PROTOCOL_VERSION,
  PROTOCOL_LEVEL,
  type MessageOf,
  type P2PMessage,
  type VersionMessage,
} from './messages/index.js';
import { CodecError } from '../primitives/errors.js';
import { formatHostPort, ipToString } from './netaddr.js';
import { TokenBucket } from './rate-limit.js';
import { logger } from '../util/logger.js';

/**
 * Everything we ever send. `feefilter`, `alert`, `sendcmpct` and other
 * commands the reference disconnects for (mvs-wire §2.2, §2.5) are not in
 * this list, so the type system keeps them off the wire.
 */
export type OutgoingCommand =
  | 'version'
  | 'verack'
  | 'ping'
  | 'pong'
  | 'addr'
  | 'getaddr'
  | 'inv'
  | 'getdata'
  | 'notfound'
  | 'getblocks'
  | 'getheaders'
  | 'headers'
  | 'block'
  | 'tx'
  | 'mempool';
export type OutgoingMessage = MessageOf<OutgoingCommand>;

/** The reference's channel timers (mvs-wire §1.5); options so tests can shrink them. */
export interface PeerTimeouts {
  /** TCP connect (outbound). */
  connectMs: number;
  /** version + verack must both arrive within this (not randomized). */
  handshakeMs: number;
  /** A ping right after the handshake, then every heartbeat (not randomized). */
  heartbeatMs: number;
  /** Disconnect when nothing is received for a random 50–100 % of this. */
  inactivityMs: number;
  /** Hard lifetime of every channel, randomized to 50–100 % of this. */
  expirationMs: number;
}

export const DEFAULT_PEER_TIMEOUTS: PeerTimeouts = {
  connectMs: 5_000,
  handshakeMs: 30_000,
  heartbeatMs: 5 * 60_000,
  inactivityMs: 10 * 60_000,
  expirationMs: 24 * 3600_000,
};

/** Per-peer resource bounds (docs/p2p.md "Protection"). */
export interface PeerLimits {
  /** Unsent bytes above which the peer is dropped: it does not read (the reference drops at 500 queued messages). */
  sendBufferBytes: number;
  /** Unsent bytes above which serving waits for the socket to drain. */
  sendSoftBytes: number;
  /** Received-but-unprocessed bytes above which we stop reading the socket. */
  receiveQueueBytes: number;
  /** Message rate; exceeding the burst is a flood → ban. */
  messagesPerSecond: number;
  messageBurst: number;
  /** Ping rate; exceeding the burst is a ping flood → ban. */
  pingsPerSecond: number;
  pingBurst: number;
  /** Byte rate; above it the socket is paused (throttled, not punished). */
  bytesPerSecond: number;
  byteBurst: number;
}

export const DEFAULT_PEER_LIMITS: PeerLimits = {
  sendBufferBytes: 16 * 1024 * 1024,
  sendSoftBytes: 1024 * 1024,
  receiveQueueBytes: 4 * 1024 * 1024,
  messagesPerSecond: 1000,
  messageBurst: 5000,
  pingsPerSecond: 1,
  pingBurst: 10,
  bytesPerSecond: 16 * 1024 * 1024,
  byteBurst: 32 * 1024 * 1024,
};

/** Score that bans at once (the reference's threshold, mvs-wire §1.5). */
export const BAN_SCORE = 100;

export type PeerState = 'connecting' | 'handshake' | 'ready' | 'closed';

/** What a Peer reports to its owner (the pool). */
export interface PeerEvents {
  /** True when `nonce` is one we sent on an outbound connection: we dialled ourselves. */
  isOwnNonce(nonce: bigint): boolean;
  /** Handshake complete (version and verack both received, version ≥ 31402). */
  ready(peer: Peer): void;
  /** A decoded post-handshake message other than ping/pong/version/verack; processed one at a time per peer. */
  message(peer: Peer, message: P2PMessage, payload: Buffer): Promise<void> | void;
  /** Misbehaviour worth `score` (BAN_SCORE bans at once). */
  misbehave(peer: Peer, score: number, reason: string): void;
  /** The connection is gone (called exactly once). */
  closed(peer: Peer, reason: string): void;
}

export interface PeerOptions {
  id: number;
  socket: Socket;
  inbound: boolean;
  /** A connect/addnode peer. */
  manual?: boolean;
  /** Outbound: the socket is still connecting (the connect timeout applies). */
  connecting?: boolean;
  /** The remote endpoint (the dialled address for outbound peers). */
  remote: { ip: Buffer; port: number };
  magic: number;
  /** Our `version` for this peer (start height, nonce, addresses), built when it is sent. */
  localVersion: (peer: Peer) => VersionMessage;
  events: PeerEvents;
  timeouts?: Partial<PeerTimeouts>;
  limits?: Partial<PeerLimits>;
  now?: () => number;
}

/** A random non-zero u64 (version and ping nonces). */
export function randomNonce(): bigint {
  for (;;) {
    const n = randomBytes(8).readBigUInt64LE();
    if (n !== 0n) return n;
  }
}

function randomizedDelay(ms: number): number {
  // The reference randomizes inactivity and expiration to [50 %, 100 %] (channel.cpp).
  return Math.max(1, Math.floor(ms * (0.5 + Math.random() * 0.5)));
}

/**
 * One TCP connection to a peer: framing, the version handshake, ping/pong,
 * the reference's channel timers, flow control and rate limits. Messages are
 * decoded with the peer's announced version and handed to the owner one at a
 * time, in order. Every fault ends in `disconnect` (and `misbehave` when it
 * warrants a ban); nothing a peer sends can throw out of this class.
 */
export class Peer {
  readonly id: number;
  readonly inbound: boolean;
  readonly manual: boolean;
  readonly ip: Buffer;
  readonly port: number;
  /** "a.b.c.d:port" / "[v6]:port". */
  readonly address: string;
  /** The IP as text: the key of bans and the blacklist. */
  readonly host: string;
  /** The nonce of our `version` on this connection (random, non-zero). */
  readonly localNonce: bigint;
  readonly timeouts: PeerTimeouts;
  readonly limits: PeerLimits;

  state: PeerState;
  /** The peer's `version`, once received. */
  version: VersionMessage | null = null;
  banScore = 0;
  closeReason: string | null = null;

  connectedAt: number;
  readyAt = 0;
  lastReceiveAt = 0;
  bytesReceived = 0;
  bytesSent = 0;
  messagesReceived = 0;
  /** Round trip of the last answered ping, ms. */
  pingLatencyMs: number | null = null;

  private readonly socket: Socket;
  private readonly magic: number;
  private readonly localVersion: (peer: Peer) => VersionMessage;
  private readonly events: PeerEvents;
  private readonly now: () => number;
  private readonly decoder: FrameDecoder;
  private readonly messageBucket: TokenBucket;
  private readonly pingBucket: TokenBucket;
  private readonly byteBucket: TokenBucket;
  private readonly log = logger('p2p');

  private verackReceived = false;
  private readonly queue: Frame[] = [];
  private queuedBytes = 0;
  private processing = false;
  /** The running processQueue loop, for `idle()`. */
  private processingLoop: Promise<void> | null = null;
  private readonly pauseReasons = new Set<'queue' | 'throttle'>();
  private outstandingPing: { nonce: bigint; sentAt: number } | null = null;
  private drainWaiters: (() => void)[] = [];
  private errorReason: string | null = null;

  private connectTimer: NodeJS.Timeout | null = null;
  private handshakeTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private inactivityTimer: NodeJS.Timeout | null = null;
  private expirationTimer: NodeJS.Timeout | null = null;
  private throttleTimer: NodeJS.Timeout | null = null;
  private sendStallTimer: NodeJS.Timeout | null = null;

  constructor(opts: PeerOptions) {
    this.id = opts.id;
    this.socket = opts.socket;
    this.inbound = opts.inbound;
    this.manual = opts.manual ?? false;
    this.ip = opts.remote.ip;
    this.port = opts.remote.port;
    this.address = formatHostPort(opts.remote);
    this.host = ipToString(opts.remote.ip);
    this.magic = opts.magic;
    this.localVersion = opts.localVersion;
    this.events = opts.events;
    this.timeouts = { ...DEFAULT_PEER_TIMEOUTS, ...opts.timeouts };
    this.limits = { ...DEFAULT_PEER_LIMITS, ...opts.limits };
    this.now = opts.now ?? Date.now;
    this.localNonce = randomNonce();
    this.decoder = new FrameDecoder(this.magic);
    this.messageBucket = new TokenBucket(this.limits.messagesPerSecond, this.limits.messageBurst, this.now);
    this.pingBucket = new TokenBucket(this.limits.pingsPerSecond, this.limits.pingBurst, this.now);
    this.byteBucket = new TokenBucket(this.limits.bytesPerSecond, this.limits.byteBurst, this.now);
    this.connectedAt = this.now();
    this.state = opts.connecting ? 'connecting' : 'handshake';

    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err: Error) => {
      this.errorReason ??= `socket error: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
    });
    this.socket.on('end', () => {
      try {
        this.decoder.end();
      } catch {
        // The peer stopped in the middle of a frame: nothing to do, the connection is ending.
      }
      this.disconnect('connection closed by peer');
    });
    this.socket.on('close', () => this.finish(this.errorReason ?? 'connection closed by peer'));
    this.socket.on('drain', () => this.releaseDrainWaiters());

    if (opts.connecting) {
      this.connectTimer = this.timer(this.timeouts.connectMs, () => this.disconnect('connect timeout'));
      this.socket.once('connect', () => {
        this.clearTimer('connectTimer');
        if (this.state === 'connecting') this.beginHandshake();
      });
    } else {
      this.beginHandshake();
    }
  }

  // ------------------------------------------------------------------ facts

  /** The version the peer announced; our own (70012) until its `version` arrives, as the reference parses. */
  get protocolVersion(): number {
    return this.version?.version ?? OUR_PROTOCOL_VERSION;
  }

  get startHeight(): number {
    return this.version?.startHeight ?? 0;
  }

  get userAgent(): string {
    return this.version?.userAgent ?? '';
  }

  /** The peer asked for transaction announcements (version.relay). */
  get relay(): boolean {
    return this.version?.relay ?? false;
  }

  get services(): bigint {
    return this.version?.services ?? 0n;
  }

  get isReady(): boolean {
    return this.state === 'ready';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** getheaders/headers-based sync with this peer (≥ 70012), else getblocks/inv (mvs-wire §7.1). */
  get usesHeaders(): boolean {
    return this.protocolVersion >= PROTOCOL_LEVEL.BIP130;
  }

  /** Unsent bytes in the socket. */
  get sendBufferBytes(): number {
    return this.socket.writableLength;
  }

  // ---------------------------------------------------------------- sending

  /** Send a message; false when the peer is gone (or was just dropped for not reading). */
  send(message: OutgoingMessage): boolean {
    if (this.state === 'closed') return false;
    if (message.command === 'getheaders' && !this.usesHeaders) {
      throw new Error(`bug: getheaders to peer ${this.address} at protocol ${this.protocolVersion} (getblocks is for peers below 70012)`);
    }
    return this.write(encodeMessageFrame(this.magic, message));
  }

  /** Send an already-serialized `block` or `tx` payload (stored raw bytes, never re-encoded). */
  sendRaw(command: 'block' | 'tx', payload: Uint8Array): boolean {
    if (this.state === 'closed') return false;
    return this.write(encodeFrame(this.magic, command, payload));
  }

  private write(frame: Buffer): boolean {
    if (this.socket.writableLength + frame.length > this.limits.sendBufferBytes) {
      this.disconnect(`send buffer over ${this.limits.sendBufferBytes} bytes: the peer does not read`);
      return false;
    }
    this.bytesSent += frame.length;
    this.socket.write(frame);
    return true;
  }

  /**
   * Resolves once unsent bytes are back under the soft limit (or the peer is
   * gone). A peer that reads nothing for the inactivity period while we wait
   * is dropped: it would otherwise hold its slot and our queued bytes.
   */
  writable(): Promise<void> {
    if (this.state === 'closed' || this.socket.writableLength <= this.limits.sendSoftBytes) return Promise.resolve();
    this.sendStallTimer ??= this.timer(this.timeouts.inactivityMs, () => {
      this.sendStallTimer = null;
      this.disconnect('peer does not read what we send');
    });
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private releaseDrainWaiters(): void {
    this.clearTimer('sendStallTimer');
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  // -------------------------------------------------------------- lifecycle

  /** Close the connection (idempotent). */
  disconnect(reason: string): void {
    if (this.state === 'closed') return;
    this.finish(reason);
    this.socket.destroy();
  }

  /** Report misbehaviour to the owner, who scores, bans and disconnects. */
  misbehave(score: number, reason: string): void {
    if (this.state === 'closed') return;
    this.events.misbehave(this, score, reason);
  }

  private finish(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeReason = reason;
    for (const name of ['connectTimer', 'handshakeTimer', 'heartbeatTimer', 'inactivityTimer', 'expirationTimer', 'throttleTimer', 'sendStallTimer'] as const) this.clearTimer(name);
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.releaseDrainWaiters();
    this.log.debug({ peer: this.address, id: this.id, reason }, 'peer disconnected');
    this.events.closed(this, reason);
  }

  private timer(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  }

  private clearTimer(name: 'connectTimer' | 'handshakeTimer' | 'heartbeatTimer' | 'inactivityTimer' | 'expirationTimer' | 'throttleTimer' | 'sendStallTimer'): void {
    const t = this[name];
    if (t) {
      clearTimeout(t);
      clearInterval(t);
      this[name] = null;
    }
  }

  private beginHandshake(): void {
    this.state = 'handshake';
    this.connectedAt = this.now();
    this.lastReceiveAt = this.connectedAt;
    this.handshakeTimer = this.timer(this.timeouts.handshakeMs, () => this.disconnect('handshake timeout'));
    this.inactivityTimer = this.timer(randomizedDelay(this.timeouts.inactivityMs), () => this.onInactive());
    this.expirationTimer = this.timer(randomizedDelay(this.timeouts.expirationMs), () => this.disconnect('channel expired'));
    // Both sides send version at once, inbound too (mvs-wire §3.1).
    this.send(this.localVersion(this));
  }

  private onInactive(): void {
    if (this.state === 'closed') return;
    // Not the peer's fault when we stopped reading it ourselves.
    if (this.pauseReasons.size > 0 || this.processing) {
      this.inactivityTimer?.refresh();
      return;
    }
    this.disconnect('inactivity timeout');
  }

  // -------------------------------------------------------------- receiving

  private onData(chunk: Buffer): void {
    if (this.state === 'closed' || this.state === 'connecting') return;
    this.lastReceiveAt = this.now();
    this.bytesReceived += chunk.length;
    this.inactivityTimer?.refresh();

    this.byteBucket.take(chunk.length);
    if (this.byteBucket.available() < 0) this.throttle();

    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      if (err instanceof FrameError) {
        // Wrong magic: the reference bans the address for 24 h (proxy.cpp); every other framing fault disconnects.
        if (err.ban) this.misbehave(BAN_SCORE, `frame: ${err.fault}`);
        this.disconnect(`frame: ${err.fault} (${err.message})`);
      } else {
        this.disconnect(`undecodable stream: ${(err as Error).message}`);
      }
      return;
    }
    for (const frame of frames) {
      if (!this.messageBucket.tryTake(1)) {
        this.misbehave(BAN_SCORE, 'message flood');
        this.disconnect('message flood');
        return;
      }
      if (frame.command === 'ping' && !this.pingBucket.tryTake(1)) {
        this.misbehave(BAN_SCORE, 'ping flood');
        this.disconnect('ping flood');
        return;
      }
      this.queue.push(frame);
      this.queuedBytes += frame.payload.length;
    }
    if (this.queuedBytes > this.limits.receiveQueueBytes) this.setPaused('queue', true);
    if (!this.processing) this.processingLoop = this.processQueue();
  }

  /**
   * Resolves once the message being handled (if any) is done. After
   * `disconnect` nothing else is handled, so a node shutting down can wait
   * for this before closing what the handlers use (chain, mempool).
   */
  idle(): Promise<void> {
    return this.processingLoop ?? Promise.resolve();
  }

  private throttle(): void {
    if (this.throttleTimer) return;
    this.setPaused('throttle', true);
    this.throttleTimer = this.timer(Math.max(1, this.byteBucket.msUntil(1)), () => {
      this.throttleTimer = null;
      if (this.byteBucket.available() < 0) this.throttle();
      else this.setPaused('throttle', false);
    });
  }

  private setPaused(reason: 'queue' | 'throttle', paused: boolean): void {
    if (paused) this.pauseReasons.add(reason);
    else this.pauseReasons.delete(reason);
    if (this.state === 'closed') return;
    if (this.pauseReasons.size > 0) this.socket.pause();
    else {
      this.socket.resume();
      this.inactivityTimer?.refresh();
    }
  }

  private async processQueue(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0 && this.state !== 'closed') {
        const frame = this.queue.shift()!;
        this.queuedBytes -= frame.payload.length;
        if (this.pauseReasons.has('queue') && this.queuedBytes <= this.limits.receiveQueueBytes / 2) this.setPaused('queue', false);
        this.messagesReceived++;
        await this.processFrame(frame);
      }
    } catch (err) {
      // A bug in a handler must cost no more than this connection.
      this.log.error({ peer: this.address, err }, 'internal error while processing a message');
      this.disconnect(`internal error: ${(err as Error).message}`);
    } finally {
      this.processing = false;
    }
  }

  private decode(frame: Frame): P2PMessage | null {
    try {
      return decodePayload(frame.command, frame.payload, this.protocolVersion);
    } catch (err) {
      if (err instanceof CodecError) {
        // Malformed payload, trailing bytes or a command above the peer's version: the reference disconnects (§2.2).
        this.disconnect(`malformed ${frame.command}: ${err.code} (${err.message})`);
        return null;
      }
      throw err;
    }
  }

  private async processFrame(frame: Frame): Promise<void> {
    if (this.state === 'handshake') {
      this.processHandshake(frame);
      return;
    }
    if (this.state !== 'ready') return;
    const message = this.decode(frame);
    if (!message) return;
    switch (message.command) {
      case 'version':
      case 'verack':
        // Later versions have no subscriber in the reference: ignored.
        return;
      case 'ping':
        // Peers below BIP31 send no nonce and expect no pong.
        if (this.protocolVersion >= PROTOCOL_LEVEL.BIP31) this.send({ command: 'pong', nonce: message.nonce });
        return;
      case 'pong':
        this.onPong(message.nonce);
        return;
      default:
        await this.events.message(this, message, frame.payload);
    }
  }

  private processHandshake(frame: Frame): void {
    if (frame.command !== 'version' && frame.command !== 'verack') {
      // Before the handshake the reference has no subscriber: dropped undecoded (§7).
      this.log.trace({ peer: this.address, command: frame.command }, 'message before handshake dropped');
      return;
    }
    const message = this.decode(frame);
    if (!message) return;
    if (message.command === 'version') {
      if (this.version) return;
      this.version = message;
      // Nonce 0 is what reference inbound channels send; never read it as "self" (§8.17).
      if (message.nonce !== 0n && this.events.isOwnNonce(message.nonce)) {
        this.disconnect('connected to self');
        return;
      }
      this.send({ command: 'verack' });
    } else if (message.command === 'verack') {
      this.verackReceived = true;
    }
    if (this.version && this.verackReceived) this.completeHandshake();
  }

  private completeHandshake(): void {
    const version = this.version!;
    if (version.version < PROTOCOL_LEVEL.MINIMUM) {
      this.disconnect(`protocol version ${version.version} below ${PROTOCOL_LEVEL.MINIMUM}`);
      return;
    }
    this.clearTimer('handshakeTimer');
    this.state = 'ready';
    this.readyAt = this.now();
    this.log.debug({ peer: this.address, id: this.id, inbound: this.inbound, version: version.version, userAgent: version.userAgent, startHeight: version.startHeight }, 'handshake complete');
    // The reference pings right after the handshake and then every 5 minutes (protocol_ping.cpp).
    this.sendPing();
    this.heartbeatTimer = setInterval(() => this.sendPing(), this.timeouts.heartbeatMs);
    this.heartbeatTimer.unref();
    this.events.ready(this);
  }

  private sendPing(): void {
    if (this.state !== 'ready' || this.protocolVersion < PROTOCOL_LEVEL.BIP31) return;
    const nonce = randomNonce();
    this.outstandingPing = { nonce, sentAt: this.now() };
    this.send({ command: 'ping', nonce });
  }

  private onPong(nonce: bigint): void {
    const ping = this.outstandingPing;
    // An unsolicited pong has nothing to match; a wrong nonce disconnects as in the reference.
    if (!ping) return;
    if (nonce !== ping.nonce) {
      this.disconnect('pong nonce mismatch');
      return;
    }
    this.outstandingPing = null;
    this.pingLatencyMs = this.now() - ping.sentAt;
  }
}
