import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BanList, DEFAULT_BAN_SECONDS } from '../../../src/p2p/bans.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mvs-bans-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('bans apply to the host whatever the port or notation, and expire', (t) => {
  let now = 1_700_000_000_000;
  const bans = new BanList({ now: () => now });
  const entry = bans.ban('10.1.2.3:5251', 3600, 'bad magic');
  assert.equal(entry.host, '10.1.2.3');
  assert.equal(entry.until, 1_700_000_000 + 3600);
  assert.equal(bans.isBanned('10.1.2.3'), true);
  assert.equal(bans.isBanned('10.1.2.3:40000'), true);
  assert.equal(bans.isBanned('::ffff:10.1.2.3'), true);
  assert.equal(bans.isBanned('10.1.2.4'), false);
  assert.equal(bans.isBanned('not an ip'), false);
  now += 3599_000;
  assert.equal(bans.isBanned('10.1.2.3'), true);
  now += 1000;
  assert.equal(bans.isBanned('10.1.2.3'), false, 'expired');
  assert.equal(bans.list().length, 0);
  assert.throws(() => bans.ban('example.com'));
  void t;
});

test('a shorter ban does not cut a longer one; unban lifts it', () => {
  const bans = new BanList();
  const long = bans.ban('[2001:db8::1]:5251', DEFAULT_BAN_SECONDS, 'flood');
  const again = bans.ban('2001:db8::1', 60, 'other');
  assert.equal(again.until, long.until);
  assert.equal(again.reason, 'flood');
  assert.equal(bans.unban('2001:db8::1'), true);
  assert.equal(bans.isBanned('2001:db8::1'), false);
  assert.equal(bans.unban('2001:db8::1'), false);
});

test('bans persist in bans.json and expired ones are dropped on load', (t) => {
  const dir = tempDir(t);
  let now = 1_700_000_000_000;
  const first = new BanList({ dataDir: dir, now: () => now });
  first.ban('1.2.3.4', 100, 'invalid header: proof_of_work');
  first.ban('5.6.7.8', 10_000, 'ping flood');
  const saved = JSON.parse(readFileSync(join(dir, 'bans.json'), 'utf8'));
  assert.equal(saved.bans.length, 2);

  now += 200_000; // the first ban has expired by then
  const second = new BanList({ dataDir: dir, now: () => now });
  second.load();
  assert.deepEqual(second.list().map((b) => [b.host, b.reason]), [['5.6.7.8', 'ping flood']]);
  assert.equal(second.isBanned('5.6.7.8'), true);
  assert.equal(second.isBanned('1.2.3.4'), false);
});

test('a corrupt or foreign bans.json is ignored, not fatal', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'bans.json'), '{not json');
  const a = new BanList({ dataDir: dir });
  a.load();
  assert.equal(a.size, 0);
  writeFileSync(join(dir, 'bans.json'), JSON.stringify({ bans: [{ host: 'x' }, { host: '9.9.9.9', until: 'soon' }, 42] }));
  const b = new BanList({ dataDir: dir });
  b.load();
  assert.equal(b.size, 0);
});
