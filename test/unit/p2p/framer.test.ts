import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError } from '../../../src/primitives/errors.js';
import { mainnet, testnet } from '../../../src/networks/index.js';
import {
  decodeFrame,
  encodeFrame,
  encodeMessageFrame,
  FrameDecoder,
  FrameError,
  HEADING_SIZE,
  MAX_PAYLOAD_SIZE,
  payloadChecksum,
  type Frame,
  type FrameFault,
} from '../../../src/p2p/framer.js';
import { decodePayload, OUR_PROTOCOL_VERSION } from '../../../src/p2p/messages/index.js';

const MAGIC = mainnet.magic;
const VERACK_HEX = '4d56534d76657261636b000000000000000000005df6e0e2';
const PING_HEX = '4d56534d70696e67000000000000000008000000c93efcb1251c07167428ba3d';

/** Push `bytes` into a fresh decoder and return the FrameError it raised. */
function frameError(bytes: Uint8Array, magic = MAGIC): FrameError {
  const decoder = new FrameDecoder(magic);
  try {
    decoder.push(bytes);
  } catch (err) {
    assert.ok(err instanceof FrameError, `expected FrameError, got ${String(err)}`);
    assert.ok(err instanceof CodecError);
    assert.equal(decoder.error, err);
    // Dead from now on: every later push rethrows the same error.
    assert.throws(() => decoder.push(Buffer.from(VERACK_HEX, 'hex')), (e) => e === err);
    return err;
  }
  assert.fail('expected a FrameError');
}

function heading(command: string, length: number, checksum = Buffer.alloc(4), magic = MAGIC): Buffer {
  const h = Buffer.alloc(HEADING_SIZE);
  h.writeUInt32LE(magic, 0);
  h.write(command, 4, 'latin1');
  h.writeUInt32LE(length, 16);
  checksum.copy(h, 20);
  return h;
}

function expectFault(bytes: Uint8Array, fault: FrameFault, code: string): FrameError {
  const err = frameError(bytes);
  assert.equal(err.fault, fault);
  assert.equal(err.code, code);
  return err;
}

test('encodeFrame builds the 24-byte heading (mvs-wire §2.1 examples)', () => {
  assert.equal(encodeFrame(MAGIC, 'verack', Buffer.alloc(0)).toString('hex'), VERACK_HEX);
  assert.equal(encodeFrame(testnet.magic, 'verack', Buffer.alloc(0)).toString('hex'), '746d767376657261636b000000000000000000005df6e0e2');
  assert.equal(encodeMessageFrame(MAGIC, { command: 'ping', nonce: 0x3dba287416071c25n }).toString('hex'), PING_HEX);
  assert.equal(payloadChecksum(Buffer.alloc(0)).toString('hex'), '5df6e0e2');
  assert.throws(() => encodeFrame(MAGIC, 'thirteenchars', Buffer.alloc(0)), { code: 'BAD_COMMAND' });
  assert.throws(() => encodeFrame(MAGIC, '', Buffer.alloc(0)), { code: 'BAD_COMMAND' });
  assert.throws(() => encodeFrame(MAGIC, 'caf\u00e9', Buffer.alloc(0)), { code: 'BAD_COMMAND' });
  assert.throws(() => encodeFrame(MAGIC, 'block', Buffer.alloc(MAX_PAYLOAD_SIZE + 1)), { code: 'OVERSIZE' });
  assert.equal(encodeFrame(MAGIC, 'block', Buffer.alloc(MAX_PAYLOAD_SIZE)).length, HEADING_SIZE + MAX_PAYLOAD_SIZE);
});

