import { BufferWriter } from '../../primitives/writer.js';
import { CodecError } from '../../primitives/errors.js';
import { envelopeReader, type MessageCodec } from './protocol.js';
import { addrCodec, type AddrMessage } from './addr.js';
import { blockCodec, txCodec, type BlockMessage, type TxMessage } from './chain-data.js';
import {
  filterAddCodec,
  filterLoadCodec,
  merkleBlockCodec,
  type FilterAddMessage,
  type FilterLoadMessage,
  type MerkleBlockMessage,
} from './bloom.js';
import {
  blockTxnCodec,
  cmpctBlockCodec,
  getBlockTxnCodec,
  sendCmpctCodec,
  type BlockTxnMessage,
  type CmpctBlockMessage,
  type GetBlockTxnMessage,
  type SendCmpctMessage,
} from './compact.js';
import {
  filterClearCodec,
  getAddrCodec,
  mempoolCodec,
  sendHeadersCodec,
  verackCodec,
  type FilterClearMessage,
  type GetAddrMessage,
  type MempoolMessage,
  type SendHeadersMessage,
  type VerackMessage,
} from './empty.js';
import { headersCodec, type HeadersMessage } from './headers.js';
import {
  getDataCodec,
  invCodec,
  notFoundCodec,
  type GetDataMessage,
  type InvMessage,
  type NotFoundMessage,
} from './inventory.js';
import { getBlocksCodec, getHeadersCodec, type GetBlocksMessage, type GetHeadersMessage } from './locator.js';
import { pingCodec, pongCodec, type PingMessage, type PongMessage } from './ping.js';
import { rejectCodec, type RejectMessage } from './reject.js';
import { versionCodec, type VersionMessage } from './version.js';

export * from './protocol.js';
export * from './addr.js';
export * from './bloom.js';
export * from './chain-data.js';
export * from './compact.js';
export * from './empty.js';
export * from './headers.js';
export * from './inventory.js';
export * from './locator.js';
export * from './ping.js';
export * from './reject.js';
export * from './version.js';

/** Every message the reference routes (mvs-wire §2.5), as a discriminated union on `command`. */
export type P2PMessage =
  | AddrMessage
  | BlockTxnMessage
  | BlockMessage
  | CmpctBlockMessage
  | FilterAddMessage
  | FilterClearMessage
  | FilterLoadMessage
  | GetAddrMessage
  | GetBlockTxnMessage
  | GetBlocksMessage
  | GetDataMessage
  | GetHeadersMessage
  | HeadersMessage
  | InvMessage
  | MempoolMessage
  | MerkleBlockMessage
  | NotFoundMessage
  | PingMessage
  | PongMessage
  | RejectMessage
  | SendCmpctMessage
  | SendHeadersMessage
  | TxMessage
  | VerackMessage
  | VersionMessage;

export type P2PCommand = P2PMessage['command'];

export type MessageOf<C extends P2PCommand> = Extract<P2PMessage, { command: C }>;

type Registry = { readonly [C in P2PCommand]: MessageCodec<MessageOf<C>> };

/**
 * Exactly the commands `heading::type()` recognises (heading.cpp), in its
 * order. Anything else — `alert`, `feefilter`, `sendaddrv2`, `wtxidrelay`, … —
 * is `message_type::unknown`, and the reference disconnects.
 */
const REGISTRY: Registry = {
  addr: addrCodec,
  blocktxn: blockTxnCodec,
  block: blockCodec,
  cmpctblock: cmpctBlockCodec,
  filteradd: filterAddCodec,
  filterclear: filterClearCodec,
  filterload: filterLoadCodec,
  getaddr: getAddrCodec,
  getblocktxn: getBlockTxnCodec,
  getblocks: getBlocksCodec,
  getdata: getDataCodec,
  getheaders: getHeadersCodec,
  headers: headersCodec,
  inv: invCodec,
  mempool: mempoolCodec,
  merkleblock: merkleBlockCodec,
  notfound: notFoundCodec,
  ping: pingCodec,
  pong: pongCodec,
  reject: rejectCodec,
  sendcmpct: sendCmpctCodec,
  sendheaders: sendHeadersCodec,
  tx: txCodec,
  verack: verackCodec,
  version: versionCodec,
};

export const ROUTABLE_COMMANDS: readonly P2PCommand[] = Object.freeze(Object.keys(REGISTRY) as P2PCommand[]);

export function isRoutableCommand(command: string): command is P2PCommand {
  return Object.prototype.hasOwnProperty.call(REGISTRY, command);
}

function codecFor(command: string): MessageCodec<P2PMessage> {
  if (!isRoutableCommand(command)) {
    throw new CodecError('BAD_COMMAND', `command ${JSON.stringify(command)} is not routable by the reference`);
  }
  return REGISTRY[command] as unknown as MessageCodec<P2PMessage>;
}

/**
 * The codec of a routable command (BAD_COMMAND otherwise), for callers that
 * drive a codec with their own reader — e.g. tests recording field offsets.
 */
export function messageCodec<C extends P2PCommand>(command: C): MessageCodec<MessageOf<C>> {
  return codecFor(command) as unknown as MessageCodec<MessageOf<C>>;
}

/** The lowest announced peer version whose `command` payload the reference parses (0 = no gate). */
export function minimumPeerVersion(command: P2PCommand): number {
  return codecFor(command).minPeerVersion;
}

/**
 * Decode one payload as the reference does for a peer that announced
 * `peerVersion` (use OUR_PROTOCOL_VERSION, 70012, before the peer's
 * `version` has been parsed — the reference starts from its own version).
 * Every failure is a CodecError, and each one means disconnect (mvs-wire §2.2):
 * BAD_COMMAND for an unroutable command or a peer below the command's minimum
 * version; TRUNCATED / OVERSIZE / BAD_VALUE / … for a malformed payload;
 * TRAILING_BYTES for bytes left over (including any byte of an empty-payload
 * message).
 */
export function decodePayload(command: string, payload: Uint8Array, peerVersion: number): P2PMessage {
  const codec = codecFor(command);
  if (peerVersion < codec.minPeerVersion) {
    throw new CodecError('BAD_COMMAND', `${command} needs peer version ≥ ${codec.minPeerVersion}, peer announced ${peerVersion}`);
  }
  const r = envelopeReader(payload);
  const message = codec.decode(r, peerVersion);
  r.assertEnd(`${command} payload`);
  return message;
}

/** Serialize a message's payload at our protocol version (70012), as the reference does for every send. */
export function encodeMessage(message: P2PMessage): Buffer {
  const codec = codecFor(message.command);
  const w = new BufferWriter(256);
  codec.encode(w, message);
  return w.finish();
}
