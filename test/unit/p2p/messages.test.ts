import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError } from '../../../src/primitives/errors.js';
import { thrownCode } from '../../helpers/errors.js';
import { BlockHeader } from '../../../src/primitives/header.js';
import { Transaction } from '../../../src/primitives/transaction.js';
import { mainnet } from '../../../src/networks/index.js';
import {
  decodePayload,
  encodeMessage,
  INVENTORY_TYPE,
  isRoutableCommand,
  minimumPeerVersion,
  OUR_PROTOCOL_VERSION,
  PROTOCOL_LEVEL,
  referenceInventoryKind,
  REJECT_CODE,
  ROUTABLE_COMMANDS,
  type MessageOf,
  type P2PMessage,
  type VersionMessage,
} from '../../../src/p2p/messages/index.js';
import { netAddressFromHostPort, unspecifiedAddress } from '../../../src/p2p/netaddr.js';

const hash = (byte: number): Buffer => Buffer.alloc(32, byte);
const genesis = mainnet.genesis;
const genesisTx = genesis.txs[0];

const codeOf = (fn: () => unknown): string => thrownCode(fn, CodecError);

/** encode → decode → encode gives the same bytes; returns the decoded message. */
function roundTrip<M extends P2PMessage>(message: M, peerVersion = OUR_PROTOCOL_VERSION): M {
  const payload = encodeMessage(message);
  const decoded = decodePayload(message.command, payload, peerVersion) as M;
  assert.equal(decoded.command, message.command);
  assert.ok(encodeMessage(decoded).equals(payload), `${message.command} re-encodes identically`);
  return decoded;
}

function versionMessage(overrides: Partial<VersionMessage> = {}): VersionMessage {
  return {
    command: 'version',
    version: OUR_PROTOCOL_VERSION,
    services: 1n,
    timestamp: 1700000000n,
    addrRecv: netAddressFromHostPort('95.116.169.107:5251', 1n),
    addrFrom: unspecifiedAddress(),
    nonce: 0x0123456789abcdefn,
    userAgent: '/mvs-node:0.1.0/',
    startHeight: 3514519,
    relay: true,
    ...overrides,
  };
}

test('the registry is exactly the reference routable list with its minimum versions', () => {
  assert.deepEqual([...ROUTABLE_COMMANDS].sort(), [
    'addr', 'block', 'blocktxn', 'cmpctblock', 'filteradd', 'filterclear', 'filterload', 'getaddr', 'getblocks',
    'getblocktxn', 'getdata', 'getheaders', 'headers', 'inv', 'mempool', 'merkleblock', 'notfound', 'ping', 'pong',
    'reject', 'sendcmpct', 'sendheaders', 'tx', 'verack', 'version',
  ]);
  for (const c of ['alert', 'feefilter', 'sendaddrv2', 'wtxidrelay', 'toString', '__proto__', '']) assert.equal(isRoutableCommand(c), false, c);
  const gated: Record<string, number> = {
    notfound: 70001, getheaders: 31800, headers: 31800, mempool: 60002, reject: 70002, sendheaders: 70012,
    merkleblock: 70001, filterload: 70001, filteradd: 70001, filterclear: 70001,
    sendcmpct: 70014, cmpctblock: 70014, getblocktxn: 70014, blocktxn: 70014,
  };
  for (const c of ROUTABLE_COMMANDS) assert.equal(minimumPeerVersion(c), gated[c] ?? 0, c);
});

test('commands below their minimum peer version fail as BAD_COMMAND; at the minimum they parse', () => {
  assert.equal(codeOf(() => decodePayload('notfound', Buffer.from([0]), 70000)), 'BAD_COMMAND');
  assert.equal(decodePayload('notfound', Buffer.from([0]), 70001).command, 'notfound');
  assert.equal(codeOf(() => decodePayload('sendheaders', Buffer.alloc(0), 70011)), 'BAD_COMMAND');
  assert.equal(codeOf(() => decodePayload('mempool', Buffer.alloc(0), 60001)), 'BAD_COMMAND');
  assert.equal(codeOf(() => decodePayload('getheaders', encodeMessage({ command: 'getheaders', locator: [], stopHash: hash(0) }), 31799)), 'BAD_COMMAND');
  const sendcmpct = encodeMessage({ command: 'sendcmpct', highBandwidth: false, version: 1n });
  assert.equal(codeOf(() => decodePayload('sendcmpct', sendcmpct, OUR_PROTOCOL_VERSION)), 'BAD_COMMAND');
  assert.equal(decodePayload('sendcmpct', sendcmpct, PROTOCOL_LEVEL.BIP152).command, 'sendcmpct');
  assert.equal(codeOf(() => decodePayload('alert', Buffer.alloc(0), OUR_PROTOCOL_VERSION)), 'BAD_COMMAND');
  assert.equal(codeOf(() => decodePayload('feefilter', Buffer.alloc(8), OUR_PROTOCOL_VERSION)), 'BAD_COMMAND');
});

