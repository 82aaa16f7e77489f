import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as noble from '@noble/secp256k1';
import {
  BACKEND_ENV,
  CURVE_ORDER,
  availableBackends,
  getBackend,
  getSecp256k1,
  isHighS,
  loadNativeBackend,
  nobleBackend,
  normalizeLowS,
  selectBackendName,
  type Secp256k1Backend,
} from '../../../src/crypto/secp256k1/index.js';
import { scalarToBytes, bytesToScalar, isScalarOverflow } from '../../../src/crypto/secp256k1/scalar.js';
import { sha256 } from '../../../src/crypto/hash.js';

const key = (i: number) => sha256(Buffer.from(`mvs-node test key ${i}`));
const digest = (i: number) => sha256(Buffer.from(`mvs-node test message ${i}`));
const scalar = (v: bigint) => scalarToBytes(v);
const backends: Secp256k1Backend[] = availableBackends().map((n) => getBackend(n));
const INDEX_URL = new URL('../../../src/crypto/secp256k1/index.js', import.meta.url);

/** An x coordinate with no curve point (x³ + 7 not a square mod p). */
function xWithoutPoint(): Buffer {
  for (let x = 1n; ; x++) {
    const candidate = Buffer.concat([Buffer.from([0x02]), scalar(x)]);
    if (!noble.utils.isValidPublicKey(candidate)) return candidate;
  }
}

function highS(sig: Uint8Array): Buffer {
  const out = Buffer.from(sig);
  scalar(CURVE_ORDER - bytesToScalar(sig.subarray(32))).copy(out, 32);
  return out;
}

test('backend selection: env override, fallback to noble, errors for bad values', () => {
  assert.equal(selectBackendName({ [BACKEND_ENV]: 'noble' }), 'noble');
  assert.equal(selectBackendName({ [BACKEND_ENV]: ' Noble ' }), 'noble');
  assert.equal(selectBackendName({}, false), 'noble', 'no addon: noble');
  assert.equal(selectBackendName({}, true), 'native', 'addon: native');
  assert.equal(selectBackendName({ [BACKEND_ENV]: 'noble' }, true), 'noble');
  assert.throws(() => selectBackendName({ [BACKEND_ENV]: 'native' }, false), /did not load/);
  assert.throws(() => selectBackendName({ [BACKEND_ENV]: 'openssl' }), /must be 'noble' or 'native'/);
  const missing = loadNativeBackend('secp256k1/no-such-binding');
  assert.equal(missing.backend, null);
  assert.ok(missing.error instanceof Error);
  assert.equal(getBackend('noble'), nobleBackend);
  assert.ok(availableBackends().includes('noble'));
  assert.equal(getSecp256k1().name, process.env[BACKEND_ENV]?.trim().toLowerCase() || availableBackends()[0]);
});

test(`${BACKEND_ENV}=noble makes noble the default in a fresh process`, () => {
  const script = `import(${JSON.stringify(INDEX_URL.href)}).then((m) => console.log(m.getSecp256k1().name))`;
  const run = (value: string | undefined) => {
    const env = { ...process.env };
    if (value === undefined) delete env[BACKEND_ENV];
    else env[BACKEND_ENV] = value;
    return spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
  };
  const forced = run('noble');
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal(forced.stdout.trim(), 'noble');
  const bogus = run('bogus');
  assert.notEqual(bogus.status, 0);
  assert.match(bogus.stderr, /must be 'noble' or 'native'/);
  const byDefault = run(undefined);
  assert.equal(byDefault.stdout.trim(), availableBackends()[0], byDefault.stderr);
  assert.ok(fileURLToPath(INDEX_URL).endsWith('index.js'));
});