test('short heading: nothing yet; end() reports the cut-off frame', () => {
  const decoder = new FrameDecoder(MAGIC);
  assert.deepEqual(decoder.push(Buffer.from(VERACK_HEX, 'hex').subarray(0, 10)), []);
  assert.equal(decoder.bufferedBytes, 10);
  assert.throws(() => decoder.end(), (e) => e instanceof FrameError && e.fault === 'TRUNCATED' && e.code === 'TRUNCATED');
  assert.throws(() => decodeFrame(MAGIC, Buffer.from(PING_HEX, 'hex').subarray(0, 30)), { code: 'TRUNCATED' });
  assert.throws(() => decodeFrame(MAGIC, Buffer.alloc(0)), { code: 'TRUNCATED' });
  const clean = new FrameDecoder(MAGIC);
  clean.push(Buffer.from(VERACK_HEX, 'hex'));
  clean.end();
});

test('all-zero heading → ZERO_HEADING (disconnect, no ban)', () => {
  const err = expectFault(Buffer.alloc(HEADING_SIZE), 'ZERO_HEADING', 'BAD_ENCODING');
  assert.equal(err.ban, false);
});

test('wrong magic → BAD_MAGIC with ban, as soon as the heading is complete', () => {
  const testnetVerack = encodeFrame(testnet.magic, 'verack', Buffer.alloc(0));
  const err = expectFault(testnetVerack, 'BAD_MAGIC', 'BAD_MAGIC');
  assert.equal(err.ban, true);
  // Bitcoin's magic on a mainnet decoder.
  expectFault(Buffer.concat([Buffer.from('f9beb4d9', 'hex'), Buffer.from(VERACK_HEX, 'hex').subarray(4)]), 'BAD_MAGIC', 'BAD_MAGIC');
  // Testnet decoder accepts testnet frames.
  assert.equal(decodeFrame(testnet.magic, testnetVerack).command, 'verack');
});

test('length 1,800,004 → OVERSIZE from the heading alone, before any payload byte', () => {
  const decoder = new FrameDecoder(MAGIC);
  assert.throws(() => decoder.push(heading('block', MAX_PAYLOAD_SIZE + 1)), (e) => e instanceof FrameError && e.fault === 'OVERSIZE' && e.code === 'OVERSIZE');
  assert.equal(decoder.bufferedBytes, 0);
  expectFault(heading('inv', 0xffffffff), 'OVERSIZE', 'OVERSIZE');
  // Exactly the cap is accepted and waits for its payload.
  const atCap = new FrameDecoder(MAGIC);
  assert.deepEqual(atCap.push(heading('inv', MAX_PAYLOAD_SIZE)), []);
  assert.equal(atCap.bufferedBytes, HEADING_SIZE);
});

test('checksum mismatch → BAD_CHECKSUM, also for version', () => {
  const ping = Buffer.from(PING_HEX, 'hex');
  ping[20] ^= 1;
  expectFault(ping, 'BAD_CHECKSUM', 'BAD_CHECKSUM');
  const payloadFlip = Buffer.from(PING_HEX, 'hex');
  payloadFlip[HEADING_SIZE + 3] ^= 0x80;
  expectFault(payloadFlip, 'BAD_CHECKSUM', 'BAD_CHECKSUM');
  const version = encodeMessageFrame(MAGIC, {
    command: 'version', version: 70012, services: 1n, timestamp: 0n,
    addrRecv: { services: 0n, ip: Buffer.alloc(16), port: 0 }, addrFrom: { services: 0n, ip: Buffer.alloc(16), port: 0 },
    nonce: 0n, userAgent: '', startHeight: 0, relay: true,
  });
  version.writeUInt32LE(0, 20);
  expectFault(version, 'BAD_CHECKSUM', 'BAD_CHECKSUM');
});

test('unknown, unroutable and malformed commands → BAD_COMMAND', () => {
  for (const command of ['foo', 'alert', 'feefilter', 'sendaddrv2', 'wtxidrelay', 'Verack', 'toString']) {
    expectFault(encodeFrame(MAGIC, command, Buffer.alloc(0)), 'BAD_COMMAND', 'BAD_COMMAND');
  }
  // Non-ASCII byte, control byte, garbage after the NUL, empty command.
  const cases: Array<(h: Buffer) => void> = [
    (h) => (h[5] = 0xe9),
    (h) => (h[6] = 0x09),
    (h) => (h[14] = 0x41),
    (h) => h.fill(0, 4, 16),
    (h) => h.fill(0x61, 4, 16),
  ];
  for (const corrupt of cases) {
    const frame = Buffer.from(VERACK_HEX, 'hex');
    corrupt(frame);
    expectFault(frame, 'BAD_COMMAND', 'BAD_COMMAND');
  }
  // The longest real command (12 bytes, no NUL at all) is well-formed.
  assert.equal(decodeFrame(MAGIC, encodeFrame(MAGIC, 'sendheaders', Buffer.alloc(0))).command, 'sendheaders');
});

