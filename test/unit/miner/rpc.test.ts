import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, type CallMeta } from '../../../src/rpc/registry.js';
import { RpcError } from '../../../src/rpc/errors.js';
import { registerMiningMethods, LEGACY_NONCE_MASK } from '../../../src/rpc/methods/mining.js';
import type { RpcNode, MinerControl, AccountAccess } from '../../../src/rpc/methods/context.js';
import { MinerError } from '../../../src/miner/miner.js';
import { regtest } from '../../../src/networks/index.js';
import type { ApiVersion } from '../../../src/rpc/params.js';

/*
 * The mining RPC layer (mvs-rpc §2.14, §3): how getwork/submitwork arguments
 * are parsed per API version and how results are shaped. The miner behind it
 * is a recorder, so the tests see exactly what the layer passes on.
 */

const OWNED = 'MLasS7Xhov1vKPDMNgbQybFZ4micBQKwL8';
const FRESH = 'MMzQ7y4mVRozCd8CdYfAKi5sypqqiMSnsN';
const HEADER = '0x' + 'ab'.repeat(32);
const MIX = 'cd'.repeat(32);

class RecordingMiner implements MinerControl {
  submitted: { nonce: bigint; headerHash: string; mix: Buffer }[] = [];
  started: { address: string; blocks: number }[] = [];
  accept = true;
  mining = false;
  address: string | null = null;
  work: [string, string, string] | null = [HEADER, '0x' + '00'.repeat(32), '0x' + '19'.repeat(32)];
  isMining() {
    return this.mining;
  }
  hashRate() {
    return this.mining ? 1234.4 : 0;
  }
  paymentAddress() {
    return this.address;
  }
  setPaymentAddress(address: string) {
    this.address = address;
  }
  async start(address: string, blocks: number) {
    if (this.mining) throw new MinerError('ALREADY_MINING', 'the miner is already running');
    this.mining = true;
    this.address = address;
    this.started.push({ address, blocks });
  }
  async stop() {
    this.mining = false;
  }
  async generate(): Promise<never> {
    throw new Error('not used here');
  }
  async getWork(): Promise<[string, string, string]> {
    if (!this.work) throw new MinerError('NO_ADDRESS', 'Use command <setminingaccount> to set mining address.');
    return this.work;
  }
  async submitWork(nonce: bigint, headerHash: string, mix: Buffer) {
    this.submitted.push({ nonce, headerHash, mix });
    return this.accept;
  }
}

const accounts: AccountAccess = {
  async listAddresses(name, password) {
    if (name !== 'alice' || password !== 'secret1') throw new RpcError(1000, 'account not found or incorrect password');
    return [OWNED];
  },
  async newAddresses() {
    return [FRESH];
  },
};

function setup() {
  const miner = new RecordingMiner();
  const node = { network: regtest, chain: { tip: { height: 42, header: { bits: 10n } } }, miner, accounts } as unknown as RpcNode;
  const registry = new Registry<RpcNode>();
  registerMiningMethods(registry);
  const call = (apiVersion: ApiVersion, method: string, ...tokens: string[]) => {
    const meta: Omit<CallMeta, 'calledAs'> = { apiVersion, path: apiVersion === 1 ? '/rpc' : `/rpc/v${apiVersion}` };
    return registry.invoke(method, tokens, node, meta);
  };
  return { miner, call };
}

async function rpcCode(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RpcError, `an RpcError, got ${err}`);
    return { code: err.code, message: err.message };
  }
  assert.fail('expected an RPC error');
}

describe('submitwork parsing', () => {
  test('v3: "0x" nonce taken as is, mix with or without 0x, boolean result', async () => {
    const { miner, call } = setup();
    assert.equal(await call(3, 'eth_submitWork', '0x00000000000000ff', HEADER, '0x' + MIX), true);
    assert.equal(await call(3, 'submitwork', '0xFFFFFFFFFFFFFFFF', HEADER, MIX), true);
    miner.accept = false;
    assert.equal(await call(3, 'eth_submitWork', '0x1', HEADER, MIX), false);
    assert.deepEqual(
      miner.submitted.map((s) => [s.nonce, s.headerHash, s.mix.toString('hex')]),
      [
        [255n, HEADER, MIX],
        [0xffffffffffffffffn, HEADER, MIX],
        [1n, HEADER, MIX],
      ],
    );
  });

  test('v3: a nonce without 0x is error 2003 and never reaches the miner', async () => {
    const { miner, call } = setup();
    const e = await rpcCode(call(3, 'eth_submitWork', '00000000000000ff', HEADER, MIX));
    assert.deepEqual(e, { code: 2003, message: 'nonce should start with "0x" for eth_submitWork' });
    assert.equal(miner.submitted.length, 0);
  });

  test('nonces that are not a u64 in hex are refused (2003)', async () => {
    const { miner, call } = setup();
    for (const bad of ['0x', '0xzz', '0x1ffffffffffffffff', '0x-1']) {
      assert.equal((await rpcCode(call(3, 'eth_submitWork', bad, HEADER, MIX))).code, 2003, bad);
    }
    assert.equal(miner.submitted.length, 0);
  });

  test('v1/v2: the nonce is XORed with the legacy mask and 0x is optional', async () => {
    const { miner, call } = setup();
    const nonce = 0x0123456789abcdefn;
    const masked = (nonce ^ LEGACY_NONCE_MASK).toString(16).padStart(16, '0');
    assert.equal(LEGACY_NONCE_MASK, 0x6675636b6d657461n);
    assert.equal(await call(2, 'submitwork', '0x' + masked, HEADER, MIX), true);
    assert.equal(await call(2, 'eth_submitWork', masked, HEADER, MIX), true);
    assert.deepEqual(await call(1, 'submitwork', masked, HEADER, MIX), { result: 'true' });
    miner.accept = false;
    assert.deepEqual(await call(1, 'submitwork', masked, HEADER, MIX), { result: 'false' });
    assert.deepEqual(
      miner.submitted.map((s) => s.nonce),
      [nonce, nonce, nonce, nonce],
    );
  });

  test('a mix that is not 32 bytes of hex becomes zero (the block is then refused)', async () => {
    const { miner, call } = setup();
    await call(3, 'eth_submitWork', '0x1', HEADER, '0x' + 'cd'.repeat(31));
    await call(3, 'eth_submitWork', '0x1', HEADER, 'zz'.repeat(32));
    await call(3, 'eth_submitWork', '0x1', HEADER, '');
    for (const s of miner.submitted) assert.ok(s.mix.equals(Buffer.alloc(32)));
  });
});

