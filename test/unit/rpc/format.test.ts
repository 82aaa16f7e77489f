import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Attachment, ATTACHMENT_TYPE, CERT_TYPE, bytes } from '../../../src/primitives/attachment.js';
import { Script, attenuationScript, lockHeightScript, multisigScript, nullDataScript, p2pkhScript, pushOp, opcode } from '../../../src/primitives/script.js';
import { OP } from '../../../src/primitives/opcodes.js';
import { Transaction, TxInput, TxOutput, OutPoint } from '../../../src/primitives/transaction.js';
import { Address, BLACKHOLE_ADDRESS } from '../../../src/primitives/address.js';
import { hash160, sha256d } from '../../../src/crypto/hash.js';
import { mainnet, testnet } from '../../../src/networks/index.js';
import {
  attenuationModelParam,
  formatAttachment,
  formatOutput,
  formatInput,
  formatTransaction,
  inputAddress,
  outputAddress,
  stealthInfo,
  transactionAddresses,
  type FormatContext,
} from '../../../src/rpc/format.js';
import { parseJson, stringifyJson } from '../../../src/rpc/json.js';

const V3: FormatContext = { apiVersion: 3, addresses: mainnet.address };
const V1: FormatContext = { apiVersion: 1, addresses: mainnet.address };
const PUBKEY = Buffer.from('02729cae0c16009f44440f306b76fafb7a7d2503741a619c15b41ff927c1afd6b9', 'hex');
const SIG = Buffer.from('3044022063b51643bc0b448c68dc5550215b6879dba865f5427fe2283bfaa831ebe30c0e022063f177655474c98ec7f78c85402c7e1a39540df7f7baa53d6dafe06997201dc701', 'hex');
const ANY_HASH = Buffer.alloc(32, 7);

test('attenuation model parameter as json_helper prints it (docs: MST Conditional Offering)', () => {
  assert.deepEqual(attenuationModelParam('PN=0;LH=20000;TYPE=1;LQ=9001;LP=60001;UN=3'), {
    current_period_nbr: 0,
    lock_period: 60001,
    lock_quantity: 9001,
    next_interval: 20000,
    total_period_nbr: 3,
    type: 1,
  });
  assert.deepEqual(attenuationModelParam('PN=0;LH=20000;TYPE=2;LQ=9001;LP=60001;UN=3;UC=20000,20000,20001;UQ=3000,3000,3001'), {
    current_period_nbr: 0,
    lock_period: 60001,
    lock_quantity: 9001,
    locked: [
      { number: 20000, quantity: 3000 },
      { number: 20000, quantity: 3000 },
      { number: 20001, quantity: 3001 },
    ],
    next_interval: 20000,
    total_period_nbr: 3,
    type: 2,
  });
  // UC and UQ of different lengths: no `locked`; inflation rate has its own name; u64 exact.
  assert.deepEqual(attenuationModelParam('TYPE=3;IR=50;UC=1,2;UQ=3;LQ=18446744073709551615'), { inflation_rate: 50, lock_quantity: 18446744073709551615n, type: 3 });
  // Empty entries are skipped (split with token compression); a non-numeric scalar is skipped (deviation).
  assert.deepEqual(attenuationModelParam(';;PN=1;;LH=;TYPE=x;UN=2'), { current_period_nbr: 1, total_period_nbr: 2 });
});

test('attenuation output from api_v3 asset docs: address, script text and model object', () => {
  const hash = Buffer.from('dae1cde292d5b762c49ecdb18900e8e115df9695', 'hex');
  const script = attenuationScript(hash, 'PN=0;LH=2000;TYPE=1;LQ=60002;LP=6002;UN=3', OutPoint.null().toKey());
  const issue = new Attachment(1, ATTACHMENT_TYPE.ASSET, {
    kind: 'asset_issue',
    symbol: bytes('MVS.TST'),
    maximumSupply: 800000n,
    decimalNumber: 8,
    secondaryIssueThreshold: 127,
    unused2: 0,
    unused3: 0,
    issuer: bytes('testdid02'),
    address: bytes('MTrW3QK8mjmTYSozdkLa7k9hyCExUBWYwP'),
    description: bytes('test asset'),
  });
  const out = formatOutput(new TxOutput(0n, script, issue), 0, V3);
  assert.deepEqual(out, {
    address: 'MTrW3QK8mjmTYSozdkLa7k9hyCExUBWYwP',
    attachment: {
      address: 'MTrW3QK8mjmTYSozdkLa7k9hyCExUBWYwP',
      decimal_number: 8,
      description: 'test asset',
      is_secondaryissue: false,
      issuer: 'testdid02',
      quantity: 800000,
      secondaryissue_threshold: 127,
      symbol: 'MVS.TST',
      type: 'asset-issue',
    },
    attenuation_model_param: { current_period_nbr: 0, lock_period: 6002, lock_quantity: 60002, next_interval: 2000, total_period_nbr: 3, type: 1 },
    index: 0,
    locked_height_range: 0,
    script:
      '[ 504e3d303b4c483d323030303b545950453d313b4c513d36303030323b4c503d363030323b554e3d33 ] [ 0000000000000000000000000000000000000000000000000000000000000000ffffffff ] checkattenuationverify dup hash160 [ dae1cde292d5b762c49ecdb18900e8e115df9695 ] equalverify checksig',
    value: 0,
  });
});