test('native and noble give identical results', (t) => {
  if (backends.length < 2) {
    if (process.env.CI === 'true') assert.fail('native backend unavailable under CI');
    t.skip('native backend unavailable');
    return;
  }
  const [a, b] = backends;
  for (let i = 0; i < 6; i++) {
    const k = key(i);
    const m = digest(i);
    for (const compressed of [true, false]) assert.deepEqual(a.publicKeyCreate(k, compressed), b.publicKeyCreate(k, compressed));
    const sa = a.sign(m, k);
    assert.deepEqual(sa, b.sign(m, k), 'RFC6979 signatures agree');
    assert.equal(isHighS(sa), false, 'signing gives low S');
    const ra = a.signRecoverable(m, k);
    assert.deepEqual(ra, b.signRecoverable(m, k));
    assert.deepEqual(ra.signature, sa);
    for (const compressed of [true, false]) {
      assert.deepEqual(a.recover(sa, ra.recovery, m, compressed), a.publicKeyCreate(k, compressed));
      assert.deepEqual(b.recover(sa, ra.recovery, m, compressed), a.publicKeyCreate(k, compressed));
    }
    const pub = a.publicKeyCreate(k, true);
    assert.deepEqual(a.publicKeyConvert(pub, false), b.publicKeyConvert(pub, false));
    const tweak = digest(100 + i);
    assert.deepEqual(a.privateKeyTweakAdd(k, tweak), b.privateKeyTweakAdd(k, tweak));
    assert.deepEqual(a.publicKeyTweakAdd(pub, tweak, true), b.publicKeyTweakAdd(pub, tweak, true));
  }
});

