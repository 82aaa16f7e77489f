import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeChain, buildBlock, mineEmpty, spendTx, removeDir, ANYONE, type TestChain, verifyErrorCode } from '../../helpers/chain.js';
import { regtest, mainnet, type Network } from '../../../src/networks/index.js';
import { Block } from '../../../src/primitives/block.js';
import { BlockHeader, BLOCK_VERSION } from '../../../src/primitives/header.js';
import { Transaction, TxInput, TxOutput, OutPoint } from '../../../src/primitives/transaction.js';
import { Script, pushOp, opcode, p2shScript, p2pkhScript, encodeScriptNum } from '../../../src/primitives/script.js';
import { OP } from '../../../src/primitives/opcodes.js';
import { Attachment } from '../../../src/primitives/attachment.js';
import { ZERO_HASH } from '../../../src/primitives/hex.js';
import { hash160 } from '../../../src/crypto/hash.js';
import { checkBlockBody, checkHeaderContext, MAX_BLOCK_SIGOPS } from '../../../src/consensus/block.js';
import { checkTransaction } from '../../../src/consensus/tx.js';
import { requiredBits, type DifficultyHeader } from '../../../src/consensus/difficulty.js';
import { VerifyError } from '../../../src/consensus/errors.js';
import { testKey } from '../../helpers/signing.js';

/*
 * Consensus rules of src/consensus/block.ts and tx.ts that the chain tests
 * (chain.test.ts) do not reach, each asserted by its reason code — through a
 * Chain where the rule can be reached on regtest (or a copy of it with one
 * parameter changed), else through the pure rule functions on handcrafted
 * headers, blocks and transactions. Every case also shows the boundary on
 * the accepted side where there is one.
 */

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

async function fresh(network?: Network): Promise<TestChain> {
  const tc = await makeChain(network ? { network } : {});
  dirs.push(tc.dir);
  return tc;
}

/** A chain whose first `n` coinbases are mature for the next block (regtest maturity is 10). */
async function matured(network?: Network, n = 3): Promise<{ tc: TestChain; coinbases: Transaction[] }> {
  const tc = await fresh(network);
  const blocks = await mineEmpty(tc, 10 + n);
  return { tc, coinbases: blocks.map((b) => b.txs[0]) };
}

async function expectRejected(tc: TestChain, block: Block, code: string, message?: RegExp): Promise<void> {
  const before = tc.chain.tip.hash;
  const r = await tc.chain.addBlock(block);
  assert.equal(r.status, 'invalid', `expected ${code}, got ${r.status}`);
  assert.equal(r.error?.code, code, r.error?.message);
  if (message) assert.match(r.error!.message, message);
  assert.ok(tc.chain.tip.hash.equals(before), 'tip unchanged');
}

async function expectConnected(tc: TestChain, block: Block): Promise<void> {
  const r = await tc.chain.addBlock(block);
  assert.equal(r.status, 'connected', `${r.error?.code} ${r.error?.message}`);
}

/** A transaction from explicit inputs (prevout, script, sequence) to OP_TRUE outputs. */
function tx(version: number, inputs: { txid: Buffer; index: number; script?: Script; sequence?: number }[], values: bigint[], locktime = 0): Transaction {
  return new Transaction(
    version,
    inputs.map((i) => new TxInput(new OutPoint(i.txid, i.index), i.script ?? new Script(), i.sequence ?? 0xffffffff)),
    values.map((v) => new TxOutput(v, ANYONE, Attachment.etp(1))),
    locktime,
  );
}

const FEE = 10_000n;
const valueOf = (t: Transaction, i = 0) => t.outputs[i].value;

/** Rebuild a block's merkle root after its transactions were edited. */
function remerkle(b: Block): void {
  for (const t of b.txs) t.invalidate();
  b.header.merkleRoot = b.computeMerkleRoot();
}

