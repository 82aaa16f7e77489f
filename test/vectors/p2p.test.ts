import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVector } from '../helpers/vectors.js';
import { decodeFrame, encodeMessageFrame, FrameDecoder, HEADING_SIZE, payloadChecksum, type Frame } from '../../src/p2p/framer.js';
import { decodePayload, OUR_PROTOCOL_VERSION, type MessageOf, type P2PMessage } from '../../src/p2p/messages/index.js';
import { ipFromString, ipToString, formatHostPort } from '../../src/p2p/netaddr.js';
import { hashToHex } from '../../src/primitives/hex.js';
import { mainnet } from '../../src/networks/index.js';

interface VectorMessage {
  command?: string;
  cmd?: string;
  hex: string;
  payload_hex?: string;
  fields?: Record<string, any>;
}

/** A u64 as its 8 little-endian wire bytes in hex — how the vectors print nonces. */
function u64WireHex(value: bigint): string {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(value);
  return b.toString('hex');
}

/** Frame checks common to every vector: heading fields, checksum, payload, decode, byte-identical re-encode. */
function checkFrame(v: VectorMessage): { frame: Frame; message: P2PMessage } {
  const command = v.command ?? v.cmd!;
  const bytes = Buffer.from(v.hex, 'hex');
  assert.equal(bytes.readUInt32LE(0), mainnet.magic, `${command}: mainnet magic`);
  assert.equal(bytes.subarray(0, 4).toString('hex'), '4d56534d');
  const frame = decodeFrame(mainnet.magic, bytes);
  assert.equal(frame.command, command);
  assert.equal(bytes.readUInt32LE(16), frame.payload.length, `${command}: length field`);
  assert.equal(bytes.length, HEADING_SIZE + frame.payload.length);
  assert.ok(payloadChecksum(frame.payload).equals(bytes.subarray(20, 24)), `${command}: checksum`);
  if (v.payload_hex !== undefined) assert.equal(frame.payload.toString('hex'), v.payload_hex);
  const message = decodePayload(frame.command, frame.payload, OUR_PROTOCOL_VERSION);
  assert.equal(message.command, command);
  // Every vector message is one our node may send: it must re-encode byte for byte.
  assert.equal(encodeMessageFrame(mainnet.magic, message).toString('hex'), v.hex, `${command}: re-encode`);
  return { frame, message };
}

function checkFields(message: P2PMessage, fields: Record<string, any> | undefined): void {
  if (!fields) return;
  switch (message.command) {
    case 'ping':
    case 'pong':
      assert.equal(u64WireHex(message.nonce), fields.nonce);
      break;
    case 'inv':
    case 'getdata':
      assert.deepEqual(
        message.inventory.map((i) => ({ type: i.type, hash: hashToHex(i.hash) })),
        fields.inventory.map((i: any) => ({ type: i.type, hash: i.hash })),
      );
      break;
    case 'getblocks':
      assert.equal(message.senderVersion, fields.version);
      assert.deepEqual(message.locator.map(hashToHex), fields.start_hashes);
      assert.equal(hashToHex(message.stopHash), fields.stop_hash);
      break;
    case 'version': {
      assert.equal(message.version, fields.version);
      assert.equal(message.services, BigInt(fields.services));
      assert.equal(message.timestamp, BigInt(fields.timestamp));
      assert.equal(u64WireHex(message.nonce), fields.nonce);
      assert.equal(message.userAgent, fields.user_agent);
      assert.equal(message.startHeight, fields.start_height);
      assert.equal(message.relay, Boolean(fields.relay));
      for (const [addr, expected] of [
        [message.addrRecv, fields.addr_recv],
        [message.addrFrom, fields.addr_from],
      ] as const) {
        assert.equal(addr.services, BigInt(expected.services));
        // p2p-messages.json writes "::ffff:a.b.c.d", p2p-capture.json the 16 bytes in hex.
        const ip = /^[0-9a-f]{32}$/.test(expected.ip) ? Buffer.from(expected.ip, 'hex') : ipFromString(expected.ip);
        assert.ok(addr.ip.equals(ip), `ip ${ipToString(addr.ip)} vs ${expected.ip}`);
        assert.equal(addr.port, expected.port ?? expected.port_be);
      }
      break;
    }
    default:
      assert.deepEqual(fields, {}, `${message.command} has no payload fields`);
  }
}

