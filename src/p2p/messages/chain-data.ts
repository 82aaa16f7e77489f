import { decodeStrict, type MessageCodec } from './protocol.js';
import { Block } from '../../primitives/block.js';
import { Transaction } from '../../primitives/transaction.js';

/**
 * `block` and `tx` (mvs-wire §3.8): the chain serializations, decoded with the
 * strict chain codecs (minimal varints, no NUL strings) because their hashes
 * are computed over the received bytes.
 */
export interface BlockMessage {
  command: 'block';
  block: Block;
}

export interface TxMessage {
  command: 'tx';
  tx: Transaction;
}

export const blockCodec: MessageCodec<BlockMessage> = {
  command: 'block',
  minPeerVersion: 0,
  decode: (r) => ({ command: 'block', block: decodeStrict(r, (s) => Block.decode(s)) }),
  encode: (w, m) => m.block.encode(w),
};

export const txCodec: MessageCodec<TxMessage> = {
  command: 'tx',
  minPeerVersion: 0,
  decode: (r) => ({ command: 'tx', tx: decodeStrict(r, (s) => Transaction.decode(s)) }),
  encode: (w, m) => m.tx.encode(w),
};
