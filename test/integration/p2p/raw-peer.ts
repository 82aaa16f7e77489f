import { connect, type Socket } from 'node:net';
import { FrameDecoder, encodeMessageFrame } from '../../../src/p2p/framer.js';
import { decodePayload, OUR_PROTOCOL_VERSION, type P2PMessage, type VersionMessage } from '../../../src/p2p/messages/index.js';
import { unspecifiedAddress, ipFromString } from '../../../src/p2p/netaddr.js';
import { randomNonce } from '../../../src/p2p/peer.js';

/**
 * A scripted peer on a raw socket: sends whatever bytes a test wants and
 * records every message the node sends back. Bound to its own loopback
 * address (127.0.0.x) so bans of it do not touch other test peers.
 */
export class RawPeer {
  readonly received: P2PMessage[] = [];
  readonly socket: Socket;
  readonly closed: Promise<void>;
  isClosed = false;
  private readonly decoder: FrameDecoder;
  private waiters: (() => void)[] = [];

  private constructor(socket: Socket, readonly magic: number) {
    this.socket = socket;
    this.decoder = new FrameDecoder(magic);
    socket.on('data', (chunk) => {
      try {
        for (const f of this.decoder.push(chunk)) this.received.push(decodePayload(f.command, f.payload, OUR_PROTOCOL_VERSION));
      } catch {
        // The node only ever sends well-formed frames; a test asserts on what was decoded.
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static open(port: number, localAddress: string, magic: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, localAddress });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawPeer(socket, magic));
      });
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.isClosed) return;
    if (this.socket.write(bytes)) return;
    await Promise.race([new Promise<void>((resolve) => this.socket.once('drain', () => resolve())), this.closed]);
  }

  send(message: P2PMessage): Promise<void> {
    return this.write(encodeMessageFrame(this.magic, message));
  }

  /** Wait until `predicate` holds over what was received (or the socket closed, then false). */
  async until(predicate: (received: P2PMessage[]) => boolean, timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      if (this.isClosed) return predicate(this.received);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`raw peer: condition not met within ${timeoutMs} ms; got ${this.received.map((m) => m.command).join(',')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }

  of<C extends P2PMessage['command']>(command: C): Extract<P2PMessage, { command: C }>[] {
    return this.received.filter((m) => m.command === command) as Extract<P2PMessage, { command: C }>[];
  }

  /** version → wait for the node's version and verack → verack. */
  async handshake(startHeight = 0): Promise<VersionMessage> {
    await this.send(rawVersion(startHeight));
    await this.until((r) => r.some((m) => m.command === 'version') && r.some((m) => m.command === 'verack'));
    await this.send({ command: 'verack' });
    return this.of('version')[0];
  }

  /** Wait for the node to close the connection. */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const result = await Promise.race([this.closed.then(() => true), timedOut]);
    clearTimeout(timer);
    return result;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function rawVersion(startHeight: number): VersionMessage {
  return {
    command: 'version',
    version: 70012,
    services: 1n,
    timestamp: BigInt(Math.floor(Date.now() / 1000)),
    addrRecv: { services: 1n, ip: ipFromString('127.0.0.1'), port: 5251 },
    addrFrom: unspecifiedAddress(0n),
    nonce: randomNonce(),
    userAgent: '/raw-test-peer:1/',
    startHeight,
    relay: true,
  };
}
