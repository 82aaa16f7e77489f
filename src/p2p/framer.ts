import { CodecError, type CodecErrorCode } from '../primitives/errors.js';
import { sha256d } from '../crypto/hash.js';
import { encodeMessage, isRoutableCommand, type P2PCommand, type P2PMessage } from './messages/index.js';

/** Heading: magic u32 LE, command 12 bytes NUL-padded, length u32 LE, checksum (mvs-wire §2.1). */
export const HEADING_SIZE = 24;
export const COMMAND_SIZE = 12;
/**
 * The reference's cap for every command, `block` included: a maximal
 * 50,000-entry inventory, 3 + 36 × 50,000 (heading.cpp maximum_payload_size).
 */
export const MAX_PAYLOAD_SIZE = 1_800_003;

/** Why a stream was rejected, and so what the peer manager does about it (docs/p2p-messages.md). */
export type FrameFault =
  | 'ZERO_HEADING' // all 24 heading bytes zero → disconnect
  | 'BAD_MAGIC' // another network's magic → disconnect and ban the ip:port for 24 h
  | 'OVERSIZE' // length above 1,800,003 → disconnect
  | 'BAD_COMMAND' // malformed or unroutable command (alert, feefilter, …) → disconnect
  | 'BAD_CHECKSUM' // checksum mismatch → disconnect
  | 'TRUNCATED'; // stream ended inside a frame (end()) → the connection is already gone

const FAULT_CODE: Record<FrameFault, CodecErrorCode> = {
  ZERO_HEADING: 'BAD_ENCODING',
  BAD_MAGIC: 'BAD_MAGIC',
  OVERSIZE: 'OVERSIZE',
  BAD_COMMAND: 'BAD_COMMAND',
  BAD_CHECKSUM: 'BAD_CHECKSUM',
  TRUNCATED: 'TRUNCATED',
};

/**
 * A framing error. It is a CodecError (its `code` is one of BAD_ENCODING,
 * BAD_MAGIC, OVERSIZE, BAD_COMMAND, BAD_CHECKSUM, TRUNCATED) with the finer
 * `fault` and whether the reference would also ban the address (`ban`: only
 * for a wrong magic, proxy.cpp).
 */
export class FrameError extends CodecError {
  readonly fault: FrameFault;
  readonly ban: boolean;
  constructor(fault: FrameFault, message: string) {
    super(FAULT_CODE[fault], message);
    this.name = 'FrameError';
    this.fault = fault;
    this.ban = fault === 'BAD_MAGIC';
  }
}

export interface Frame {
  command: P2PCommand;
  /** A copy: independent of the chunks it was assembled from. */
  payload: Buffer;
}

/** First 4 bytes of dSHA256(payload). */
export function payloadChecksum(payload: Uint8Array): Buffer {
  return sha256d(payload).subarray(0, 4);
}

function checkCommandText(command: string): void {
  if (command.length === 0 || command.length > COMMAND_SIZE || !/^[\x21-\x7e]+$/.test(command)) {
    throw new FrameError('BAD_COMMAND', `command ${JSON.stringify(command)} must be 1–${COMMAND_SIZE} printable ASCII characters`);
  }
}

/**
 * One frame: heading + payload. Any well-formed command is accepted so tests
 * and tools can build frames the reference rejects; the node sends only
 * messages built with `encodeMessageFrame`. A payload above the cap is refused:
 * the receiving reference node would disconnect.
 */
export function encodeFrame(magic: number, command: string, payload: Uint8Array): Buffer {
  checkCommandText(command);
  if (payload.length > MAX_PAYLOAD_SIZE) {
    throw new FrameError('OVERSIZE', `payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD_SIZE}`);
  }
  const frame = Buffer.alloc(HEADING_SIZE + payload.length);
  frame.writeUInt32LE(magic >>> 0, 0);
  frame.write(command, 4, 'latin1');
  frame.writeUInt32LE(payload.length, 16);
  payloadChecksum(payload).copy(frame, 20);
  frame.set(payload, HEADING_SIZE);
  return frame;
}

/** Payload encoded at our protocol version, framed for the network with `magic` (Network.magic). */
export function encodeMessageFrame(magic: number, message: P2PMessage): Buffer {
  return encodeFrame(magic, message.command, encodeMessage(message));
}

/**
 * The command of a 12-byte field: printable ASCII, then NUL padding only.
 * The reference merely truncates at the first NUL; garbage after it, or a
 * non-printable byte, is rejected here as no conforming peer writes it.
 */
function readCommand(heading: Buffer): string {
  const field = heading.subarray(4, 4 + COMMAND_SIZE);
  let length = field.indexOf(0);
  if (length < 0) length = COMMAND_SIZE;
  for (let i = 0; i < length; i++) {
    const c = field[i];
    if (c < 0x21 || c > 0x7e) throw new FrameError('BAD_COMMAND', `command field holds byte 0x${c.toString(16).padStart(2, '0')}`);
  }
  for (let i = length; i < COMMAND_SIZE; i++) {
    if (field[i] !== 0) throw new FrameError('BAD_COMMAND', 'command field is not NUL-padded');
  }
  if (length === 0) throw new FrameError('BAD_COMMAND', 'empty command');
  return field.toString('latin1', 0, length);
}

/** First allocation for a payload; it grows with the bytes that actually arrive. */
const INITIAL_PAYLOAD_CAPACITY = 64 * 1024;

/**
 * Streaming frame decoder for one connection. Feed it whatever the socket
 * delivers (partial frames, several frames per chunk); it returns the frames
 * completed so far. Checks, in order: all-zero heading, magic, length cap
 * (from the heading, before any payload byte is buffered), command, checksum.
 * The first error is thrown and the decoder is dead from then on: every later
 * call rethrows it (the peer is being disconnected). Frames completed earlier
 * in the failing call are dropped with the connection.
 *
 * Memory: the 24-byte heading plus one payload buffer that grows with the
 * received bytes up to the announced length (≤ 1,800,003) — never more.
 */
