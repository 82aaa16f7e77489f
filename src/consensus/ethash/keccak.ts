import { keccakF1600 } from './keccak-js.js';
import { hasWebAssembly, instantiateWasmKeccak } from './keccak-wasm.js';
import { EthashError } from './errors.js';

/**
 * The Keccak kernel of the Ethash hot path: original Keccak (padding 0x01,
 * not FIPS SHA-3; spec ethash.md §1.3) on 32-bit little-endian words with no
 * allocation per call.
 *
 * Calling convention: write the input words into `io` (word k = bytes 4k..4k+3
 * little-endian), call one of the single-block functions, read the digest
 * from `io[0..15]` (Keccak-512) or `io[0..7]` (Keccak-256). Words of `io` past
 * the input need not be cleared. The functions are not re-entrant; each
 * worker thread has its own kernel.
 */
export interface KeccakKernel {
  readonly name: KeccakKernelName;
  /** 50 words: the 25 lanes, low word first. */
  readonly io: Int32Array;
  /** Keccak-f[1600] over all 50 words of `io` (used for multi-block absorb). */
  permute(): void;
  keccak512_32(): void;
  keccak512_40(): void;
  keccak512_64(): void;
  keccak256_32(): void;
  keccak256_96(): void;
}

export type KeccakKernelName = 'wasm' | 'js';

// Ethash reads hash outputs as little-endian words and our kernels map bytes to
// words natively, so a big-endian host would compute a different PoW (§1.3).
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new EthashError('UNSUPPORTED_PLATFORM', 'Ethash requires a little-endian host');
}

export function createWasmKernel(): KeccakKernel {
  const wasm = instantiateWasmKeccak();
  return {
    name: 'wasm',
    io: new Int32Array(wasm.memory.buffer, 0, 50),
    permute: wasm.permute,
    keccak512_32: wasm.keccak512_32,
    keccak512_40: wasm.keccak512_40,
    keccak512_64: wasm.keccak512_64,
    keccak256_32: wasm.keccak256_32,
    keccak256_96: wasm.keccak256_96,
  };
}

export function createJsKernel(): KeccakKernel {
  const io = new Int32Array(50);
  // Zero the rest of the state, then the two padding bits: 0x01 right after
  // the input, 0x80 at the top of the last rate byte.
  const single = (inputWords: number, rateWords: number) => () => {
    io.fill(0, inputWords);
    io[inputWords] = 1;
    io[rateWords - 1] ^= 0x80000000;
    keccakF1600(io);
  };
  return {
    name: 'js',
    io,
    permute: () => keccakF1600(io),
    keccak512_32: single(8, 18),
    keccak512_40: single(10, 18),
    keccak512_64: single(16, 18),
    keccak256_32: single(8, 34),
    keccak256_96: single(24, 34),
  };
}

function selectKernel(): KeccakKernel {
  const wanted = process.env.MVS_ETHASH_KECCAK;
  if (wanted === 'js') return createJsKernel();
  if (!hasWebAssembly()) {
    if (wanted === 'wasm') throw new EthashError('UNSUPPORTED_PLATFORM', 'MVS_ETHASH_KECCAK=wasm but WebAssembly is unavailable');
    return createJsKernel();
  }
  return createWasmKernel();
}

/** The kernel this thread uses (WASM unless unavailable or MVS_ETHASH_KECCAK=js). */
export const kernel: KeccakKernel = selectKernel();

const RATE_256_BYTES = 136;
const RATE_256_WORDS = RATE_256_BYTES / 4;

/**
 * Streaming Keccak-256 for byte strings of any length: seal hashes (~150 B)
 * and the digests of whole cache/dataset images (16 MB – 18 GB).
 */
export class Keccak256 {
  private readonly state = new Int32Array(50);
  private readonly block = new Uint8Array(RATE_256_BYTES);
  private readonly blockWords = new Int32Array(this.block.buffer);
  private fill = 0;
  private readonly k: KeccakKernel;

  constructor(k: KeccakKernel = kernel) {
    this.k = k;
  }

  update(data: Uint8Array): this {
    let pos = 0;
    const len = data.length;
    if (this.fill > 0) {
      const take = Math.min(RATE_256_BYTES - this.fill, len);
      this.block.set(data.subarray(0, take), this.fill);
      this.fill += take;
      pos = take;
      if (this.fill < RATE_256_BYTES) return this;
      this.absorb(this.blockWords, 0);
      this.fill = 0;
    }
    const fullBlocks = Math.floor((len - pos) / RATE_256_BYTES);
    if (fullBlocks > 0) {
      if ((data.byteOffset + pos) % 4 === 0) {
        // Aligned: absorb straight from a word view of the caller's bytes.
        const words = new Int32Array(data.buffer, data.byteOffset + pos, fullBlocks * RATE_256_WORDS);
        for (let b = 0; b < fullBlocks; b++) this.absorb(words, b * RATE_256_WORDS);
      } else {
        for (let b = 0; b < fullBlocks; b++) {
          this.block.set(data.subarray(pos + b * RATE_256_BYTES, pos + (b + 1) * RATE_256_BYTES));
          this.absorb(this.blockWords, 0);
        }
      }
      pos += fullBlocks * RATE_256_BYTES;
    }
    if (pos < len) {
      this.block.set(data.subarray(pos), 0);
      this.fill = len - pos;
    }
    return this;
  }

  digest(): Buffer {
    this.block.fill(0, this.fill);
    this.block[this.fill] ^= 0x01;
    this.block[RATE_256_BYTES - 1] ^= 0x80;
    this.absorb(this.blockWords, 0);
    this.fill = 0;
    const out = Buffer.from(new Uint8Array(this.state.buffer, 0, 32));
    this.state.fill(0);
    return out;
  }

  private absorb(words: Int32Array, offset: number): void {
    const state = this.state;
    for (let i = 0; i < RATE_256_WORDS; i++) state[i] ^= words[offset + i];
    this.k.io.set(state);
    this.k.permute();
    state.set(this.k.io);
  }
}

/** One-shot Keccak-256 (original padding) of a byte string. */
export function keccak256(data: Uint8Array): Buffer {
  return new Keccak256().update(data).digest();
}
