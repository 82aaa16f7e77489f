import { checkU8, PROTOCOL_LEVEL, writeHash, type MessageCodec } from './protocol.js';

/** Reject codes the reference knows (reject.cpp); any other byte reads as "undefined". */
export const REJECT_CODE = {
  MALFORMED: 0x01,
  INVALID: 0x10,
  OBSOLETE: 0x11,
  DUPLICATE: 0x12,
  NONSTANDARD: 0x40,
  DUST: 0x41,
  INSUFFICIENT_FEE: 0x42,
  CHECKPOINT: 0x43,
} as const;

/**
 * `reject` (mvs-wire §3.9): varstr message, u8 code, varstr reason, and a
 * 32-byte hash only when the rejected message is `block` or `tx`. MVS never
 * sends it and ignores it on receipt.
 */
export interface RejectMessage {
  command: 'reject';
  /** The rejected command; truncated at NUL like the reference (which then decides on the hash by it). */
  message: string;
  /** Raw code byte. */
  code: number;
  reason: string;
  /** Internal byte order; present exactly when `message` is "block" or "tx". */
  hash: Buffer | null;
}

function carriesHash(message: string): boolean {
  return message === 'block' || message === 'tx';
}

export const rejectCodec: MessageCodec<RejectMessage> = {
  command: 'reject',
  minPeerVersion: PROTOCOL_LEVEL.BIP61,
  decode(r) {
    const message = r.varStringLenient('reject message');
    const code = r.u8();
    const reason = r.varStringLenient('reject reason');
    const hash = carriesHash(message) ? r.hash() : null;
    return { command: 'reject', message, code, reason, hash };
  },
  encode(w, m) {
    w.varString(m.message).u8(checkU8(m.code, 'reject code')).varString(m.reason);
    if (carriesHash(m.message)) writeHash(w, m.hash ?? Buffer.alloc(0), 'reject hash');
  },
};