describe('block limits', () => {
  test('legacy sigops: 20,000 pass, 20,020 → too_many_sigs', async () => {
    const { tc, coinbases } = await matured();
    assert.equal(MAX_BLOCK_SIGOPS, 20_000);
    // Each CHECKMULTISIG not preceded by OP_1..OP_16 counts 20 (mvs-consensus §4.3).
    const withSigops = (cb: Transaction, multisigs: number) => {
      const t = spendTx([{ txid: cb.hash(), index: 0 }], [valueOf(cb) - FEE]);
      t.outputs[0] = new TxOutput(t.outputs[0].value, new Script(Buffer.alloc(multisigs, OP.CHECKMULTISIG)), Attachment.etp(1));
      t.invalidate();
      return t;
    };
    await expectRejected(tc, buildBlock(tc, { txs: [withSigops(coinbases[0], 1001)] }, FEE), 'too_many_sigs');
    // CHECKSIGs count one each: 1000 × 20 + 1 also crosses the limit.
    const mixed = withSigops(coinbases[0], 1000);
    mixed.outputs.push(new TxOutput(0n, new Script(Buffer.from([OP.CHECKSIG])), Attachment.etp(1)));
    mixed.invalidate();
    await expectRejected(tc, buildBlock(tc, { txs: [mixed] }, FEE), 'too_many_sigs');
    await expectConnected(tc, buildBlock(tc, { txs: [withSigops(coinbases[0], 1000)] }, FEE));
    await tc.close();
  });

  test('a block over 1,000,000 bytes → size_limits, though each transaction is under the limit', async () => {
    const { tc, coinbases } = await matured();
    const big = (cb: Transaction) => {
      const t = spendTx([{ txid: cb.hash(), index: 0 }], [valueOf(cb) - FEE]);
      t.outputs[0] = new TxOutput(t.outputs[0].value, new Script(Buffer.alloc(520_000, OP.NOP)), Attachment.etp(1));
      t.invalidate();
      return t;
    };
    const a = big(coinbases[0]);
    const b = big(coinbases[1]);
    assert.ok(a.referenceSize() < 1_000_000);
    assert.doesNotThrow(() => checkTransaction(a, { network: regtest, tipHeight: tc.chain.height }));
    await expectRejected(tc, buildBlock(tc, { txs: [a, b] }, 2n * FEE), 'size_limits');
    await expectConnected(tc, buildBlock(tc, { txs: [a] }, FEE));
    await tc.close();
  });

  test('a block without transactions → empty_block', async () => {
    const tc = await fresh();
    await expectRejected(tc, buildBlock(tc, { mutate: (b) => (b.txs = []) }), 'empty_block');
    await tc.close();
  });
});

