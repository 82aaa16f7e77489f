import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferReader } from '../../../src/primitives/reader.js';
import { BufferWriter } from '../../../src/primitives/writer.js';
import { CodecError } from '../../../src/primitives/errors.js';
import {
  decodeNetAddress,
  decodeTimedNetAddress,
  encodeNetAddress,
  encodeTimedNetAddress,
  formatHostPort,
  ipFromString,
  ipToString,
  isRoutable,
  isValidAddress,
  netAddressFromHostPort,
  parseHostPort,
  unspecifiedAddress,
} from '../../../src/p2p/netaddr.js';

test('26-byte form: services LE, IPv4-mapped ip, port big-endian', () => {
  const a = netAddressFromHostPort('198.199.84.199:5251', 1n);
  const w = new BufferWriter();
  encodeNetAddress(w, a);
  const bytes = w.finish();
  assert.equal(bytes.toString('hex'), '0100000000000000' + '00000000000000000000ffffc6c754c7' + '1483');
  const r = new BufferReader(bytes);
  assert.deepEqual(decodeNetAddress(r), a);
  r.assertEnd();
});

test('30-byte form carries a u32 timestamp first', () => {
  const a = { timestamp: 1585509085, ...netAddressFromHostPort('[2001:4860::8888]:15251', 9n) };
  const w = new BufferWriter();
  encodeTimedNetAddress(w, a);
  const bytes = w.finish();
  assert.equal(bytes.length, 30);
  assert.equal(bytes.readUInt32LE(0), 1585509085);
  assert.equal(bytes.readUInt16BE(28), 15251);
  assert.deepEqual(decodeTimedNetAddress(new BufferReader(bytes)), a);
  assert.throws(() => decodeTimedNetAddress(new BufferReader(bytes.subarray(0, 29))), { code: 'TRUNCATED' });
});

test('ip text round-trips in canonical form', () => {
  const cases: Array<[string, string, string]> = [
    ['1.2.3.4', '00000000000000000000ffff01020304', '1.2.3.4'],
    ['::ffff:95.116.169.107', '00000000000000000000ffff5f74a96b', '95.116.169.107'],
    ['::', '00000000000000000000000000000000', '::'],
    ['::1', '00000000000000000000000000000001', '::1'],
    ['2001:db8::1', '20010db8000000000000000000000001', '2001:db8::1'],
    ['fe80:0:0:0:1:0:0:1', 'fe800000000000000001000000000001', 'fe80::1:0:0:1'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008', '1:2:3:4:5:6:7:8'],
    ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221', '64:ff9b::c000:221'],
  ];
  for (const [text, hex, canonical] of cases) {
    const ip = ipFromString(text);
    assert.equal(ip.toString('hex'), hex, text);
    assert.equal(ipToString(ip), canonical, text);
    assert.ok(ipFromString(canonical).equals(ip));
  }
  for (const bad of ['1.2.3', 'example.org', '1::2::3', '12345::', 'fe80::1%eth0', '']) {
    assert.throws(() => ipFromString(bad), (e: unknown) => e instanceof CodecError && e.code === 'BAD_VALUE', bad);
  }
});

test('host:port strings', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:5251'), { ip: ipFromString('127.0.0.1'), port: 5251 });
  assert.deepEqual(parseHostPort('[::1]:15251'), { ip: ipFromString('::1'), port: 15251 });
  assert.deepEqual(parseHostPort('10.0.0.1', 5251), { ip: ipFromString('10.0.0.1'), port: 5251 });
  assert.deepEqual(parseHostPort('2001:db8::2', 5251), { ip: ipFromString('2001:db8::2'), port: 5251 });
  assert.equal(formatHostPort(parseHostPort('[2001:DB8::2]:1')), '[2001:db8::2]:1');
  assert.equal(formatHostPort(parseHostPort('8.8.8.8:5251')), '8.8.8.8:5251');
  for (const bad of ['1.2.3.4:65536', '1.2.3.4:', '1.2.3.4:x', 'seed.getmvs.org:5251', '1.2.3.4']) {
    assert.throws(() => parseHostPort(bad), { code: 'BAD_VALUE' }, bad);
  }
});

test('isValidAddress flags the zero padding of getaddr answers and the reference-invalid ranges', () => {
  const padding = { timestamp: 0, ...unspecifiedAddress() };
  assert.equal(isValidAddress(padding), false);
  assert.equal(isValidAddress({ ip: ipFromString('0.0.0.0'), port: 5251 }), false);
  assert.equal(isValidAddress({ ip: ipFromString('::'), port: 5251 }), false);
  assert.equal(isValidAddress({ ip: ipFromString('2001:db8::7'), port: 5251 }), false);
  assert.equal(isValidAddress({ ip: ipFromString('8.8.8.8'), port: 0 }), false);
  // "3-byte shifted" garbage pattern the reference also drops.
  assert.equal(isValidAddress({ ip: Buffer.from('00000000000000ffff00000000000001', 'hex'), port: 5251 }), false);
  assert.equal(isValidAddress({ ip: ipFromString('95.116.169.107'), port: 58616 }), true);
  assert.equal(isValidAddress({ ip: ipFromString('2001:4860::8888'), port: 5251 }), true);
  assert.equal(isValidAddress({ ip: ipFromString('192.168.1.1'), port: 5251 }), true);
});

test('isRoutable additionally drops private, link-local and loopback ranges', () => {
  for (const host of ['10.1.2.3', '192.168.0.1', '172.16.0.1', '172.31.255.255', '169.254.1.1', '127.0.0.1', 'fe80::1', 'fd00::1', '::1', '2001:10::1']) {
    assert.equal(isRoutable({ ip: ipFromString(host), port: 5251 }), false, host);
  }
  for (const host of ['8.8.8.8', '172.32.0.1', '95.116.169.107', '2a01:4f8::1']) {
    assert.equal(isRoutable({ ip: ipFromString(host), port: 5251 }), true, host);
  }
  assert.equal(isRoutable({ ip: ipFromString('8.8.8.8'), port: 0 }), false);
});

test('encoders refuse malformed addresses', () => {
  const w = new BufferWriter();
  assert.throws(() => encodeNetAddress(w, { services: 0n, ip: Buffer.alloc(4), port: 1 }), { code: 'BAD_VALUE' });
  assert.throws(() => encodeNetAddress(w, { services: 0n, ip: Buffer.alloc(16), port: 70000 }), { code: 'BAD_VALUE' });
  assert.throws(() => encodeNetAddress(w, { services: -1n, ip: Buffer.alloc(16), port: 1 }), { code: 'BAD_VALUE' });
  assert.throws(() => encodeTimedNetAddress(w, { timestamp: -1, ...unspecifiedAddress() }), { code: 'BAD_VALUE' });
});
