/**
 * Wallet acceptance with real daemons (project issue #8, docs/wallet.md):
 * two regtest `mvsd` processes started from the pre-mined chain. Node 1 holds
 * account A (the reference's alice, whose coinbases are mature), node 2 holds
 * account B. A pays B with send, sendfrom and sendmore (each with a memo); B
 * sees it on node 2 through getbalance / listtxs, and node 1 answers for B's
 * address through getaddressetp / listtxs -a. A raw transaction signed with a
 * bare WIF, a 2-of-3 multisig spend signed on both nodes, and a reorg that
 * drops a payment (which returns to node 1's pool and is mined again) follow.
 *
 * Topology: node 2 dials node 1 through RPC addnode, which is not persisted
 * and nobody advertises an address, so restarting node 2 cuts it off until
 * it dials again (the split used for the reorg).
 *
 * The tests run in order and share the network; a failure prints both logs.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestNetwork, FUNDED_ACCOUNTS, preminedChain, waitFor, type TestNode, FailureFlag } from './harness.js';

const net = new TestNetwork('wallet');
const failures = new FailureFlag();
after(async () => net.cleanup(undefined, failures.failed));

/** 20 blocks: 1–10 pay alice, 11–20 bob; alice's are mature at the tip (regtest maturity 10). */
const PREMINED_HEIGHT = 20;
const COIN = 100_000_000n;
const FEE = 10_000n;
const A = { name: 'alice', password: 'password1', address: '' };
const B = { name: 'bobwallet', password: 'password2', addresses: [] as string[] };

let n1: TestNode;
let n2: TestNode;
/** A key no account holds (getnewaccount without a name), used for the raw transaction. */
let loose: { address: string; wif: string; public_key: string };
/** Every address mining rewards go to after the start: nobody's account. */
let minerSink: string;

interface Balance {
  total_confirmed: bigint;
  total_received: bigint;
  total_unspent: bigint;
  total_available: bigint;
  total_frozen: bigint;
}
interface AddressBalance {
  address: string;
  confirmed: bigint;
  received: bigint;
  unspent: bigint;
  available: bigint;
  frozen: bigint;
}
interface TxRow {
  hash: string;
  height: number;
  direction: string;
  inputs: { address: string | null }[];
  outputs: { address: string | null; own: boolean; etp_value: bigint; attachment: { type: string; content?: string } }[];
}
interface TxPage {
  total_page: number;
  current_page: number;
  transaction_count: number;
  transactions: TxRow[];
}
interface Txb {
  hash: string;
  outputs: { address?: string; value: bigint; attachment: { type: string; content?: string } }[];
}

/** JSON integers come back as number or bigint (beyond 2^53): compare as bigint. */
function big<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = typeof v === 'number' ? BigInt(v) : v;
  return out as T;
}

async function balanceOf(node: TestNode, who: { name: string; password: string }): Promise<Balance> {
  return big(await node.rpc<Balance>('getbalance', who.name, who.password));
}

async function addressEtp(node: TestNode, address: string): Promise<AddressBalance> {
  return big(await node.rpc<AddressBalance>('getaddressetp', address));
}

async function txHeight(node: TestNode, txid: string): Promise<number> {
  return Number((await node.rpc<{ height: number }>('gettx', txid)).height);
}

async function mempoolTxids(node: TestNode): Promise<string[]> {
  return (await node.rpc<{ hash: string }[]>('getmemorypool')).map((t) => String(t.hash));
}

/** Mine one block on `node`, wait for both nodes to agree on it; returns its height. */
async function mineAndSync(node: TestNode): Promise<number> {
  await node.mine(1, minerSink);
  await net.syncAll();
  return node.height();
}

