import { checkCount, checkU32, checkU8, PROTOCOL_LEVEL, writeHash, type MessageCodec } from './protocol.js';
import { BlockHeader } from '../../primitives/header.js';

/**
 * `merkleblock` (mvs-wire §3.10, merkle_block.cpp): 148-byte header + varint
 * tx count (Bitcoin has a u32 total here), varint hash count + hashes, varint
 * flag count + flag bytes. MVS never serves it; parsed and ignored.
 */
export interface MerkleBlockMessage {
  command: 'merkleblock';
  header: BlockHeader;
  txCount: number;
  hashes: Buffer[];
  flags: Buffer;
}

/** `filterload` (BIP37, filter_load.cpp): varint+filter, u32 hash functions, u32 tweak, u8 flags. */
export interface FilterLoadMessage {
  command: 'filterload';
  filter: Buffer;
  hashFunctions: number;
  tweak: number;
  flags: number;
}

/** `filteradd` (BIP37, filter_add.cpp): varint+data. */
export interface FilterAddMessage {
  command: 'filteradd';
  data: Buffer;
}

export const merkleBlockCodec: MessageCodec<MerkleBlockMessage> = {
  command: 'merkleblock',
  minPeerVersion: PROTOCOL_LEVEL.BIP37,
  decode(r) {
    const header = BlockHeader.decode(r);
    const txCount = r.varint();
    const count = r.count(32, 'merkle hash');
    const hashes: Buffer[] = new Array(count);
    for (let i = 0; i < count; i++) hashes[i] = r.hash();
    const flags = r.varBytes('merkle flags');
    return { command: 'merkleblock', header, txCount, hashes, flags };
  },
  encode(w, m) {
    m.header.encode(w);
    w.varint(checkCount(m.txCount, 'merkle tx count')).varint(checkCount(m.hashes.length, 'merkle hash count'));
    for (const h of m.hashes) writeHash(w, h, 'merkle hash');
    w.varBytes(m.flags);
  },
};

export const filterLoadCodec: MessageCodec<FilterLoadMessage> = {
  command: 'filterload',
  minPeerVersion: PROTOCOL_LEVEL.BIP37,
  decode(r) {
    const filter = r.varBytes('bloom filter');
    return { command: 'filterload', filter, hashFunctions: r.u32le(), tweak: r.u32le(), flags: r.u8() };
  },
  encode(w, m) {
    w.varBytes(m.filter)
      .u32le(checkU32(m.hashFunctions, 'hash functions'))
      .u32le(checkU32(m.tweak, 'tweak'))
      .u8(checkU8(m.flags, 'filter flags'));
  },
};

export const filterAddCodec: MessageCodec<FilterAddMessage> = {
  command: 'filteradd',
  minPeerVersion: PROTOCOL_LEVEL.BIP37,
  decode: (r) => ({ command: 'filteradd', data: r.varBytes('filter data') }),
  encode: (w, m) => void w.varBytes(m.data),
};