test('p2p-messages.json: every message decodes with the stated fields and re-encodes byte-identical', (t) => {
  const v = loadVector(t, 'p2p-messages.json');
  if (!v) return;
  assert.equal(v.messages.length, 8);
  for (const m of v.messages as VectorMessage[]) {
    const { message } = checkFrame(m);
    checkFields(message, m.fields);
  }
  t.diagnostic(`${v.messages.length} p2p-messages.json frames checked`);
});

test('the real mvsd version message decodes to the stated fields', (t) => {
  const v = loadVector(t, 'p2p-messages.json');
  if (!v) return;
  const entry = (v.messages as VectorMessage[]).find((m) => m.command === 'version')!;
  const { frame, message } = checkFrame(entry);
  const version = message as MessageOf<'version'>;
  assert.equal(frame.payload.length, 103);
  assert.equal(Buffer.from(entry.hex, 'hex').subarray(20, 24).toString('hex'), 'ee92d403');
  assert.equal(version.version, 70012);
  assert.equal(version.userAgent, '/metaverse:0.9.0/');
  assert.equal(version.startHeight, 3514519);
  assert.equal(version.relay, true);
  assert.equal(u64WireHex(version.nonce), 'fa4eba0d6e8b659e');
  assert.equal(version.services, 1n);
  assert.equal(version.timestamp, 1585509085n);
  assert.equal(formatHostPort(version.addrRecv), '95.116.169.107:58616');
  assert.equal(formatHostPort(version.addrFrom), '198.199.84.199:5251');
});

test('p2p-capture.json: client bytes and listener replies decode, re-encode and stream-decode', (t) => {
  const v = loadVector(t, 'p2p-capture.json');
  if (!v) return;
  const client = v.client_to_listener_messages as VectorMessage[];
  const listener = v.listener_to_client_messages as VectorMessage[];
  assert.equal(client.length, 9);
  assert.equal(listener.length, 3);
  for (const m of [...client, ...listener]) {
    const { message } = checkFrame(m);
    checkFields(message, m.fields);
  }

  // The metaversejs-p2p quirk: its own address (127.0.0.1:5251) in addr_recv. Nobody checks.
  const clientVersion = decodePayload('version', decodeFrame(mainnet.magic, Buffer.from(client[0].hex, 'hex')).payload, OUR_PROTOCOL_VERSION);
  assert.equal(clientVersion.command, 'version');
  if (clientVersion.command === 'version') {
    assert.equal(formatHostPort(clientVersion.addrRecv), '127.0.0.1:5251');
    assert.equal(clientVersion.userAgent, '/mvsjs:0.0.3/');
  }

  // The whole client stream, cut into uneven chunks, gives the same frames in order.
  for (const stream of [client, listener]) {
    const bytes = Buffer.concat(stream.map((m) => Buffer.from(m.hex, 'hex')));
    for (const chunkSize of [1, 7, 24, 25, 100, bytes.length]) {
      const decoder = new FrameDecoder(mainnet.magic);
      const frames: Frame[] = [];
      for (let i = 0; i < bytes.length; i += chunkSize) frames.push(...decoder.push(bytes.subarray(i, i + chunkSize)));
      decoder.end();
      assert.deepEqual(
        frames.map((f) => f.command),
        stream.map((m) => m.command ?? m.cmd),
      );
      assert.equal(decoder.bufferedBytes, 0);
    }
  }
  t.diagnostic(`${client.length} client frames and ${listener.length} listener frames checked`);
});
