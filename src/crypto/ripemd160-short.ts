/**
 * RIPEMD-160 of inputs that fit one block (≤ 55 bytes), in JavaScript and
 * without allocating beyond its 20-byte result — the second half of HASH160,
 * whose input is always a 32-byte SHA-256 digest. For the same reason as
 * sha256-short.ts: a call into OpenSSL costs ~1.3 µs however short the input,
 * more than the compression itself. Checked against OpenSSL and @noble/hashes
 * on every length 0–55 (test/unit/crypto/sha256-short.test.ts).
 */

/** Message word read by each left-line step, then each right-line step. */
const R_LEFT = Uint8Array.from([
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8, 3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12, 1,
  9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2, 4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13,
]);
const R_RIGHT = Uint8Array.from([
  5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12, 6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2, 15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13, 8,
  6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14, 12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11,
]);
/** Rotation of each step. */
const S_LEFT = Uint8Array.from([
  11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8, 7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12, 11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7,
  5, 11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12, 9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6,
]);
const S_RIGHT = Uint8Array.from([
  8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6, 9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11, 9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7,
  5, 15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8, 8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11,
]);
/** The padded block, as 16 little-endian words. */
const X = new Int32Array(16);

/** Largest input handled (one block with its padding). */
export const MAX_RIPEMD_SHORT = 55;

/** RIPEMD-160 of `data` (at most 55 bytes). */
export function ripemd160Short(data: Uint8Array): Buffer {
  const n = data.length;
  if (n > MAX_RIPEMD_SHORT) throw new RangeError(`ripemd160-short: ${n} bytes do not fit one block`);
  X.fill(0);
  for (let i = 0; i < n; i++) X[i >> 2] |= data[i] << (8 * (i & 3));
  X[n >> 2] |= 0x80 << (8 * (n & 3));
  X[14] = n * 8;

  const h0 = 0x67452301;
  const h1 = 0xefcdab89 | 0;
  const h2 = 0x98badcfe | 0;
  const h3 = 0x10325476;
  const h4 = 0xc3d2e1f0 | 0;
  let al = h0;
  let bl = h1;
  let cl = h2;
  let dl = h3;
  let el = h4;
  let ar = h0;
  let br = h1;
  let cr = h2;
  let dr = h3;
  let er = h4;
  // One loop per group of 16 steps, so each has its round functions inline (right line: groups reversed).
  for (let j = 0; j < 16; j++) {
    let t = (al + (bl ^ cl ^ dl) + X[R_LEFT[j]] + 0x00000000) | 0;
    let s = S_LEFT[j];
    t = (((t << s) | (t >>> (32 - s))) + el) | 0;
    al = el;
    el = dl;
    dl = (cl << 10) | (cl >>> 22);
    cl = bl;
    bl = t;
    t = (ar + (br ^ (cr | ~dr)) + X[R_RIGHT[j]] + 0x50a28be6) | 0;
    s = S_RIGHT[j];
    t = (((t << s) | (t >>> (32 - s))) + er) | 0;
    ar = er;
    er = dr;
    dr = (cr << 10) | (cr >>> 22);
    cr = br;
    br = t;
  }
  for (let j = 16; j < 32; j++) {
    let t = (al + ((bl & cl) | (~bl & dl)) + X[R_LEFT[j]] + 0x5a827999) | 0;
    let s = S_LEFT[j];
    t = (((t << s) | (t >>> (32 - s))) + el) | 0;
    al = el;
    el = dl;
    dl = (cl << 10) | (cl >>> 22);
    cl = bl;
    bl = t;
    t = (ar + ((br & dr) | (cr & ~dr)) + X[R_RIGHT[j]] + 0x5c4dd124) | 0;
    s = S_RIGHT[j];
    t = (((t << s) | (t >>> (32 - s))) + er) | 0;
    ar = er;
    er = dr;
    dr = (cr << 10) | (cr >>> 22);
    cr = br;
    br = t;
  }
  for (let j = 32; j < 48; j++) {
    let t = (al + ((bl | ~cl) ^ dl) + X[R_LEFT[j]] + 0x6ed9eba1) | 0;
    let s = S_LEFT[j];
    t = (((t << s) | (t >>> (32 - s))) + el) | 0;
    al = el;
    el = dl;
    dl = (cl << 10) | (cl >>> 22);
    cl = bl;
    bl = t;
    t = (ar + ((br | ~cr) ^ dr) + X[R_RIGHT[j]] + 0x6d703ef3) | 0;
    s = S_RIGHT[j];
    t = (((t << s) | (t >>> (32 - s))) + er) | 0;
    ar = er;
    er = dr;
    dr = (cr << 10) | (cr >>> 22);
    cr = br;
    br = t;
  }
  for (let j = 48; j < 64; j++) {
    let t = (al + ((bl & dl) | (cl & ~dl)) + X[R_LEFT[j]] + 0x8f1bbcdc) | 0;
    let s = S_LEFT[j];
    t = (((t << s) | (t >>> (32 - s))) + el) | 0;
    al = el;
    el = dl;
    dl = (cl << 10) | (cl >>> 22);
    cl = bl;
    bl = t;
    t = (ar + ((br & cr) | (~br & dr)) + X[R_RIGHT[j]] + 0x7a6d76e9) | 0;
    s = S_RIGHT[j];
    t = (((t << s) | (t >>> (32 - s))) + er) | 0;
    ar = er;
    er = dr;
    dr = (cr << 10) | (cr >>> 22);
    cr = br;
    br = t;
  }
  for (let j = 64; j < 80; j++) {
    let t = (al + (bl ^ (cl | ~dl)) + X[R_LEFT[j]] + 0xa953fd4e) | 0;
    let s = S_LEFT[j];
    t = (((t << s) | (t >>> (32 - s))) + el) | 0;
    al = el;
    el = dl;
    dl = (cl << 10) | (cl >>> 22);
    cl = bl;
    bl = t;
    t = (ar + (br ^ cr ^ dr) + X[R_RIGHT[j]] + 0x00000000) | 0;
    s = S_RIGHT[j];
    t = (((t << s) | (t >>> (32 - s))) + er) | 0;
    ar = er;
    er = dr;
    dr = (cr << 10) | (cr >>> 22);
    cr = br;
    br = t;
  }
  const out = Buffer.allocUnsafe(20);
  out.writeInt32LE((h1 + cl + dr) | 0, 0);
  out.writeInt32LE((h2 + dl + er) | 0, 4);
  out.writeInt32LE((h3 + el + ar) | 0, 8);
  out.writeInt32LE((h4 + al + br) | 0, 12);
  out.writeInt32LE((h0 + bl + cr) | 0, 16);
  return out;
}
