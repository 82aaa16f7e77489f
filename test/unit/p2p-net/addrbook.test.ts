import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressBook } from '../../../src/p2p/addrbook.js';
import { ipFromString, formatHostPort, type TimedNetAddress } from '../../../src/p2p/netaddr.js';

const addr = (host: string, port = 5251, services = 1n, timestamp = 1_600_000_000): TimedNetAddress => ({ ip: ipFromString(host), port, services, timestamp });
/** The reference's getaddr padding: timestamp 0, services 0, ip ::, port 0 (mvs-wire §7.4). */
const padding = (): TimedNetAddress => ({ ip: Buffer.alloc(16), port: 0, services: 0n, timestamp: 0 });

test('getaddr padding entries and other invalid addresses never enter the book', () => {
  const book = new AddressBook();
  const message = [padding(), addr('8.8.8.8'), padding(), addr('0.0.0.0'), addr('2001:db8::5'), addr('9.9.9.9', 0), padding(), addr('1.1.1.1')];
  assert.equal(book.addMany(message, 'gossip'), 2);
  assert.deepEqual(book.list().map((e) => e.key).sort(), ['1.1.1.1:5251', '8.8.8.8:5251']);
  assert.equal(book.add(addr('8.8.8.8'), 'gossip'), false, 'duplicate');
});

test('private addresses are refused unless accepted (regtest)', () => {
  assert.equal(new AddressBook().add(addr('192.168.1.2'), 'gossip'), false);
  assert.equal(new AddressBook().add(addr('127.0.0.1'), 'gossip'), false);
  assert.equal(new AddressBook({ acceptPrivate: true }).add(addr('127.0.0.1'), 'gossip'), true);
});

test('the book is bounded; entries that once connected survive a gossip flood', () => {
  const book = new AddressBook({ capacity: 100 });
  book.add(addr('3.3.3.3'), 'gossip');
  book.markSuccess('3.3.3.3:5251');
  for (let i = 0; i < 5000; i++) book.add(addr(`44.${(i >> 8) & 255}.${i & 255}.1`), 'gossip');
  assert.equal(book.size, 100);
  assert.equal(book.has('3.3.3.3:5251'), true);
});

test('exponential backoff per address; gossiped addresses that never worked are forgotten', () => {
  let now = 1_000_000;
  const book = new AddressBook({ now: () => now, retryBaseMs: 1000, retryMaxMs: 8000, maxFailures: 5, random: () => 0 });
  book.add(addr('5.5.5.5'), 'gossip');
  book.add(addr('6.6.6.6'), 'seed');
  const key = '5.5.5.5:5251';
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    book.markFailure(key);
    delays.push(book.get(key)!.nextAttempt - now);
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000]);
  assert.equal(book.backoffMs(30), 8000, 'capped');
  // Not dialled while backing off.
  assert.equal(book.pickForDial((e) => e.key !== key)?.key, undefined);
  now += 8000;
  assert.equal(book.pickForDial((e) => e.key !== key)?.key, key);
  book.markFailure(key);
  assert.equal(book.has(key), false, 'forgotten after maxFailures');
  for (let i = 0; i < 20; i++) book.markFailure('6.6.6.6:5251');
  assert.equal(book.has('6.6.6.6:5251'), true, 'seeds are kept');
  book.markSuccess('6.6.6.6:5251');
  assert.equal(book.get('6.6.6.6:5251')!.failures, 0);
  assert.equal(book.get('6.6.6.6:5251')!.nextAttempt, 0);
});

test('getaddr answers: reference-sized random slices without padding, empty when the book is', () => {
  assert.deepEqual(new AddressBook().sample(), []);
  const book = new AddressBook({ random: () => 0 });
  book.add(addr('7.7.7.7'), 'gossip');
  assert.equal(book.sample().length, 1, 'max(1, …)');
  assert.equal(book.sample('7.7.7.7:5251').length, 0, 'the asking peer is left out');
  for (let i = 0; i < 999; i++) book.add(addr(`45.0.${i >> 8}.${i & 255}`), 'gossip');
  const slice = book.sample();
  assert.equal(slice.length, 200, '1000 / 5 with random() = 0');
  assert.ok(slice.every((a) => a.port !== 0 && a.services === 1n));
  const big = new AddressBook({ random: () => 0.999 });
  for (let i = 0; i < 1000; i++) big.add(addr(`46.0.${i >> 8}.${i & 255}`), 'gossip');
  assert.equal(big.sample().length, 100, '1000 / 10');
});

test('persistence round trip of hosts.json', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mvs-hosts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let now = 5_000_000;
  const book = new AddressBook({ dataDir: dir, now: () => now });
  book.add(addr('8.8.4.4', 5251, 1n, 1_650_000_000), 'gossip');
  book.add(addr('2a00:1450::1', 15251, 5n), 'seed');
  book.add(addr('1.0.0.1'), 'manual');
  book.markSuccess('8.8.4.4:5251');
  book.markFailure('1.0.0.1:5251');
  book.save();

  const loaded = new AddressBook({ dataDir: dir, now: () => now });
  loaded.load();
  assert.equal(loaded.size, 3);
  const a = loaded.get('8.8.4.4:5251')!;
  assert.equal(a.lastSuccess, 5_000_000);
  assert.equal(a.timestamp, 1_650_000_000);
  assert.equal(a.services, 1n);
  const b = loaded.get('[2a00:1450::1]:15251')!;
  assert.equal(b.source, 'seed');
  assert.equal(b.services, 5n);
  assert.equal(formatHostPort(b), '[2a00:1450::1]:15251');
  assert.equal(loaded.get('1.0.0.1:5251')!.failures, 1);
  assert.equal(loaded.get('1.0.0.1:5251')!.source, 'manual');
});
