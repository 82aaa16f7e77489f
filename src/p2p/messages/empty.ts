import { PROTOCOL_LEVEL, type MessageCodec } from './protocol.js';

/**
 * Messages whose payload is empty (mvs-wire §3.2). Any payload byte is left
 * unread and so fails as TRAILING_BYTES in the registry, as in the reference.
 */
export interface VerackMessage {
  command: 'verack';
}
export interface GetAddrMessage {
  command: 'getaddr';
}
export interface MempoolMessage {
  command: 'mempool';
}
export interface SendHeadersMessage {
  command: 'sendheaders';
}
export interface FilterClearMessage {
  command: 'filterclear';
}

function emptyCodec<C extends string>(command: C, minPeerVersion: number): MessageCodec<{ command: C }> {
  return {
    command,
    minPeerVersion,
    decode: () => ({ command }),
    encode: () => {},
  };
}

export const verackCodec: MessageCodec<VerackMessage> = emptyCodec('verack', 0);
export const getAddrCodec: MessageCodec<GetAddrMessage> = emptyCodec('getaddr', 0);
/** memory_pool.cpp: BIP35. */
export const mempoolCodec: MessageCodec<MempoolMessage> = emptyCodec('mempool', PROTOCOL_LEVEL.BIP35);
/** send_headers.cpp: BIP130. */
export const sendHeadersCodec: MessageCodec<SendHeadersMessage> = emptyCodec('sendheaders', PROTOCOL_LEVEL.BIP130);
/** filter_clear.cpp: BIP37. */
export const filterClearCodec: MessageCodec<FilterClearMessage> = emptyCodec('filterclear', PROTOCOL_LEVEL.BIP37);
