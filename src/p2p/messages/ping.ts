import { checkU64, PROTOCOL_LEVEL, type MessageCodec } from './protocol.js';

/** `ping` (mvs-wire §3.3, ping.cpp): the u64 nonce exists only for peers at ≥ 60001 (BIP31). */
export interface PingMessage {
  command: 'ping';
  /** 0n when the peer is below BIP31 and sent an empty ping. */
  nonce: bigint;
}

/** `pong` (pong.cpp): always an 8-byte nonce, whatever the peer version. */
export interface PongMessage {
  command: 'pong';
  nonce: bigint;
}

export const pingCodec: MessageCodec<PingMessage> = {
  command: 'ping',
  minPeerVersion: 0,
  decode: (r, peerVersion) => ({ command: 'ping', nonce: peerVersion >= PROTOCOL_LEVEL.BIP31 ? r.u64le() : 0n }),
  // Encoded at our version (≥ BIP31): the nonce is always written.
  encode: (w, m) => void w.u64le(checkU64(m.nonce, 'ping nonce')),
};

export const pongCodec: MessageCodec<PongMessage> = {
  command: 'pong',
  minPeerVersion: 0,
  decode: (r) => ({ command: 'pong', nonce: r.u64le() }),
  encode: (w, m) => void w.u64le(checkU64(m.nonce, 'pong nonce')),
};
