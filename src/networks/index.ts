import { Block } from '../primitives/block.js';
import { BlockHeader } from '../primitives/header.js';
import { Transaction, TxInput, TxOutput, OutPoint } from '../primitives/transaction.js';
import { Script, p2pkhScript } from '../primitives/script.js';
import { Attachment } from '../primitives/attachment.js';
import { Address, type AddressVersions, P2SH_VERSION } from '../primitives/address.js';
import { ZERO_HASH, hashFromHex } from '../primitives/hex.js';
import { POW_SUBSIDY_PRE_POS, POW_SUBSIDY_POST_POS, POS_SUBSIDY } from './subsidy-tables.js';

export type NetworkName = 'main' | 'test' | 'regtest';

/** A height that is never reached (settings whose default is "never"). */
export const NEVER = 0xffffffff;

export interface Checkpoint {
  height: number;
  /** Display-order hash. */
  hash: string;
}

export interface Network {
  name: NetworkName;
  /** `network.identifier`; written little-endian as the frame magic. */
  magic: number;
  port: number;
  rpcPort: number;
  wsPort: number;
  /** P2P seed nodes (host:port). */
  seeds: string[];
  address: AddressVersions;
  wifPrefix: number;
  genesis: Block;
  checkpoints: Checkpoint[];
  /** check_block compares checkpoints (testnet checks only genesis, in accept_block). */
  checkpointsInCheckBlock: boolean;
  /**
   * Strict validation (scripts, fees, coinbase value, tx rules) applies only to
   * blocks whose fork point is at or above this height: the last checkpoint
   * (mvs-consensus §4.1).
   */
  strictFromHeight: number;
  /** Blocks accepted whatever their validation result (mvs-consensus §4.1). */
  exceptionBlocks: Checkpoint[];
  coinbaseMaturity: number;
  posEnabledHeight: number;
  futureBlocktimeForkHeight: number;
  /** Transaction version 4 allowed when the tip T > this (-1: always). */
  novaAfterHeight: number;
  dposEnabledHeight: number;
  /** Minimum PoW difficulty by height (mvs-consensus §0.1). */
  minPowDifficulty: (height: number) => bigint;
  minPosDifficulty: bigint;
  subsidyInterval: number;
  /** Deposit lock heights, in the order of DEPOSIT_REWARD_NUMERATORS. */
  lockHeights: number[];
  /** Testnet rule switches (use_testnet_rules). */
  testnetRules: boolean;
  /** PoS capability: deposit confirmations before staking (vote_maturity). */
  voteMaturity: number;
  /** Mainnet: first PoS block height, hard-coded in pos_exist_before. */
  firstPosBlockHeight: number | null;
  foundationAddress: string;
  devCommunityAddress: string;
  /** Height above which successive-version limits apply (pos height + 10,000). */
  successiveLimitAboveHeight: number;
}

/** Interest numerators per 10^8 for the five deposit periods (miner.cpp coinage_rewards). */
export const DEPOSIT_REWARD_NUMERATORS = [95890, 666666, 3200000, 8000000, 20000000] as const;

export const COIN = 100_000_000n;
export const MAX_MONEY = 100_000_000n * COIN;
export const GENESIS_REWARD = 50_000_000n * COIN;

const MAINNET_GENESIS_TEXT = '6e64c2098b84b04a0d9f61a60d5bc8f5f80f37e19f3ad9c39bfe419db422b33c';
const MAINNET_GENESIS_TIME = 1486796400;

/**
 * Genesis as miner::create_genesis_block builds it (mvs-wire §6): a
 * default-constructed coinbase (tx version 0, sequence 0) whose input script is
 * the raw text bytes, one 50,000,000 ETP output with attachment version 0.
 */
export function buildGenesis(text: string, timestamp: number, payeeHash160: string): Block {
  const coinbase = new Transaction(
    0,
    [new TxInput(OutPoint.null(), new Script(Buffer.from(text, 'ascii')), 0)],
    [new TxOutput(GENESIS_REWARD, p2pkhScript(Buffer.from(payeeHash160, 'hex')), Attachment.etp(0))],
    0,
  );
  const header = new BlockHeader({
    version: 1,
    prevHash: ZERO_HASH,
    merkleRoot: coinbase.hash(),
    timestamp,
    bits: 1n,
    nonce: 0n,
    mixHash: ZERO_HASH,
    number: 0,
  });
  return new Block(header, [coinbase]);
}