test('empty-payload messages round-trip and reject any payload byte as TRAILING_BYTES', () => {
  for (const command of ['verack', 'getaddr', 'mempool', 'sendheaders', 'filterclear'] as const) {
    assert.equal(encodeMessage({ command }).length, 0);
    assert.deepEqual(decodePayload(command, Buffer.alloc(0), OUR_PROTOCOL_VERSION), { command });
    assert.equal(codeOf(() => decodePayload(command, Buffer.from([0]), OUR_PROTOCOL_VERSION)), 'TRAILING_BYTES', command);
  }
});

test('version: relay byte mandatory from 70002, absent at 70001, user agent truncated at NUL', () => {
  const ours = versionMessage();
  const payload = encodeMessage(ours);
  assert.equal(payload.length, 4 + 8 + 8 + 26 + 26 + 8 + 1 + ours.userAgent.length + 4 + 1);
  assert.deepEqual(roundTrip(ours), ours);
  assert.deepEqual(roundTrip(versionMessage({ relay: false })), versionMessage({ relay: false }));

  // A 70012 version without its relay byte: the reference requires it → parse fails.
  assert.equal(codeOf(() => decodePayload('version', payload.subarray(0, payload.length - 1), OUR_PROTOCOL_VERSION)), 'TRUNCATED');
  // Trailing byte after a complete version.
  assert.equal(codeOf(() => decodePayload('version', Buffer.concat([payload, Buffer.from([1])]), OUR_PROTOCOL_VERSION)), 'TRAILING_BYTES');

  // Exactly 70001: we write the relay byte (≥ 70001) but the reader only reads it from
  // 70002, so a 70001 version carrying it has a trailing byte; without it, it parses.
  const at70001 = encodeMessage(versionMessage({ version: 70001 }));
  assert.equal(at70001.length, payload.length);
  assert.equal(codeOf(() => decodePayload('version', at70001, OUR_PROTOCOL_VERSION)), 'TRAILING_BYTES');
  const without = decodePayload('version', at70001.subarray(0, at70001.length - 1), OUR_PROTOCOL_VERSION) as VersionMessage;
  assert.equal(without.version, 70001);
  assert.equal(without.relay, false);
  // At 70000 no relay byte is written at all.
  assert.equal(encodeMessage(versionMessage({ version: 70000 })).length, payload.length - 1);
  // The parse version caps the effective version too: parsed as a 70001 peer, no relay byte is read.
  assert.equal(codeOf(() => decodePayload('version', payload, 70001)), 'TRAILING_BYTES');

  // User agent with a NUL inside: truncated like the reference (lenient, never hashed).
  const ua = Buffer.from('/odd\0tail/');
  const withNul = Buffer.concat([payload.subarray(0, 80), Buffer.from([ua.length]), ua, payload.subarray(81 + ours.userAgent.length)]);
  assert.equal((decodePayload('version', withNul, OUR_PROTOCOL_VERSION) as VersionMessage).userAgent, '/odd');
  // Non-minimal varint for the user agent length is accepted in the envelope.
  const nonMinimal = Buffer.concat([payload.subarray(0, 80), Buffer.from([0xfd, ours.userAgent.length, 0]), payload.subarray(81)]);
  assert.equal((decodePayload('version', nonMinimal, OUR_PROTOCOL_VERSION) as VersionMessage).userAgent, ours.userAgent);
  // A user agent length beyond the payload.
  const huge = Buffer.concat([payload.subarray(0, 80), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00])]);
  assert.equal(codeOf(() => decodePayload('version', huge, OUR_PROTOCOL_VERSION)), 'TRUNCATED');
  assert.equal(codeOf(() => encodeMessage(versionMessage({ startHeight: -1 }))), 'BAD_VALUE');
});