for (const backend of backends) {
  test(`${backend.name}: verify accepts valid and high-S, rejects everything else without throwing`, () => {
    const k = key(1);
    const m = digest(1);
    const pub = backend.publicKeyCreate(k, true);
    const pubFull = backend.publicKeyCreate(k, false);
    const sig = backend.sign(m, k);
    assert.ok(backend.verify(sig, m, pub));
    assert.ok(backend.verify(sig, m, pubFull), 'uncompressed key');

    // High S: the reference normalizes before verifying, so it is valid on MVS.
    const high = highS(sig);
    assert.ok(isHighS(high));
    assert.deepEqual(normalizeLowS(high), Buffer.from(sig));
    assert.ok(backend.verify(high, m, pub), 'high-S accepted');

    // Hybrid keys (06/07) parse in libsecp256k1; a wrong parity prefix does not.
    const hybrid = Buffer.from(pubFull);
    hybrid[0] = (hybrid[64] & 1) === 1 ? 0x07 : 0x06;
    assert.ok(backend.verify(sig, m, hybrid), 'hybrid key');
    hybrid[0] ^= 1;
    assert.equal(backend.verify(sig, m, hybrid), false, 'hybrid key with wrong parity');

    assert.equal(backend.verify(sig, digest(2), pub), false, 'wrong message');
    assert.equal(backend.verify(sig, m, backend.publicKeyCreate(key(2), true)), false, 'wrong key');
    const flipped = Buffer.from(sig);
    flipped[10] ^= 0x01;
    assert.equal(backend.verify(flipped, m, pub), false, 'altered r');

    const badKeys: [string, Uint8Array][] = [
      ['unknown prefix', Buffer.concat([Buffer.from([0x05]), pub.subarray(1)])],
      ['x off the curve', xWithoutPoint()],
      ['uncompressed y off the curve', Buffer.concat([pubFull.subarray(0, 64), Buffer.from([pubFull[64] ^ 1])])],
      ['32 bytes', pub.subarray(1)],
      ['64 bytes', pubFull.subarray(1)],
      ['empty', Buffer.alloc(0)],
      ['compressed prefix on 65 bytes', Buffer.concat([Buffer.from([0x02]), pubFull.subarray(1)])],
    ];
    for (const [what, bad] of badKeys) assert.equal(backend.verify(sig, m, bad), false, what);

    const r = sig.subarray(0, 32);
    const s = sig.subarray(32);
    const badSigs: [string, Uint8Array][] = [
      ['r = 0', Buffer.concat([Buffer.alloc(32), s])],
      ['s = 0', Buffer.concat([r, Buffer.alloc(32)])],
      ['r = n', Buffer.concat([scalar(CURVE_ORDER), s])],
      ['s = n', Buffer.concat([r, scalar(CURVE_ORDER)])],
      ['r = 2^256 - 1', Buffer.concat([Buffer.alloc(32, 0xff), s])],
      ['63 bytes', sig.subarray(1)],
      ['65 bytes', Buffer.concat([sig, Buffer.alloc(1)])],
    ];
    for (const [what, bad] of badSigs) assert.equal(backend.verify(bad, m, pub), false, what);
    assert.equal(backend.verify(sig, m.subarray(1), pub), false, '31-byte message');
    assert.equal(backend.verify(null as unknown as Uint8Array, m, pub), false, 'null signature');
    assert.equal(backend.verify(sig, 'abc' as unknown as Uint8Array, pub), false, 'string message');
    assert.equal(backend.verify(sig, m, [1, 2, 3] as unknown as Uint8Array), false, 'array key');
  });

  test(`${backend.name}: private keys and tweaks`, () => {
    const invalid: [string, Uint8Array][] = [
      ['0', scalar(0n)],
      ['n', scalar(CURVE_ORDER)],
      ['n + 1', scalar(CURVE_ORDER + 1n)],
      ['2^256 - 1', Buffer.alloc(32, 0xff)],
      ['31 bytes', Buffer.alloc(31, 1)],
      ['33 bytes', Buffer.alloc(33, 1)],
    ];
    for (const [what, k] of invalid) {
      assert.equal(backend.privateKeyVerify(k), false, what);
      assert.throws(() => backend.sign(digest(0), k), RangeError, `sign with ${what}`);
      assert.throws(() => backend.publicKeyCreate(k, true), RangeError, `publicKeyCreate with ${what}`);
      assert.equal(backend.privateKeyTweakAdd(k, digest(0)), null, `tweak of ${what}`);
    }
    assert.ok(backend.privateKeyVerify(scalar(1n)));
    assert.ok(backend.privateKeyVerify(scalar(CURVE_ORDER - 1n)));

    const k = key(3);
    const kv = bytesToScalar(k);
    const before = Buffer.from(k);
    const t = digest(3);
    assert.deepEqual(backend.privateKeyTweakAdd(k, t), scalar((kv + bytesToScalar(t)) % CURVE_ORDER));
    assert.deepEqual(k, before, 'tweak does not modify its input');
    assert.deepEqual(backend.privateKeyTweakAdd(k, scalar(0n)), k, 'zero tweak');
    assert.equal(backend.privateKeyTweakAdd(k, scalar(CURVE_ORDER)), null, 'tweak = n');
    assert.equal(backend.privateKeyTweakAdd(k, scalar(CURVE_ORDER - kv)), null, 'result zero');

    const pub = backend.publicKeyCreate(k, true);
    const tweaked = backend.privateKeyTweakAdd(k, t)!;
    assert.deepEqual(backend.publicKeyTweakAdd(pub, t, true), backend.publicKeyCreate(tweaked, true), 'P + tG = (k + t)G');
    assert.deepEqual(backend.publicKeyTweakAdd(pub, t, false), backend.publicKeyCreate(tweaked, false));
    assert.deepEqual(backend.publicKeyTweakAdd(pub, scalar(0n), true), pub, 'zero tweak keeps the point');
    assert.equal(backend.publicKeyTweakAdd(pub, scalar(CURVE_ORDER), true), null, 'tweak = n');
    assert.equal(backend.publicKeyTweakAdd(pub, scalar(CURVE_ORDER - kv), true), null, 'point at infinity');
    assert.equal(backend.publicKeyTweakAdd(xWithoutPoint(), t, true), null, 'invalid point');
    assert.equal(backend.publicKeyConvert(xWithoutPoint(), false), null);
    assert.equal(backend.recover(backend.sign(digest(0), k), 4, digest(0), true), null, 'recovery id 4');
    assert.equal(backend.recover(Buffer.alloc(64), 0, digest(0), true), null, 'zero signature');
  });
}

test('isScalarOverflow: the byte comparison agrees with bigint at the boundaries and at an offset', () => {
  for (const [value, overflow] of [
    [0n, false],
    [1n, false],
    [CURVE_ORDER - 1n, false],
    [CURVE_ORDER, true],
    [CURVE_ORDER + 1n, true],
    [(1n << 256n) - 1n, true],
    [CURVE_ORDER - (1n << 128n), false],
  ] as const) {
    const bytes = scalarToBytes(value);
    assert.equal(isScalarOverflow(bytes), overflow, `value ${value.toString(16)}`);
    assert.equal(bytesToScalar(bytes) >= CURVE_ORDER, overflow);
    const padded = Buffer.concat([Buffer.alloc(32, 0xff), bytes]);
    assert.equal(isScalarOverflow(padded, 32), overflow, 'at offset 32');
  }
});