describe('header rules', () => {
  test('checkpoints: a block at a checkpoint height must have its hash (checkpoints_failed); testnet-style networks check only genesis', async () => {
    const plain = await fresh();
    const blocks = await mineEmpty(plain, 3);
    const real = blocks[2].hashHex();
    const withCheckpoint = (hash: string, inCheckBlock = true): Network => ({
      ...regtest,
      checkpoints: [...regtest.checkpoints, { height: 3, hash }],
      checkpointsInCheckBlock: inCheckBlock,
    });
    const other = 'ab'.repeat(32);

    const wrong = await fresh(withCheckpoint(other));
    for (const b of blocks.slice(0, 2)) await expectConnected(wrong, b);
    await expectRejected(wrong, blocks[2], 'checkpoints_failed');

    const right = await fresh(withCheckpoint(real));
    for (const b of blocks) await expectConnected(right, b);

    const genesisOnly = await fresh(withCheckpoint(other, false));
    for (const b of blocks) await expectConnected(genesisOnly, b);
    for (const c of [plain, wrong, right, genesisOnly]) await c.close();
  });

  test('block versions: 4 or 0 → old_version_block, DPoS before its height → block_version_not_match, PoS before its activation → block_version_not_match', async () => {
    const tc = await fresh();
    const withVersion = (version: number) =>
      buildBlock(tc, {
        mutate: (b) => {
          b.header.version = version;
          if (version === BLOCK_VERSION.POS || version === BLOCK_VERSION.DPOS) b.blockSig = Buffer.alloc(64, 1);
          if (version === BLOCK_VERSION.DPOS) b.publicKey = Buffer.alloc(33, 2);
        },
      });
    await expectRejected(tc, withVersion(4), 'old_version_block');
    await expectRejected(tc, withVersion(0), 'old_version_block');
    await expectRejected(tc, withVersion(BLOCK_VERSION.DPOS), 'block_version_not_match');
    // Regtest never activates PoS: a version-2 block is a version this network does not allow.
    await expectRejected(tc, withVersion(BLOCK_VERSION.POS), 'block_version_not_match');
    // The header rule itself: a PoS block at or below the activation height.
    const parent = tc.chain.tip.header;
    const ctx = { network: { ...regtest, posEnabledHeight: 5 }, parent, ancestors: (h: number) => tc.chain.getRecordAt(h)?.header ?? null, now: parent.timestamp + 10 };
    const header = (height: number) => new BlockHeader({ version: BLOCK_VERSION.POS, prevHash: parent.hash(), merkleRoot: ZERO_HASH, timestamp: parent.timestamp, bits: 1n, nonce: 0n, mixHash: ZERO_HASH, number: height });
    assert.equal(verifyErrorCode(() => checkHeaderContext(header(5), { ...ctx, height: 5 })), 'block_version_not_match');
    assert.notEqual(verifyErrorCode(() => checkHeaderContext(header(6), { ...ctx, height: 6 })), 'block_version_not_match');
    await tc.close();
  });

  describe('successive-version limit (check_max_successive_height, mvs-consensus §4.8)', () => {
    // A network where the limit applies from height 1,000 and PoS from 500.
    const net: Network = { ...mainnet, posEnabledHeight: 500, successiveLimitAboveHeight: 1000, checkpoints: [mainnet.checkpoints[0]] };
    const H = 2000;

    /** Headers below H: PoW except the versions given by height; 180 s apart (the PoS track's target spacing). */
    function branch(versions: Map<number, number>): Map<number, BlockHeader> {
      const headers = new Map<number, BlockHeader>();
      let prev = ZERO_HASH;
      for (let h = 0; h < H; h++) {
        const version = versions.get(h) ?? BLOCK_VERSION.POW;
        const header = new BlockHeader({
          version,
          prevHash: prev,
          merkleRoot: Buffer.alloc(32, h & 0xff),
          timestamp: 1_600_000_000 + h * 180,
          bits: version === BLOCK_VERSION.POS ? net.minPosDifficulty : net.minPowDifficulty(h),
          nonce: 0n,
          mixHash: ZERO_HASH,
          number: h,
        });
        headers.set(h, header);
        prev = header.hash();
      }
      return headers;
    }

    function check(headers: Map<number, BlockHeader>, version: number): void {
      const lookup = (h: number): DifficultyHeader | null => headers.get(h) ?? null;
      const parent = headers.get(H - 1)!;
      const draft = { version, timestamp: parent.timestamp + 180, bits: 0n, number: H };
      const header = new BlockHeader({ ...draft, prevHash: parent.hash(), merkleRoot: ZERO_HASH, bits: requiredBits(net, H, draft, lookup), nonce: 0n, mixHash: ZERO_HASH });
      checkHeaderContext(header, { network: net, height: H, parent, ancestors: lookup, now: parent.timestamp + 1000 });
    }

    test('61 PoW blocks in a row after a PoS block → block_intermix_interval_error; 60 pass', () => {
      assert.equal(verifyErrorCode(() => check(branch(new Map([[H - 61, BLOCK_VERSION.POS]])), BLOCK_VERSION.POW)), 'block_intermix_interval_error');
      assert.doesNotThrow(() => check(branch(new Map([[H - 60, BLOCK_VERSION.POS]])), BLOCK_VERSION.POW));
    });

    test('25 PoS blocks in a row → block_intermix_interval_error; 24 pass', () => {
      const pos = (from: number) => new Map(Array.from({ length: H - from }, (_, i) => [from + i, BLOCK_VERSION.POS] as [number, number]));
      assert.equal(verifyErrorCode(() => check(branch(pos(H - 24)), BLOCK_VERSION.POS)), 'block_intermix_interval_error');
      assert.doesNotThrow(() => check(branch(pos(H - 23)), BLOCK_VERSION.POS));
    });

    test('no block of another version at all passes; below the activation height nothing is counted', () => {
      assert.doesNotThrow(() => check(branch(new Map()), BLOCK_VERSION.POW));
      const early: Network = { ...net, successiveLimitAboveHeight: H };
      const headers = branch(new Map([[H - 61, BLOCK_VERSION.POS]]));
      const lookup = (h: number): DifficultyHeader | null => headers.get(h) ?? null;
      const parent = headers.get(H - 1)!;
      const draft = { version: BLOCK_VERSION.POW, timestamp: parent.timestamp + 180, bits: 0n, number: H };
      const header = new BlockHeader({ ...draft, prevHash: parent.hash(), merkleRoot: ZERO_HASH, bits: requiredBits(early, H, draft, lookup), nonce: 0n, mixHash: ZERO_HASH });
      assert.doesNotThrow(() => checkHeaderContext(header, { network: early, height: H, parent, ancestors: lookup, now: parent.timestamp }));
    });
  });
});