describe('getwork and the other mining commands', () => {
  test('getwork: the triple on v2/v3, wrapped in {result} on v1; 1024 without an address', async () => {
    const { miner, call } = setup();
    assert.deepEqual(await call(3, 'eth_getWork'), miner.work);
    assert.deepEqual(await call(2, 'getwork'), miner.work);
    assert.deepEqual(await call(1, 'getwork'), { result: miner.work });
    miner.work = null;
    assert.deepEqual(await rpcCode(call(3, 'eth_getWork')), { code: 1024, message: 'Use command <setminingaccount> to set mining address.' });
  });

  test('eth_submitHashrate answers true (ethminer reports it)', async () => {
    const { call } = setup();
    assert.equal(await call(3, 'eth_submitHashrate', '0x5f5e100', '0x' + '59'.repeat(32)), true);
  });

  test('getmininginfo: reference field names, height and rate as strings; v2 nests hyphenated keys', async () => {
    const { miner, call } = setup();
    assert.deepEqual(await call(3, 'getmininginfo'), {
      is_mining: false,
      height: '42',
      rate: '0',
      difficulty: '10',
      payment_address: '',
      mining_mst: '',
      block_type: 'PoW',
    });
    await call(3, 'startmining', 'alice', 'secret1', '-a', OWNED);
    const info = (await call(3, 'getmininginfo')) as Record<string, unknown>;
    assert.equal(info.is_mining, true);
    assert.equal(info.rate, '1234');
    assert.equal(info.payment_address, OWNED);
    assert.deepEqual(await call(2, 'getmininginfo'), { 'mining-info': { 'is-mining': true, height: '42', rate: '1234', difficulty: '10' } });
    assert.equal(miner.started.length, 1);
  });

  test('startmining: owned address or a new one, block count, already mining → 1024; stopmining', async () => {
    const { miner, call } = setup();
    assert.equal(await call(3, 'startmining', 'alice', 'secret1', '-n', '5'), `solo mining started at ${FRESH}, accept consensus pow, try to mine 5 block(s).`);
    assert.deepEqual(miner.started, [{ address: FRESH, blocks: 5 }]);
    assert.equal((await rpcCode(call(3, 'startmining', 'alice', 'secret1'))).code, 1024);
    assert.equal(await call(3, 'stopmining'), 'signal STOP sent.');
    assert.equal(miner.isMining(), false);
    assert.equal(await call(3, 'startmining', 'alice', 'secret1', '--address', OWNED), `solo mining started at ${OWNED}, accept consensus pow.`);
    await call(3, 'stopmining');
    assert.equal((await rpcCode(call(3, 'startmining', 'alice', 'secret1', '-a', FRESH))).code, 4003, 'not an address of the account');
    assert.equal((await rpcCode(call(3, 'startmining', 'alice', 'wrong'))).code, 1000);
    assert.equal((await rpcCode(call(3, 'startmining', 'alice', 'secret1', '-c', 'pos'))).code, 2003, 'PoW only');
    assert.equal((await rpcCode(call(3, 'startmining', 'alice', 'secret1', '-s', 'MST.X'))).code, 2003, 'no MST mining');
    assert.equal(miner.started.length, 2, 'refused calls never start the miner');
  });

  test('setminingaccount: the owned address becomes the payout address', async () => {
    const { miner, call } = setup();
    assert.equal(await call(3, 'setminingaccount', 'alice', 'secret1', OWNED), `Address [${OWNED}] setted.`);
    assert.equal(miner.address, OWNED);
    assert.equal((await rpcCode(call(3, 'setminingaccount', 'alice', 'secret1', FRESH))).code, 4003);
  });
});