test('two nodes from the pre-mined chain; A imported on node 1, B created on node 2', failures.guard(async () => {
  const premined = await preminedChain(PREMINED_HEIGHT);
  n1 = await net.addNode({ fromTemplate: premined.dir });
  n2 = await net.addNode({ fromTemplate: premined.dir });
  await net.connect(n2, n1);
  assert.equal(await n1.height(), PREMINED_HEIGHT);
  assert.equal(await n1.tipHash(), await n2.tipHash());

  const imported = await n1.rpc<{ addresses: string[] }>('importaccount', FUNDED_ACCOUNTS.alice.mnemonic, '-n', A.name, '-p', A.password, '-i', '1');
  A.address = String(imported.addresses[0]);
  assert.equal(A.address, premined.addresses.alice);
  const created = await n2.rpc<{ name: string; mnemonic: string; addresses: string[] }>('getnewaccount', B.name, B.password);
  assert.equal(created.mnemonic.split(' ').length, 24);
  B.addresses = [String(created.addresses[0]), ...(await n2.rpc<string[]>('getnewaddress', B.name, B.password)).map(String)];
  assert.equal(B.addresses.length, 2);
  // The other node knows neither account.
  assert.equal((await n2.rpcError('getbalance', A.name, A.password)).code, 1000);
  assert.equal((await n1.rpcError('getbalance', B.name, B.password)).code, 1000);

  loose = await n2.rpc<{ address: string; wif: string; public_key: string }>('getnewaccount');
  minerSink = String((await n1.rpc<{ address: string }>('getnewaccount')).address);

  // Ten mature coinbases of alice; bob's ten (heights 11–20) are not A's.
  const a = await balanceOf(n1, A);
  assert.ok(a.total_available > 0n);
  assert.equal(a.total_frozen, 0n, 'alice\'s coinbases (heights 1–10) are mature at height 20');
  assert.equal(a.total_available, a.total_confirmed);
  assert.deepEqual(await addressEtp(n2, A.address), await addressEtp(n1, A.address), 'both nodes read the same chain');
  const b = await balanceOf(n2, B);
  assert.equal(b.total_received, 0n);
  assert.equal((await n2.rpcError('listtxs', B.name, B.password)).code, 2003);
}));

let payments: { send: Txb; sendfrom: Txb; sendmore: Txb; toLoose: Txb };
test('A pays B with send, sendfrom and sendmore, each with a memo; pending on node 2, confirmed after one block', failures.guard(async () => {
  const before = await balanceOf(n1, A);
  const send = await n1.rpc<Txb>('send', A.name, A.password, B.addresses[0], String(1n * COIN), '--memo', 'memo of send');
  const sendfrom = await n1.rpc<Txb>('sendfrom', A.name, A.password, A.address, B.addresses[1], String(2n * COIN), '--memo', 'memo of sendfrom');
  const sendmore = await n1.rpc<Txb>('sendmore', A.name, A.password, '-r', `${B.addresses[0]}:${3n * COIN}`, '-r', `${B.addresses[1]}:${4n * COIN}`, '--memo', 'memo of sendmore');
  // Funds for the raw-transaction test, to a key no wallet holds.
  const toLoose = await n1.rpc<Txb>('send', A.name, A.password, loose.address, String(5n * COIN));
  payments = { send, sendfrom, sendmore, toLoose };
  const txids = [send.hash, sendfrom.hash, sendmore.hash, toLoose.hash].map(String);
  assert.equal(new Set(txids).size, 4);

  // The memo outputs, as the reference lays them out.
  assert.deepEqual(send.outputs[1].attachment, { type: 'message', content: 'memo of send' });
  assert.equal(send.outputs[1].address, B.addresses[0]);
  assert.deepEqual(sendfrom.outputs[1].attachment, { type: 'message', content: 'memo of sendfrom' });
  assert.equal(sendfrom.outputs[1].address, B.addresses[1]);
  assert.deepEqual(sendmore.outputs[2].attachment, { type: 'message', content: 'memo of sendmore' });

  // Coin selection skips what the pool already spends: four sends in a row are all accepted.
  const pending = await balanceOf(n1, A);
  assert.equal(pending.total_confirmed, before.total_confirmed, 'nothing confirmed yet');
  assert.equal(pending.total_unspent, before.total_unspent - 15n * COIN - 4n * FEE);

  for (const txid of txids) await net.syncMempools(txid);
  const bPending = await balanceOf(n2, B);
  assert.equal(bPending.total_confirmed, 0n);
  assert.equal(bPending.total_unspent, 10n * COIN, 'the pool counts in unspent (docs/wallet.md)');
  const poolRows = await n2.rpc<TxPage>('listtxs', B.name, B.password);
  assert.equal(poolRows.transaction_count, 3);
  assert.ok(poolRows.transactions.every((t) => Number(t.height) === 0));

  const height = await mineAndSync(n1);
  for (const txid of txids) assert.equal(await txHeight(n2, txid), height);

  // Node 2: B's account.
  const b = await balanceOf(n2, B);
  assert.equal(b.total_confirmed, 10n * COIN);
  assert.equal(b.total_received, 10n * COIN);
  assert.equal(b.total_available, 10n * COIN);
  assert.equal(b.total_frozen, 0n);
  const page = await n2.rpc<TxPage>('listtxs', B.name, B.password);
  assert.equal(page.transaction_count, 3);
  assert.deepEqual(
    page.transactions.map((t) => t.hash).sort(),
    [send.hash, sendfrom.hash, sendmore.hash].sort(),
  );
  for (const row of page.transactions) {
    assert.equal(Number(row.height), height);
    assert.equal(row.direction, 'receive');
    assert.ok(row.inputs.every((i) => i.address === A.address));
    const memo = row.outputs.find((o) => o.attachment.type === 'message');
    assert.match(memo?.attachment.content ?? '', /^memo of (send|sendfrom|sendmore)$/);
    for (const o of row.outputs) assert.equal(o.own, B.addresses.includes(o.address ?? ''), `own of ${o.address}`);
  }
  const sendmoreRow = page.transactions.find((t) => t.hash === sendmore.hash)!;
  assert.deepEqual(
    sendmoreRow.outputs.slice(0, 2).map((o) => [o.address, BigInt(o.etp_value)]),
    [
      [B.addresses[0], 3n * COIN],
      [B.addresses[1], 4n * COIN],
    ],
  );

  // Node 1 has no account B, but answers for its addresses.
  const first = await addressEtp(n1, B.addresses[0]);
  assert.equal(first.confirmed, 4n * COIN);
  assert.equal(first.available, 4n * COIN);
  assert.deepEqual(first, await addressEtp(n2, B.addresses[0]));
  const viaAddress = await n1.rpc<TxPage>('listtxs', '-a', B.addresses[1]);
  assert.deepEqual(
    viaAddress.transactions.map((t) => t.hash).sort(),
    [sendfrom.hash, sendmore.hash].sort(),
  );
  assert.ok(viaAddress.transactions.every((t) => t.outputs.every((o) => o.own === false)), 'no account, nothing owned');
  // On A's side the same transactions are sends.
  const aRows = await n1.rpc<TxPage>('listtxs', A.name, A.password, '-e', `${height}:${height + 1}`);
  assert.equal(aRows.transaction_count, 4);
  assert.ok(aRows.transactions.every((t) => t.direction === 'send'));
  // A paid 15 ETP and four fees.
  const after = await balanceOf(n1, A);
  assert.equal(after.total_confirmed, before.total_confirmed - 15n * COIN - 4n * FEE);
  assert.equal(after.total_unspent, after.total_confirmed);
}));