describe('coinbase and coinstake layout', () => {
  const mutateCoinbase = (tc: TestChain, edit: (cb: Transaction) => void): Block =>
    buildBlock(tc, {
      mutate: (b) => {
        edit(b.txs[0]);
        remerkle(b);
      },
    });

  test('coinbase outputs: a non-ETP output 0, three outputs, or an output 1 that is no MST transfer → coinbase_output_invalid', async () => {
    const tc = await fresh();
    await expectRejected(tc, mutateCoinbase(tc, (cb) => (cb.outputs[0].attachment = Attachment.message('hi'))), 'coinbase_output_invalid');
    await expectRejected(tc, mutateCoinbase(tc, (cb) => cb.outputs.push(new TxOutput(0n, ANYONE, Attachment.etp(0)), new TxOutput(0n, ANYONE, Attachment.etp(0)))), 'coinbase_output_invalid');
    await expectRejected(tc, mutateCoinbase(tc, (cb) => cb.outputs.push(new TxOutput(0n, ANYONE, Attachment.etp(0)))), 'coinbase_output_invalid');
    await expectConnected(tc, mutateCoinbase(tc, (cb) => cb.outputs.push(new TxOutput(0n, ANYONE, Attachment.assetTransfer('MST.TEST', 5n)))));
    await tc.close();
  });

  test('a coinstake-shaped transaction in a PoW block → illegal_coinstake; a PoS block without one → miss_coinstake', async () => {
    const { tc, coinbases } = await matured();
    const key = testKey('coinstake');
    const coinstake = tx(1, [{ txid: coinbases[0].hash(), index: 0, script: Script.fromOps([pushOp(Buffer.alloc(71, 1)), pushOp(key.pub)]) }], []);
    coinstake.outputs.push(new TxOutput(0n, new Script(), Attachment.coinstakeMarker()), new TxOutput(valueOf(coinbases[0]), p2pkhScript(key.hash), Attachment.etp(1)));
    coinstake.invalidate();
    await expectRejected(tc, buildBlock(tc, { txs: [coinstake] }), 'illegal_coinstake');

    const posBlock = buildBlock(tc, { mutate: (b) => ((b.header.version = BLOCK_VERSION.POS), (b.blockSig = Buffer.alloc(64))) });
    const posNet: Network = { ...regtest, posEnabledHeight: 0 };
    assert.equal(verifyErrorCode(() => checkBlockBody(posBlock, posNet, tc.chain.height + 1)), 'miss_coinstake');
    await tc.close();
  });
});

describe('transaction structure (check_transaction)', () => {
  const ctx = { network: regtest, tipHeight: 100 };
  const prev = { txid: Buffer.alloc(32, 5), index: 0 };

  test('no inputs or no outputs → empty_transaction', () => {
    assert.equal(verifyErrorCode(() => checkTransaction(tx(1, [], [1n]), ctx)), 'empty_transaction');
    assert.equal(verifyErrorCode(() => checkTransaction(tx(1, [prev], []), ctx)), 'empty_transaction');
  });

  test('a non-coinbase input spending the null outpoint → previous_output_null', () => {
    const t = tx(1, [prev, { txid: ZERO_HASH, index: 0xffffffff }], [1n]);
    assert.equal(verifyErrorCode(() => checkTransaction(t, ctx)), 'previous_output_null');
  });

  test('over the block size limit → transaction_size_limit', () => {
    const t = tx(1, [prev], [1n]);
    t.outputs[0] = new TxOutput(1n, new Script(Buffer.alloc(1_000_001, OP.NOP)), Attachment.etp(1));
    assert.equal(verifyErrorCode(() => checkTransaction(t, ctx)), 'transaction_size_limit');
  });

  test('version 4: an invalid attachment → attachment_invalid', () => {
    const t = tx(4, [prev], [1n]);
    t.outputs[0] = new TxOutput(1n, ANYONE, Attachment.message(Buffer.alloc(0)));
    assert.equal(verifyErrorCode(() => checkTransaction(t, ctx)), 'attachment_invalid');
    assert.doesNotThrow(() => checkTransaction(tx(4, [prev], [1n]), ctx));
  });

  test('sequence-lock outputs before PoS on mainnet → sequence_lock_output_not_allowed', () => {
    const t = tx(1, [prev], [1n]);
    const lockScript = Script.fromOps([pushOp(encodeScriptNum(100)), opcode(OP.CHECKSEQUENCEVERIFY), opcode(OP.DROP), ...p2pkhScript(Buffer.alloc(20, 3)).ops!]);
    assert.equal(lockScript.pattern(), 'pay_key_hash_with_sequence_lock');
    t.outputs[0] = new TxOutput(1n, lockScript, Attachment.etp(1));
    assert.equal(verifyErrorCode(() => checkTransaction(t, { network: mainnet, tipHeight: mainnet.posEnabledHeight - 1 })), 'sequence_lock_output_not_allowed');
    const v4 = tx(4, [prev], [1n]);
    v4.outputs[0] = t.outputs[0];
    assert.doesNotThrow(() => checkTransaction(v4, { network: mainnet, tipHeight: mainnet.posEnabledHeight }));
  });
});

