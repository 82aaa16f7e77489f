import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CURVE_ORDER, compactToDer, parseDerLax } from '../../../src/crypto/secp256k1/index.js';
import { bytesToScalar, scalarToBytes } from '../../../src/crypto/secp256k1/scalar.js';
import { hash160 } from '../../../src/crypto/hash.js';
import { signatureHash, ONE_HASH } from '../../../src/consensus/sighash.js';
import { p2pkhScript, p2shScript, multisigScript } from '../../../src/primitives/script.js';
import { SCRIPT_VERIFY, MVS_CONSENSUS_FLAGS } from '../../../src/consensus/script/flags.js';
import { isUnreproducibleSighash } from '../../../src/consensus/script/checker.js';
import type { Secp256k1Backend } from '../../../src/crypto/secp256k1/types.js';
import {
  OP,
  OPN,
  SIGHASH,
  script,
  run,
  assertOk,
  assertCode,
  testKey,
  spendingTx,
  etpOutput,
  sign,
  checkerFor,
  backendsUnderTest,
  type TestKey,
} from './fixtures.js';

/** Re-encode a DER signature with s replaced by n − s (the other valid signature). */
function flipS(sigWithType: Buffer): Buffer {
  const compact = parseDerLax(sigWithType.subarray(0, -1))!;
  const s = bytesToScalar(compact.subarray(32));
  const flipped = Buffer.concat([compact.subarray(0, 32), scalarToBytes(CURVE_ORDER - s)]);
  return Buffer.concat([compactToDer(flipped), sigWithType.subarray(-1)]);
}

/** Pad R with one needless zero byte: lax-parseable, not strict DER. */
function padR(sigWithType: Buffer): Buffer {
  const der = sigWithType.subarray(0, -1);
  const lenR = der[3];
  const r = der.subarray(4, 4 + lenR);
  const rest = der.subarray(4 + lenR);
  const body = Buffer.concat([Buffer.from([0x02, lenR + 1, 0x00]), r, rest]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body, sigWithType.subarray(-1)]);
}

function p2pkhSpend(backend: Secp256k1Backend, key: TestKey, options: { hashType?: number; pubkey?: Buffer; tx?: ReturnType<typeof spendingTx>; index?: number } = {}) {
  const tx = options.tx ?? spendingTx(1);
  const index = options.index ?? 0;
  const pubkey = options.pubkey ?? key.pubkey;
  const prevScript = p2pkhScript(hash160(pubkey)).raw;
  const sig = sign(tx, index, prevScript, key, backend, options.hashType ?? SIGHASH.ALL);
  return { tx, index, prevScript, sig, pubkey };
}

