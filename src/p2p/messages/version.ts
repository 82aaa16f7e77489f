import { checkU32, checkU64, OUR_PROTOCOL_VERSION, PROTOCOL_LEVEL, type MessageCodec } from './protocol.js';
import { decodeNetAddress, encodeNetAddress, type NetAddress } from '../netaddr.js';

/** `version` (mvs-wire §3.1, version.cpp). */
export interface VersionMessage {
  command: 'version';
  /** The sender's protocol version ("value" in the reference). */
  version: number;
  services: bigint;
  /** Unix seconds; 8 bytes on the wire. */
  timestamp: bigint;
  /** The receiver as the sender sees it (metaversejs-p2p puts its own address here; nobody checks). */
  addrRecv: NetAddress;
  addrFrom: NetAddress;
  /** 0 on the reference's inbound channels; do not read 0 as "self" (mvs-wire §8.17). */
  nonce: bigint;
  /** Read leniently: truncated at the first NUL like the reference; never hashed. */
  userAgent: string;
  startHeight: number;
  /** Present on the wire only from 70001 (written) / 70002 (read); false when absent, as the reference resets it. */
  relay: boolean;
}

export const versionCodec: MessageCodec<VersionMessage> = {
  command: 'version',
  minPeerVersion: 0,
  decode(r, peerVersion) {
    const version = r.u32le();
    const services = r.u64le();
    const timestamp = r.u64le();
    const addrRecv = decodeNetAddress(r);
    const addrFrom = decodeNetAddress(r);
    const nonce = r.u64le();
    const userAgent = r.varStringLenient('user agent');
    const startHeight = r.u32le();
    // The reference reads relay only when min(parse version, value) ≥ 70002 and then
    // requires it; a 70001 peer's relay byte is therefore a trailing byte.
    const relay = Math.min(peerVersion, version) >= PROTOCOL_LEVEL.BIP61 ? r.u8() !== 0 : false;
    return { command: 'version', version, services, timestamp, addrRecv, addrFrom, nonce, userAgent, startHeight, relay };
  },
  encode(w, m) {
    w.u32le(checkU32(m.version, 'version'))
      .u64le(checkU64(m.services, 'services'))
      .u64le(checkU64(m.timestamp, 'timestamp'));
    encodeNetAddress(w, m.addrRecv);
    encodeNetAddress(w, m.addrFrom);
    w.u64le(checkU64(m.nonce, 'nonce')).varString(m.userAgent).u32le(checkU32(m.startHeight, 'start height'));
    // Written when min(our version, value) ≥ 70001 (version.cpp to_data).
    if (Math.min(OUR_PROTOCOL_VERSION, m.version) >= PROTOCOL_LEVEL.BIP37) w.u8(m.relay ? 1 : 0);
  },
};