test('output addresses: P2PKH family, P2SH, bare public key, blackhole; none for the rest', () => {
  const h = hash160(PUBKEY);
  const p2pkh = new Address(mainnet.address.pubkeyHash, h).toString();
  assert.equal(outputAddress(p2pkhScript(h), mainnet.address), p2pkh);
  assert.equal(outputAddress(lockHeightScript(h, 25200), mainnet.address), p2pkh);
  assert.equal(outputAddress(Script.fromOps([pushOp(PUBKEY), opcode(OP.CHECKSIG)]), mainnet.address), p2pkh);
  assert.equal(outputAddress(Script.fromAsm('return'), mainnet.address), BLACKHOLE_ADDRESS);
  assert.equal(outputAddress(Script.fromAsm(`hash160 [ ${h.toString('hex')} ] equal`), mainnet.address), new Address(5, h).toString());
  assert.equal(outputAddress(multisigScript(1, [PUBKEY]), mainnet.address), null);
  assert.equal(outputAddress(new Script(), mainnet.address), null);
  assert.equal(outputAddress(nullDataScript(Buffer.from('hi')), mainnet.address), null);
  // Testnet P2PKH version.
  assert.match(outputAddress(p2pkhScript(h), testnet.address)!, /^t/);
  // Deposit lock height.
  const dep = formatOutput(new TxOutput(9n, lockHeightScript(h, 25200), Attachment.etp()), 0, V1);
  assert.equal(dep.locked_height_range, '25200');
  assert.equal(dep.script, `[ 7062 ] numequalverify dup hash160 [ ${h.toString('hex')} ] equalverify checksig`);
});

test('input addresses as payment_address::extract: sig+pubkey, multisig redeem, coinbase none', () => {
  const input = (script: Script, prev = new OutPoint(ANY_HASH, 0)) => new TxInput(prev, script, 0xffffffff);
  const h = hash160(PUBKEY);
  assert.equal(inputAddress(input(Script.fromOps([pushOp(SIG), pushOp(PUBKEY)])), mainnet.address), new Address(0x32, h).toString());
  const redeem = multisigScript(1, [PUBKEY]).raw;
  assert.equal(inputAddress(input(Script.fromOps([opcode(OP.ZERO), pushOp(SIG), pushOp(redeem)])), mainnet.address), new Address(5, hash160(redeem)).toString());
  // `zero <sig> <script>` whose script is not a multisig: no address (extract requires pay_multisig).
  const notMultisig = p2pkhScript(h).raw;
  assert.equal(inputAddress(input(Script.fromOps([opcode(OP.ZERO), pushOp(SIG), pushOp(notMultisig)])), mainnet.address), null);
  assert.equal(inputAddress(input(Script.fromOps([pushOp(SIG)])), mainnet.address), null);
  // A coinbase script is raw data: no address, printed whole.
  const cb = input(Script.fromOps([pushOp(SIG), pushOp(PUBKEY)]), OutPoint.null());
  assert.equal(inputAddress(cb, mainnet.address), null);
  const f = formatInput(cb, V3);
  assert.equal(f.address, undefined);
  assert.equal(f.script, `[ ${cb.script.toHex()} ]`);
  assert.deepEqual(f.previous_output, { hash: '0'.repeat(64), index: 4294967295 });
  assert.deepEqual(formatInput(cb, V1).previous_output, { hash: '0'.repeat(64), index: '4294967295' });
});

test('stealth metadata only for null-data outputs of at least 32 bytes', () => {
  const data = Buffer.alloc(40, 0xab);
  const s = nullDataScript(data);
  assert.deepEqual(stealthInfo(s), { ephemeral_public_key: '02' + 'ab'.repeat(32), prefix: String(sha256d(s.raw).readUInt32LE(0)) });
  assert.equal(stealthInfo(nullDataScript(Buffer.alloc(31, 1))), null);
  const out = formatOutput(new TxOutput(0n, s, Attachment.etp()), 0, V3);
  assert.ok(out.stealth);
  assert.equal(formatOutput(new TxOutput(0n, nullDataScript(Buffer.from('x')), Attachment.etp()), 0, V3).stealth, undefined);
});