describe('input rules (connect_block)', () => {
  test('a transaction repeating a fully spent one → duplicate_or_spent; with an output still unspent the rule passes (inverted BIP30)', async () => {
    const { tc, coinbases } = await matured();
    const cb = coinbases[0];
    const t = spendTx([{ txid: cb.hash(), index: 0 }], [valueOf(cb) - 3n * FEE, FEE]);
    await expectConnected(tc, buildBlock(tc, { txs: [t] }, 2n * FEE));
    await expectConnected(tc, buildBlock(tc, { txs: [spendTx([{ txid: t.hash(), index: 0 }], [valueOf(t) - FEE])] }, FEE));
    // t:1 is unspent: the duplicate passes this rule and fails on its spent input instead.
    await expectRejected(tc, buildBlock(tc, { txs: [t] }, 2n * FEE), 'double_spend');
    // Spending t:1 as well makes t fully spent; the nonzero fee of that spend comes from a second input.
    const cb2 = coinbases[1];
    await expectConnected(tc, buildBlock(tc, { txs: [spendTx([{ txid: t.hash(), index: 1 }, { txid: cb2.hash(), index: 0 }], [valueOf(cb2)])] }, FEE));
    await expectRejected(tc, buildBlock(tc, { txs: [t] }, 2n * FEE), 'duplicate_or_spent');
    await tc.close();
  });

  test('deposit-spend maturity: <sig> <pubkey> <lock> with lock > elapsed blocks → invalid_input_script_lock_height', async () => {
    const { tc, coinbases } = await matured();
    const cb = coinbases[0]; // at height 1; the next block is 14
    const next = tc.chain.height + 1;
    const elapsed = next - 1 - 1;
    const spendWithLock = (lockPush: Buffer) =>
      buildBlock(tc, { txs: [tx(1, [{ txid: cb.hash(), index: 0, script: Script.fromOps([pushOp(Buffer.alloc(71, 1)), pushOp(Buffer.concat([Buffer.from([2]), Buffer.alloc(32, 7)])), { code: lockPush.length, data: lockPush }]) }], [valueOf(cb) - FEE])] }, FEE);
    await expectRejected(tc, spendWithLock(encodeScriptNum(elapsed + 1)), 'invalid_input_script_lock_height');
    await expectRejected(tc, spendWithLock(Buffer.from([0x05, 0x00])), 'invalid_input_script_lock_height', /minimal/);
    // At the limit the rule passes; the (test) script checker then refuses the non-empty script.
    await expectRejected(tc, spendWithLock(encodeScriptNum(elapsed)), 'validate_inputs_failed');
    await tc.close();
  });

  test('relative height locks (BIP68 with MVS constants): locked until h > h_prev + value − 1 → sequence_locked', async () => {
    const { tc, coinbases } = await matured();
    const cb = coinbases[0];
    const parent = spendTx([{ txid: cb.hash(), index: 0 }], [valueOf(cb) - 4n * FEE - 2_000_000n, 1_000_000n, 1_000_000n]);
    await expectConnected(tc, buildBlock(tc, { txs: [parent] }, FEE));
    const c = tc.chain.height;
    const spend = (index: number, sequence: number, version = 2) => tx(version, [{ txid: parent.hash(), index, sequence }], [valueOf(parent, index) - FEE]);
    // Value 3: valid iff h > c + 3 − 1.
    await expectRejected(tc, buildBlock(tc, { txs: [spend(0, 3)] }, FEE), 'sequence_locked');
    // The disable flag turns the lock off; version 1 has no relative locks.
    await expectConnected(tc, buildBlock(tc, { txs: [spend(1, 3 | 0x80000000), spend(2, 3, 1)] }, 2n * FEE));
    assert.equal(tc.chain.height, c + 1);
    await expectRejected(tc, buildBlock(tc, { txs: [spend(0, 3)] }, FEE), 'sequence_locked');
    await expectConnected(tc, buildBlock(tc));
    await expectConnected(tc, buildBlock(tc, { txs: [spend(0, 3)] }, FEE));
    assert.equal(tc.chain.height, c + 3);
    await tc.close();
  });

  test('relative time locks count 32-second units from the previous output’s own block, against the median time past', async () => {
    const { tc, coinbases } = await matured();
    const cb = coinbases[0];
    const parent = spendTx([{ txid: cb.hash(), index: 0 }], [valueOf(cb) - FEE]);
    await expectConnected(tc, buildBlock(tc, { txs: [parent] }, FEE));
    const c = tc.chain.height;
    const ts = tc.chain.tip.header.timestamp;
    // 2 units: locked while MTP ≤ ts(c) + 64 − 1. With 30 s spacing the MTP of block h is ts(h − 6).
    const child = () => buildBlock(tc, { txs: [tx(2, [{ txid: parent.hash(), index: 0, sequence: (1 << 22) | 2 }], [valueOf(parent) - FEE])] }, FEE);
    for (let h = c + 1; h <= c + 8; h++) {
      assert.ok(tc.chain.medianTimePast(tc.chain.tip) <= ts + 63);
      await expectRejected(tc, child(), 'sequence_locked');
      await expectConnected(tc, buildBlock(tc));
    }
    assert.ok(tc.chain.medianTimePast(tc.chain.tip) > ts + 63);
    await expectConnected(tc, child());
    await tc.close();
  });

  test('a time lock on a parent in the same block, and a zero height lock on a height-0 coin, are locked (mvs-consensus §5.6 [Q])', async () => {
    const { tc, coinbases } = await matured();
    const cb = coinbases[0];
    const parent = spendTx([{ txid: cb.hash(), index: 0 }], [valueOf(cb) - FEE]);
    const sameBlock = tx(2, [{ txid: parent.hash(), index: 0, sequence: 1 << 22 }], [valueOf(parent) - FEE]);
    await expectRejected(tc, buildBlock(tc, { txs: [parent, sameBlock] }, 2n * FEE), 'sequence_locked');
    // The genesis output sits at height 0: 0 + 0 − 1 wraps in u64 arithmetic.
    const genesisCoinbase = regtest.genesis.txs[0];
    await expectRejected(tc, buildBlock(tc, { txs: [tx(2, [{ txid: genesisCoinbase.hash(), index: 0, sequence: 0 }], [valueOf(genesisCoinbase) - FEE])] }, FEE), 'sequence_locked');
    await tc.close();
  });

  test('P2SH sigops: 20,000 from redeem scripts pass, 20,040 → p2sh_sigops_limit; an unparseable redeem script invalidates the block', async () => {
    const { tc, coinbases } = await matured();
    const cb = coinbases[0];
    // Accurate counting: CHECKMULTISIG without a preceding OP_n counts 20.
    const r500 = Buffer.alloc(500, OP.CHECKMULTISIG); // 10,000 sigops
    const r501 = Buffer.alloc(501, OP.CHECKMULTISIG); // 10,020 sigops
    const rBad = Buffer.from([OP.PUSHDATA1]); // truncated push
    const funding = spendTx([{ txid: cb.hash(), index: 0 }], [1_000_000n, 1_000_000n, 1_000_000n, 1_000_000n]);
    [r500, r500, r501, rBad].forEach((r, i) => (funding.outputs[i] = new TxOutput(1_000_000n, p2shScript(hash160(r)), Attachment.etp(1))));
    funding.outputs.push(new TxOutput(valueOf(cb) - 4_000_000n - FEE, ANYONE, Attachment.etp(1)));
    funding.invalidate();
    await expectConnected(tc, buildBlock(tc, { txs: [funding] }, FEE));
    const spend = (indexes: number[], redeems: Buffer[]) =>
      buildBlock(tc, { txs: [tx(1, indexes.map((index, k) => ({ txid: funding.hash(), index, script: Script.fromOps([pushOp(redeems[k])]) })), [BigInt(indexes.length) * 1_000_000n - FEE])] }, FEE);
    await expectRejected(tc, spend([0, 2], [r500, r501]), 'p2sh_sigops_limit');
    // Exactly at the limit the count passes; the (test) script checker then refuses the scripts.
    await expectRejected(tc, spend([0, 1], [r500, r500]), 'validate_inputs_failed', /EVAL_FALSE/);
    await expectRejected(tc, spend([3], [rBad]), 'validate_inputs_failed', /does not parse/);
    await tc.close();
  });
});