export class FrameDecoder {
  private readonly magic: number;
  private readonly heading = Buffer.alloc(HEADING_SIZE);
  private headingFill = 0;
  /** Set once a heading has been accepted; null while reading a heading. */
  private current: { command: P2PCommand; length: number; checksum: Buffer } | null = null;
  private payload: Buffer = Buffer.alloc(0);
  private payloadFill = 0;
  private failure: FrameError | null = null;

  constructor(magic: number) {
    this.magic = magic >>> 0;
  }

  /** The error that killed this decoder, if any. */
  get error(): FrameError | null {
    return this.failure;
  }

  /** Bytes held for an incomplete frame. */
  get bufferedBytes(): number {
    return this.current ? HEADING_SIZE + this.payloadFill : this.headingFill;
  }

  push(chunk: Uint8Array): Frame[] {
    if (this.failure) throw this.failure;
    const frames: Frame[] = [];
    try {
      let pos = 0;
      while (pos < chunk.length) {
        if (!this.current) {
          const take = Math.min(HEADING_SIZE - this.headingFill, chunk.length - pos);
          this.heading.set(chunk.subarray(pos, pos + take), this.headingFill);
          this.headingFill += take;
          pos += take;
          if (this.headingFill < HEADING_SIZE) break;
          this.acceptHeading();
        }
        const current = this.current!;
        if (this.payloadFill === 0 && chunk.length - pos >= current.length) {
          // Whole payload in this chunk: one copy, no staging buffer.
          frames.push(this.completeFrame(current, Buffer.from(chunk.subarray(pos, pos + current.length))));
          pos += current.length;
          continue;
        }
        const take = Math.min(current.length - this.payloadFill, chunk.length - pos);
        this.reserve(this.payloadFill + take, current.length);
        this.payload.set(chunk.subarray(pos, pos + take), this.payloadFill);
        this.payloadFill += take;
        pos += take;
        if (this.payloadFill < current.length) break;
        frames.push(this.completeFrame(current, Buffer.from(this.payload.subarray(0, current.length))));
      }
    } catch (err) {
      if (err instanceof FrameError) this.fail(err);
      throw err;
    }
    return frames;
  }

  /**
   * The stream has ended: throws TRUNCATED if a frame was cut off, so a
   * caller can tell a clean close from a peer that stopped mid-message.
   */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.bufferedBytes > 0) this.fail(new FrameError('TRUNCATED', `stream ended with ${this.bufferedBytes} bytes of an incomplete frame`));
  }

  private fail(err: FrameError): never {
    this.failure = err;
    // Release everything: a dead decoder holds no buffered bytes.
    this.payload = Buffer.alloc(0);
    this.current = null;
    this.headingFill = 0;
    this.payloadFill = 0;
    throw err;
  }

  private acceptHeading(): void {
    const h = this.heading;
    if (h.every((byte) => byte === 0)) throw new FrameError('ZERO_HEADING', 'all-zero heading');
    const magic = h.readUInt32LE(0);
    if (magic !== this.magic) {
      throw new FrameError('BAD_MAGIC', `magic 0x${magic.toString(16).padStart(8, '0')} is not this network's 0x${this.magic.toString(16).padStart(8, '0')}`);
    }
    const length = h.readUInt32LE(16);
    if (length > MAX_PAYLOAD_SIZE) throw new FrameError('OVERSIZE', `payload length ${length} exceeds ${MAX_PAYLOAD_SIZE}`);
    const command = readCommand(h);
    if (!isRoutableCommand(command)) throw new FrameError('BAD_COMMAND', `command ${JSON.stringify(command)} is not routable by the reference`);
    this.current = { command, length, checksum: Buffer.from(h.subarray(20, 24)) };
    this.payloadFill = 0;
    this.headingFill = 0;
  }

  /** Grow the payload buffer to hold `needed` bytes, doubling but never past the announced length. */
  private reserve(needed: number, announced: number): void {
    if (needed <= this.payload.length) return;
    let capacity = Math.max(this.payload.length * 2, Math.min(INITIAL_PAYLOAD_CAPACITY, announced));
    while (capacity < needed) capacity *= 2;
    const grown = Buffer.allocUnsafe(Math.min(capacity, announced));
    this.payload.copy(grown, 0, 0, this.payloadFill);
    this.payload = grown;
  }

  private completeFrame(current: { command: P2PCommand; length: number; checksum: Buffer }, payload: Buffer): Frame {
    this.current = null;
    this.payloadFill = 0;
    // Keep a small staging buffer for the next frame; drop a large one so an idle peer holds little.
    if (this.payload.length > INITIAL_PAYLOAD_CAPACITY) this.payload = Buffer.alloc(0);
    if (!payloadChecksum(payload).equals(current.checksum)) {
      throw new FrameError('BAD_CHECKSUM', `${current.command} checksum ${current.checksum.toString('hex')} does not match the payload`);
    }
    return { command: current.command, payload };
  }
}

/** Decode a buffer holding exactly one complete frame (tests, tools). */
export function decodeFrame(magic: number, bytes: Uint8Array): Frame {
  const decoder = new FrameDecoder(magic);
  const frames = decoder.push(bytes);
  decoder.end();
  if (frames.length === 0) throw new FrameError('TRUNCATED', 'no frame in the input');
  if (frames.length > 1) throw new CodecError('TRAILING_BYTES', `expected one frame, found ${frames.length}`);
  return frames[0];
}