test('ping carries its nonce only for peers at ≥ 60001; pong always', () => {
  const ping = { command: 'ping', nonce: 0x3dba287416071c25n } as const;
  assert.equal(encodeMessage(ping).toString('hex'), '251c07167428ba3d');
  assert.deepEqual(roundTrip(ping), ping);
  assert.deepEqual(decodePayload('ping', Buffer.alloc(0), 60000), { command: 'ping', nonce: 0n });
  assert.equal(codeOf(() => decodePayload('ping', Buffer.alloc(8), 60000)), 'TRAILING_BYTES');
  assert.equal(codeOf(() => decodePayload('ping', Buffer.alloc(0), 60001)), 'TRUNCATED');
  const pong = { command: 'pong', nonce: 1n } as const;
  assert.deepEqual(roundTrip(pong), pong);
  assert.deepEqual(decodePayload('pong', Buffer.alloc(8, 0xff), 31402), { command: 'pong', nonce: (1n << 64n) - 1n });
  assert.equal(codeOf(() => decodePayload('pong', Buffer.alloc(7), OUR_PROTOCOL_VERSION)), 'TRUNCATED');
});

test('addr round-trips 30-byte entries; counts are bounded by the payload', () => {
  const addr: MessageOf<'addr'> = {
    command: 'addr',
    addresses: [
      { timestamp: 0, ...unspecifiedAddress() },
      { timestamp: 1585509085, ...netAddressFromHostPort('[2001:4860::1]:5251', 1n) },
    ],
  };
  const payload = encodeMessage(addr);
  assert.equal(payload.length, 1 + 60);
  assert.deepEqual(roundTrip(addr), addr);
  assert.equal(codeOf(() => decodePayload('addr', Buffer.concat([Buffer.from([3]), payload.subarray(1)]), OUR_PROTOCOL_VERSION)), 'OVERSIZE');
  // A cut entry: the count no longer fits what is left (checked before allocating).
  assert.equal(codeOf(() => decodePayload('addr', payload.subarray(0, 40), OUR_PROTOCOL_VERSION)), 'OVERSIZE');
});

test('inv / getdata / notfound keep raw type numbers; counts beyond the payload are OVERSIZE', () => {
  const inventory = [0, 1, 2, 3, 4, 0xdeadbeef].map((type, i) => ({ type, hash: hash(i + 1) }));
  for (const command of ['inv', 'getdata', 'notfound'] as const) {
    const msg = { command, inventory };
    assert.deepEqual(roundTrip(msg), msg);
  }
  assert.deepEqual(inventory.map((i) => referenceInventoryKind(i.type)), ['error', 'transaction', 'block', 'none', 'compact_block', 'none']);
  assert.equal(INVENTORY_TYPE.FILTERED_BLOCK, 3);
  // 0xfe ffffffff entries announced, 36 bytes present.
  const oversize = Buffer.concat([Buffer.from('feffffffff', 'hex'), Buffer.alloc(36)]);
  assert.equal(codeOf(() => decodePayload('inv', oversize, OUR_PROTOCOL_VERSION)), 'OVERSIZE');
  // 0xff + 8 bytes above 2^53: rejected before any arithmetic or allocation.
  assert.equal(codeOf(() => decodePayload('getdata', Buffer.from('ffffffffffffffffff', 'hex'), OUR_PROTOCOL_VERSION)), 'OVERSIZE');
  // Non-minimal count accepted in the envelope (the reference reads it).
  const nonMinimal = Buffer.concat([Buffer.from('fd0100', 'hex'), Buffer.from('02000000', 'hex'), hash(9)]);
  assert.equal((decodePayload('inv', nonMinimal, OUR_PROTOCOL_VERSION) as MessageOf<'inv'>).inventory.length, 1);
  assert.equal(codeOf(() => encodeMessage({ command: 'inv', inventory: [{ type: 1, hash: Buffer.alloc(31) }] })), 'BAD_VALUE');
});

