import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { regtest } from '../../../src/networks/index.js';
import { Block } from '../../../src/primitives/block.js';
import type { BlockHeader } from '../../../src/primitives/header.js';
import { Transaction, TxInput, TxOutput, OutPoint } from '../../../src/primitives/transaction.js';
import { Script } from '../../../src/primitives/script.js';
import { Attachment } from '../../../src/primitives/attachment.js';
import { sealHash, boundary, epochOf, type Ethash } from '../../../src/consensus/ethash/index.js';
import { acquireFileLock } from '../../../src/consensus/ethash/file-lock.js';
import { testKey, signP2pkhInput, type TestKey } from '../../helpers/signing.js';
import { sharedCacheDir } from '../../helpers/ethash-cache.js';
import { buildBlocks, SpendWallet, type OwnedCoin } from './spend-chain.js';

/**
 * The real-PoW regtest chain of the chain acceptance tests (project issue
 * #4, criterion 2): a main chain of MAIN_LENGTH blocks sealed with real
 * Ethash (bits 10, about ten light hashes each) whose blocks from height 11
 * carry signed P2PKH spends — splits, merges and same-block chains placed
 * child first — and three competing branches for reorganizations of depth
 * 1, 10 and 100, each forking off the chain left by the previous one:
 *
 *   b1:   fork at 1999 (main),  2 blocks → tip 2001
 *   b10:  fork at 1991 (main), 11 blocks → tip 2002 (disconnects main 1992–1999 and b1)
 *   b100: fork at 1902 (main), 101 blocks → tip 2003 (disconnects main 1903–1991 and b10)
 *
 * Mining takes ~25 s on two cores, so the raw blocks are cached in
 * `<test cache>/chains/` (lock-protected like the Ethash caches, checksummed,
 * written by rename) and a second run only reads them.
 */

export const MAIN_LENGTH = 2000;
export const REORG_DEPTHS = [1, 10, 100] as const;
const SPACING = 30;
const FEE = 10_000n;
/** Bump when the generation below changes: the cached file name carries it. */
const FIXTURE_VERSION = 2;

export interface RealPowFixture {
  keys: TestKey[];
  /** Heights 1 … MAIN_LENGTH. */
  main: Block[];
  /** Branch blocks by reorg depth, fork + 1 first. */
  branches: Map<number, { forkHeight: number; blocks: Block[] }>;
}

export const FIXTURE_KEYS = (): TestKey[] => Array.from({ length: 6 }, (_, i) => testKey(`real-pow key ${i}`));

/** Fork heights as described above: each branch forks `depth` below the tip the previous reorg left. */
export function forkHeights(): Map<number, number> {
  const out = new Map<number, number>();
  let tip = MAIN_LENGTH;
  for (const d of REORG_DEPTHS) {
    const fork = tip - d;
    out.set(d, fork);
    tip = fork + d + 1;
  }
  return out;
}

function cacheFile(): string {
  return join(sharedCacheDir(), 'chains', `real-pow-v${FIXTURE_VERSION}-${MAIN_LENGTH}.bin`);
}

/** The cached fixture, or mine it (once per machine: other processes wait on the lock and read the file). */
export async function realPowFixture(ethash: Ethash): Promise<RealPowFixture> {
  const file = cacheFile();
  const cached = readFixture(file);
  if (cached) return cached;
  mkdirSync(join(sharedCacheDir(), 'chains'), { recursive: true });
  const release = await acquireFileLock(`${file}.lock`, { staleMs: 120_000 });
  try {
    const again = readFixture(file);
    if (again) return again;
    const fixture = await mineFixture(ethash);
    writeFixture(file, fixture);
    return fixture;
  } finally {
    await release();
  }
}

// File: "MVSCHAIN" ‖ u32 version ‖ u32 section count ‖ sections (u32 tag ‖ u32 fork height ‖ u32 block count ‖ (u32 length ‖ raw block)…) ‖ sha256 of all before.
const MAGIC = Buffer.from('MVSCHAIN');

function writeFixture(file: string, f: RealPowFixture): void {
  const parts: Buffer[] = [MAGIC, u32(FIXTURE_VERSION), u32(1 + f.branches.size)];
  const section = (tag: number, fork: number, blocks: Block[]) => {
    parts.push(u32(tag), u32(fork), u32(blocks.length));
    for (const b of blocks) {
      const raw = b.toRaw();
      parts.push(u32(raw.length), raw);
    }
  };
  section(0, 0, f.main);
  for (const [depth, b] of f.branches) section(depth, b.forkHeight, b.blocks);
  const body = Buffer.concat(parts);
  const temp = `${file}.tmp-${process.pid}`;
  writeFileSync(temp, Buffer.concat([body, createHash('sha256').update(body).digest()]));
  renameSync(temp, file);
}

