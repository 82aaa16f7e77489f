/**
 * SHA-256 of one-block inputs, in JavaScript, allocating nothing but the
 * result (docs/crypto.md §0). A call into OpenSSL (`crypto.hash`) costs
 * ~1.3 µs however short the input — argument checks, the algorithm lookup
 * and a fresh output buffer — while one compression here costs ~0.5 µs. So
 * the hashes that fit one block go through this kernel: inputs of ≤ 55 bytes
 * (the public key inside HASH160), the second round of every double SHA-256
 * (txids, sighashes, block hashes), and merkle nodes (64 bytes: one data
 * block and a constant padding block). Longer inputs stay with OpenSSL,
 * whose SHA-NI path is even from two blocks on and wins from three.
 *
 * The result is checked against node:crypto on every length 0–55 and on
 * random inputs (test/unit/crypto/sha256-short.test.ts).
 */

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

/** Message schedule of the block being compressed (words 0–15 are the block). */
const W = new Int32Array(64);
/** The chaining state. */
const H = new Int32Array(8);
/** The schedule of the padding block that follows a 64-byte message: it never changes. */
const PAD64 = new Int32Array(64);

function expand(w: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15];
    const b = w[i - 2];
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
}

/** One compression of the expanded schedule `w` into H. */
function rounds(w: Int32Array): void {
  let a = H[0];
  let b = H[1];
  let c = H[2];
  let d = H[3];
  let e = H[4];
  let f = H[5];
  let g = H[6];
  let h = H[7];
  let t1 = 0;
  // Eight rounds per pass; the roles a–h rotate through the variables instead of the values moving.
  for (let i = 0; i < 64; i += 8) {
    t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + K[i + 0] + w[i + 0]) | 0;
    d = (d + t1) | 0;
    h = (t1 + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    t1 = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + ((d & e) ^ (~d & f)) + K[i + 1] + w[i + 1]) | 0;
    c = (c + t1) | 0;
    g = (t1 + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) ^ (h & b) ^ (a & b))) | 0;
    t1 = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + ((c & d) ^ (~c & e)) + K[i + 2] + w[i + 2]) | 0;
    b = (b + t1) | 0;
    f = (t1 + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) ^ (g & a) ^ (h & a))) | 0;
    t1 = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + ((b & c) ^ (~b & d)) + K[i + 3] + w[i + 3]) | 0;
    a = (a + t1) | 0;
    e = (t1 + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) ^ (f & h) ^ (g & h))) | 0;
    t1 = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + ((a & b) ^ (~a & c)) + K[i + 4] + w[i + 4]) | 0;
    h = (h + t1) | 0;
    d = (t1 + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) ^ (e & g) ^ (f & g))) | 0;
    t1 = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + ((h & a) ^ (~h & b)) + K[i + 5] + w[i + 5]) | 0;
    g = (g + t1) | 0;
    c = (t1 + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) ^ (d & f) ^ (e & f))) | 0;
    t1 = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + ((g & h) ^ (~g & a)) + K[i + 6] + w[i + 6]) | 0;
    f = (f + t1) | 0;
    b = (t1 + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) ^ (c & e) ^ (d & e))) | 0;
    t1 = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + ((f & g) ^ (~f & h)) + K[i + 7] + w[i + 7]) | 0;
    e = (e + t1) | 0;
    a = (t1 + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) ^ (b & d) ^ (c & d))) | 0;
  }
  H[0] = (H[0] + a) | 0;
  H[1] = (H[1] + b) | 0;
  H[2] = (H[2] + c) | 0;
  H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0;
  H[5] = (H[5] + f) | 0;
  H[6] = (H[6] + g) | 0;
  H[7] = (H[7] + h) | 0;
}

PAD64[0] = 0x80000000 | 0;
PAD64[15] = 512;
expand(PAD64);

/** Big-endian word `i` of `data`, zero past its end. */
function word(data: Uint8Array, at: number): number {
  const n = data.length;
  if (at + 4 <= n) return (data[at] << 24) | (data[at + 1] << 16) | (data[at + 2] << 8) | data[at + 3];
  let v = 0;
  for (let k = 0; k < 4; k++) v = (v << 8) | (at + k < n ? data[at + k] : 0);
  return v;
}

/** Longest input of one block: the data, the 0x80 marker and the 8-byte bit length fit 64 bytes. */
export const MAX_SHORT = 55;

/** H ← SHA-256 state after hashing `data` (at most MAX_SHORT bytes) with its padding, in one block. */
function hashInto(data: Uint8Array): void {
  const n = data.length;
  if (n > MAX_SHORT) throw new RangeError(`sha256-short: ${n} bytes do not fit one block`);
  for (let i = 0; i < 16; i++) W[i] = word(data, i * 4);
  W[n >> 2] |= 0x80 << (24 - 8 * (n & 3));
  W[15] = n * 8; // W[14], the high half of the bit length, is 0 here
  expand(W);
  H.set(IV);
  rounds(W);
}

/** H ← SHA-256 of the 32-byte digest in W[0..7] (a second round: its padding is fixed). */
function hashDigestInW(): void {
  W[8] = 0x80000000 | 0;
  W[9] = W[10] = W[11] = W[12] = W[13] = W[14] = 0;
  W[15] = 256;
  expand(W);
  H.set(IV);
  rounds(W);
}

/** H ← SHA-256 of the 32-byte digest currently in H. */
function rehash(): void {
  for (let i = 0; i < 8; i++) W[i] = H[i];
  hashDigestInW();
}

/** H as 32 big-endian bytes, in a new buffer (from Node's pool: no allocation of its own). */
function digest(): Buffer {
  const out = Buffer.allocUnsafe(32);
  for (let i = 0; i < 8; i++) {
    const v = H[i];
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = v >>> 16;
    out[i * 4 + 2] = v >>> 8;
    out[i * 4 + 3] = v;
  }
  return out;
}

/** SHA-256 of `data` (at most MAX_SHORT bytes). */
export function sha256Short(data: Uint8Array): Buffer {
  hashInto(data);
  return digest();
}

/** SHA-256(SHA-256(data)) of `data` (at most MAX_SHORT bytes). */
export function sha256dShort(data: Uint8Array): Buffer {
  hashInto(data);
  rehash();
  return digest();
}

/** SHA-256 of a 32-byte digest: the second round of a double SHA-256. */
export function sha256Of32(first: Uint8Array): Buffer {
  for (let i = 0; i < 8; i++) W[i] = word(first, i * 4);
  hashDigestInW();
  return digest();
}

/** SHA-256(SHA-256(left ‖ right)) of two 32-byte hashes: a merkle node. */
export function sha256dPair(left: Uint8Array, right: Uint8Array): Buffer {
  H.set(IV);
  for (let i = 0; i < 8; i++) {
    W[i] = word(left, i * 4);
    W[i + 8] = word(right, i * 4);
  }
  expand(W);
  rounds(W);
  rounds(PAD64);
  rehash();
  return digest();
}