for (const { name, backend } of backendsUnderTest()) {
  const alice = testKey(1, backend);
  const bob = testKey(2, backend);
  const carol = testKey(3, backend);

  test(`[${name}] CHECKSIG: P2PKH with compressed and uncompressed keys; wrong key, bad signature`, () => {
    for (const pubkey of [alice.pubkey, alice.pubkeyUncompressed]) {
      const s = p2pkhSpend(backend, alice, { pubkey });
      assertOk(run(script(s.sig, pubkey), s.prevScript, MVS_CONSENSUS_FLAGS, checkerFor(s.tx, 0, backend)));
    }
    const s = p2pkhSpend(backend, alice);
    // Bob's key with Alice's hash: EQUALVERIFY; Bob's key in his own script with Alice's signature: false.
    assertCode(run(script(s.sig, bob.pubkey), s.prevScript, MVS_CONSENSUS_FLAGS, checkerFor(s.tx, 0, backend)), 'EQUALVERIFY');
    assertCode(run(script(s.sig, bob.pubkey), p2pkhScript(bob.hash).raw, MVS_CONSENSUS_FLAGS, checkerFor(s.tx, 0, backend)), 'EVAL_FALSE');
    // Empty signature and a signature of only the hash-type byte: plain false.
    assertCode(run(script(OP.ZERO, alice.pubkey), s.prevScript, MVS_CONSENSUS_FLAGS, checkerFor(s.tx, 0, backend)), 'EVAL_FALSE');
    // The signature commits to the transaction: another locktime breaks it.
    const other = spendingTx(1, { locktime: 1 });
    assertCode(run(script(s.sig, alice.pubkey), s.prevScript, MVS_CONSENSUS_FLAGS, checkerFor(other, 0, backend)), 'EVAL_FALSE');
  });

  test(`[${name}] CHECKSIGVERIFY and pay-to-pubkey`, () => {
    const tx = spendingTx(1);
    const prev = script(alice.pubkey, OP.CHECKSIGVERIFY, OP.OP_1);
    const sig = sign(tx, 0, prev, alice, backend);
    assertOk(run(script(sig), prev, MVS_CONSENSUS_FLAGS, checkerFor(tx, 0, backend)));
    assertCode(run(script(sig), script(bob.pubkey, OP.CHECKSIGVERIFY, OP.OP_1), MVS_CONSENSUS_FLAGS, checkerFor(tx, 0, backend)), 'CHECKSIGVERIFY');
  });

  test(`[${name}] high-S signatures are valid; LOW_S would refuse them`, () => {
    const s = p2pkhSpend(backend, alice);
    const high = flipS(s.sig);
    assert.notDeepEqual(high, s.sig);
    assertOk(run(script(high, alice.pubkey), s.prevScript, MVS_CONSENSUS_FLAGS, checkerFor(s.tx, 0, backend)), 'high-S');
    assertCode(run(script(high, alice.pubkey), s.prevScript, MVS_CONSENSUS_FLAGS | SCRIPT_VERIFY.LOW_S, checkerFor(s.tx, 0, backend)), 'SIG_HIGH_S');
    assertOk(run(script(s.sig, alice.pubkey), s.prevScript, MVS_CONSENSUS_FLAGS | SCRIPT_VERIFY.LOW_S, checkerFor(s.tx, 0, backend)), 'low-S under LOW_S');
  });

  test(`[${name}] hybrid public keys (06/07) verify; STRICTENC would refuse them`, () => {
    const u = alice.pubkeyUncompressed;
    const hybrid = Buffer.from(u);
    hybrid[0] = u[64] & 1 ? 0x07 : 0x06;
    const tx = spendingTx(1);
    const prev = script(hybrid, OP.CHECKSIG);
    const sig = sign(tx, 0, prev, alice, backend);
    assertOk(run(script(sig), prev, MVS_CONSENSUS_FLAGS, checkerFor(tx, 0, backend)));
    assertCode(run(script(sig), prev, MVS_CONSENSUS_FLAGS | SCRIPT_VERIFY.STRICTENC, checkerFor(tx, 0, backend)), 'PUBKEYTYPE');
    // The wrong parity prefix is not a valid key.
    const wrong = Buffer.from(hybrid);
    wrong[0] ^= 1;
    const prevWrong = script(wrong, OP.CHECKSIG);
    assertCode(run(script(sign(tx, 0, prevWrong, alice, backend)), prevWrong, MVS_CONSENSUS_FLAGS, checkerFor(tx, 0, backend)), 'EVAL_FALSE');
    // Keys of a wrong size or prefix are false, not errors, without STRICTENC.
    const prevShort = script(alice.pubkey.subarray(0, 32), OP.CHECKSIG);
    assertCode(run(script(sign(tx, 0, prevShort, alice, backend)), prevShort, MVS_CONSENSUS_FLAGS, checkerFor(tx, 0, backend)), 'EVAL_FALSE');
  });

  test(`[${name}] DERSIG: non-strict encodings fail with SIG_DER; without DERSIG the lax parser accepts them`, () => {
    const s = p2pkhSpend(backend, alice);
    const checker = checkerFor(s.tx, 0, backend);
    const violations: [string, Buffer][] = [
      ['padded R', padR(s.sig)],
      ['trailing byte inside the sequence', Buffer.concat([s.sig.subarray(0, -1), Buffer.from([0x00]), s.sig.subarray(-1)])],
      ['sequence length off by one', Buffer.concat([Buffer.from([0x30, s.sig[1] + 1]), s.sig.subarray(2)])],
      ['not a sequence', Buffer.concat([Buffer.from([0x31]), s.sig.subarray(1)])],
      ['missing hash type', s.sig.subarray(0, -1)],
      ['too short', Buffer.from('300602010102010101', 'hex').subarray(0, 8)],
    ];
    for (const [what, sig] of violations) {
      assertCode(run(script(sig, alice.pubkey), s.prevScript, MVS_CONSENSUS_FLAGS, checker), 'SIG_DER', what);
    }
    // The reference's lax parser (used after BIP66 passes, or with DERSIG off) accepts padding.
    assertOk(run(script(padR(s.sig), alice.pubkey), s.prevScript, SCRIPT_VERIFY.P2SH, checker), 'padded R without DERSIG');
    // Under DERSIG the check comes before any key or signature work, even for CHECKSIG (not VERIFY).
    assertCode(run(script(padR(s.sig), bob.pubkey), p2pkhScript(bob.hash).raw, MVS_CONSENSUS_FLAGS, checker), 'SIG_DER');
  });

  test(`[${name}] hash types ALL, NONE, SINGLE (index 0) and ANYONECANPAY verify; undefined types sign like ALL`, () => {
    for (const hashType of [0x01, 0x02, 0x03, 0x81, 0x82, 0x83, 0x00, 0x04, 0x41]) {
      const tx = spendingTx(2, { outputs: [etpOutput(10n), etpOutput(20n, 0x33)] });
      const s = p2pkhSpend(backend, alice, { tx, hashType });
      assertOk(run(script(s.sig, alice.pubkey), s.prevScript, MVS_CONSENSUS_FLAGS, checkerFor(tx, 0, backend)), `hash type ${hashType}`);
    }
    // STRICTENC (not in force) refuses the undefined ones.
    const s = p2pkhSpend(backend, alice, { hashType: 0x04 });
    assertCode(run(script(s.sig, alice.pubkey), s.prevScript, MVS_CONSENSUS_FLAGS | SCRIPT_VERIFY.STRICTENC, checkerFor(s.tx, 0, backend)), 'SIG_HASHTYPE');
  });

  test(`[${name}] SIGHASH_SINGLE quirk: blanked outputs make the signature unverifiable`, () => {
    // Two inputs, two outputs: SINGLE at index 1 blanks output 0 → never valid on MVS.
    for (const hashType of [SIGHASH.SINGLE, SIGHASH.SINGLE | SIGHASH.ANYONECANPAY]) {
      const tx = spendingTx(2, { outputs: [etpOutput(10n), etpOutput(20n, 0x33)] });
      const s = p2pkhSpend(backend, alice, { tx, index: 1, hashType });
      assert.equal(isUnreproducibleSighash(tx, 1, hashType), true);
      // The signature is correct for the native algorithm…
      const digest = signatureHash(tx, 1, s.prevScript, hashType);
      assert.equal(backend.verify(parseDerLax(s.sig.subarray(0, -1))!, digest, alice.pubkey), true);
      // …but the clone cannot reproduce its digest.
      assertCode(run(script(s.sig, alice.pubkey), s.prevScript, MVS_CONSENSUS_FLAGS, checkerFor(tx, 1, backend)), 'EVAL_FALSE', `hash type ${hashType}`);
    }
    // SINGLE with index ≥ outputs signs ONE_HASH, as Bitcoin.
    const tx = spendingTx(2, { outputs: [etpOutput(10n)] });
    const prevScript = p2pkhScript(alice.hash).raw;
    assert.deepEqual(signatureHash(tx, 1, prevScript, SIGHASH.SINGLE), ONE_HASH);
    const oneHashSig = Buffer.concat([compactToDer(backend.sign(ONE_HASH, alice.privateKey)), Buffer.from([SIGHASH.SINGLE])]);
    assert.equal(isUnreproducibleSighash(tx, 1, SIGHASH.SINGLE), false);
    assertOk(run(script(oneHashSig, alice.pubkey), prevScript, MVS_CONSENSUS_FLAGS, checkerFor(tx, 1, backend)), 'SINGLE beyond the outputs');
    // The SINGLE bits are read from the low 5 bits: 0x23 is SINGLE too.
    assert.equal(isUnreproducibleSighash(spendingTx(2, { outputs: [etpOutput(1n), etpOutput(2n)] }), 1, 0x23), true);
  });

  test(`[${name}] CHECKMULTISIG: order, count, the unchecked dummy, CHECKMULTISIGVERIFY`, () => {
    const tx = spendingTx(1);
    const prev = multisigScript(2, [alice.pubkey, bob.pubkey, carol.pubkey]).raw;
    const sa = sign(tx, 0, prev, alice, backend);
    const sb = sign(tx, 0, prev, bob, backend);
    const sc = sign(tx, 0, prev, carol, backend);
    const checker = () => checkerFor(tx, 0, backend);
    assertOk(run(script(OP.ZERO, sa, sb), prev, MVS_CONSENSUS_FLAGS, checker()), 'alice+bob');
    assertOk(run(script(OP.ZERO, sa, sc), prev, MVS_CONSENSUS_FLAGS, checker()), 'alice+carol');
    assertOk(run(script(OP.ZERO, sb, sc), prev, MVS_CONSENSUS_FLAGS, checker()), 'bob+carol');
    // Signatures must follow key order.
    assertCode(run(script(OP.ZERO, sb, sa), prev, MVS_CONSENSUS_FLAGS, checker()), 'EVAL_FALSE', 'bob+alice');
    // The same signature twice does not count twice.
    assertCode(run(script(OP.ZERO, sa, sa), prev, MVS_CONSENSUS_FLAGS, checker()), 'EVAL_FALSE', 'alice twice');
    // One signature where two are required: the dummy is taken as a signature and the stack runs out.
    assertCode(run(script(OP.ZERO, sa), prev, MVS_CONSENSUS_FLAGS, checker()), 'INVALID_STACK_OPERATION', 'one of two');
    // NULLDUMMY is not in force: any dummy.
    assertOk(run(script(OPN(7), sa, sb), prev, MVS_CONSENSUS_FLAGS, checker()), 'non-empty dummy');
    assertCode(run(script(OPN(7), sa, sb), prev, MVS_CONSENSUS_FLAGS | SCRIPT_VERIFY.NULLDUMMY, checker()), 'SIG_NULLDUMMY');
    // CHECKMULTISIGVERIFY.
    const prevVerify = script(OPN(2), alice.pubkey, bob.pubkey, OPN(2), OP.CHECKMULTISIGVERIFY, OP.OP_1);
    const va = sign(tx, 0, prevVerify, alice, backend);
    const vb = sign(tx, 0, prevVerify, bob, backend);
    assertOk(run(script(OP.ZERO, va, vb), prevVerify, MVS_CONSENSUS_FLAGS, checker()));
    assertCode(run(script(OP.ZERO, vb, va), prevVerify, MVS_CONSENSUS_FLAGS, checker()), 'CHECKMULTISIGVERIFY');
    // 0-of-0 and 0-of-n succeed with only the dummy.
    assertOk(run(script(OP.ZERO), script(OP.ZERO, OP.ZERO, OP.CHECKMULTISIG), MVS_CONSENSUS_FLAGS, checker()));
    // An encoding error in a pair that is reached fails the script; an unreached bad signature does not matter.
    assertCode(run(script(OP.ZERO, Buffer.from('0101', 'hex'), sb), prev, MVS_CONSENSUS_FLAGS, checker()), 'SIG_DER');
  });

  test(`[${name}] FindAndDelete: a signature pushed inside the scriptPubKey is removed from the signed code`, () => {
    const tx = spendingTx(1);
    // What the signature covers once its own push is deleted.
    const signedCode = script(OP.DROP, alice.pubkey, OP.CHECKSIG);
    const sig = sign(tx, 0, signedCode, alice, backend);
    const prev = Buffer.concat([script(sig), signedCode]);
    assertOk(run(script(sig), prev, MVS_CONSENSUS_FLAGS, checkerFor(tx, 0, backend)));
  });

  test(`[${name}] OP_CODESEPARATOR: the signed code starts after the last executed one; leftovers are not serialized`, () => {
    const tx = spendingTx(1);
    const afterSeparator = script(alice.pubkey, OP.CHECKSIG);
    const prev = Buffer.concat([script(OP.OP_1, OP.DROP, OP.CODESEPARATOR), afterSeparator]);
    const sig = sign(tx, 0, afterSeparator, alice, backend);
    assertOk(run(script(sig), prev, MVS_CONSENSUS_FLAGS, checkerFor(tx, 0, backend)), 'after separator');
    // A signature over the whole script does not verify.
    const wholeSig = sign(tx, 0, prev, alice, backend);
    assertCode(run(script(wholeSig), prev, MVS_CONSENSUS_FLAGS, checkerFor(tx, 0, backend)), 'EVAL_FALSE');
    // A separator after the CHECKSIG is in the scriptCode but dropped by the serializer.
    const trailing = script(alice.pubkey, OP.CHECKSIG, OP.CODESEPARATOR);
    const digestWithout = signatureHash(tx, 0, afterSeparator, SIGHASH.ALL);
    const sigWithout = Buffer.concat([compactToDer(backend.sign(digestWithout, alice.privateKey)), Buffer.from([SIGHASH.ALL])]);
    assertOk(run(script(sigWithout), trailing, MVS_CONSENSUS_FLAGS, checkerFor(tx, 0, backend)), 'trailing separator');
  });

  test(`[${name}] P2SH: redeem script evaluated on the scriptSig stack`, () => {
    const redeem = multisigScript(2, [alice.pubkey, bob.pubkey]).raw;
    const prev = p2shScript(hash160(redeem)).raw;
    const tx = spendingTx(1);
    const sa = sign(tx, 0, redeem, alice, backend);
    const sb = sign(tx, 0, redeem, bob, backend);
    assertOk(run(script(OP.ZERO, sa, sb, redeem), prev, MVS_CONSENSUS_FLAGS, checkerFor(tx, 0, backend)));
    // A different redeem script does not match the hash.
    const otherRedeem = multisigScript(1, [alice.pubkey]).raw;
    assertCode(run(script(OP.ZERO, sa, otherRedeem), prev, MVS_CONSENSUS_FLAGS, checkerFor(tx, 0, backend)), 'EVAL_FALSE');
    // The redeem script itself fails: reported from the redeem evaluation.
    const r = run(script(OP.ZERO, sb, sa, redeem), prev, MVS_CONSENSUS_FLAGS, checkerFor(tx, 0, backend));
    assertCode(r, 'EVAL_FALSE');
    assert.match(r.ok ? '' : r.message, /redeem script/);
    // Without the P2SH flag only the hash is checked.
    assertOk(run(script(OP.ZERO, sb, sa, redeem), prev, MVS_CONSENSUS_FLAGS & ~SCRIPT_VERIFY.P2SH, checkerFor(tx, 0, backend)), 'P2SH off');
    // Non-push scriptSig.
    assertCode(run(Buffer.concat([script(OP.ZERO, sa, sb), script(OP.NOP), script(redeem)]), prev, MVS_CONSENSUS_FLAGS, checkerFor(tx, 0, backend)), 'SIG_PUSHONLY');
    // An empty redeem script leaves the stack from the scriptSig below it.
    const emptyRedeemPrev = p2shScript(hash160(Buffer.alloc(0))).raw;
    assertOk(run(script(OP.OP_1, OP.ZERO), emptyRedeemPrev, MVS_CONSENSUS_FLAGS, checkerFor(tx, 0, backend)), 'empty redeem');
  });
}