describe('absolute lock time from PoS activation (check_final_tx)', () => {
  // Regtest with PoS active from height 5: transactions must be version 4 then (mvs-consensus §5.2).
  const posNet: Network = { ...regtest, posEnabledHeight: 5 };
  const nonFinal = (cb: Transaction, locktime: number, sequence = 0xfffffffe, version = 4) => tx(version, [{ txid: cb.hash(), index: 0, sequence }], [valueOf(cb) - FEE], locktime);

  test('height lock time: final iff lock time < h or every sequence is final → non_final_transaction', async () => {
    const { tc, coinbases } = await matured(posNet);
    const h = tc.chain.height + 1;
    await expectRejected(tc, buildBlock(tc, { txs: [nonFinal(coinbases[0], h)] }, FEE), 'non_final_transaction');
    await expectRejected(tc, buildBlock(tc, { txs: [nonFinal(coinbases[0], h + 100)] }, FEE), 'non_final_transaction');
    await expectRejected(tc, buildBlock(tc, { txs: [nonFinal(coinbases[0], h, 0xfffffffe, 1)] }, FEE), 'transaction_version_error');
    await expectConnected(tc, buildBlock(tc, { txs: [nonFinal(coinbases[0], h, 0xffffffff)] }, FEE));
    await expectConnected(tc, buildBlock(tc, { txs: [nonFinal(coinbases[1], tc.chain.height)] }, FEE));
    await tc.close();
  });

  test('time lock time (≥ 500,000,000) compares with the median time past', async () => {
    const { tc, coinbases } = await matured(posNet);
    const mtp = tc.chain.medianTimePast(tc.chain.tip);
    assert.ok(mtp >= 500_000_000);
    await expectRejected(tc, buildBlock(tc, { txs: [nonFinal(coinbases[0], mtp)] }, FEE), 'non_final_transaction');
    await expectConnected(tc, buildBlock(tc, { txs: [nonFinal(coinbases[0], mtp - 1)] }, FEE));
    await tc.close();
  });

  test('before PoS activation lock time is not enforced', async () => {
    const { tc, coinbases } = await matured();
    await expectConnected(tc, buildBlock(tc, { txs: [nonFinal(coinbases[0], 1_000_000, 0, 2)] }, FEE));
    await tc.close();
  });
});

