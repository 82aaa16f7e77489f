import type { Registry } from '../registry.js';
import { METHOD_CATALOG as C } from '../catalog.js';
import { rpcError } from '../errors.js';
import type { RpcNode } from './context.js';
import { MinerError } from '../../miner/miner.js';
import { Address } from '../../primitives/address.js';

/** Legacy submitwork (API < 3) XORs the nonce with this mask (mvs-consensus §7.3 [Q]). */
export const LEGACY_NONCE_MASK = 0x6675636b6d657461n;

function minerError(err: unknown): never {
  if (err instanceof MinerError) {
    if (err.code === 'NO_ADDRESS' || err.code === 'ALREADY_MINING') throw rpcError('setting_required', err.message);
    if (err.code === 'BAD_ADDRESS') throw rpcError('address_invalid', err.message);
    throw rpcError('unknown_error', err.message);
  }
  throw err;
}

/** The payout address: given (and owned by the account) or a fresh one of the account. */
async function accountAddress(node: RpcNode, name: string, password: string, address: string | undefined): Promise<string> {
  if (!node.accounts) {
    if (!address) throw rpcError('generic', 'account operations are disabled on this node (--no-wallet): give the payout address with --address');
    if (!Address.parse(address, node.network.address)) throw rpcError('address_invalid', `invalid address '${address}'`);
    return address;
  }
  const owned = await node.accounts.listAddresses(name, password);
  if (!address) return (await node.accounts.newAddresses(name, password, 1))[0];
  if (!owned.includes(address)) throw rpcError('address_dismatch_account', `${address} does not belong to account ${name}`);
  return address;
}

/** Hex text to a bigint; `what` names the argument in errors. */
function parseHexU64(text: string, what: string): bigint {
  const t = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (!/^[0-9a-fA-F]{1,16}$/.test(t)) throw rpcError('argument_legality', `invalid ${what} '${text}'`);
  return BigInt('0x' + t);
}

/** Mining commands of mvs-rpc §2.14 and the getwork interface of §3. */
export function registerMiningMethods(registry: Registry<RpcNode>): void {
  registry.implement(C.startmining, async (args, node) => {
    if (String(args.consensus ?? 'pow') !== 'pow') throw rpcError('argument_legality', 'only pow mining is supported');
    if (args.symbol) throw rpcError('argument_legality', 'MST mining is not supported yet');
    const address = await accountAddress(node, String(args.ACCOUNTNAME), String(args.ACCOUNTAUTH), (args.address as string | undefined) || undefined);
    const n = Number(args.number ?? 0);
    try {
      await node.miner.start(address, n);
    } catch (err) {
      minerError(err);
    }
    return `solo mining started at ${address}, accept consensus pow` + (n > 0 ? `, try to mine ${n} block(s).` : '.');
  });

  registry.implement(C.stopmining, async (_args, node) => {
    await node.miner.stop();
    return 'signal STOP sent.';
  });

  registry.implement(C.getmininginfo, (_args, node, meta) => {
    const tip = node.chain.tip;
    const info = {
      is_mining: node.miner.isMining(),
      height: String(tip.height),
      rate: String(Math.round(node.miner.hashRate())),
      difficulty: tip.header.bits.toString(),
      payment_address: node.miner.paymentAddress() ?? '',
      mining_mst: '',
      block_type: 'PoW',
    };
    if (meta.apiVersion >= 3) return info;
    return { 'mining-info': { 'is-mining': info.is_mining, height: info.height, rate: info.rate, difficulty: info.difficulty } };
  });

  registry.implement(C.setminingaccount, async (args, node) => {
    if (args.symbol) throw rpcError('argument_legality', 'MST mining is not supported yet');
    const address = await accountAddress(node, String(args.ACCOUNTNAME), String(args.ACCOUNTAUTH), String(args.PAYMENT_ADDRESS ?? ''));
    try {
      node.miner.setPaymentAddress(address);
    } catch (err) {
      minerError(err);
    }
    return `Address [${address}] setted.`;
  });

  registry.implement(C.getwork, async (_args, node, meta) => {
    let work: [string, string, string];
    try {
      work = await node.miner.getWork();
    } catch (err) {
      minerError(err);
    }
    return meta.apiVersion === 1 ? { result: work } : work;
  });

  registry.implement(C.submitwork, async (args, node, meta) => {
    const nonceText = String(args.NONCE ?? '');
    if (meta.apiVersion >= 3 && !nonceText.startsWith('0x')) throw rpcError('argument_legality', 'nonce should start with "0x" for eth_submitWork');
    let nonce = parseHexU64(nonceText, 'nonce');
    if (meta.apiVersion < 3) nonce ^= LEGACY_NONCE_MASK;
    const mixText = String(args.MIXHASH ?? '').replace(/^0x/i, '');
    // A mix of the wrong length silently becomes zero in the reference (and the block is then rejected).
    const mix = /^[0-9a-fA-F]{64}$/.test(mixText) ? Buffer.from(mixText, 'hex') : Buffer.alloc(32);
    const ok = await node.miner.submitWork(nonce, String(args.HEADERHASH ?? ''), mix);
    return meta.apiVersion === 1 ? { result: ok ? 'true' : 'false' } : ok;
  });

  registry.implement(C.eth_submitHashrate, () => true);

  registry.implement(C.generate, async (args, node) => {
    if (node.network.name !== 'regtest') throw rpcError('invalid_command', 'generate is only available on regtest');
    const n = Number(args.NUMBER);
    if (!(n >= 1 && n <= 10_000)) throw rpcError('argument_legality', 'NUMBER must be 1..10000');
    const address = (args.ADDRESS as string | undefined) || node.miner.paymentAddress();
    if (!address) throw rpcError('setting_required', 'give an address or set one with setminingaccount');
    if (!Address.parse(address, node.network.address)) throw rpcError('address_invalid', `invalid address '${address}'`);
    try {
      const blocks = await node.miner.generate(n, address);
      return blocks.map((b) => b.hashHex());
    } catch (err) {
      minerError(err);
    }
  });
}
