import { checkCount, PROTOCOL_LEVEL, type MessageCodec } from './protocol.js';
import { BlockHeader, HEADER_SIZE } from '../../primitives/header.js';

/** One `headers` entry: the 148-byte MVS header and the varint transaction count after it. */
export interface HeadersEntry {
  header: BlockHeader;
  /**
   * Not always zero in MVS: block announcements carry the block's real tx
   * count (mvs-wire §3.7). Kept so re-encoding is byte-identical; ignore it.
   */
  txCount: number;
}

export interface HeadersMessage {
  command: 'headers';
  headers: HeadersEntry[];
}

export const headersCodec: MessageCodec<HeadersMessage> = {
  command: 'headers',
  minPeerVersion: PROTOCOL_LEVEL.HEADERS,
  decode(r) {
    const count = r.count(HEADER_SIZE + 1, 'header');
    const headers: HeadersEntry[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const header = BlockHeader.decode(r);
      headers[i] = { header, txCount: r.varint() };
    }
    return { command: 'headers', headers };
  },
  encode(w, m) {
    w.varint(checkCount(m.headers.length, 'header count'));
    for (const e of m.headers) {
      e.header.encode(w);
      w.varint(checkCount(e.txCount, 'header tx count'));
    }
  },
};
