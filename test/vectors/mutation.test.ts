import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { loadVector } from '../helpers/vectors.js';
import { BufferReader, type ReaderOptions } from '../../src/primitives/reader.js';
import { CodecError } from '../../src/primitives/errors.js';
import { Transaction } from '../../src/primitives/transaction.js';
import { Block } from '../../src/primitives/block.js';
import { BlockHeader } from '../../src/primitives/header.js';
import { hashFromHex } from '../../src/primitives/hex.js';
import { mainnet } from '../../src/networks/index.js';
import { encodeFrame, encodeMessageFrame, FrameDecoder, HEADING_SIZE } from '../../src/p2p/framer.js';
import { decodePayload, messageCodec, PROTOCOL_LEVEL, type P2PCommand, type P2PMessage } from '../../src/p2p/messages/index.js';
import { netAddressFromHostPort, unspecifiedAddress } from '../../src/p2p/netaddr.js';

/**
 * Project acceptance criterion (issue #2): 10,000 seeded random truncations,
 * bit flips and length-field corruptions of real transactions, blocks and P2P
 * frames each either decode or raise CodecError — no other exception, no
 * hang, no allocation beyond the input's bound.
 */

const TOTAL_MUTATIONS = 10_000;
const SHARE = { tx: 0.4, block: 0.2, frame: 0.4 } as const;
const SEED = Number(process.env.MVS_MUTATION_SEED ?? 0x4d56534d) >>> 0;
const TIME_BUDGET_MS = 20_000;
const HEAP_GROWTH_LIMIT = 256 * 1024 * 1024;
/** The framer's first payload allocation; every other decoder allocation is bounded by the input. */
const FRAMER_INITIAL_CAPACITY = 64 * 1024;
/** Decode frames as a ≥ 70014 peer so the compact-block codecs are exercised too. */
const PEER_VERSION = PROTOCOL_LEVEL.BIP152;

type Kind = keyof typeof SHARE;
type Operation = 'truncate' | 'bitflip' | 'length';

/** Deterministic PRNG (mulberry32). */
class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** Where a length/count field sits, so it can be made huge. */
interface LengthField {
  offset: number;
  size: number;
  what: string;
  /** The frame heading's u32 length instead of a varint. */
  frameLength?: boolean;
}

/** A BufferReader that records the offset and label of every varint it reads. */
class RecordingReader extends BufferReader {
  readonly fields: LengthField[] = [];
  /** Offset of `data` inside the sample (a frame payload starts at 24). */
  private readonly base: number;
  private label = 'varint';
  constructor(data: Uint8Array, base: number, options: ReaderOptions = {}) {
    super(data, 0, data.length, options);
    this.base = base;
  }
  override varint(): number {
    const start = this.offset;
    const what = this.label;
    this.label = 'varint';
    const value = super.varint();
    this.fields.push({ offset: this.base + start, size: this.offset - start, what });
    return value;
  }
  override count(minItemSize: number, what: string): number {
    this.label = what;
    return super.count(minItemSize, what);
  }
  override varBytes(what = 'bytes'): Buffer {
    this.label = what;
    return super.varBytes(what);
  }
}

interface Sample {
  kind: Kind;
  name: string;
  bytes: Buffer;
  lengthFields: LengthField[];
  /** For frames: the command, so a payload mutation can be re-framed with a valid checksum. */
  command?: string;
}

function txFields(raw: Buffer, base = 0): LengthField[] {
  const r = new RecordingReader(raw, base);
  Transaction.decode(r);
  r.assertEnd();
  return r.fields;
}

function blockFields(raw: Buffer, base = 0): LengthField[] {
  const r = new RecordingReader(raw, base);
  Block.decode(r);
  r.assertEnd();
  return r.fields;
}

/** Envelope varints of a P2P payload, recorded by driving the message's own codec. */
function envelopeFields(command: P2PCommand, payload: Buffer, base: number): LengthField[] {
  const r = new RecordingReader(payload, base, { allowNonMinimalVarint: true });
  messageCodec(command).decode(r, PEER_VERSION);
  r.assertEnd();
  return r.fields;
}

const MAGIC = mainnet.magic;

