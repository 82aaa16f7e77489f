import { CodecError } from '../../primitives/errors.js';
import { BlockHeader } from '../../primitives/header.js';
import { Transaction } from '../../primitives/transaction.js';
import { checkCount, checkU64, decodeStrict, PROTOCOL_LEVEL, writeHash, type MessageCodec } from './protocol.js';

/**
 * BIP152 compact-block messages (send_compact_blocks.cpp, compact_block.cpp,
 * prefilled_transaction.cpp, get_block_transactions.cpp,
 * block_transactions.cpp). The reference parses them only from peers that
 * announced ≥ 70014 and then ignores them; we parse them for the same
 * disconnect decisions and never send them. Headers inside are the 148-byte
 * MVS header without a tx count; transactions are MVS transactions.
 */
export interface SendCmpctMessage {
  command: 'sendcmpct';
  highBandwidth: boolean;
  version: bigint;
}

export interface PrefilledTransaction {
  /** Differentially encoded index, as on the wire. */
  index: number;
  tx: Transaction;
}

export interface CmpctBlockMessage {
  command: 'cmpctblock';
  header: BlockHeader;
  nonce: bigint;
  /** 6-byte short ids. */
  shortIds: Buffer[];
  prefilled: PrefilledTransaction[];
}

export interface GetBlockTxnMessage {
  command: 'getblocktxn';
  blockHash: Buffer;
  /** Differentially encoded indexes, as on the wire. */
  indexes: number[];
}

export interface BlockTxnMessage {
  command: 'blocktxn';
  blockHash: Buffer;
  txs: Transaction[];
}

const SHORT_ID_SIZE = 6;
/** Smallest transaction encoding (version, two empty counts, locktime); bounds counts before allocation. */
const MIN_TX_SIZE = 4 + 1 + 1 + 4;

export const sendCmpctCodec: MessageCodec<SendCmpctMessage> = {
  command: 'sendcmpct',
  minPeerVersion: PROTOCOL_LEVEL.BIP152,
  decode(r) {
    const mode = r.u8();
    // send_compact_blocks.cpp fails the parse for a mode byte other than 0/1.
    if (mode > 1) throw new CodecError('BAD_VALUE', `sendcmpct mode ${mode} is not 0 or 1`);
    return { command: 'sendcmpct', highBandwidth: mode === 1, version: r.u64le() };
  },
  encode: (w, m) => void w.u8(m.highBandwidth ? 1 : 0).u64le(checkU64(m.version, 'sendcmpct version')),
};

export const cmpctBlockCodec: MessageCodec<CmpctBlockMessage> = {
  command: 'cmpctblock',
  minPeerVersion: PROTOCOL_LEVEL.BIP152,
  decode(r) {
    const header = BlockHeader.decode(r);
    const nonce = r.u64le();
    const idCount = r.count(SHORT_ID_SIZE, 'short id');
    const shortIds: Buffer[] = new Array(idCount);
    for (let i = 0; i < idCount; i++) shortIds[i] = r.copy(SHORT_ID_SIZE);
    const txCount = r.count(1 + MIN_TX_SIZE, 'prefilled transaction');
    const prefilled: PrefilledTransaction[] = new Array(txCount);
    for (let i = 0; i < txCount; i++) prefilled[i] = { index: r.varint(), tx: decodeStrict(r, (s) => Transaction.decode(s)) };
    return { command: 'cmpctblock', header, nonce, shortIds, prefilled };
  },
  encode(w, m) {
    m.header.encode(w);
    w.u64le(checkU64(m.nonce, 'cmpctblock nonce')).varint(checkCount(m.shortIds.length, 'short id count'));
    for (const id of m.shortIds) {
      if (id.length !== SHORT_ID_SIZE) throw new CodecError('BAD_VALUE', `short id must be ${SHORT_ID_SIZE} bytes`);
      w.bytes(id);
    }
    w.varint(checkCount(m.prefilled.length, 'prefilled count'));
    for (const p of m.prefilled) {
      w.varint(checkCount(p.index, 'prefilled index'));
      p.tx.encode(w);
    }
  },
};

export const getBlockTxnCodec: MessageCodec<GetBlockTxnMessage> = {
  command: 'getblocktxn',
  minPeerVersion: PROTOCOL_LEVEL.BIP152,
  decode(r) {
    const blockHash = r.hash();
    const count = r.count(1, 'transaction index');
    const indexes: number[] = new Array(count);
    for (let i = 0; i < count; i++) indexes[i] = r.varint();
    return { command: 'getblocktxn', blockHash, indexes };
  },
  encode(w, m) {
    writeHash(w, m.blockHash, 'block hash');
    w.varint(checkCount(m.indexes.length, 'index count'));
    for (const i of m.indexes) w.varint(checkCount(i, 'transaction index'));
  },
};

export const blockTxnCodec: MessageCodec<BlockTxnMessage> = {
  command: 'blocktxn',
  minPeerVersion: PROTOCOL_LEVEL.BIP152,
  decode(r) {
    const blockHash = r.hash();
    const count = r.count(MIN_TX_SIZE, 'transaction');
    const txs: Transaction[] = new Array(count);
    for (let i = 0; i < count; i++) txs[i] = decodeStrict(r, (s) => Transaction.decode(s));
    return { command: 'blocktxn', blockHash, txs };
  },
  encode(w, m) {
    writeHash(w, m.blockHash, 'block hash');
    w.varint(checkCount(m.txs.length, 'transaction count'));
    for (const tx of m.txs) tx.encode(w);
  },
};