test('getblocks / getheaders: version field is written as ours and kept as senderVersion on read', () => {
  const msg: MessageOf<'getheaders'> = { command: 'getheaders', locator: [hash(1), hash(2)], stopHash: hash(0) };
  const payload = encodeMessage(msg);
  assert.equal(payload.readUInt32LE(0), 70012);
  assert.equal(payload.length, 4 + 1 + 64 + 32);
  assert.deepEqual(roundTrip(msg), { ...msg, senderVersion: 70012 });
  const fromOld = Buffer.from(payload);
  fromOld.writeUInt32LE(31800, 0);
  const decoded = decodePayload('getblocks', fromOld, OUR_PROTOCOL_VERSION) as MessageOf<'getblocks'>;
  assert.equal(decoded.senderVersion, 31800);
  assert.equal(encodeMessage(decoded).readUInt32LE(0), 70012);
  assert.equal(codeOf(() => decodePayload('getblocks', payload.subarray(0, payload.length - 1), OUR_PROTOCOL_VERSION)), 'TRUNCATED');
  const hugeCount = Buffer.concat([payload.subarray(0, 4), Buffer.from('fe00000100', 'hex'), hash(0)]);
  assert.equal(codeOf(() => decodePayload('getheaders', hugeCount, OUR_PROTOCOL_VERSION)), 'OVERSIZE');
});

test('headers: 148-byte header + varint tx count, non-zero counts kept', () => {
  const header = genesis.header;
  const msg: MessageOf<'headers'> = { command: 'headers', headers: [{ header, txCount: 0 }, { header, txCount: 300 }] };
  const payload = encodeMessage(msg);
  assert.equal(payload.length, 1 + 148 + 1 + 148 + 3);
  const decoded = roundTrip(msg);
  assert.deepEqual(decoded.headers.map((e) => e.txCount), [0, 300]);
  assert.equal(decoded.headers[1].header.hashHex(), genesis.hashHex());
  // Count beyond the payload.
  assert.equal(codeOf(() => decodePayload('headers', Buffer.concat([Buffer.from([3]), payload.subarray(1)]), OUR_PROTOCOL_VERSION)), 'OVERSIZE');
  // Entry missing its tx count: too short for even one entry.
  assert.equal(codeOf(() => decodePayload('headers', Buffer.concat([Buffer.from([1]), header.toRaw()]), OUR_PROTOCOL_VERSION)), 'OVERSIZE');
  // Entry whose tx count varint is cut.
  assert.equal(codeOf(() => decodePayload('headers', Buffer.concat([Buffer.from([1]), header.toRaw(), Buffer.from([0xfd])]), OUR_PROTOCOL_VERSION)), 'TRUNCATED');
});

test('block and tx: chain codecs, strict inside the envelope', () => {
  const block = roundTrip({ command: 'block', block: genesis });
  assert.equal(block.block.hashHex(), genesis.hashHex());
  const tx = roundTrip({ command: 'tx', tx: genesisTx });
  assert.equal(tx.tx.txid(), genesisTx.txid());
  const raw = genesisTx.toRaw();
  // A non-minimal varint inside a transaction would change MVS's txid: rejected even in P2P.
  const nonMinimal = Buffer.concat([raw.subarray(0, 4), Buffer.from('fd0100', 'hex'), raw.subarray(5)]);
  assert.equal(codeOf(() => decodePayload('tx', nonMinimal, OUR_PROTOCOL_VERSION)), 'NON_MINIMAL_VARINT');
  assert.equal(codeOf(() => decodePayload('tx', Buffer.concat([raw, Buffer.from([0])]), OUR_PROTOCOL_VERSION)), 'TRAILING_BYTES');
  assert.equal(codeOf(() => decodePayload('block', genesis.toRaw().subarray(0, 200), OUR_PROTOCOL_VERSION)), 'TRUNCATED');
});

test('reject: hash only for block/tx; message compared after NUL truncation', () => {
  const forTx = { command: 'reject', message: 'tx', code: REJECT_CODE.DUST, reason: 'dust', hash: hash(7) } as const;
  assert.deepEqual(roundTrip(forTx, PROTOCOL_LEVEL.BIP61), forTx);
  const forVersion = { command: 'reject', message: 'version', code: REJECT_CODE.OBSOLETE, reason: 'old', hash: null } as const;
  assert.deepEqual(roundTrip(forVersion), forVersion);
  assert.equal(encodeMessage(forVersion).length, 1 + 7 + 1 + 1 + 3);
  assert.equal(codeOf(() => decodePayload('reject', encodeMessage(forVersion), 70001)), 'BAD_COMMAND');
  // "block\0x": the reference truncates to "block" and then expects the hash.
  const nulMessage = Buffer.concat([Buffer.from([7]), Buffer.from('block\0x'), Buffer.from([0x10, 0])]);
  assert.equal(codeOf(() => decodePayload('reject', nulMessage, OUR_PROTOCOL_VERSION)), 'TRUNCATED');
  const withHash = decodePayload('reject', Buffer.concat([nulMessage, hash(1)]), OUR_PROTOCOL_VERSION) as MessageOf<'reject'>;
  assert.equal(withHash.message, 'block');
  assert.ok(withHash.hash!.equals(hash(1)));
  assert.equal(codeOf(() => encodeMessage({ ...forTx, hash: null })), 'BAD_VALUE');
});