const mainGenesis = buildGenesis(MAINNET_GENESIS_TEXT, MAINNET_GENESIS_TIME, '61fde3bd4e6955c99b16de2d71e2a369888a1c0b');
const testGenesis = buildGenesis('2017.01.18 MVS start running testnet.', 1479881397, 'b72852b4c7195034304bcc90b07326e6e555dc60');
const regtestGenesis = buildGenesis(MAINNET_GENESIS_TEXT, MAINNET_GENESIS_TIME, '2f3b65f87fa30c7fc1b5e2919daf0aad0e42b074');

export const mainnet: Network = {
  name: 'main',
  magic: 0x4d53564d,
  port: 5251,
  rpcPort: 8820,
  wsPort: 8821,
  seeds: [
    'main-asia.metaverse.live:5251',
    'main-americas.metaverse.live:5251',
    'main-europe.metaverse.live:5251',
    'main-asia.mvs.live:5251',
    'main-americas.mvs.live:5251',
    'main-europe.mvs.live:5251',
    'seed.getmvs.org:5251',
  ],
  address: { pubkeyHash: 0x32, scriptHash: P2SH_VERSION },
  wifPrefix: 0x80,
  genesis: mainGenesis,
  checkpoints: [
    { height: 0, hash: 'b81848ef9ae86e84c3da26564bc6ab3a79efc628239d11471ab5cd25c0684c2d' },
    { height: 1030000, hash: 'ed11a074ce80cbf82b5724bea0d74319dc6f180198fa1bbfb562bcbd50089e63' },
    { height: 1270000, hash: 'a18a5aa5270835dd720a561c20230435e0508e8339ee30998da6dd79eee83b29' },
  ],
  checkpointsInCheckBlock: true,
  strictFromHeight: 1270000,
  exceptionBlocks: [
    { height: 1211234, hash: '3a17c696ba0d506b07e85b8440a99d868ae93c985064eaf4c616d13911bd97cb' },
    { height: 1258192, hash: 'd7d5d80c8cb760b794f156c36b519ad9b4b10b9dfcd4e123c8f54be3c71432d3' },
  ],
  coinbaseMaturity: 1000,
  posEnabledHeight: 1924000,
  futureBlocktimeForkHeight: 1030000,
  novaAfterHeight: 1270000,
  dposEnabledHeight: NEVER,
  minPowDifficulty: () => 914572800n,
  minPosDifficulty: 100000000n,
  subsidyInterval: 500000,
  lockHeights: [25200, 108000, 331200, 655200, 1314000],
  testnetRules: false,
  voteMaturity: 120,
  firstPosBlockHeight: 1924146,
  foundationAddress: 'MSCHL3unfVqzsZbRVCJ3yVp7RgAmXiuGN3',
  devCommunityAddress: 'MAwLwVGwJyFsTBfNj2j5nCUrQXGVRvHzPh',
  successiveLimitAboveHeight: 1934000,
};

export const testnet: Network = {
  name: 'test',
  magic: 0x73766d74,
  port: 15251,
  rpcPort: 8820,
  wsPort: 8821,
  seeds: [
    'test-asia.metaverse.live:15251',
    'test-americas.metaverse.live:15251',
    'test-europe.metaverse.live:15251',
    'test-asia.mvs.live:15251',
    'test-americas.mvs.live:15251',
    'test-europe.mvs.live:15251',
  ],
  address: { pubkeyHash: 0x7f, scriptHash: P2SH_VERSION },
  wifPrefix: 0x80,
  genesis: testGenesis,
  checkpoints: [{ height: 0, hash: 'c359a1cc3dfb8b97111c3e602f1f6de31306926f9ec779cb9ea002edbee91741' }],
  checkpointsInCheckBlock: false,
  strictFromHeight: 0,
  exceptionBlocks: [],
  coinbaseMaturity: 1,
  posEnabledHeight: 990000,
  futureBlocktimeForkHeight: 1030000,
  novaAfterHeight: -1,
  dposEnabledHeight: NEVER,
  minPowDifficulty: () => 300000n,
  minPosDifficulty: 1000000n,
  subsidyInterval: 50000,
  lockHeights: [10, 20, 30, 40, 50],
  testnetRules: true,
  voteMaturity: 23,
  firstPosBlockHeight: null,
  foundationAddress: 'tBELxsiiaMVGQcY2Apf7hmzAaipD4YWTTj',
  devCommunityAddress: 'tBELxsiiaMVGQcY2Apf7hmzAaipD4YWTTj',
  successiveLimitAboveHeight: 1000000,
};