describe('difficulty (work_required, mvs-consensus §2)', () => {
  const at = (entries: [number, DifficultyHeader][]) => {
    const m = new Map(entries);
    return (h: number) => m.get(h) ?? null;
  };
  const pow = (number: number, timestamp: number, bits: bigint): DifficultyHeader => ({ version: BLOCK_VERSION.POW, number, timestamp, bits });
  const pos = (number: number, timestamp: number, bits: bigint): DifficultyHeader => ({ version: BLOCK_VERSION.POS, number, timestamp, bits });
  const B = 2_048_000_000_000n; // B/1024 = 2,000,000,000; B/2048 = 1,000,000,000
  const v2net: Network = { ...mainnet, posEnabledHeight: 100 };

  test('v1: ±bits/1024 around a 24-second threshold, never below the minimum', () => {
    const lookup = at([[9, pow(9, 1000, B)]]);
    assert.equal(requiredBits(mainnet, 10, pow(10, 1024, 0n), lookup), B - 2_000_000_000n, '24 s → easier');
    assert.equal(requiredBits(mainnet, 10, pow(10, 1023, 0n), lookup), B + 2_000_000_000n, '23 s → harder');
    assert.equal(requiredBits(mainnet, 10, pow(10, 900, 0n), lookup), B + 2_000_000_000n, 'earlier than the parent → harder');
    const low = at([[9, pow(9, 1000, 914_572_800n)]]);
    assert.equal(requiredBits(mainnet, 10, pow(10, 2000, 0n), low), 914_572_800n, 'clamped to the mainnet minimum');
    assert.equal(requiredBits(regtest, 1, pow(1, 1, 0n), at([[0, pow(0, 0, 1n)]])), 10n, 'block 1 after a bits-1 genesis gets the minimum');
    assert.throws(() => requiredBits(mainnet, 0, pow(0, 0, 0n), lookup));
  });

  test('v1: the threshold is computed in unsigned 32-bit arithmetic', () => {
    // prev.timestamp + 24 wraps to 13: a timestamp of 13 already counts as slow.
    const lookup = at([[9, pow(9, 0xffffffff - 10, B)]]);
    assert.equal(requiredBits(mainnet, 10, pow(10, 13, 0n), lookup), B - 2_000_000_000n);
    assert.equal(requiredBits(mainnet, 10, pow(10, 12, 0n), lookup), B + 2_000_000_000n);
  });

  test('v2 PoW track: adj = max(2 − ⌊interval/10⌋, −99) steps of bits/2048 from the last PoW block, skipping PoS blocks', () => {
    const lookup = at([
      [150, pow(150, 10_000, B)],
      [151, pos(151, 10_050, 5n)],
      [152, pos(152, 10_090, 7n)],
    ]);
    const req = (t: number) => requiredBits(v2net, 153, pow(153, t, 0n), lookup);
    assert.equal(req(10_005), B + 2n * 1_000_000_000n, '5 s: +2');
    assert.equal(req(10_019), B + 1n * 1_000_000_000n, '19 s: +1');
    assert.equal(req(10_025), B, '25 s: 0');
    assert.equal(req(10_035), B - 1n * 1_000_000_000n, '35 s: −1');
    assert.equal(req(9_985), B + 3n * 1_000_000_000n, '−15 s truncates toward zero: 2 − (−1)');
    assert.equal(req(20_000), B - 99n * 1_000_000_000n, 'a long gap is capped at −99');
    const small = at([[150, pow(150, 10_000, 920_000_000n)]]);
    assert.equal(requiredBits(v2net, 151, pow(151, 20_000, 0n), small), 914_572_800n, 'never below the minimum');
  });

  test('v2 PoS track: the spacing of the two previous PoS blocks, not the current time; minimum without two of them', () => {
    const P = 204_800_000_000n; // P/2048 = 100,000,000
    const lookup = at([
      [140, pos(140, 5_000, P / 2n)],
      [141, pow(141, 5_100, B)],
      [142, pos(142, 5_100, P)],
      [143, pow(143, 5_200, B)],
    ]);
    // prev = 142, pprev = 140: interval 100 s → adj 18 − 10 = 8.
    assert.equal(requiredBits(v2net, 144, pos(144, 99_999, 0n), lookup), P + 8n * 100_000_000n);
    assert.equal(requiredBits(v2net, 144, pos(144, 5_201, 0n), lookup), P + 8n * 100_000_000n, 'the current timestamp does not matter');
    const spaced = at([
      [140, pos(140, 5_000, P)],
      [142, pos(142, 5_185, P)],
      [141, pow(141, 5_100, B)],
    ]);
    assert.equal(requiredBits(v2net, 143, pos(143, 0, 0n), spaced), P, '185 s: adj 0');
    const slow = at([
      [140, pos(140, 5_000, P)],
      [142, pos(142, 7_000, P)],
      [141, pow(141, 5_100, B)],
    ]);
    assert.equal(requiredBits(v2net, 143, pos(143, 0, 0n), slow), P - 99n * 100_000_000n, '2,000 s: 18 − 200 is capped at −99');
    const onlyOne = at([
      [142, pos(142, 5_100, P)],
      [141, pow(141, 5_000, B)],
      [140, pow(140, 4_900, B)],
    ]);
    assert.equal(requiredBits(v2net, 143, pos(143, 0, 0n), onlyOne), v2net.minPosDifficulty, 'no earlier PoS block: minimum');
    // The walk for an earlier PoS block stops below the PoS activation height.
    const belowActivation = at([
      [101, pos(101, 5_100, P)],
      [100, pow(100, 5_000, B)],
      [99, pos(99, 4_000, P)],
    ]);
    assert.equal(requiredBits(v2net, 102, pos(102, 0, 0n), belowActivation), v2net.minPosDifficulty);
  });

  test('DPoS copies the parent’s bits', () => {
    const lookup = at([[150, pos(150, 1, 12_345n)]]);
    assert.equal(requiredBits(v2net, 151, { version: BLOCK_VERSION.DPOS, number: 151, timestamp: 2, bits: 0n }, lookup), 12_345n);
  });

  test('a step beyond 2^256 − 1 is clamped to it', () => {
    const top = (1n << 256n) - 1n;
    assert.equal(requiredBits(v2net, 151, pow(151, 1, 0n), at([[150, pow(150, 0, top)]])), top);
  });
});