test('createrawtx → signrawtx --wif → sendrawtx from a key no wallet holds confirms', failures.guard(async () => {
  const funded = await addressEtp(n2, loose.address);
  assert.equal(funded.available, 5n * COIN);
  const unsigned = await n2.rpc<string>('createrawtx', '-t', '0', '-s', loose.address, '-r', `${B.addresses[0]}:${COIN}`, '-m', loose.address, '-c', '1');
  const decoded = await n2.rpc<Txb>('decoderawtx', unsigned);
  assert.deepEqual(
    decoded.outputs.map((o) => [o.address, BigInt(o.value)]),
    [
      [B.addresses[0], COIN],
      [loose.address, 4n * COIN - FEE],
    ],
  );
  // The account positionals are required but not checked when keys are given.
  const signed = await n2.rpc<{ hash: string; rawtx: string }>('signrawtx', 'nobody', 'nopassword', unsigned, '--wif', loose.wif);
  assert.notEqual(signed.rawtx, unsigned);
  const txid = await n2.rpc<string>('sendrawtx', signed.rawtx);
  assert.equal(txid, signed.hash);
  await net.syncMempools(txid);
  const height = await mineAndSync(n1);
  assert.equal(await txHeight(n1, txid), height);
  assert.equal((await addressEtp(n1, loose.address)).confirmed, 4n * COIN - FEE);
  assert.equal((await balanceOf(n2, B)).total_confirmed, 11n * COIN);
  // Sending it again is refused: its inputs are spent.
  assert.equal((await n1.rpcError('sendrawtx', signed.rawtx)).code, 5304);
}));