/**
 * Regtest = the reference's private chain (PRIVATE_CHAIN build): its genesis,
 * mainnet magic and address versions, coinbase maturity 10, difficulty 10 from
 * the v1 algorithm. PoS/DPoS activation is "never" here (the reference
 * switches at 5,000): the built-in miner and getwork produce PoW blocks only,
 * so regtest chains of any length stay pure PoW; its 300,000 floor from height
 * 10,000 belongs to the v2 track and therefore never applies either. PoS
 * validation is tested on a network with PoS from a low height
 * (test/integration/chain/pos-chain.ts).
 */
export const regtest: Network = {
  name: 'regtest',
  magic: 0x4d53564d,
  port: 25251,
  rpcPort: 8820,
  wsPort: 8821,
  seeds: [],
  address: { pubkeyHash: 0x32, scriptHash: P2SH_VERSION },
  wifPrefix: 0x80,
  genesis: regtestGenesis,
  checkpoints: [{ height: 0, hash: 'b694bd9fae0fec221e24bde774d5414df994ed536909c4ffca49d55d0f14f40f' }],
  checkpointsInCheckBlock: true,
  strictFromHeight: 0,
  exceptionBlocks: [],
  coinbaseMaturity: 10,
  posEnabledHeight: NEVER,
  futureBlocktimeForkHeight: 0,
  novaAfterHeight: -1,
  dposEnabledHeight: NEVER,
  minPowDifficulty: () => 10n,
  minPosDifficulty: 100000000n,
  subsidyInterval: 500000,
  lockHeights: [25200, 108000, 331200, 655200, 1314000],
  testnetRules: false,
  voteMaturity: 120,
  firstPosBlockHeight: null,
  foundationAddress: 'MCCu9WmXuTooSEoMHX1aN82b7syaJD65XM',
  devCommunityAddress: 'MAwLwVGwJyFsTBfNj2j5nCUrQXGVRvHzPh',
  successiveLimitAboveHeight: NEVER,
};

/** The three networks, by their library names and by their --network names. */
export const networks = { mainnet, testnet, regtest, main: mainnet, test: testnet } as const satisfies Record<NetworkName | 'mainnet' | 'testnet', Network>;

export function getNetwork(name: string): Network {
  const key = name === 'mainnet' ? 'main' : name === 'testnet' ? 'test' : name;
  const n = (networks as Record<string, Network | undefined>)[key];
  if (!n) throw new Error(`unknown network '${name}' (main, test or regtest)`);
  return n;
}

/** Block subsidy in base units for a block of `version` at `height` (mvs-consensus §3.1). */
export function blockSubsidy(network: Network, height: number, version: number): bigint {
  const rate = Math.floor(height / network.subsidyInterval);
  const at = (table: readonly number[]) => BigInt(rate < table.length ? table[rate] : 0);
  if (version === 2) return at(POS_SUBSIDY);
  if (version === 1) return height < network.posEnabledHeight ? at(POW_SUBSIDY_PRE_POS) : at(POW_SUBSIDY_POST_POS);
  throw new Error(`no subsidy rule for block version ${version}`);
}

/**
 * Deposit interest: u64((double(R) / 1e8) × double(value)) — every step is an
 * exact IEEE operation, which JS Numbers reproduce (mvs-consensus §3.5).
 * Returns null for a lock height that is not one of the network's five.
 */
export function depositReward(network: Network, lockHeight: number, value: bigint): bigint | null {
  const i = network.lockHeights.indexOf(lockHeight);
  if (i < 0) return null;
  const rate = DEPOSIT_REWARD_NUMERATORS[i] / 100000000.0;
  const reward = rate * Number(value);
  // u64 cast truncates; values beyond 2^64 cannot arise from valid amounts.
  return BigInt(Math.trunc(reward));
}

export function checkpointHash(network: Network, height: number): Buffer | null {
  const c = network.checkpoints.find((x) => x.height === height);
  return c ? hashFromHex(c.hash) : null;
}

export function addressOf(network: Network, text: string): Address | null {
  return Address.parse(text, network.address);
}