function frameSample(name: string, frame: Buffer): Sample {
  const command = frame.toString('latin1', 4, 16).replace(/\0+$/, '') as P2PCommand;
  const payload = frame.subarray(HEADING_SIZE);
  const fields: LengthField[] = [{ offset: 16, size: 4, what: 'frame length', frameLength: true }];
  fields.push(...envelopeFields(command, payload, HEADING_SIZE));
  // Chain data inside block/tx/blocktxn/cmpctblock frames: the strict codecs' own varints.
  if (command === 'tx') fields.push(...txFields(payload, HEADING_SIZE));
  if (command === 'block') fields.push(...blockFields(payload, HEADING_SIZE));
  return { kind: 'frame', name, bytes: frame, lengthFields: fields, command };
}

function messageFrame(name: string, message: P2PMessage): Sample {
  return frameSample(name, encodeMessageFrame(MAGIC, message));
}

/** Replacement bytes for a varint: huge, beyond-the-input, off-by-one and non-minimal values. */
function hugeVarint(rng: Prng, original: number): Buffer {
  const choices: Array<() => Buffer> = [
    () => Buffer.from('ffffffffffffffffff', 'hex'),
    () => Buffer.concat([Buffer.from([0xff]), rng.bytes(7), Buffer.from([1 + rng.int(255)])]),
    () => Buffer.from('ff0000000001000000', 'hex'),
    () => Buffer.from('ffffffffffffff1f00', 'hex'), // 2^53 − 1: the largest "safe" count
    () => Buffer.from('feffffffff', 'hex'),
    () => {
      const b = Buffer.from([0xfe, 0, 0, 0, 0]);
      b.writeUInt32LE(0x10000 + rng.int(0xfffeffff), 1);
      return b;
    },
    () => Buffer.from('fdffff', 'hex'),
    () => Buffer.from('fc', 'hex'),
    () => encodeVarint(original + 1),
    () => encodeVarint(Math.max(0, original - 1)),
    () => encodeVarint(original * 2 + 1000),
    () => Buffer.from([0xfd, original & 0xff, (original >> 8) & 0xff]), // non-minimal when < 0xfd
    () => Buffer.from([0]),
  ];
  return rng.pick(choices)();
}

function encodeVarint(n: number): Buffer {
  if (n < 0xfd) return Buffer.from([n]);
  if (n <= 0xffff) return Buffer.from([0xfd, n & 0xff, n >> 8]);
  const b = Buffer.alloc(5);
  b[0] = 0xfe;
  b.writeUInt32LE(n >>> 0, 1);
  return b;
}

function readVarintAt(bytes: Buffer, field: LengthField): number {
  const r = new BufferReader(bytes, field.offset, bytes.length, { allowNonMinimalVarint: true });
  return r.varint();
}

function mutate(rng: Prng, sample: Sample, op: Operation): { bytes: Buffer; field?: string } {
  const src = sample.bytes;
  switch (op) {
    case 'truncate':
      return { bytes: Buffer.from(src.subarray(0, 1 + rng.int(src.length - 1))) };
    case 'bitflip': {
      const out = Buffer.from(src);
      const flips = 1 + rng.int(4);
      for (let i = 0; i < flips; i++) out[rng.int(out.length)] ^= 1 << rng.int(8);
      return { bytes: out };
    }
    case 'length': {
      const field = rng.pick(sample.lengthFields);
      if (field.frameLength) {
        const out = Buffer.from(src);
        const actual = src.length - HEADING_SIZE;
        const values = [0xffffffff, 1_800_004, 1_800_003, actual + 1, Math.max(0, actual - 1), 0, rng.int(0x100000000)];
        out.writeUInt32LE(rng.pick(values) >>> 0, 16);
        return { bytes: out, field: field.what };
      }
      const replacement = hugeVarint(rng, readVarintAt(src, field));
      return {
        bytes: Buffer.concat([src.subarray(0, field.offset), replacement, src.subarray(field.offset + field.size)]),
        field: field.what,
      };
    }
  }
}

/**
 * For half the frame mutations, re-frame the mutated payload with a correct
 * length and checksum so the payload decoders (not only the framer) see it.
 */
function reframe(sample: Sample, mutated: Buffer): Buffer {
  const payload = mutated.length > HEADING_SIZE ? mutated.subarray(HEADING_SIZE) : Buffer.alloc(0);
  return encodeFrame(MAGIC, sample.command!, payload);
}