test('a 2-of-3 multisig address of A and B receives, and spends with both signatures', failures.guard(async () => {
  const pkA = String((await n1.rpc<{ public_key: string }>('getpublickey', A.name, A.password, A.address)).public_key);
  const pkB = String((await n2.rpc<{ public_key: string }>('getpublickey', B.name, B.password, B.addresses[0])).public_key);
  const pkC = loose.public_key;
  const onA = await n1.rpc<{ address: string; public_keys: string[]; m: number; n: number }>('getnewmultisig', A.name, A.password, '-m', '2', '-n', '3', '-s', pkA, '-k', pkB, '-k', pkC, '-d', 'A+B+C');
  const onB = await n2.rpc<{ address: string; public_keys: string[] }>('getnewmultisig', B.name, B.password, '-m', '2', '-n', '3', '-s', pkB, '-k', pkC, '-k', pkA);
  assert.equal(onA.address, onB.address, 'the same three keys give the same P2SH address');
  assert.deepEqual(onA.public_keys, [pkA, pkB, pkC].sort());
  const msig = onA.address;

  const fund = await n1.rpc<Txb>('send', A.name, A.password, msig, String(3n * COIN));
  await net.syncMempools(fund.hash);
  await mineAndSync(n1);
  const funded = await addressEtp(n2, msig);
  assert.equal(funded.confirmed, 3n * COIN);
  // B's account lists the multisig address, so its balance includes it.
  const bBefore = await balanceOf(n2, B);
  assert.equal(bBefore.total_confirmed, 11n * COIN + 3n * COIN);

  const partial = await n1.rpc<string>('createmultisigtx', A.name, A.password, msig, B.addresses[1], String(COIN));
  // One signature of two: validation fails.
  assert.equal((await n1.rpcError('sendrawtx', partial)).code, 5304);
  const done = await n2.rpc<{ hash: string; rawtx: string }>('signmultisigtx', B.name, B.password, partial, '--broadcast');
  await net.syncMempools(done.hash);
  const height = await mineAndSync(n1);
  assert.equal(await txHeight(n1, done.hash), height);
  const spent = await addressEtp(n1, msig);
  assert.equal(spent.confirmed, 2n * COIN - FEE, 'the change returns to the multisig address');
  assert.deepEqual(spent, await addressEtp(n2, msig));
  assert.equal((await addressEtp(n1, B.addresses[1])).confirmed, 6n * COIN + COIN);
  // B's total: + 1 ETP received, − the 1 ETP and the fee that left the shared address.
  assert.equal((await balanceOf(n2, B)).total_confirmed, bBefore.total_confirmed - FEE);
}));

test('a reorg that drops a payment moves it back to node 1\'s pool, and it is mined again', failures.guard(async () => {
  const start = await n1.height();
  const aBefore = await balanceOf(n1, A);
  const bAddressBefore = await addressEtp(n1, B.addresses[0]);

  // Cut node 2 off: it dialled node 1 through RPC, which a restart forgets.
  await n2.stop();
  await n2.start();
  await waitFor('node 1 to lose its peer', async () => (await n1.rpc<string[]>('getpeerinfo')).length === 0);

  const payment = await n1.rpc<Txb>('send', A.name, A.password, B.addresses[0], String(7n * COIN), '--memo', 'reorged');
  await n1.mine(1, minerSink);
  assert.equal(await txHeight(n1, payment.hash), start + 1);
  assert.equal((await addressEtp(n1, B.addresses[0])).confirmed, bAddressBefore.confirmed + 7n * COIN);
  assert.equal((await balanceOf(n1, A)).total_confirmed, aBefore.total_confirmed - 7n * COIN - FEE);

  // Node 2 never saw the payment: a longer branch without it.
  assert.deepEqual(await mempoolTxids(n2), []);
  await n2.mine(2, minerSink);
  assert.equal(await n2.height(), start + 2);

  await net.connect(n2, n1);
  const tip = await net.syncAll();
  assert.equal(tip, await n2.tipHash());
  assert.equal(await n1.height(), start + 2);

  // The payment is back in node 1's pool, unconfirmed; the balances follow the new tip.
  await waitFor('the payment back in node 1\'s pool', async () => (await mempoolTxids(n1)).includes(payment.hash));
  assert.equal(await txHeight(n1, payment.hash), 0);
  const bAddress = await addressEtp(n1, B.addresses[0]);
  assert.equal(bAddress.confirmed, bAddressBefore.confirmed, 'the confirmed payment is gone');
  assert.equal(bAddress.unspent, bAddressBefore.unspent + 7n * COIN, 'and pending again');
  const a = await balanceOf(n1, A);
  assert.equal(a.total_confirmed, aBefore.total_confirmed);
  assert.equal(a.total_unspent, aBefore.total_unspent - 7n * COIN - FEE);
  const aRows = await n1.rpc<TxPage>('listtxs', A.name, A.password);
  const pendingRow = aRows.transactions.find((t) => t.hash === payment.hash);
  assert.equal(Number(pendingRow?.height), 0);
  // A spend of the returned payment's change is still possible: coins are selected against the pool.
  const followUp = await n1.rpc<Txb>('send', A.name, A.password, B.addresses[1], String(COIN));

  // Mined again; node 2 (B's account) sees both.
  const height = await mineAndSync(n1);
  assert.equal(height, start + 3);
  assert.equal(await txHeight(n2, payment.hash), height);
  assert.equal(await txHeight(n2, followUp.hash), height);
  assert.deepEqual(await mempoolTxids(n1), []);
  const bRows = await n2.rpc<TxPage>('listtxs', B.name, B.password, '-e', `${height}:0`);
  assert.deepEqual(
    bRows.transactions.map((t) => t.hash).sort(),
    [payment.hash, followUp.hash].sort(),
  );
  assert.equal((await addressEtp(n2, B.addresses[0])).confirmed, bAddressBefore.confirmed + 7n * COIN);
  assert.equal((await balanceOf(n1, A)).total_confirmed, aBefore.total_confirmed - 8n * COIN - 2n * FEE);
}));