test('merkleblock, filterload, filteradd round-trip', () => {
  const merkle: MessageOf<'merkleblock'> = {
    command: 'merkleblock',
    header: genesis.header,
    txCount: 1,
    hashes: [hash(3)],
    flags: Buffer.from([1]),
  };
  const decoded = roundTrip(merkle);
  assert.equal(decoded.txCount, 1);
  assert.deepEqual(decoded.hashes, [hash(3)]);
  assert.deepEqual(decoded.flags, Buffer.from([1]));
  const filterload = { command: 'filterload', filter: Buffer.from('abcdef', 'hex'), hashFunctions: 11, tweak: 0xfffffffe, flags: 1 } as const;
  assert.deepEqual(roundTrip(filterload), filterload);
  const filteradd = { command: 'filteradd', data: Buffer.alloc(20, 5) } as const;
  assert.deepEqual(roundTrip(filteradd), filteradd);
  assert.equal(codeOf(() => decodePayload('filterload', Buffer.from('05abcdef', 'hex'), OUR_PROTOCOL_VERSION)), 'TRUNCATED');
  assert.equal(codeOf(() => decodePayload('filteradd', Buffer.from('ff0000000000000100', 'hex'), OUR_PROTOCOL_VERSION)), 'TRUNCATED');
});

test('compact-block messages parse only from ≥ 70014 peers', () => {
  const v = PROTOCOL_LEVEL.BIP152;
  const sendcmpct = { command: 'sendcmpct', highBandwidth: true, version: 1n } as const;
  assert.deepEqual(roundTrip(sendcmpct, v), sendcmpct);
  assert.equal(codeOf(() => decodePayload('sendcmpct', Buffer.from('020100000000000000', 'hex'), v)), 'BAD_VALUE');
  const cmpct: MessageOf<'cmpctblock'> = {
    command: 'cmpctblock',
    header: genesis.header,
    nonce: 42n,
    shortIds: [Buffer.from('010203040506', 'hex')],
    prefilled: [{ index: 0, tx: genesisTx }],
  };
  const decodedCmpct = roundTrip(cmpct, v);
  assert.equal(decodedCmpct.prefilled[0].tx.txid(), genesisTx.txid());
  const getblocktxn: MessageOf<'getblocktxn'> = { command: 'getblocktxn', blockHash: hash(4), indexes: [0, 5, 70000] };
  assert.deepEqual(roundTrip(getblocktxn, v), getblocktxn);
  const blocktxn = roundTrip({ command: 'blocktxn', blockHash: hash(4), txs: [genesisTx, genesisTx] }, v);
  assert.equal(blocktxn.txs.length, 2);
  for (const m of [sendcmpct, cmpct, getblocktxn] as P2PMessage[]) {
    assert.equal(codeOf(() => decodePayload(m.command, encodeMessage(m), 70013)), 'BAD_COMMAND');
  }
  assert.equal(codeOf(() => decodePayload('blocktxn', Buffer.concat([hash(4), Buffer.from('fe00000001', 'hex')]), v)), 'OVERSIZE');
});

test('decoded chain objects are copies, independent of the payload buffer', () => {
  const payload = encodeMessage({ command: 'headers', headers: [{ header: BlockHeader.fromRaw(genesis.header.toRaw()), txCount: 1 }] });
  const decoded = decodePayload('headers', payload, OUR_PROTOCOL_VERSION) as MessageOf<'headers'>;
  const before = decoded.headers[0].header.toHex();
  payload.fill(0);
  assert.equal(decoded.headers[0].header.toHex(), before);
  const txPayload = encodeMessage({ command: 'tx', tx: Transaction.fromRaw(genesisTx.toRaw()) });
  const tx = (decodePayload('tx', txPayload, OUR_PROTOCOL_VERSION) as MessageOf<'tx'>).tx;
  txPayload.fill(0);
  assert.equal(tx.txid(), genesisTx.txid());
});