function decodeSample(rng: Prng, kind: Kind, bytes: Buffer): void {
  if (kind === 'tx') {
    Transaction.fromRaw(bytes);
    return;
  }
  if (kind === 'block') {
    Block.fromRaw(bytes);
    return;
  }
  // Frames go through the streaming decoder in 1–3 chunks, then the payload codec.
  const decoder = new FrameDecoder(MAGIC);
  const cuts = [0, ...[rng.int(bytes.length + 1), rng.int(bytes.length + 1)].slice(0, rng.int(3)).sort((a, b) => a - b), bytes.length];
  for (let i = 0; i + 1 < cuts.length; i++) {
    for (const frame of decoder.push(bytes.subarray(cuts[i], cuts[i + 1]))) decodePayload(frame.command, frame.payload, PEER_VERSION);
  }
  decoder.end();
}

/** Track the largest Buffer allocation and `new Array(n)` made while decoding. */
function instrumentAllocations(): { peakBuffer: () => number; peakArray: () => number; reset: () => void; restore: () => void } {
  let buffer = 0;
  let array = 0;
  const originals = { alloc: Buffer.alloc, allocUnsafe: Buffer.allocUnsafe, allocUnsafeSlow: Buffer.allocUnsafeSlow };
  const OriginalArray = globalThis.Array;
  const note = (size: unknown): void => {
    if (typeof size === 'number' && size > buffer) buffer = size;
  };
  Buffer.alloc = ((size: number, ...rest: unknown[]) => (note(size), (originals.alloc as any).call(Buffer, size, ...rest))) as typeof Buffer.alloc;
  Buffer.allocUnsafe = ((size: number) => (note(size), originals.allocUnsafe.call(Buffer, size))) as typeof Buffer.allocUnsafe;
  Buffer.allocUnsafeSlow = ((size: number) => (note(size), originals.allocUnsafeSlow.call(Buffer, size))) as typeof Buffer.allocUnsafeSlow;
  globalThis.Array = new Proxy(OriginalArray, {
    construct(target, args, newTarget) {
      if (args.length === 1 && typeof args[0] === 'number' && args[0] > array) array = args[0];
      return Reflect.construct(target, args, newTarget);
    },
  });
  return {
    peakBuffer: () => buffer,
    peakArray: () => array,
    reset: () => {
      buffer = 0;
      array = 0;
    },
    restore: () => {
      Object.assign(Buffer, originals);
      globalThis.Array = OriginalArray;
    },
  };
}

