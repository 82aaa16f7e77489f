import type { Network } from '../../networks/index.js';
import type { Chain } from '../../chain/chain.js';
import type { Mempool } from '../../mempool/mempool.js';
import type { Block } from '../../primitives/block.js';

/** What the node-level RPC methods need from the node (the composition root implements it). */
export interface RpcNode {
  readonly network: Network;
  readonly chain: Chain;
  readonly mempool: Mempool;
  /** This software's version (package.json). */
  readonly version: string;
  /** Connected peers as "ip:port". */
  peerAddresses(): string[];
  /** addnode's operations; returns the reference's result (string or list object). */
  addNode(address: string | undefined, operation: string): Promise<unknown>;
  /** Accounts in the node wallet (0 when the wallet is disabled). */
  walletAccountCount(): number;
  /** Number of issued assets (asset index). */
  assetCount(): number;
  readonly miner: MinerControl;
  /** Account checks for the mining commands (null with --no-wallet). */
  readonly accounts: AccountAccess | null;
  /** Begin a clean shutdown (the RPC answer is sent first). */
  requestShutdown(reason: string): void;
  isSyncing(): boolean;
}

export interface MinerControl {
  isMining(): boolean;
  /** Hashes per second of the built-in miner (0 when idle). */
  hashRate(): number;
  /** Payout address for getwork / the built-in miner, if set. */
  paymentAddress(): string | null;
  setPaymentAddress(address: string): void;
  /** Start the CPU miner; stops after `blocks` blocks (0 = unlimited). */
  start(address: string, blocks: number): Promise<void>;
  stop(): Promise<void>;
  /** Mine `count` blocks now (regtest), returning their hashes. */
  generate(count: number, address: string): Promise<Block[]>;
  /** getwork: [seal hash, seed hash, boundary] as 0x hex. */
  getWork(): Promise<[string, string, string]>;
  /** submitwork: true when the solution made a block the chain accepted. */
  submitWork(nonce: bigint, headerHash: string, mixHash: Buffer): Promise<boolean>;
}

/** The slice of the wallet the mining commands use (account name + password checks). */
export interface AccountAccess {
  /** The account's addresses; rejects with the reference's code for a wrong name/password. */
  listAddresses(name: string, password: string): Promise<string[]>;
  newAddresses(name: string, password: string, count: number): Promise<string[]>;
}