/** The fixture from `file`, or null when it is missing, truncated, corrupt or of another version. */
function readFixture(file: string): RealPowFixture | null {
  if (!existsSync(file)) return null;
  try {
    const data = readFileSync(file);
    const body = data.subarray(0, data.length - 32);
    if (!createHash('sha256').update(body).digest().equals(data.subarray(data.length - 32))) throw new Error('checksum mismatch');
    if (!body.subarray(0, 8).equals(MAGIC) || body.readUInt32LE(8) !== FIXTURE_VERSION) throw new Error('other format');
    let pos = 12;
    const next = () => {
      const v = body.readUInt32LE(pos);
      pos += 4;
      return v;
    };
    const sections = next();
    const fixture: RealPowFixture = { keys: FIXTURE_KEYS(), main: [], branches: new Map() };
    for (let s = 0; s < sections; s++) {
      const tag = next();
      const forkHeight = next();
      const blocks: Block[] = [];
      for (let n = next(); n > 0; n--) {
        const len = next();
        blocks.push(Block.fromRaw(body.subarray(pos, pos + len)));
        pos += len;
      }
      if (tag === 0) fixture.main = blocks;
      else fixture.branches.set(tag, { forkHeight, blocks });
    }
    if (fixture.main.length !== MAIN_LENGTH || fixture.branches.size !== REORG_DEPTHS.length) throw new Error('incomplete');
    return fixture;
  } catch {
    rmSync(file, { force: true });
    return null;
  }
}

function u32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(v, 0);
  return b;
}

/** A transaction spending `coins` (each signed by its own key) to `outputs`. */
function signedSpend(coins: readonly OwnedCoin[], outputs: { key: TestKey; value: bigint }[]): Transaction {
  const tx = new Transaction(
    1,
    coins.map((c) => new TxInput(new OutPoint(c.txid, c.index), new Script(), 0xffffffff)),
    outputs.map((o) => new TxOutput(o.value, o.key.script, Attachment.etp(1))),
    0,
  );
  coins.forEach((c, i) => signP2pkhInput(tx, i, c.key));
  return tx;
}

/**
 * The spends of a block at `height`: a split of one coin into two, every
 * third block a merge of two coins, every fifth a parent and child in the
 * same block with the child first. `variant` changes which coins are taken
 * and whom they pay, so branches conflict with the main chain.
 */
function spendsFor(height: number, wallet: SpendWallet, keys: TestKey[], variant: number): { txs: Transaction[]; fees: bigint } {
  const coins = wallet.spendable(height, regtest.coinbaseMaturity);
  const pick = (): OwnedCoin | undefined => {
    const c = variant === 0 ? coins.shift() : coins.pop();
    if (c) wallet.take(c);
    return c;
  };
  const key = (k: number) => keys[(height + k + variant * 3) % keys.length];
  const txs: Transaction[] = [];
  const a = pick();
  if (a) {
    const half = (a.value - FEE) / 2n;
    txs.push(
      a.value > 1_000_000n
        ? signedSpend([a], [
            { key: key(1), value: half },
            { key: key(2), value: a.value - FEE - half },
          ])
        : signedSpend([a], [{ key: key(1), value: a.value - FEE }]),
    );
  }
  if (height % 3 === 0) {
    const b = pick();
    const c = pick();
    if (b && c) txs.push(signedSpend([b, c], [{ key: key(3), value: b.value + c.value - FEE }]));
  }
  if (height % 5 === 0) {
    const d = pick();
    if (d && d.value > 3n * FEE) {
      const parent = signedSpend([d], [{ key: key(4), value: d.value - FEE }]);
      const child = signedSpend([{ txid: parent.hash(), index: 0, value: parent.outputs[0].value, key: key(4), height, coinbase: false }], [{ key: key(5), value: parent.outputs[0].value - FEE }]);
      txs.push(child, parent);
    }
  }
  return { txs, fees: FEE * BigInt(txs.length) };
}

/** Fill in a nonce and mix hash that meet the header's target (light mode: bits 10 is ~10 hashes). */
async function seal(ethash: Ethash, header: BlockHeader): Promise<void> {
  const r = await ethash.search({ sealHash: sealHash(header), boundary: boundary(header.bits), epoch: epochOf(header.number), mode: 'light' });
  if (!r.found) throw new Error(`no seal found for block ${header.number}`);
  header.nonce = r.nonce;
  header.mixHash = r.mixHash;
  header.invalidate();
}

/** Mine `count` blocks on `history` with the spend policy, updating `wallet`. */
async function mine(ethash: Ethash, history: BlockHeader[], wallet: SpendWallet, keys: TestKey[], count: number, variant: number): Promise<Block[]> {
  return buildBlocks({
    history,
    count,
    spacing: SPACING,
    coinbaseScript: (h) => keys[(h + variant) % keys.length].script,
    tag: variant === 0 ? undefined : `branch ${variant}`,
    spends: (h) => spendsFor(h, wallet, keys, variant),
    onBlock: async (block, h) => {
      await seal(ethash, block.header);
      wallet.apply(block, h);
    },
  });
}

async function mineFixture(ethash: Ethash): Promise<RealPowFixture> {
  const keys = FIXTURE_KEYS();
  const wallet = new SpendWallet(keys);
  const main = await mine(ethash, [regtest.genesis.header], wallet, keys, MAIN_LENGTH, 0);
  const branches = new Map<number, { forkHeight: number; blocks: Block[] }>();
  // The chain each branch forks from: main up to the fork, or the previous branch above it.
  let current = [regtest.genesis, ...main];
  let variant = 1;
  for (const [depth, fork] of forkHeights()) {
    const below = current.slice(0, fork + 1);
    const w = new SpendWallet(keys);
    below.forEach((b, h) => h > 0 && w.apply(b, h));
    const blocks = await mine(ethash, below.map((b) => b.header), w, keys, depth + 1, variant++);
    branches.set(depth, { forkHeight: fork, blocks });
    current = [...below, ...blocks];
  }
  return { keys, main, branches };
}