function memoryInUse(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

test('10,000 seeded mutations of real txs, blocks and frames decode or raise CodecError, bounded in time and memory', (t) => {
  const txVectors = loadVector(t, 'transactions.json');
  const blockVectors = loadVector(t, 'blocks.json');
  const headerVectors = loadVector(t, 'headers.json');
  const messageVectors = loadVector(t, 'p2p-messages.json');
  const captureVectors = loadVector(t, 'p2p-capture.json');
  if (!txVectors || !blockVectors || !headerVectors || !messageVectors || !captureVectors) return;

  // ---- corpus -------------------------------------------------------------
  const txs = (txVectors.transactions as Array<{ hex: string; hash: string }>).map((e) => Buffer.from(e.hex, 'hex'));
  const blocks = (blockVectors.blocks as Array<{ hex: string; name: string }>).map((e) => ({ name: e.name, raw: Buffer.from(e.hex, 'hex') }));
  const samples: Record<Kind, Sample[]> = { tx: [], block: [], frame: [] };
  txs.forEach((raw, i) => samples.tx.push({ kind: 'tx', name: `tx #${i}`, bytes: raw, lengthFields: txFields(raw) }));
  for (const b of blocks) samples.block.push({ kind: 'block', name: b.name, bytes: b.raw, lengthFields: blockFields(b.raw) });

  const vectorFrames = [
    ...(messageVectors.messages as Array<{ hex: string; command: string }>),
    ...(captureVectors.client_to_listener_messages as Array<{ hex: string; command: string }>),
    ...(captureVectors.listener_to_client_messages as Array<{ hex: string; cmd: string }>).map((m) => ({ hex: m.hex, command: m.cmd })),
  ];
  for (const v of vectorFrames) samples.frame.push(frameSample(`vector ${v.command}`, Buffer.from(v.hex, 'hex')));
  const decodedTxs = txs.map((raw) => Transaction.fromRaw(raw));
  const decodedBlocks = blocks.map((b) => Block.fromRaw(b.raw));
  for (let i = 0; i < decodedTxs.length; i += 7) samples.frame.push(messageFrame(`tx frame #${i}`, { command: 'tx', tx: decodedTxs[i] }));
  decodedBlocks.forEach((block, i) => samples.frame.push(messageFrame(`block frame ${blocks[i].name}`, { command: 'block', block })));
  const headerEntries = [
    ...(headerVectors.headers as Array<{ hex: string }>).map((h) => ({ header: BlockHeader.fromHex(h.hex), txCount: 0 })),
    ...decodedBlocks.map((b) => ({ header: b.header, txCount: b.txs.length })), // announcements carry real counts
  ];
  samples.frame.push(messageFrame('headers frame', { command: 'headers', headers: headerEntries }));
  samples.frame.push(messageFrame('inv frame', { command: 'inv', inventory: decodedTxs.map((tx) => ({ type: 1, hash: tx.hash() })) }));
  samples.frame.push(
    messageFrame('getheaders frame', {
      command: 'getheaders',
      locator: decodedBlocks.map((b) => b.hash()),
      stopHash: hashFromHex('b81848ef9ae86e84c3da26564bc6ab3a79efc628239d11471ab5cd25c0684c2d'),
    }),
  );
  samples.frame.push(
    messageFrame('addr frame', {
      command: 'addr',
      addresses: [
        { timestamp: 0, ...unspecifiedAddress() },
        { timestamp: 1585509085, ...netAddressFromHostPort('95.116.169.107:5251', 1n) },
        { timestamp: 1585509085, ...netAddressFromHostPort('[2001:4860::8888]:5251', 1n) },
      ],
    }),
  );
  samples.frame.push(
    messageFrame('merkleblock frame', {
      command: 'merkleblock',
      header: decodedBlocks[1].header,
      txCount: decodedBlocks[1].txs.length,
      hashes: decodedBlocks[1].txs.map((tx) => tx.hash()),
      flags: Buffer.from([0x07]),
    }),
  );
  samples.frame.push(
    messageFrame('cmpctblock frame', {
      command: 'cmpctblock',
      header: decodedBlocks[5].header,
      nonce: 7n,
      shortIds: [Buffer.from('010203040506', 'hex')],
      prefilled: decodedBlocks[5].txs.map((tx, index) => ({ index, tx })),
    }),
  );
  samples.frame.push(messageFrame('blocktxn frame', { command: 'blocktxn', blockHash: decodedBlocks[5].hash(), txs: decodedTxs.slice(0, 5) }));
  samples.frame.push(messageFrame('reject frame', { command: 'reject', message: 'tx', code: 0x10, reason: 'bad-txns', hash: decodedTxs[0].hash() }));
  samples.frame.push(messageFrame('filterload frame', { command: 'filterload', filter: Buffer.alloc(64, 0xa5), hashFunctions: 11, tweak: 5, flags: 1 }));

  // Unmutated, everything decodes.
  const baselineRng = new Prng(1);
  for (const kind of Object.keys(samples) as Kind[]) {
    for (const s of samples[kind]) decodeSample(baselineRng, kind, s.bytes);
  }

  // ---- mutations ----------------------------------------------------------
  const rng = new Prng(SEED);
  const operations: Operation[] = ['truncate', 'bitflip', 'length'];
  const outcomes: Record<Kind, Record<Operation, Record<string, number>>> = {
    tx: { truncate: {}, bitflip: {}, length: {} },
    block: { truncate: {}, bitflip: {}, length: {} },
    frame: { truncate: {}, bitflip: {}, length: {} },
  };
  const fieldsHit: Record<string, number> = {};
  const unexpected: string[] = [];
  let slowest = 0;
  let allocationViolations = 0;
  const baseline = memoryInUse();
  let peakMemory = baseline;
  const allocations = instrumentAllocations();
  const started = performance.now();
  let done = 0;
  try {
    for (const kind of Object.keys(SHARE) as Kind[]) {
      const runs = Math.round(TOTAL_MUTATIONS * SHARE[kind]);
      for (let i = 0; i < runs; i++, done++) {
        const sample = rng.pick(samples[kind]);
        const op = operations[i % operations.length];
        const mutated = mutate(rng, sample, op);
        if (mutated.field) fieldsHit[mutated.field] = (fieldsHit[mutated.field] ?? 0) + 1;
        const bytes = kind === 'frame' && rng.int(2) === 0 ? reframe(sample, mutated.bytes) : mutated.bytes;
        allocations.reset();
        const t0 = performance.now();
        let outcome: string;
        try {
          decodeSample(rng, kind, bytes);
          outcome = 'decoded';
        } catch (err) {
          if (err instanceof CodecError) outcome = err.code;
          else {
            outcome = 'UNEXPECTED';
            if (unexpected.length < 10) unexpected.push(`${kind}/${op} ${sample.name}: ${String(err)} input=${bytes.toString('hex').slice(0, 200)}`);
          }
        }
        slowest = Math.max(slowest, performance.now() - t0);
        if (allocations.peakBuffer() > Math.max(FRAMER_INITIAL_CAPACITY, 2 * bytes.length) || allocations.peakArray() > bytes.length) {
          allocationViolations++;
          if (unexpected.length < 10) unexpected.push(`${kind}/${op} ${sample.name}: allocated buffer ${allocations.peakBuffer()} / array ${allocations.peakArray()} for ${bytes.length} input bytes`);
        }
        const bucket = outcomes[kind][op];
        bucket[outcome] = (bucket[outcome] ?? 0) + 1;
        if (done % 250 === 0) peakMemory = Math.max(peakMemory, memoryInUse());
        assert.ok(performance.now() - started < TIME_BUDGET_MS, `mutation run exceeded ${TIME_BUDGET_MS} ms after ${done} cases`);
      }
    }
  } finally {
    allocations.restore();
  }
  const elapsed = performance.now() - started;
  peakMemory = Math.max(peakMemory, memoryInUse());

  // ---- report ---------------------------------------------------------------
  for (const kind of Object.keys(outcomes) as Kind[]) {
    let decoded = 0;
    let rejected = 0;
    const perOp: string[] = [];
    for (const op of operations) {
      const bucket = outcomes[kind][op];
      const d = bucket.decoded ?? 0;
      const r = Object.entries(bucket).reduce((n, [k, v]) => (k === 'decoded' ? n : n + v), 0);
      decoded += d;
      rejected += r;
      const codes = Object.entries(bucket)
        .filter(([k]) => k !== 'decoded')
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      perOp.push(`${op}: decoded ${d}, rejected ${r} (${codes})`);
    }
    t.diagnostic(`${kind} (${samples[kind].length} samples): ${decoded + rejected} mutations, decoded ${decoded}, rejected ${rejected}`);
    for (const line of perOp) t.diagnostic(`  ${kind} ${line}`);
  }
  t.diagnostic(`length fields corrupted: ${Object.entries(fieldsHit).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  t.diagnostic(
    `seed 0x${SEED.toString(16)}; ${done} mutations in ${elapsed.toFixed(0)} ms (slowest ${slowest.toFixed(1)} ms); ` +
      `memory growth ${((peakMemory - baseline) / 1048576).toFixed(1)} MiB`,
  );

  // ---- verdict --------------------------------------------------------------
  assert.equal(done, TOTAL_MUTATIONS);
  assert.deepEqual(unexpected, [], 'only CodecError may escape a decoder, and allocations stay within the input bound');
  assert.equal(allocationViolations, 0);
  assert.ok(elapsed < TIME_BUDGET_MS, `took ${elapsed} ms`);
  assert.ok(peakMemory - baseline < HEAP_GROWTH_LIMIT, `memory grew by ${peakMemory - baseline} bytes`);
  for (const kind of Object.keys(outcomes) as Kind[]) {
    const all = Object.values(outcomes[kind]).flatMap((b) => Object.entries(b));
    assert.ok(all.some(([k, v]) => k !== 'decoded' && v > 0), `${kind}: some mutations must be rejected`);
  }
  // The required length-field targets were all hit.
  const hit = (pattern: RegExp): number => Object.entries(fieldsHit).reduce((n, [k, v]) => (pattern.test(k) ? n + v : n), 0);
  assert.ok(hit(/script/) > 0, 'script lengths');
  assert.ok(hit(/^(input|output)$/) > 0, 'input/output counts');
  assert.ok(hit(/^(to_did|from_did|message|(asset|did|cert|mit) [a-z]+)$/) > 0, 'attachment strings');
  assert.ok(hit(/^frame length$/) > 0, 'frame length field');
  assert.ok(hit(/^transaction$/) > 0, 'block tx counts');
});