test('trailing byte after verack is the payload decoder’s TRAILING_BYTES', () => {
  const frame = decodeFrame(MAGIC, encodeFrame(MAGIC, 'verack', Buffer.from([0])));
  assert.throws(() => decodePayload(frame.command, frame.payload, OUR_PROTOCOL_VERSION), { code: 'TRAILING_BYTES' });
});

test('partial reads: byte-by-byte reassembly, several frames per chunk, frames as copies', () => {
  const payload = Buffer.alloc(100_000);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
  const stream = Buffer.concat([
    Buffer.from(VERACK_HEX, 'hex'),
    encodeFrame(MAGIC, 'block', payload),
    Buffer.from(PING_HEX, 'hex'),
    encodeFrame(MAGIC, 'getaddr', Buffer.alloc(0)),
  ]);
  const expected = ['verack', 'block', 'ping', 'getaddr'];

  const byteByByte = new FrameDecoder(MAGIC);
  const frames: Frame[] = [];
  for (let i = 0; i < stream.length; i++) {
    frames.push(...byteByByte.push(stream.subarray(i, i + 1)));
    assert.ok(byteByByte.bufferedBytes <= HEADING_SIZE + payload.length);
  }
  byteByByte.end();
  assert.deepEqual(frames.map((f) => f.command), expected);
  assert.ok(frames[1].payload.equals(payload));

  const whole = new FrameDecoder(MAGIC).push(stream);
  assert.deepEqual(whole.map((f) => f.command), expected);
  stream.fill(0);
  assert.ok(whole[1].payload.equals(payload), 'payload is a copy, not a view of the chunk');

  // A chunk boundary inside the heading and inside the payload.
  const again = Buffer.concat([encodeFrame(MAGIC, 'block', payload), Buffer.from(PING_HEX, 'hex')]);
  const split = new FrameDecoder(MAGIC);
  assert.deepEqual(split.push(again.subarray(0, 13)), []);
  assert.deepEqual(split.push(again.subarray(13, 50_000)), []);
  const rest = split.push(again.subarray(50_000));
  assert.deepEqual(rest.map((f) => f.command), ['block', 'ping']);
  assert.ok(rest[0].payload.equals(payload));
});

test('garbage never hangs: a random stream fails within one heading', () => {
  let seed = 12345;
  const garbage = Buffer.alloc(4096);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  const err = frameError(garbage);
  assert.equal(err.fault, 'BAD_MAGIC');
  // Garbage after a valid frame: the frame before it is lost with the connection.
  const decoder = new FrameDecoder(MAGIC);
  assert.deepEqual(decoder.push(Buffer.from(VERACK_HEX, 'hex')).map((f) => f.command), ['verack']);
  assert.throws(() => decoder.push(garbage), { code: 'BAD_MAGIC' });
});

test('memory stays bounded while an announced maximum payload trickles in', () => {
  const decoder = new FrameDecoder(MAGIC);
  decoder.push(heading('inv', MAX_PAYLOAD_SIZE));
  const piece = Buffer.alloc(1000);
  for (let i = 0; i < 100; i++) decoder.push(piece);
  assert.equal(decoder.bufferedBytes, HEADING_SIZE + 100_000);
  const rest = Buffer.alloc(MAX_PAYLOAD_SIZE - 100_000);
  // Wrong checksum (zeros in the heading), detected once the payload is complete.
  assert.throws(() => decoder.push(rest), { code: 'BAD_CHECKSUM' });
});
