import { BufferReader } from '../../primitives/reader.js';
import type { BufferWriter } from '../../primitives/writer.js';
import { CodecError } from '../../primitives/errors.js';

/**
 * Protocol version levels (mvs-wire §1.2, `version.hpp` enum `level`). The
 * reference parses every incoming payload with the peer's announced version
 * and serializes every outgoing one with its own (70012); there is no
 * negotiation to min(ours, theirs).
 */
export const PROTOCOL_LEVEL = {
  MINIMUM: 31402,
  HEADERS: 31800,
  BIP31: 60001,
  BIP35: 60002,
  BIP37: 70001,
  BIP61: 70002,
  BIP130: 70012,
  BIP133: 70013,
  BIP152: 70014,
} as const;

/** What we announce and the version every outgoing message is serialized at. */
export const OUR_PROTOCOL_VERSION = 70012;

/**
 * Reader for a P2P payload's envelope: bounded like every reader, but
 * non-minimal varints accepted as the reference does (mvs-wire §2.3) since
 * envelope fields are never hashed.
 */
export function envelopeReader(payload: Uint8Array): BufferReader {
  return new BufferReader(payload, 0, payload.length, { allowNonMinimalVarint: true });
}

/**
 * Decode chain data (transaction, block) embedded in an envelope with a
 * strict reader over the same bytes, then advance the envelope past it:
 * txids are hashes of the received bytes, so the strict rules of the chain
 * codecs apply inside P2P messages too (docs/decisions.md "Encoding").
 */
export function decodeStrict<T>(envelope: BufferReader, decode: (r: BufferReader) => T): T {
  const strict = new BufferReader(envelope.data, envelope.offset, envelope.end);
  const value = decode(strict);
  envelope.offset = strict.offset;
  return value;
}

/** A 32-byte hash or a BAD_VALUE error (encoders never write a malformed field). */
export function writeHash(w: BufferWriter, hash: Uint8Array, what: string): void {
  if (hash.length !== 32) throw new CodecError('BAD_VALUE', `${what} must be 32 bytes, got ${hash.length}`);
  w.bytes(hash);
}

export function checkU32(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new CodecError('BAD_VALUE', `${what} ${value} out of u32 range`);
  return value;
}

export function checkU8(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new CodecError('BAD_VALUE', `${what} ${value} out of u8 range`);
  return value;
}

export function checkU64(value: bigint, what: string): bigint {
  if (value < 0n || value >= 1n << 64n) throw new CodecError('BAD_VALUE', `${what} out of u64 range`);
  return value;
}

export function checkCount(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new CodecError('BAD_VALUE', `${what} ${value} is not a count`);
  return value;
}

/**
 * One command's payload codec. `decode` reads from an envelope reader and
 * may leave bytes unread (the registry turns leftovers into TRAILING_BYTES);
 * `encode` always serializes at OUR_PROTOCOL_VERSION, as the reference does.
 */
export interface MessageCodec<M extends { command: string }> {
  readonly command: M['command'];
  /** Lowest announced peer version whose payload the reference parses; 0 = no gate (mvs-wire §2.5). */
  readonly minPeerVersion: number;
  decode(r: BufferReader, peerVersion: number): M;
  encode(w: BufferWriter, msg: M): void;
}
