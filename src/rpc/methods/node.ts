import { randomBytes } from 'node:crypto';
import type { Registry } from '../registry.js';
import { METHOD_CATALOG as C } from '../catalog.js';
import { rpcError } from '../errors.js';
import { formatBlock, formatHeader, formatTransaction, type FormatContext } from '../format.js';
import type { RpcNode } from './context.js';
import { Address, BLACKHOLE_ADDRESS } from '../../primitives/address.js';
import { hashFromHex } from '../../primitives/hex.js';
import { keccak256 } from '../../crypto/hash.js';
import { STORE_VERSION } from '../../chain/layout.js';
import type { HeaderRecord } from '../../chain/records.js';
import { OUR_PROTOCOL_VERSION } from '../../p2p/messages/index.js';

/** The reference API version this node answers as (wallet_version in getinfo). */
export const REFERENCE_API_VERSION = '0.9.1';

const fmt = (node: RpcNode, apiVersion: 1 | 2 | 3): FormatContext => ({ apiVersion, addresses: node.network.address });

/** An object with its keys in jsoncpp's sorted order (mvsd writes every JSON object so). */
function sortedKeys<T extends Record<string, unknown>>(obj: T): T {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) out[k] = obj[k];
  return out as T;
}

/**
 * addnode's NODEADDRESS as config::authority accepts it: host (IPv4, a
 * bracketed IPv6 or a name) and a port 1..65535; anything else fails as the
 * reference's authority parse does (a plain exception → 1000).
 */
