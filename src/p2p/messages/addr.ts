import { checkCount, type MessageCodec } from './protocol.js';
import { decodeTimedNetAddress, encodeTimedNetAddress, TIMED_NETADDR_SIZE, type TimedNetAddress } from '../netaddr.js';

/**
 * `addr` (mvs-wire §3.4, address.cpp): varint count + 30-byte entries. No
 * count limit but the payload cap. MVS's getaddr answers carry all-zero
 * padding entries; filter them with `isValidAddress` (netaddr.ts).
 */
export interface AddrMessage {
  command: 'addr';
  addresses: TimedNetAddress[];
}

export const addrCodec: MessageCodec<AddrMessage> = {
  command: 'addr',
  minPeerVersion: 0,
  decode(r) {
    const count = r.count(TIMED_NETADDR_SIZE, 'address');
    const addresses: TimedNetAddress[] = new Array(count);
    for (let i = 0; i < count; i++) addresses[i] = decodeTimedNetAddress(r);
    return { command: 'addr', addresses };
  },
  encode(w, m) {
    w.varint(checkCount(m.addresses.length, 'address count'));
    for (const a of m.addresses) encodeTimedNetAddress(w, a);
  },
};
