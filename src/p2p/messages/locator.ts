import { checkCount, OUR_PROTOCOL_VERSION, PROTOCOL_LEVEL, writeHash, type MessageCodec } from './protocol.js';
import { ZERO_HASH } from '../../primitives/hex.js';

/**
 * `getblocks` / `getheaders` (mvs-wire §3.6, get_blocks.cpp, get_headers.cpp):
 * u32 version, varint count, locator hashes, stop hash. The reference discards
 * the version on read and writes its own protocol version on send.
 */
export interface GetBlocksMessage {
  command: 'getblocks';
  /** Internal byte order, newest first. */
  locator: Buffer[];
  /** Zero hash = no stop. */
  stopHash: Buffer;
  /** Set by decode (the peer's field, informational); encode always writes 70012. */
  senderVersion?: number;
}

export interface GetHeadersMessage {
  command: 'getheaders';
  locator: Buffer[];
  stopHash: Buffer;
  senderVersion?: number;
}

function locatorCodec<M extends GetBlocksMessage | GetHeadersMessage>(command: M['command'], minPeerVersion: number): MessageCodec<M> {
  return {
    command,
    minPeerVersion,
    decode(r) {
      const senderVersion = r.u32le();
      const count = r.count(32, 'locator hash');
      const locator: Buffer[] = new Array(count);
      for (let i = 0; i < count; i++) locator[i] = r.hash();
      const stopHash = r.hash();
      return { command, locator, stopHash, senderVersion } as M;
    },
    encode(w, m) {
      w.u32le(OUR_PROTOCOL_VERSION).varint(checkCount(m.locator.length, 'locator count'));
      for (const h of m.locator) writeHash(w, h, 'locator hash');
      writeHash(w, m.stopHash ?? ZERO_HASH, 'stop hash');
    },
  };
}

export const getBlocksCodec: MessageCodec<GetBlocksMessage> = locatorCodec('getblocks', 0);
export const getHeadersCodec: MessageCodec<GetHeadersMessage> = locatorCodec('getheaders', PROTOCOL_LEVEL.HEADERS);