test('a conflicting spend on the winning branch evicts the payment; both nodes agree on A\'s balance', failures.guard(async () => {
  // A's keys on node 2 too, so node 2 can spend the coin node 1's payment spends.
  await n2.rpc('importaccount', FUNDED_ACCOUNTS.alice.mnemonic, '-n', A.name, '-p', A.password, '-i', '1');
  // (Node 1's A also holds the multisig address, so compare the HD address itself.)
  assert.deepEqual(await addressEtp(n2, A.address), await addressEtp(n1, A.address));
  const start = await n1.height();
  const aBefore = await balanceOf(n1, A);
  const bBefore = await balanceOf(n2, B);

  await n2.stop();
  await n2.start();
  await waitFor('node 1 to lose its peer', async () => (await n1.rpc<string[]>('getpeerinfo')).length === 0);

  // Both wallets read the same chain and an empty pool, so both take A's newest coin first.
  const payment = await n1.rpc<Txb & { inputs: { previous_output: { hash: string; index: number } }[] }>('send', A.name, A.password, B.addresses[0], String(COIN));
  const rival = await n2.rpc<Txb & { inputs: { previous_output: { hash: string; index: number } }[] }>('send', A.name, A.password, loose.address, String(2n * COIN));
  const spentBy = (t: typeof payment) => t.inputs.map((i) => `${i.previous_output.hash}:${Number(i.previous_output.index)}`);
  assert.ok(spentBy(payment).some((o) => spentBy(rival).includes(o)), 'the two spends share an input');
  await n1.mine(1, minerSink);
  await n2.mine(2, minerSink);

  await net.connect(n2, n1);
  assert.equal(await net.syncAll(), await n2.tipHash());
  assert.equal(await n1.height(), start + 2);
  assert.equal(await txHeight(n1, rival.hash), start + 1);
  // The payment's input is spent on the best chain: it cannot come back.
  await waitFor('the payment gone from node 1', async () => (await n1.rpcError('gettx', payment.hash)).code === 5306);
  assert.deepEqual(await mempoolTxids(n1), []);

  const a1 = await balanceOf(n1, A);
  assert.equal(a1.total_confirmed, aBefore.total_confirmed - 2n * COIN - FEE);
  assert.equal(a1.total_unspent, a1.total_confirmed);
  assert.deepEqual(await addressEtp(n2, A.address), await addressEtp(n1, A.address));
  assert.deepEqual(await balanceOf(n2, B), bBefore, 'B never got the evicted payment');
  const aRows = await n1.rpc<TxPage>('listtxs', A.name, A.password, '-e', `${start + 1}:0`);
  assert.deepEqual(
    aRows.transactions.map((t) => t.hash),
    [rival.hash],
  );
  // A can spend again on node 1: selection sees the new tip, not the evicted payment.
  const again = await n1.rpc<Txb>('send', A.name, A.password, B.addresses[0], String(COIN));
  await net.syncMempools(again.hash);
  await mineAndSync(n1);
  assert.equal((await balanceOf(n2, B)).total_confirmed, bBefore.total_confirmed + COIN);
}));
