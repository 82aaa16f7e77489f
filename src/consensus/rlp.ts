/**
 * The two RLP forms the reference's libdevcore RLPStream produces for MVS
 * header hashing (the Ethash seal hash and the PoS kernel hash).
 */

/** RLP of an unsigned integer: 0 → 80, 1..127 → itself, else 80+len ‖ minimal big-endian bytes. */
export function pushRlpInteger(out: number[], value: bigint): void {
  if (value < 0n) throw new RangeError('RLP integers are unsigned');
  if (value === 0n) {
    out.push(0x80);
    return;
  }
  if (value < 0x80n) {
    out.push(Number(value));
    return;
  }
  const bytes: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  out.push(0x80 + bytes.length, ...bytes);
}

/**
 * A 32-byte hash as RLPStream writes a `std::array<uint8_t,32>`: a *list* of
 * 32 one-byte integers, each RLP-encoded as an integer (00 → 80, 01..7f →
 * itself, 80..ff → 81 xx). A quirk of libdevcore's RLP.h overloads, but
 * consensus (mvs-consensus §1.2 and §4.7.2 [Q]).
 */
export function pushRlpByteList(out: number[], hash: Uint8Array): void {
  if (!(hash instanceof Uint8Array) || hash.length !== 32) throw new RangeError('RLP byte lists here are 32-byte hashes');
  const body: number[] = [];
  for (const byte of hash) {
    if (byte === 0) body.push(0x80);
    else if (byte < 0x80) body.push(byte);
    else body.push(0x81, byte);
  }
  if (body.length < 56) out.push(0xc0 + body.length);
  else out.push(0xf8, body.length);
  out.push(...body);
}