function checkNodeAddress(text: string | undefined): void {
  if (text === undefined || text === '') throw new Error('NODEADDRESS is required');
  const m = /^(\[[0-9A-Fa-f:.]+\]|[0-9A-Za-z.-]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new Error(`invalid node address '${text}' (expected ip:port)`);
}

function hashArg(text: unknown, what: string): Buffer {
  try {
    return hashFromHex(String(text ?? ''), what);
  } catch {
    throw rpcError('argument_legality', `invalid ${what} '${String(text)}'`);
  }
}

/** Chain and node methods of mvs-rpc §2.3–2.4 (wallet methods live in wallet/rpc.ts, mining in methods/mining.ts). */
export function registerNodeMethods(registry: Registry<RpcNode>): void {
  registry.implement(C.getinfo, (_args, node, meta) => {
    const tip = node.chain.tip;
    const v3 = meta.apiVersion >= 3;
    const info: Record<string, unknown> = {
      protocol_version: OUR_PROTOCOL_VERSION,
      wallet_version: REFERENCE_API_VERSION,
      database_version: String(STORE_VERSION),
      testnet: node.network.testnetRules,
      peers: node.peerAddresses().length,
      asset_count: node.assetCount(),
      wallet_account_count: node.walletAccountCount(),
      height: tip.height,
      difficulty: tip.header.bits.toString(),
      is_mining: node.miner.isMining(),
      hash_rate: Math.round(node.miner.hashRate()),
    };
    if (v3) return sortedKeys(info);
    // v1/v2 use hyphenated keys (mvs-rpc §1.4).
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(info)) out[k === 'asset_count' ? 'network-assets-count' : k.replace(/_/g, '-')] = val;
    return sortedKeys(out);
  });

  registry.implement(C.getheight, (_args, node) => node.chain.height);

  registry.implement(C.getblockheader, (args, node, meta) => {
    let rec: HeaderRecord | null;
    if (args.hash !== undefined) {
      rec = node.chain.getRecord(hashArg(args.hash, 'block hash'));
      if (!rec || !node.chain.isOnMainChain(rec)) throw rpcError('block_header_get', 'block header not found');
    } else if (args.height !== undefined) {
      rec = node.chain.getRecordAt(Number(args.height));
      if (!rec) throw rpcError('block_header_get', `no block at height ${args.height}`);
    } else {
      rec = node.chain.tip;
    }
    if (meta.calledAs === 'getbestblockhash') return rec.header.hashHex();
    const hdr = formatHeader(rec.header, rec.txCount, fmt(node, meta.apiVersion));
    return meta.apiVersion >= 3 ? hdr : { result: hdr };
  });

  registry.implement(C.getblock, (args, node, meta) => {
    const key = String(args.HASH_OR_HEIGH ?? '');
    let hash: Buffer | null;
    if (key.length < 18) {
      if (!/^\d+$/.test(key)) throw rpcError('argument_legality', `invalid block height '${key}'`);
      hash = node.chain.store.getHashAt(Number(key));
      if (!hash || Number(key) > node.chain.height) throw rpcError('block_height_get', `block ${key} does not exist`);
    } else {
      hash = hashArg(key, 'block hash');
      const rec = node.chain.getRecord(hash);
      // getblock.cpp throws block_height_get for an unknown hash too; the
      // reference stores main-chain blocks only, so a side-chain block is unknown.
      if (!rec || !rec.has(2) || !node.chain.isOnMainChain(rec)) throw rpcError('block_height_get', `block ${key} does not exist`);
    }
    if (args.json === false) {
      const raw = node.chain.store.getBlockRaw(hash);
      if (!raw) throw rpcError('block_height_get', `block ${key} does not exist`);
      return raw.toString('hex');
    }
    const block = node.chain.getBlock(hash)!;
    return formatBlock(block, fmt(node, meta.apiVersion), { txJson: args.tx_json !== false });
  });

  registry.implement(C.gettx, (args, node, meta) => {
    const txid = hashArg(args.HASH, 'transaction hash');
    const pooled = node.mempool.get(txid);
    const found = pooled ? { tx: pooled.tx, height: 0 } : (() => {
      const r = node.chain.store.getTx(txid);
      return r ? { tx: r.tx, height: r.location.height } : null;
    })();
    if (!found) throw rpcError('tx_notfound', 'transaction does not exist');
    if (args.json === false) return found.tx.toHex();
    const tx = formatTransaction(found.tx, fmt(node, meta.apiVersion), { height: found.height });
    return meta.apiVersion >= 3 ? tx : { transaction: tx };
  });

  registry.implement(C.getmemorypool, (args, node, meta) => {
    const entries = node.mempool.all();
    const list = args.json === false ? entries.map((e) => e.tx.toHex()) : entries.map((e) => formatTransaction(e.tx, fmt(node, meta.apiVersion)));
    return meta.apiVersion >= 3 ? list : { transactions: list };
  });

  registry.implement(C.getpeerinfo, (_args, node, meta) => {
    const peers = node.peerAddresses();
    return meta.apiVersion >= 3 ? peers : { peers };
  });

  registry.implement(C.addnode, async (args, node) => {
    const operation = String(args.operation ?? '');
    const address = args.NODEADDRESS as string | undefined;
    if (operation === '' || operation === 'add' || operation === 'ban' || operation === 'peer') checkNodeAddress(address);
    const result = await node.addNode(address, operation);
    return result !== null && typeof result === 'object' && !Array.isArray(result) ? sortedKeys(result as Record<string, unknown>) : result;
  });

  registry.implement(C.validateaddress, (args, node, meta) => {
    const text = String(args.PAYMENT_ADDRESS ?? '');
    let type = 'none';
    let valid = false;
    if (text === BLACKHOLE_ADDRESS) {
      type = 'p2blackhole';
      valid = true;
    } else {
      const a = Address.parse(text, node.network.address);
      if (a) {
        valid = true;
        type = a.version === node.network.address.scriptHash ? 'p2sh(multi-signature)' : node.network.testnetRules ? 'p2kh(test-net)' : 'p2kh(main-net)';
      }
    }
    const message = valid ? 'valid address' : 'invalid address!';
    if (meta.apiVersion >= 3) return sortedKeys({ address_type: type, testnet: node.network.testnetRules, is_valid: valid, message });
    return sortedKeys({ 'address-type': type, 'test-net': node.network.testnetRules, 'is-valid': valid, message });
  });

  registry.implement(C.shutdown, (_args, node) => {
    setImmediate(() => node.requestShutdown('shutdown RPC'));
    return 'sending SIGTERM to mvsd.';
  });

  registry.implement(C.popblock, async (args, node) => {
    if (node.network.name !== 'regtest') throw rpcError('invalid_command', 'popblock is only available on regtest');
    const height = Number(args.height);
    if (!(height > 0)) throw rpcError('argument_legality', 'height must be greater than 0');
    if (height > node.chain.height) throw rpcError('block_height', `height ${height} is above the tip ${node.chain.height}`);
    await node.chain.popBlocks(height - 1);
    return `pop block from ${height} finished.`;
  });

  registry.implement(C.getrandom, (args) => {
    const lo = BigInt(args.POINT1 as bigint);
    const hi = BigInt(args.POINT2 as bigint);
    if (lo > hi) throw rpcError('argument_legality', 'POINT1 must not be greater than POINT2');
    const span = hi - lo + 1n;
    const r = lo + (BigInt('0x' + randomBytes(16).toString('hex')) % span);
    return sortedKeys({ begin: lo, end: hi, random_num: r, random_hash: keccak256(Buffer.from(r.toString())).toString('hex') });
  });

  registry.implement(C.verifyrandom, (args) => {
    const hash = String(args.RANDOM_HASH ?? '');
    const num = String(args.RANDOM_NUM ?? '');
    return sortedKeys({ is_valid: keccak256(Buffer.from(num)).toString('hex') === hash.toLowerCase(), random_hash: hash, random_num: num });
  });
}
