import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CURVE_ORDER, compactToDer, parseDerLax } from '../../../src/crypto/secp256k1/index.js';
import { bytesToScalar, scalarToBytes } from '../../../src/crypto/secp256k1/scalar.js';
import { hash160 } from '../../../src/crypto/hash.js';
import { p2pkhScript } from '../../../src/primitives/script.js';
import { SCRIPT_VERIFY, ALL_SCRIPT_FLAGS } from '../../../src/consensus/script/flags.js';
import { verifyScript, interpretScripts } from '../../../src/consensus/script/interpreter.js';
import type { SignatureChecker } from '../../../src/consensus/script/checker.js';
import { OP, MVS_CONSENSUS_FLAGS, SIGHASH, script, raw, testKey, spendingTx, sign, checkerFor, backendsUnderTest } from './fixtures.js';

/**
 * verifyScript takes a shortcut for P2PKH outputs spent by two direct pushes
 * (interpreter.ts verifyPayKeyHash); its verdict — code and message — must be
 * the interpreter's for every input and every flag set.
 */

const FLAG_SETS = [
  MVS_CONSENSUS_FLAGS,
  SCRIPT_VERIFY.NONE,
  ALL_SCRIPT_FLAGS,
  SCRIPT_VERIFY.STRICTENC | SCRIPT_VERIFY.LOW_S,
  SCRIPT_VERIFY.CLEANSTACK | SCRIPT_VERIFY.P2SH | SCRIPT_VERIFY.SIGPUSHONLY | SCRIPT_VERIFY.MINIMALDATA,
];

/**
 * Records the scriptCode objects signatures are checked against: the shortcut
 * passes the output script itself, the interpreter a scriptCode it derives.
 */
function recording(inner: SignatureChecker): SignatureChecker & { scriptCodes: Buffer[] } {
  const c = {
    scriptCodes: [] as Buffer[],
    checkSig(sig: Uint8Array, pubkey: Uint8Array, scriptCode: Buffer) {
      c.scriptCodes.push(scriptCode);
      return inner.checkSig(sig, pubkey, scriptCode);
    },
    checkLockTime: (n: number) => inner.checkLockTime(n),
    checkSequence: (n: number) => inner.checkSequence(n),
  };
  return c;
}

function highS(sigWithType: Buffer): Buffer {
  const compact = parseDerLax(sigWithType.subarray(0, -1))!;
  const s = bytesToScalar(compact.subarray(32));
  const flipped = Buffer.concat([compact.subarray(0, 32), scalarToBytes(CURVE_ORDER - s)]);
  return Buffer.concat([compactToDer(flipped), sigWithType.subarray(-1)]);
}

for (const { name, backend } of backendsUnderTest()) {
  test(`[${name}] the P2PKH shortcut gives the interpreter's verdict, case by case and on 3,000 mutated inputs`, () => {
    const alice = testKey(11, backend);
    const bob = testKey(12, backend);
    const tx = spendingTx(1);
    const prev = p2pkhScript(alice.hash).raw;
    const prevUncompressed = p2pkhScript(hash160(alice.pubkeyUncompressed)).raw;
    const sig = sign(tx, 0, prev, alice, backend);
    const sigUncompressed = sign(tx, 0, prevUncompressed, alice, backend);
    const hybrid = Buffer.from(alice.pubkeyUncompressed);
    hybrid[0] = 0x06 + (hybrid[64] & 1);
    const otherType = Buffer.concat([sig.subarray(0, -1), Buffer.from([0x05])]);

    const cases: [string, Buffer, Buffer][] = [
      ['valid', script(sig, alice.pubkey), prev],
      ['valid, uncompressed key', script(sigUncompressed, alice.pubkeyUncompressed), prevUncompressed],
      ['wrong key for the hash', script(sig, bob.pubkey), prev],
      ["wrong signer in the key's own script", script(sig, bob.pubkey), p2pkhScript(bob.hash).raw],
      ['high S', script(highS(sig), alice.pubkey), prev],
      ['hybrid key', script(sign(tx, 0, p2pkhScript(hash160(hybrid)).raw, alice, backend), hybrid), p2pkhScript(hash160(hybrid)).raw],
      ['undefined hash type', script(otherType, alice.pubkey), prev],
      ['PUSHDATA1 signature', Buffer.concat([Buffer.from([OP.PUSHDATA1, sig.length]), sig, script(alice.pubkey)]), prev],
      ['three pushes', script(sig, alice.pubkey, alice.pubkey), prev],
      ['trailing opcode', script(sig, alice.pubkey, OP.NOP), prev],
      ['20-byte signature', script(raw(Buffer.concat([Buffer.from([20]), Buffer.alloc(20, 0x30)])), alice.pubkey), prev],
      ['empty scriptSig', Buffer.alloc(0), prev],
    ];
    let shortcut = 0;
    const compare = (label: string, scriptSig: Buffer, prevScript: Buffer) => {
      for (const flags of FLAG_SETS) {
        const quick = recording(checkerFor(tx, 0, backend));
        const got = verifyScript(scriptSig, prevScript, flags, quick);
        assert.deepEqual(got, interpretScripts(scriptSig, prevScript, flags, checkerFor(tx, 0, backend)), `${label}, flags ${flags}`);
        // Decided by the shortcut: exactly one signature check, against the output script itself.
        if (quick.scriptCodes.length === 1 && quick.scriptCodes[0] === prevScript) shortcut++;
      }
    };
    for (const [label, scriptSig, prevScript] of cases) compare(label, scriptSig, prevScript);
    assert.equal(verifyScript(script(sig, alice.pubkey), prev, MVS_CONSENSUS_FLAGS, checkerFor(tx, 0, backend)).ok, true);

    // Every single-byte change and truncation of a valid spend and of its output script.
    let seed = 7;
    const rand = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * n);
    const good = script(sig, alice.pubkey);
    for (let n = 0; n < 3000; n++) {
      const s = Buffer.from(good);
      const p = Buffer.from(prev);
      const target = rand(4) === 0 ? p : s;
      const at = rand(target.length);
      if (rand(5) === 0) {
        compare(`truncated at ${at}`, s.subarray(0, at), p);
      } else {
        target[at] = rand(4) === 0 ? [0x14, 0x21, 0x41, 0x47, 0x48, 0x4c, SIGHASH.ALL][rand(7)] : rand(256);
        compare(`byte ${at} of ${target === p ? 'output' : 'scriptSig'}`, s, p);
      }
    }
    // The shortcut must have decided most of these cases itself (a single signature check).
    assert.ok(shortcut > 5000, `shortcut decided ${shortcut} verdicts`);
  });
}
