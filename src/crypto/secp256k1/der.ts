/**
 * ECDSA signature encodings as the reference handles them.
 *
 * Script signatures are DER plus a trailing sighash-type byte (an
 * "endorsement"). The reference enforces BIP66 strict DER on every input
 * (SCRIPT_VERIFY_DERSIG, mvs-wire §4.6), then parses with libsecp256k1's lax
 * parser before verifying (src/lib/consensus/clone/pubkey.cpp, CPubKey::Verify,
 * as in Bitcoin Core 0.12). Both are reproduced here.
 */

import { isScalarOverflow } from './scalar.js';

/**
 * BIP66 IsValidSignatureEncoding over DER ‖ hashtype
 * (src/lib/consensus/clone/script/interpreter.cpp). An empty signature is not
 * strict DER; the interpreter lets it through separately as "always invalid".
 */
export function isStrictDerSignature(sig: Uint8Array): boolean {
  if (!(sig instanceof Uint8Array)) return false;
  const size = sig.length;
  // 0x30 len 0x02 lenR R 0x02 lenS S hashtype: at least 1-byte R and S, at most 33 each.
  if (size < 9 || size > 73) return false;
  if (sig[0] !== 0x30) return false;
  // The sequence length covers everything but itself, the tag and the hashtype byte.
  if (sig[1] !== size - 3) return false;
  const lenR = sig[3];
  if (5 + lenR >= size) return false;
  const lenS = sig[5 + lenR];
  if (lenR + lenS + 7 !== size) return false;

  if (sig[2] !== 0x02) return false;
  if (lenR === 0) return false;
  if (sig[4] & 0x80) return false; // negative R
  if (lenR > 1 && sig[4] === 0x00 && !(sig[5] & 0x80)) return false; // padded R

  if (sig[lenR + 4] !== 0x02) return false;
  if (lenS === 0) return false;
  if (sig[lenR + 6] & 0x80) return false; // negative S
  if (lenS > 1 && sig[lenR + 6] === 0x00 && !(sig[lenR + 7] & 0x80)) return false; // padded S
  return true;
}

/** DER body and sighash type of an endorsement, or null when it is empty. */
export function splitEndorsement(endorsement: Uint8Array): { der: Buffer; hashType: number } | null {
  if (endorsement.length === 0) return null;
  const bytes = Buffer.from(endorsement.buffer, endorsement.byteOffset, endorsement.byteLength);
  return { der: bytes.subarray(0, bytes.length - 1), hashType: bytes[bytes.length - 1] };
}

/** Reads a DER length whose first byte is at `pos`; lax as in libsecp256k1's contrib parser. */
function readLaxLength(input: Uint8Array, pos: number): { length: number; next: number } | null {
  const n = input.length;
  if (pos === n) return null;
  let lenByte = input[pos++];
  if ((lenByte & 0x80) === 0) return { length: lenByte, next: pos };
  lenByte -= 0x80;
  if (pos + lenByte > n) return null;
  // Leading zero bytes of a long-form length are ignored.
  while (lenByte > 0 && input[pos] === 0) {
    pos++;
    lenByte--;
  }
  // The C code refuses lengths that do not fit a size_t (8 bytes on 64-bit hosts).
  if (lenByte >= 8) return null;
  let length = 0;
  while (lenByte > 0) {
    length = length * 256 + input[pos];
    pos++;
    lenByte--;
  }
  return { length, next: pos };
}

/**
 * libsecp256k1's ecdsa_signature_parse_der_lax (contrib/lax_der_parsing.c) as
 * Bitcoin Core 0.12 / the reference's CPubKey::Verify use it, over DER without
 * the hashtype byte. Accepts negative or zero-padded integers, long-form and
 * overlong lengths, a wrong sequence length and trailing garbage.
 *
 * Returns the compact r‖s (64 bytes, big-endian) or null where the C function
 * returns 0. Where the C function returns 1 with its "parsed but invalid"
 * all-zero signature (an integer longer than 32 significant bytes, or r or s
 * ≥ n), this returns 64 zero bytes, which no verify accepts.
 */
export function parseDerLax(der: Uint8Array): Buffer | null {
  if (!(der instanceof Uint8Array)) return null;
  const n = der.length;
  let pos = 0;

  if (pos === n || der[pos] !== 0x30) return null;
  pos++;

  // Sequence length: a long form is skipped, its value is never checked.
  if (pos === n) return null;
  let seqLen = der[pos++];
  if (seqLen & 0x80) {
    seqLen -= 0x80;
    if (pos + seqLen > n) return null;
    pos += seqLen;
  }

  if (pos === n || der[pos] !== 0x02) return null;
  pos++;
  const rLength = readLaxLength(der, pos);
  if (!rLength || rLength.length > n - rLength.next) return null;
  let rPos = rLength.next;
  let rLen = rLength.length;
  pos = rPos + rLen;

  if (pos === n || der[pos] !== 0x02) return null;
  pos++;
  const sLength = readLaxLength(der, pos);
  if (!sLength || sLength.length > n - sLength.next) return null;
  let sPos = sLength.next;
  let sLen = sLength.length;

  // From Node's buffer pool, zeroed here (Buffer.alloc would make an ArrayBuffer of its own); the
  // integers are copied byte by byte (cheaper than two subarrays for at most 32 bytes each).
  const compact = Buffer.allocUnsafe(64).fill(0);
  let overflow = false;
  while (rLen > 0 && der[rPos] === 0) {
    rLen--;
    rPos++;
  }
  if (rLen > 32) overflow = true;
  else for (let i = 0; i < rLen; i++) compact[32 - rLen + i] = der[rPos + i];

  while (sLen > 0 && der[sPos] === 0) {
    sLen--;
    sPos++;
  }
  if (sLen > 32) overflow = true;
  else for (let i = 0; i < sLen; i++) compact[64 - sLen + i] = der[sPos + i];

  // secp256k1_ecdsa_signature_parse_compact refuses r or s ≥ n.
  if (!overflow && (isScalarOverflow(compact, 0) || isScalarOverflow(compact, 32))) {
    overflow = true;
  }
  return overflow ? Buffer.alloc(64) : compact;
}

function derInteger(value: Uint8Array): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  const body = value.subarray(start);
  // A set high bit would read as negative: prefix one zero byte.
  return body[0] & 0x80 ? Buffer.concat([Buffer.from([0x02, body.length + 1, 0x00]), body]) : Buffer.concat([Buffer.from([0x02, body.length]), body]);
}

/**
 * Strict (BIP66) DER of a compact r‖s signature, as
 * secp256k1_ecdsa_signature_serialize_der writes it; append the hashtype byte
 * to get an endorsement.
 */
export function compactToDer(sig64: Uint8Array): Buffer {
  if (!(sig64 instanceof Uint8Array) || sig64.length !== 64) throw new RangeError('compact signature must be 64 bytes');
  const r = derInteger(sig64.subarray(0, 32));
  const s = derInteger(sig64.subarray(32, 64));
  return Buffer.concat([Buffer.from([0x30, r.length + s.length]), r, s]);
}