test('attachments by type with their exact keys, v1 strings vs v3 numbers, DID strings on version 207', () => {
  const issue = (threshold: number) =>
    new Attachment(207, ATTACHMENT_TYPE.ASSET, {
      kind: 'asset_issue',
      symbol: bytes('S'),
      maximumSupply: 18446744073709551615n,
      decimalNumber: 8,
      secondaryIssueThreshold: threshold,
      unused2: 0,
      unused3: 0,
      issuer: bytes('I'),
      address: bytes('A'),
      description: bytes('D'),
    }, bytes('to'), bytes('from'));
  assert.deepEqual(formatAttachment(issue(127 + 128), V3), {
    address: 'A',
    decimal_number: 8,
    description: 'D',
    from_did: 'from',
    is_secondaryissue: true,
    issuer: 'I',
    quantity: 18446744073709551615n,
    secondaryissue_threshold: 127,
    symbol: 'S',
    to_did: 'to',
    type: 'asset-issue',
  });
  const v1 = formatAttachment(issue(20), V1);
  assert.equal(v1.quantity, '18446744073709551615');
  assert.equal(v1.decimal_number, '8');
  assert.equal(v1.secondaryissue_threshold, '20');
  assert.equal(v1.is_secondaryissue, 'false');
  assert.deepEqual(formatAttachment(Attachment.assetTransfer('X', 5n), V1), { quantity: '5', symbol: 'X', type: 'asset-transfer' });
  assert.deepEqual(formatAttachment(Attachment.message('hello'), V3), { content: 'hello', type: 'message' });
  assert.deepEqual(formatAttachment(Attachment.coinstakeMarker(), V3), { type: 'coinstake' });
  assert.deepEqual(formatAttachment(Attachment.etp(0), V3), { type: 'etp' });
  assert.deepEqual(formatAttachment(new Attachment(1, 77, { kind: 'none' }), V3), { type: 'unknown business' });
  const did = (status: number) => new Attachment(1, ATTACHMENT_TYPE.DID, { kind: 'did', status, symbol: bytes('alice'), address: bytes('MAddr') });
  assert.deepEqual(formatAttachment(did(1), V3), { address: 'MAddr', symbol: 'alice', type: 'did-register' });
  assert.equal(formatAttachment(did(2), V3).type, 'did-transfer');
  const cert = (certType: number, content: Buffer | null) =>
    new Attachment(1, ATTACHMENT_TYPE.CERT, { kind: 'cert', symbol: bytes('MVS'), owner: bytes('bob'), address: bytes('MA'), certType, status: 1, content });
  assert.deepEqual(formatAttachment(cert(CERT_TYPE.NAMING, null), V3), { address: 'MA', cert: 'naming', owner: 'bob', symbol: 'MVS', type: 'asset-cert' });
  assert.deepEqual(formatAttachment(cert(CERT_TYPE.MINING, bytes('initial:1')), V3), { address: 'MA', cert: 'mining', content: 'initial:1', owner: 'bob', symbol: 'MVS', type: 'asset-cert' });
  assert.equal(formatAttachment(cert(CERT_TYPE.KYC, null), V3).cert, 'KYC');
  assert.equal(formatAttachment(cert(0x80000005, null), V3).cert, '0x80000005');
  const mit = (status: number) => new Attachment(207, ATTACHMENT_TYPE.MIT, { kind: 'mit', status, symbol: bytes('M'), address: bytes('A'), content: status === 1 ? bytes('c') : null });
  assert.deepEqual(formatAttachment(mit(1), V3), { address: 'A', content: 'c', from_did: '', status: 'registered', symbol: 'M', to_did: '', type: 'mit' });
  assert.deepEqual(formatAttachment(mit(2), V3), { address: 'A', from_did: '', status: 'transfered', symbol: 'M', to_did: '', type: 'mit' });
});

test('TX: strings for lock_time / version in every version, height only when given, v1 empty outputs ""', () => {
  const tx = new Transaction(4, [new TxInput(new OutPoint(ANY_HASH, 3), Script.fromOps([pushOp(SIG), pushOp(PUBKEY)]), 0xffffffff)], [new TxOutput(1n, p2pkhScript(hash160(PUBKEY)), Attachment.etp())], 7);
  const txb = formatTransaction(tx, V3);
  assert.equal(txb.lock_time, '7');
  assert.equal(txb.version, '4');
  assert.equal(txb.height, undefined);
  assert.deepEqual(Object.keys(txb), ['hash', 'inputs', 'lock_time', 'outputs', 'version']);
  assert.equal(formatTransaction(tx, V3, { height: 0 }).height, 0);
  assert.equal(formatTransaction(tx, V1, { height: 12 }).height, '12');
  const empty = new Transaction(1, [], [], 0);
  assert.equal(formatTransaction(empty, V1).outputs, '');
  assert.deepEqual(formatTransaction(empty, V3).outputs, []);
  assert.deepEqual(transactionAddresses(tx, mainnet.address), [new Address(0x32, hash160(PUBKEY)).toString()]);
  // Values beyond 2^53 survive the JSON text exactly.
  const big = new Transaction(1, [], [new TxOutput(18446744073709551615n, p2pkhScript(hash160(PUBKEY)), Attachment.etp())], 0);
  const text = stringifyJson(formatTransaction(big, V3));
  assert.match(text, /"value":18446744073709551615/);
  assert.equal((parseJson(text) as any).outputs[0].value, 18446744073709551615n);
});
