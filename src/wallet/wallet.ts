import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Network } from '../networks/index.js';
import { MIN_TX_FEE, TX_VERSION } from '../consensus/tx.js';
import { VerifyError } from '../consensus/errors.js';
import { getSecp256k1, type Secp256k1Backend } from '../crypto/secp256k1/index.js';
import {
  MNEMONIC_LANGUAGES,
  type MnemonicLanguage,
  accountMasterKey,
  deriveAccountKey,
  decodeWif,
  encodeWif,
  generateMnemonic,
  isKeyError,
  mnemonicToEntropy,
  publicKeyAddress,
} from '../crypto/keys/index.js';
import { Address, scriptAddress } from '../primitives/address.js';
import { Attachment } from '../primitives/attachment.js';
import { fromHex, hashFromHex } from '../primitives/hex.js';
import { Script, depositLockHeight, multisigScript, isPublicKey } from '../primitives/script.js';
import { OutPoint, Transaction, TxInput, TxOutput } from '../primitives/transaction.js';
import { MempoolError } from '../mempool/mempool.js';
import { Mutex } from '../util/mutex.js';
import { logger } from '../util/logger.js';
import { RPC_ERROR_CODES } from '../rpc/errors.js';
import { WalletError, badCredentials, walletError } from './errors.js';
import { DEFAULT_KDF_COST, type KdfCost, type KdfParams, checkKdfCost, deriveKey, newDataKey, newKdfParams, open, safeEqual, seal } from './secretbox.js';
import { WalletStore, type AccountRecord, type AddressRecord, type MultisigRecord } from './store.js';
import {
  CoinView,
  selectCoins,
  spendableSequence,
  sumBalances,
  type AddressBalance,
  type SelectedCoin,
  type WalletChain,
  type WalletCoin,
  type WalletMempool,
} from './coins.js';
import {
  endorse,
  keyHashScriptSig,
  multisigScriptSig,
  orderMultisigSignatures,
  readMultisigInput,
  scriptHash,
  verifyInputs,
} from './signing.js';
import { KEYFILE_ALGO, KEYFILE_VERSION, type Keyfile, decryptKeyfileMnemonic, encryptKeyfileMnemonic, formatKeyfile, parseKeyfile } from './keyfile.js';
import { TxHistory, type TxPage } from './history.js';

/**
 * The node's wallet: accounts kept in their own encrypted LMDB store,
 * addresses derived as the reference derives them (m/i, mvs-wire §5.3),
 * balances read from the chain's address index and the pool, transactions
 * built, signed and submitted as the reference's commands do
 * (src/lib/explorer/extensions/commands/*.cpp, base_helper.cpp). Every method
 * taking a name and password checks them through the KDF; every mutation runs
 * under one lock, so two sends never pick the same coins.
 *
 * Results use the reference's v3 field names; amounts are bigint.
 */

export interface WalletOptions {
  /**
   * Directory of the wallet's LMDB environment, conventionally
   * `<datadir>/wallet`; null disables accounts (--no-wallet): account methods
   * then fail with 1000 while address balances and raw transactions still work.
   */
  path: string | null;
  chain: WalletChain;
  mempool: WalletMempool;
  backend?: Secp256k1Backend;
  /** scrypt cost for new passwords (N ≥ 2^14; default N = 2^15, r = 8, p = 1). */
  kdf?: Partial<KdfCost>;
  /** Default dumpkeyfile folder (default `<datadir>/mvs-htmls/keys`, as the reference). */
  keyfileDir?: string;
  /** Skip fsync on commit (tests). */
  noSync?: boolean;
}

/** getnewaccount's language option: one of the five lists, or `any` (generation then uses `en`). */
export type LanguageOption = MnemonicLanguage | 'any';

export interface SendOptions {
  change?: string;
  memo?: string;
  fee?: bigint;
  locktime?: number;
  /** Skip coins with value in [from, to). */
  exclude?: readonly [bigint, bigint];
}

export interface SendMoreOptions {
  from?: string;
  change?: string;
  memo?: string;
  fee?: bigint;
}

export interface CreateRawTxOptions {
  type: number;
  senders?: readonly string[];
  /** "txhash:index[:sequence]". */
  utxos?: readonly string[];
  /** "address:amount". */
  receivers: readonly string[];
  symbol?: string;
  mychange?: string;
  message?: string;
  locktime?: number;
  /** Copy previous output scripts into the (unsigned) inputs. */
  putscript?: boolean;
  fee?: bigint;
  minConfirmations?: number;
}

export interface SignRawTxOptions {
  name?: string;
  password?: string;
  /** WIF or hex private keys; when given the account is not used. */
  wifs?: readonly string[];
  /** Use the scripts already in the inputs as previous output scripts. */
  offline?: boolean;
}

export interface SignRawTxResult {
  tx: Transaction;
  /** For inputs spending P2SH: input index → public key hex → endorsement hex (the reference then returns only this). */
  scriptSignatures: Map<number, Map<string, string>> | null;
}

export interface MultisigSpec {
  m: number;
  n: number;
  selfPublicKey: string;
  publicKeys?: readonly string[];
  description?: string;
}

export interface MultisigInfo {
  index: number;
  m: number;
  n: number;
  public_keys: string[];
  address: string;
  description: string;
  self_publickey: string;
  multisig_script: string;
}

export interface AccountBalance {
  total_confirmed: bigint;
  total_received: bigint;
  total_unspent: bigint;
  total_available: bigint;
  total_frozen: bigint;
}

export interface AddressBalanceInfo {
  address: string;
  confirmed: bigint;
  received: bigint;
  unspent: bigint;
  available: bigint;
  frozen: bigint;
}

export interface UtxoInfo {
  available: bigint;
  balance: bigint;
  frozen: bigint;
  utxo_block: number;
  utxo_hash: string;
  utxo_index: number;
}

export interface DepositInfo {
  address: string;
  deposited_balance: bigint;
  bonus_balance: bigint;
  deposited_height: number;
  expiration_height: number;
  tx_hash: string;
}

export interface ListTxsOptions {
  name?: string;
  password?: string;
  /** -a: one address instead of the account's; then no account is needed. */
  address?: string;
  /** -e "from:to": heights in [from, to), to = 0 for no upper bound. */
  height?: string;
  /** -s: an issued asset's symbol (any case). */
  symbol?: string;
  /** -l (default 100, at most 100). */
  limit?: bigint | number;
  /** -i (default 1). */
  index?: bigint | number;
}

export interface BalanceFilter {
  nozero?: boolean;
  greaterEqual?: bigint;
  lesserEqual?: bigint;
}

/** An account unlocked once (Wallet.openSession). */
export interface WalletSession {
  readonly name: string;
  send(to: string, amount: bigint, opts?: SendOptions): Promise<Transaction>;
  sendFrom(from: string, to: string, amount: bigint, opts?: SendOptions): Promise<Transaction>;
  sendMore(receivers: readonly string[], opts?: SendMoreOptions): Promise<Transaction>;
  getBalance(): Promise<AccountBalance>;
  listBalances(filter?: BalanceFilter): Promise<AddressBalanceInfo[]>;
  newAddresses(count?: number): Promise<string[]>;
  /** Forget the data key; later calls fail. */
  close(): void;
}

interface Unlocked {
  record: AccountRecord;
  dataKey: Buffer;
}

interface Receiver {
  address: Address;
  value: bigint;
  attachment: Attachment;
}

/** The reference's fee window for every wallet-built or submitted transaction (base_helper.hpp). */
export const MIN_FEE = MIN_TX_FEE;
export const MAX_FEE = 10_000_000_000n;
/** getnewaddress -n must be in 1..2^20−1 (count & 0xfff00000 rejected). */
export const MAX_ADDRESS_BATCH = 0xfffff;
/** The send family is refused on mainnet below this height (mvs-rpc §1.6). */
export const MAINNET_SEND_HEIGHT = 610000;
/** Longest memo: serializer varstr limit (check_message, base_helper.cpp). */
export const MAX_MEMO_BYTES = 252;

const NAME_RULE = 'name length in [3, 128], password length in [6, 128]';
export const WALLET_DISABLED = 'account operations are disabled on this node (--no-wallet)';

function aad(name: string, what: string): string {
  return `mvs-wallet:v1:${name}:${what}`;
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function validCredentials(name: string, password: string): boolean {
  const n = byteLength(name);
  const p = byteLength(password);
  return n >= 3 && n <= 128 && p >= 6 && p <= 128;
}

/** Mnemonic words as the reference reads them: one argument is split on blanks. */
export function mnemonicWords(input: string | readonly string[]): string[] {
  const list = typeof input === 'string' ? [input] : [...input];
  const words = list.length === 1 ? list[0].split(/\s+/u) : list.map((w) => w.trim());
  return words.filter((w) => w.length > 0);
}

export function parseLanguage(value: string | undefined): LanguageOption {
  const v = value ?? 'en';
  if (v === 'any' || (MNEMONIC_LANGUAGES as readonly string[]).includes(v)) return v as LanguageOption;
  throw walletError('argument_legality', `invalid language '${v}' (en, es, ja, zh_Hans, zh_Hant or any)`);
}

/** Validate words the way get_mnemonic_to_seed does (offline_commands_impl.cpp) and return their language. */
function checkMnemonic(words: readonly string[], language: LanguageOption): MnemonicLanguage {
  if (words.length === 0) throw walletError('mnemonicwords_empty', 'mnemonic words are empty.');
  try {
    return mnemonicToEntropy(words, language === 'any' ? undefined : language).language;
  } catch (err) {
    if (!isKeyError(err)) throw err;
    if (err.code === 'BAD_LENGTH') throw walletError('mnemonicwords_amount', 'The number of words must be divisible by 3.');
    if (err.code === 'UNKNOWN_WORD') throw walletError('mnemonicwords_content', 'The specified words are not in the dictionary.');
    throw walletError(
      'mnemonicwords_content',
      language === 'any'
        ? 'WARNING: The specified words are not a valid mnemonic in any supported dictionary.'
        : 'The specified words are not a valid mnemonic in the specified dictionary.',
    );
  }
}

function checkFee(fee: bigint): void {
  if (fee < MIN_FEE || fee > MAX_FEE) throw walletError('asset_exchange_poundage', `fee must in [${MIN_FEE}, ${MAX_FEE}]`);
}

function checkMemo(memo: string): void {
  if (byteLength(memo) > MAX_MEMO_BYTES) throw walletError('argument_size_invalid', 'message length out of bounds.');
}

/** "a:b" as [a, b) of amounts. */
export function parseRange(text: string, what: string): [bigint, bigint] {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  if (!m) throw walletError('argument_legality', `invalid ${what} range '${text}' (expected "from:to")`);
  return [BigInt(m[1]), BigInt(m[2])];
}

/** listtxs -e "from:to" (colon_delimited2_item<uint64_t, uint64_t>); a bad value is a parse error (1021). */
export function parseHeightRange(text: string): [number, number] {
  const m = /^\s*(\d+):(\d+)\s*$/.exec(text);
  if (!m || Number(m[1]) > Number.MAX_SAFE_INTEGER || Number(m[2]) > Number.MAX_SAFE_INTEGER) {
    throw walletError('command_params', `the argument ('${text}') for option '--height' is invalid`);
  }
  return [Number(m[1]), Number(m[2])];
}

/** The reference's multisig script text (account_multisig::get_multisig_script), spacing included. */
function multisigScriptText(m: number, n: number, keys: readonly string[]): string {
  return `${m}${keys.map((k) => ` [ ${k} ] `).join('')}${n} checkmultisig`;
}

function multisigInfo(r: MultisigRecord): MultisigInfo {
  return {
    index: r.index,
    m: r.m,
    n: r.n,
    public_keys: [...r.publicKeys],
    address: r.address,
    description: r.description,
    self_publickey: r.selfPublicKey,
    multisig_script: multisigScriptText(r.m, r.n, r.publicKeys),
  };
}

export class Wallet {
  readonly network: Network;
  private readonly db: WalletStore | null;
  private readonly chain: WalletChain;
  private readonly mempool: WalletMempool;
  private readonly backend: Secp256k1Backend;
  private readonly kdfCost: KdfCost;
  private readonly keyfileDir: string;
  private readonly lock = new Mutex();
  private readonly log = logger('wallet');
  /** KDF parameters spent on an unknown account name, so it costs what a wrong password costs. */
  private readonly decoyKdf: KdfParams;

  constructor(opts: WalletOptions) {
    this.chain = opts.chain;
    this.mempool = opts.mempool;
    this.network = opts.chain.network;
    this.backend = opts.backend ?? getSecp256k1();
    this.kdfCost = { ...DEFAULT_KDF_COST, ...opts.kdf };
    checkKdfCost(this.kdfCost);
    this.decoyKdf = newKdfParams(this.kdfCost);
    this.keyfileDir = opts.keyfileDir ?? join(dirname(opts.path ?? '.'), 'mvs-htmls', 'keys');
    this.db = opts.path === null ? null : new WalletStore({ path: opts.path, networkName: this.network.name, noSync: opts.noSync });
  }

  /** False when the node runs with --no-wallet. */
  get enabled(): boolean {
    return this.db !== null;
  }

  private get store(): WalletStore {
    if (!this.db) throw walletError('generic', WALLET_DISABLED);
    return this.db;
  }

  async close(): Promise<void> {
    await this.lock.run(() => this.db?.close());
  }

  /** Number of accounts (getinfo's wallet_account_count). */
  accountCount(): number {
    return this.db?.accountCount() ?? 0;
  }

  private run<T>(task: () => Promise<T> | T): Promise<T> {
    return this.lock.run(task);
  }

  /** Check the password through the KDF, then run `task` with the account unlocked, under the wallet lock. */
  private withAccount<T>(name: string, password: string, task: (u: Unlocked) => Promise<T> | T): Promise<T> {
    return this.run(async () => {
      const u = await this.unlock(name, password);
      try {
        return await task(u);
      } finally {
        u.dataKey.fill(0);
      }
    });
  }

  /**
   * Unlock an account once for many operations (the devnet tool, tests,
   * batch payouts): the data key stays in memory until `close()`. Each call
   * re-reads the account and fails with 1000 once its password was changed or
   * it was deleted. RPC methods never use sessions.
   */
  async openSession(name: string, password: string): Promise<WalletSession> {
    const unlocked = await this.run(() => this.unlock(name, password));
    const sealedKey = unlocked.record.dataKey;
    let closed = false;
    const use = <T>(task: (u: Unlocked) => Promise<T> | T): Promise<T> =>
      this.run(() => {
        const record = this.store.getAccount(name);
        if (closed || !record || record.dataKey !== sealedKey) throw badCredentials();
        return task({ record, dataKey: unlocked.dataKey });
      });
    return {
      name,
      send: (to, amount, opts = {}) => use((u) => this.sendWith(u, to, amount, opts)),
      sendFrom: (from, to, amount, opts = {}) => use((u) => this.sendWith(u, to, amount, opts, from)),
      sendMore: (receivers, opts = {}) => use((u) => this.sendMoreWith(u, receivers, opts)),
      getBalance: () => use((u) => this.balanceWith(u)),
      listBalances: (filter = {}) => use((u) => this.listBalancesWith(u, filter)),
      newAddresses: (count = 1) => use((u) => this.newAddressesWith(u, count)),
      close: () => {
        closed = true;
        unlocked.dataKey.fill(0);
      },
    };
  }

  // ------------------------------------------------------------ unlocking

  private async unlock(name: string, password: string): Promise<Unlocked> {
    const record = this.store.getAccount(name);
    if (!record) {
      await deriveKey(password, this.decoyKdf);
      throw badCredentials();
    }
    const passwordKey = await deriveKey(password, record.kdf);
    const dataKey = open(passwordKey, record.dataKey, aad(name, 'data-key'));
    passwordKey.fill(0);
    if (!dataKey) throw badCredentials();
    return { record, dataKey };
  }

  private mnemonicOf(u: Unlocked): string {
    const plain = open(u.dataKey, u.record.mnemonic, aad(u.record.name, 'mnemonic'));
    if (!plain) throw walletError('generic', 'account data is corrupt (mnemonic does not open)');
    return plain.toString('utf8');
  }

  private privateKeyOf(u: Unlocked, a: AddressRecord): Buffer {
    const plain = a.secret ? open(u.dataKey, a.secret, aad(u.record.name, `key:${a.seq}`)) : null;
    if (!plain) throw walletError('prikey_notfound', `no private key for address ${a.address}`);
    return plain;
  }

  /** getaccount / deleteaccount / dumpkeyfile: the last mnemonic word must match (is_account_lastwd_valid). */
  private checkLastWord(u: Unlocked, lastWord: string): string {
    const mnemonic = this.mnemonicOf(u);
    const words = mnemonicWords(mnemonic);
    if (!safeEqual(words[words.length - 1].normalize('NFKD'), lastWord.trim().normalize('NFKD'))) throw walletError('generic', 'last word not matching.');
    return mnemonic;
  }

  // -------------------------------------------------------------- accounts

  /** getnewaccount without name and password: a key that is not stored (create_address). */
  generateKey(language: LanguageOption = 'en'): { mnemonic: string; private_key: string; public_key: string; wif: string; address: string } {
    const mnemonic = generateMnemonic(language === 'any' ? 'en' : language);
    const key = deriveAccountKey(accountMasterKey(mnemonic, '', this.backend), 0, this.network.address);
    return {
      mnemonic,
      private_key: key.privateKey.toString('hex'),
      public_key: key.publicKey.toString('hex'),
      wif: encodeWif(key.privateKey, true, this.network.wifPrefix),
      address: key.address.toString(),
    };
  }

  /** getnewaccount NAME PASSWORD: a new 24-word account with its first address. */
  createAccount(name: string, password: string, language: LanguageOption = 'en'): Promise<{ name: string; mnemonic: string; addresses: string[] }> {
    return this.run(async () => {
      if (!validCredentials(name, password)) throw walletError('argument_legality', NAME_RULE);
      if (this.store.hasAccount(name)) throw walletError('account_existed', 'account already exist');
      const lang = language === 'any' ? 'en' : language;
      const mnemonic = generateMnemonic(lang);
      const { addresses } = await this.storeNewAccount(name, password, mnemonic, lang, 1);
      this.log.info({ account: name }, 'account created');
      return { name, mnemonic, addresses };
    });
  }

  /** importaccount: an account from its mnemonic, with `count` addresses (-i/--hd_index). */
  importAccount(
    name: string,
    password: string,
    words: string | readonly string[],
    opts: { language?: LanguageOption; count?: number } = {},
  ): Promise<{ name: string; mnemonic: string; hd_index: number; addresses: string[] }> {
    return this.run(async () => {
      if (this.store.hasAccount(name)) throw walletError('account_existed', 'account already exist');
      if (!validCredentials(name, password)) throw walletError('argument_exceed_limit', NAME_RULE);
      const list = mnemonicWords(words);
      const language = checkMnemonic(list, opts.language ?? 'en');
      const count = opts.count ?? 1;
      checkAddressCount(count);
      const mnemonic = list.join(' ');
      const { addresses } = await this.storeNewAccount(name, password, mnemonic, language, count);
      this.log.info({ account: name, addresses: count }, 'account imported');
      return { name, mnemonic, hd_index: count, addresses };
    });
  }

  private async storeNewAccount(name: string, password: string, mnemonic: string, language: MnemonicLanguage, count: number, extra?: (u: Unlocked, added: AddressRecord[]) => void): Promise<{ addresses: string[] }> {
    const kdf = newKdfParams(this.kdfCost);
    const passwordKey = await deriveKey(password, kdf);
    const dataKey = newDataKey();
    const record: AccountRecord = {
      version: 1,
      name,
      kdf,
      dataKey: seal(passwordKey, dataKey, aad(name, 'data-key')),
      mnemonic: seal(dataKey, Buffer.from(mnemonic, 'utf8'), aad(name, 'mnemonic')),
      language,
      hdIndex: 0,
      nextSeq: 0,
      multisigs: [],
    };
    passwordKey.fill(0);
    const u: Unlocked = { record, dataKey };
    try {
      const added = this.deriveAddresses(u, count);
      extra?.(u, added);
      this.store.saveAccount(record, added);
      return { addresses: added.filter((a) => a.kind === 'hd').map((a) => a.address) };
    } finally {
      dataKey.fill(0);
    }
  }

  /** Derive `count` more HD addresses into the (unsaved) record. */
  private deriveAddresses(u: Unlocked, count: number): AddressRecord[] {
    if (count === 0) return [];
    const master = accountMasterKey(this.mnemonicOf(u), '', this.backend);
    const out: AddressRecord[] = [];
    for (let i = 0; i < count; i++) {
      const key = deriveAccountKey(master, u.record.hdIndex, this.network.address);
      const seq = u.record.nextSeq++;
      out.push({
        seq,
        kind: 'hd',
        address: key.address.toString(),
        hdIndex: u.record.hdIndex,
        publicKey: key.publicKey.toString('hex'),
        secret: seal(u.dataKey, key.privateKey, aad(u.record.name, `key:${seq}`)),
      });
      key.privateKey.fill(0);
      u.record.hdIndex++;
    }
    return out;
  }

  /** getaccount: name, mnemonic and address count. */
  getAccount(name: string, password: string, lastWord: string): Promise<{ name: string; mnemonic: string; address_count: number }> {
    return this.withAccount(name, password, async (u) => {
      const mnemonic = this.checkLastWord(u, lastWord);
      return { name, mnemonic, address_count: u.record.hdIndex };
    });
  }

  /** deleteaccount: the account, its addresses and multisig records. */
  deleteAccount(name: string, password: string, lastWord: string): Promise<{ name: string; status: string }> {
    return this.withAccount(name, password, async (u) => {
      this.checkLastWord(u, lastWord);
      this.store.deleteAccount(name);
      this.log.info({ account: name }, 'account deleted');
      return { name, status: 'removed successfully' };
    });
  }

  /** changepasswd: re-seal the data key under the new password (new salt). */
  changePassword(name: string, password: string, newPassword: string): Promise<{ name: string; status: string }> {
    return this.run(async () => {
      if (!validCredentials(name, newPassword)) throw walletError('argument_legality', NAME_RULE);
      const u = await this.unlock(name, password);
      const kdf = newKdfParams(this.kdfCost);
      const passwordKey = await deriveKey(newPassword, kdf);
      const record: AccountRecord = { ...u.record, kdf, dataKey: seal(passwordKey, u.dataKey, aad(name, 'data-key')) };
      passwordKey.fill(0);
      u.dataKey.fill(0);
      this.store.saveAccount(record);
      this.log.info({ account: name }, 'account password changed');
      return { name, status: 'changed successfully' };
    });
  }

  /** getnewaddress -n COUNT. */
  newAddresses(name: string, password: string, count = 1): Promise<string[]> {
    return this.withAccount(name, password, (u) => this.newAddressesWith(u, count));
  }

  private newAddressesWith(u: Unlocked, count: number): string[] {
    checkAddressCount(count);
    const added = this.deriveAddresses(u, count);
    this.store.saveAccount(u.record, added);
    return added.map((a) => a.address);
  }

  /** listaddresses: every address of the account, newest first (the reference's order). */
  listAddresses(name: string, password: string): Promise<string[]> {
    return this.withAccount(name, password, async () => {
      return this.store
        .addressesOf(name)
        .reverse()
        .map((a) => a.address);
    });
  }

  /** listaddresses -s: the imported script addresses, newest first. */
  listScriptAddresses(name: string, password: string): Promise<{ address: string; script: string; description: string }[]> {
    return this.withAccount(name, password, async () => {
      return this.store
        .addressesOf(name)
        .reverse()
        .filter((a) => a.kind === 'script')
        .map((a) => ({ address: a.address, script: a.script ? Script.fromHex(a.script).toAsm() : '', description: a.description ?? '' }));
    });
  }

  /**
   * getpublickey: a WIF, hex secret or hex public key is converted without the
   * account; otherwise the address must be one of the account's.
   */
  async getPublicKey(name: string, password: string, text: string): Promise<{ public_key: string; address: string }> {
    const given = this.keyFromText(text);
    if (given) return { public_key: given.toString('hex'), address: publicKeyAddress(given, this.network.address).toString() };
    return this.withAccount(name, password, async () => {
      const address = this.resolveAddress(text);
      const rec = this.store.ownedAddress(name, address.toString());
      const pubkey = rec ? this.publicKeyOfRecord(name, rec) : null;
      if (!pubkey) throw walletError('address_dismatch_account', `${address.toString()} is not owned by ${name}`);
      return { public_key: pubkey, address: address.toString() };
    });
  }

  /** The public key a WIF, 32-byte hex secret or hex public key stands for; null for anything else. */
  private keyFromText(text: string): Buffer | null {
    const t = text.trim();
    try {
      const wif = decodeWif(t, null);
      return Buffer.from(this.backend.publicKeyCreate(wif.privateKey, wif.compressed));
    } catch {
      // not a WIF
    }
    if (/^[0-9a-fA-F]{64}$/.test(t)) {
      const secret = Buffer.from(t, 'hex');
      if (this.backend.privateKeyVerify(secret)) return Buffer.from(this.backend.publicKeyCreate(secret, true));
    }
    if (/^(?:[0-9a-fA-F]{66}|[0-9a-fA-F]{130})$/.test(t)) {
      const pub = Buffer.from(t, 'hex');
      if (isPublicKey(pub) && this.backend.publicKeyConvert(pub, pub.length === 33)) return pub;
    }
    return null;
  }

  /** An HD address's key, or a multisig address's own cosigner key (the reference stores that one for it). */
  private publicKeyOfRecord(name: string, rec: AddressRecord): string | null {
    if (rec.kind === 'hd') return rec.publicKey ?? null;
    if (rec.kind === 'multisig') return this.store.getAccount(name)?.multisigs.find((m) => m.address === rec.address)?.selfPublicKey ?? null;
    return null;
  }

  /** importaddress: watch a redeem script (hex) or a script address. */
  importAddress(name: string, password: string, text: string, description = ''): Promise<{ address: string; script?: string }> {
    return this.withAccount(name, password, async (u) => {
      const rec = this.scriptRecord(u, text, description);
      if (this.store.ownedAddress(name, rec.address)) throw walletError('argument_legality', `address ${rec.address} already exists in the account`);
      this.store.saveAccount(u.record, [rec]);
      return rec.script ? { address: rec.address, script: Script.fromHex(rec.script).toAsm() } : { address: rec.address };
    });
  }

  private scriptRecord(u: Unlocked, text: string, description: string): AddressRecord {
    const t = text.trim();
    const address = Address.parse(t, this.network.address);
    if (address) return { seq: u.record.nextSeq++, kind: 'script', address: address.toString(), script: '', description };
    let script: Script;
    try {
      script = Script.fromHex(t);
    } catch {
      throw walletError('redeem_script_data', 'the script is neither a hex redeem script nor an address');
    }
    if (script.length === 0 || script.isRawData()) throw walletError('redeem_script_data', 'error occured when parse redeem script data.');
    const p2sh = new Address(this.network.address.scriptHash, scriptHash(script));
    return { seq: u.record.nextSeq++, kind: 'script', address: p2sh.toString(), script: script.toHex(), description };
  }

  // ---------------------------------------------------------------- keyfile

  /** dumpkeyfile -d: the keyfile object (mnemonic encrypted with the account password). */
  exportKeyfile(name: string, password: string, lastWord: string): Promise<Keyfile> {
    return this.withAccount(name, password, async (u) => {
      const mnemonic = this.checkLastWord(u, lastWord);
      return this.keyfileOf(u, mnemonic, password);
    });
  }

  private keyfileOf(u: Unlocked, mnemonic: string, password: string): Keyfile {
    const scripts = this.store
      .addressesOf(u.record.name)
      .filter((a) => a.kind === 'script')
      .map((a) => ({ address: a.address, script: a.script ?? '', description: a.description ?? '' }));
    // Keys in jsoncpp's sorted order, as the reference writes them.
    return {
      algo: KEYFILE_ALGO,
      index: u.record.hdIndex,
      mnemonic: encryptKeyfileMnemonic(mnemonic, password),
      multisigs: u.record.multisigs.map((m) => ({ d: m.description, k: [...m.publicKeys], m: m.m, n: m.n, s: m.selfPublicKey })),
      scripts,
      version: KEYFILE_VERSION,
    };
  }

  /**
   * dumpkeyfile without -d: write the keyfile and return its path (default
   * `<keyfileDir>/mvs_keystore_<name>.json`; a directory gets that file name;
   * a leading `~` is the home directory).
   */
  dumpKeyfile(name: string, password: string, lastWord: string, destination?: string): Promise<string> {
    return this.withAccount(name, password, async (u) => {
      const mnemonic = this.checkLastWord(u, lastWord);
      // Account names may hold any character; keep them from naming another directory.
      const fileName = `mvs_keystore_${name.replace(/[/\\\0]/g, '_')}.json`;
      let target: string;
      if (!destination) {
        mkdirSync(this.keyfileDir, { recursive: true });
        target = join(this.keyfileDir, fileName);
      } else {
        target = destination.startsWith('~') ? homedir() + destination.slice(1) : destination;
        if (existsSync(target) && statSync(target).isDirectory()) target = join(target, fileName);
        if (!existsSync(dirname(target))) throw walletError('argument_legality', `${dirname(target)} directory not exist.`);
      }
      writeFileSync(target, formatKeyfile(this.keyfileOf(u, mnemonic, password)), { mode: 0o600 });
      return target;
    });
  }

  /**
   * importkeyfile: a new account from a keyfile; the password decrypts the
   * keyfile and protects the account. `content` wins over `file` when not empty.
   */
  importKeyfile(name: string, password: string, source: { file?: string; content?: string }): Promise<{ name: string; addresses: string[] }> {
    return this.run(async () => {
      if (this.store.hasAccount(name)) throw walletError('account_existed', `${name} account already exist`);
      let text = source.content ?? '';
      if (text === '') {
        const file = source.file ?? '';
        if (!existsSync(file)) throw walletError('argument_legality', `${file} not exist.`);
        const st = statSync(file);
        if (st.isDirectory()) throw walletError('argument_legality', `${file} is directory not a file.`);
        if (!st.isFile()) throw walletError('argument_legality', `${file} not a regular file.`);
        text = readFileSync(file, 'utf8');
      }
      const keyfile = parseKeyfile(text);
      const mnemonic = decryptKeyfileMnemonic(keyfile.mnemonic, password);
      const language = checkMnemonic(mnemonicWords(mnemonic), 'any');
      // The reference derives `index` addresses; an account always has at least its first one.
      const count = Math.max(1, keyfile.index);
      checkAddressCount(count);
      const { addresses } = await this.storeNewAccount(name, password, mnemonicWords(mnemonic).join(' '), language, count, (u, added) => {
        for (const m of keyfile.multisigs) {
          const { record, address } = this.buildMultisig(u, added, { m: m.m, n: m.n, selfPublicKey: m.s, publicKeys: m.k, description: m.d });
          u.record.multisigs.push(record);
          added.push(address);
        }
        for (const s of keyfile.scripts) {
          const rec = this.scriptRecord(u, s.script || s.address, s.description);
          if (!added.some((a) => a.address === rec.address)) added.push(rec);
        }
      });
      this.log.info({ account: name, addresses: addresses.length }, 'account imported from keyfile');
      return { name, addresses };
    });
  }

  // --------------------------------------------------------------- balances

  private view(): CoinView {
    return new CoinView(this.chain, this.mempool);
  }

  /** Resolve an address argument; DIDs are not indexed by this node, so anything else is an unknown DID (7006). */
  private resolveAddress(text: string): Address {
    const address = Address.parse(text.trim(), this.network.address);
    if (address) return address;
    throw walletError('did_symbol_notfound', `did ${text} does not exist on the blockchain`);
  }

  private accountAddresses(name: string): Address[] {
    return this.store.addressesOf(name).map((a) => Address.fromString(a.address));
  }

  /** getbalance: sums over every address of the account, multisig and watched ones included. */
  getBalance(name: string, password: string): Promise<AccountBalance> {
    return this.withAccount(name, password, (u) => this.balanceWith(u));
  }

  private balanceWith(u: Unlocked): AccountBalance {
    const view = this.view();
    const t = sumBalances(this.accountAddresses(u.record.name).map((a) => view.balance(a)));
    return { total_confirmed: t.confirmed, total_received: t.received, total_unspent: t.unspent, total_available: t.available, total_frozen: t.frozen };
  }

  /** listbalances: per address in derivation order; -n / -g / -l filter on `unspent` (listbalances.cpp). */
  listBalances(name: string, password: string, filter: BalanceFilter = {}): Promise<AddressBalanceInfo[]> {
    return this.withAccount(name, password, (u) => this.listBalancesWith(u, filter));
  }

  private listBalancesWith(u: Unlocked, filter: BalanceFilter): AddressBalanceInfo[] {
    const view = this.view();
    const out: AddressBalanceInfo[] = [];
    for (const address of this.accountAddresses(u.record.name)) {
      const b = view.balance(address);
      if (passesFilter(b.unspent, filter)) out.push(balanceInfo(address.toString(), b));
    }
    return out;
  }

  /** listbalances -d: unexpired deposits of the account's addresses (filters on the deposited amount). */
  listDeposits(name: string, password: string, filter: BalanceFilter = {}): Promise<DepositInfo[]> {
    return this.withAccount(name, password, async () => {
      const view = this.view();
      return this.accountAddresses(name)
        .flatMap((a) => depositsOf(view, a))
        .filter((d) => passesFilter(d.deposited_balance, filter));
    });
  }

  /** getaddressetp ADDRESS. */
  addressBalance(text: string): AddressBalanceInfo {
    const address = this.resolveAddress(text);
    return balanceInfo(address.toString(), this.view().balance(address));
  }

  /** getaddressetp --utxo [-r a:b]: unspent outputs, largest first (sync_fetchbalance utxo list). */
  addressUtxos(text: string, range?: readonly [bigint, bigint]): UtxoInfo[] {
    const address = this.resolveAddress(text);
    const view = this.view();
    const out: { info: UtxoInfo; value: bigint }[] = [];
    for (const coin of view.coins(address)) {
      const value = coin.output.value;
      if (coin.spentInPool || value === 0n) continue;
      if (range && range[0] < range[1] && (value < range[0] || value >= range[1])) continue;
      const frozen = view.frozenReason(coin) ? value : 0n;
      out.push({
        value,
        info: { available: value - frozen, balance: value, frozen, utxo_block: coin.height ?? 0, utxo_hash: coin.outpoint.txidHex(), utxo_index: coin.outpoint.index },
      });
    }
    out.sort((a, b) => (a.value < b.value ? 1 : a.value > b.value ? -1 : 0));
    return out.map((o) => o.info);
  }

  /** getaddressetp --deposited. */
  addressDeposits(text: string): DepositInfo[] {
    return depositsOf(this.view(), this.resolveAddress(text));
  }

  // ------------------------------------------------------------ history

  /**
   * listtxs (listtxs.cpp): the account's transactions, or with `address` one
   * address's, newest first, one page. The account is checked when a name is
   * given, and required without `address` (1000 as the reference's
   * is_account_passwd_valid). Checks in the reference's order: address
   * (4010), height range (5103), symbol (5010), then the page (2003).
   */
  listTxs(opts: ListTxsOptions): Promise<TxPage> {
    const name = opts.name ?? '';
    const password = opts.password ?? '';
    const address = opts.address?.trim() ?? '';
    if (name === '' && password === '' && address !== '') return Promise.resolve().then(() => this.listTxsWith(null, address, opts));
    return this.withAccount(name, password, (u) => this.listTxsWith(u, address, opts));
  }

  private listTxsWith(u: Unlocked | null, addressText: string, opts: ListTxsOptions): TxPage {
    let single: Address | null = null;
    if (addressText !== '') {
      single = Address.parse(addressText, this.network.address);
      if (!single) throw walletError('address_invalid', 'invalid address parameter!');
    }
    const [from, to] = opts.height ? parseHeightRange(opts.height) : [0, 0];
    if (from && to && from >= to) throw walletError('block_height', 'invalid height option!');
    const history = new TxHistory(this.chain, this.mempool);
    let symbol = '';
    if (opts.symbol) {
      // blockchain.uppercase_symbol, then get_issued_asset.
      symbol = opts.symbol.toUpperCase();
      if (!history.isIssuedAsset(symbol)) throw walletError('asset_symbol_notfound', `${symbol} not exist!`);
    }
    const name = u?.record.name;
    const addresses = single ? [single] : this.accountAddresses(name!);
    const own = name === undefined ? () => false : (a: string) => this.store.ownedAddress(name, a) !== null;
    return history.page(addresses, { fromHeight: from, toHeight: to, symbol, limit: Number(opts.limit ?? 100), index: Number(opts.index ?? 1) }, own);
  }

  // ---------------------------------------------------------------- sending

  private checkSendHeight(): void {
    if (this.network.name === 'main' && this.chain.height < MAINNET_SEND_HEIGHT) {
      throw walletError('block_sync_required', `the chain must reach height ${MAINNET_SEND_HEIGHT} before sending`);
    }
  }

  /** send TO AMOUNT (send.cpp): the memo goes to the receiver in a 0-value message output. */
  send(name: string, password: string, to: string, amount: bigint, opts: SendOptions = {}): Promise<Transaction> {
    return this.withAccount(name, password, (u) => this.sendWith(u, to, amount, opts));
  }

  /** send / sendfrom: `amount` (and an optional memo output) to `to`; with `from`, every coin comes from it and change goes back to it unless --change. */
  private sendWith(u: Unlocked, to: string, amount: bigint, opts: SendOptions, from?: string): Promise<Transaction> {
    this.checkSendHeight();
    const source = from === undefined ? undefined : this.resolveAddress(from);
    const target = this.resolveAddress(to);
    if (amount <= 0n) throw walletError('argument_legality', 'invalid amount parameter!');
    const receivers: Receiver[] = [{ address: target, value: amount, attachment: Attachment.etp(1) }];
    if (opts.memo) {
      checkMemo(opts.memo);
      receivers.push({ address: target, value: 0n, attachment: Attachment.message(opts.memo) });
    }
    return this.transfer(u, receivers, { fee: opts.fee ?? MIN_FEE, from: source, change: opts.change, locktime: opts.locktime ?? 0, exclude: opts.exclude });
  }

  /** sendfrom FROM TO AMOUNT: every coin comes from FROM, change goes back to it unless --change. */
  sendFrom(name: string, password: string, from: string, to: string, amount: bigint, opts: SendOptions = {}): Promise<Transaction> {
    return this.withAccount(name, password, (u) => this.sendWith(u, to, amount, opts, from));
  }

  /** sendmore -r TO:AMOUNT…: the memo goes to the change address if given, else to the first receiver (sendmore.cpp). */
  sendMore(name: string, password: string, receivers: readonly string[], opts: SendMoreOptions = {}): Promise<Transaction> {
    return this.withAccount(name, password, (u) => this.sendMoreWith(u, receivers, opts));
  }

  private sendMoreWith(u: Unlocked, receivers: readonly string[], opts: SendMoreOptions): Promise<Transaction> {
    this.checkSendHeight();
    const from = opts.from ? this.resolveAddress(opts.from) : undefined;
    const change = opts.change ? this.resolveAddress(opts.change) : undefined;
    const list: Receiver[] = this.parseReceivers(receivers).map((r) => ({ ...r, attachment: Attachment.etp(1) }));
    if (list.length === 0) throw walletError('toaddress_empty', 'empty target address');
    if (opts.memo) {
      checkMemo(opts.memo);
      list.push({ address: change ?? list[0].address, value: 0n, attachment: Attachment.message(opts.memo) });
    }
    return this.transfer(u, list, { fee: opts.fee ?? MIN_FEE, from, change: change?.toString(), locktime: 0 });
  }

  /** "address:amount" items (colon_delimited2_item); amounts must be > 0. */
  private parseReceivers(items: readonly string[]): { address: Address; value: bigint }[] {
    return items.map((item) => {
      const at = item.lastIndexOf(':');
      const amountText = at >= 0 ? item.slice(at + 1) : '';
      if (at <= 0 || !/^\d+$/.test(amountText)) throw walletError('argument_legality', `invalid receiver '${item}' (expected "address:amount")`);
      const value = BigInt(amountText);
      if (value <= 0n || value > 0xffffffffffffffffn) throw walletError('argument_legality', `invalid amount parameter for ${item.slice(0, at)}`);
      return { address: this.resolveAddress(item.slice(0, at)), value };
    });
  }

  /** The version the reference's wallet writes (populate_tx_header): 4 once nova is active, else 2. */
  private txVersion(): number {
    return this.chain.height > this.network.novaAfterHeight ? TX_VERSION.CHECK_NOVA_FEATURE : TX_VERSION.CHECK_OUTPUT_SCRIPT;
  }

  private async transfer(
    u: Unlocked,
    receivers: Receiver[],
    plan: { fee: bigint; from?: Address; change?: string; locktime: number; exclude?: readonly [bigint, bigint] },
  ): Promise<Transaction> {
    checkFee(plan.fee);
    const name = u.record.name;
    const change = plan.change ? this.resolveAddress(plan.change) : undefined;
    const payment = receivers.reduce((s, r) => s + r.value, 0n) + plan.fee;
    // Only the account's own P2PKH addresses pay (filter_out_address skips script addresses).
    const own = this.store.addressesOf(name).filter((a) => a.kind === 'hd');
    const sources = plan.from ? own.filter((a) => a.address === plan.from!.toString()) : own;
    const view = this.view();
    const { coins, total } = selectCoins(
      view,
      sources.map((a) => Address.fromString(a.address)),
      payment,
      { exclude: plan.exclude, locktime: plan.locktime },
    );
    if (coins.length === 0 && !(plan.from && sources.length > 0)) {
      throw walletError('tx_source', 'not enough etp or asset in from address, or you do not own the from address!');
    }
    if (total < payment) throw walletError('account_balance_lack', `not enough balance, unspent = ${total}, payment = ${payment}`);
    const outputs = [...receivers];
    if (total > payment) {
      // get_mychange_address: --change, else the pay-from address, else the last coin taken.
      outputs.push({ address: change ?? plan.from ?? Address.fromString(coins[coins.length - 1].address), value: total - payment, attachment: Attachment.etp(1) });
    }
    const tx = this.assemble(coins, outputs, plan.locktime);
    for (let i = 0; i < coins.length; i++) {
      const rec = this.store.ownedAddress(name, coins[i].address)!;
      this.signKeyHashInput(u, tx, i, rec, coins[i].coin.output.script);
    }
    tx.invalidate();
    await this.submit(tx, coins.map((c) => c.coin.output.script));
    return tx;
  }

  private assemble(coins: readonly SelectedCoin[], outputs: readonly Receiver[], locktime: number): Transaction {
    const tx = new Transaction(
      this.txVersion(),
      coins.map((c) => new TxInput(c.coin.outpoint, new Script(), c.sequence)),
      outputs.map((o) => new TxOutput(o.value, o.address.toScript(this.network.address), o.attachment)),
      locktime >>> 0,
    );
    if (tx.locktime !== 0 && tx.inputs.every((i) => i.sequence === 0xffffffff)) {
      throw walletError('tx_locktime', 'The specified lock time is ineffective because all sequences are set to the maximum value.');
    }
    return tx;
  }

  private signKeyHashInput(u: Unlocked, tx: Transaction, index: number, rec: AddressRecord, prevScript: Script): void {
    const key = this.privateKeyOf(u, rec);
    try {
      const sig = endorse(tx, index, prevScript, key, this.backend);
      tx.inputs[index].script = keyHashScriptSig(sig, Buffer.from(rec.publicKey!, 'hex'), prevScript);
    } finally {
      key.fill(0);
    }
  }

  /** Self-check the scripts, then hand the transaction to the pool (which relays it). */
  private async submit(tx: Transaction, prevScripts: readonly Script[]): Promise<void> {
    const bad = verifyInputs(tx, prevScripts, this.backend);
    if (bad) throw walletError('tx_sign', `input ${bad.index} does not verify: ${bad.code}`);
    await this.addToPool(tx);
    this.log.info({ txid: tx.txid(), inputs: tx.inputs.length, outputs: tx.outputs.length }, 'transaction submitted');
  }

  private async addToPool(tx: Transaction): Promise<void> {
    try {
      await this.mempool.add(tx);
    } catch (err) {
      if (err instanceof MempoolError || err instanceof VerifyError) throw walletError('tx_validate', `validate transaction failure: ${err.code}: ${err.message}`);
      throw err;
    }
  }

  // --------------------------------------------------------- raw transactions

  /** decoderawtx (also the parser of every TRANSACTION argument): 1021 as boost reports a bad option value. */
  decodeRawTx(hex: string): Transaction {
    try {
      return Transaction.fromHex(hex.trim());
    } catch {
      throw walletError('command_params', `the argument ('${hex.length > 80 ? hex.slice(0, 80) + '…' : hex}') for option '--TRANSACTION' is invalid`);
    }
  }

  /** A previous output from the chain (spent or not) or the pool (get_transaction_consider_pool). */
  private previousOutput(op: OutPoint): TxOutput | null {
    const confirmed = this.chain.store.getTx(op.hash);
    const tx = confirmed?.tx ?? this.mempool.get(op.hash)?.tx;
    return tx?.outputs[op.index] ?? null;
  }

  /** createrawtx: an unsigned ETP transaction from senders' coins and/or given outputs. */
  createRawTx(opts: CreateRawTxOptions): Promise<Transaction> {
    return this.run(() => {
      if (opts.type === 3) throw walletError('argument_legality', 'asset transactions (type 3) are not supported by this node yet');
      if (opts.type !== 0) throw walletError('argument_legality', 'invalid transaction type.');
      const senders = opts.senders ?? [];
      const utxos = opts.utxos ?? [];
      if (senders.length === 0 && utxos.length === 0) throw walletError('fromaddress_invalid', 'senders and utxos can not both be empty!');
      const change = opts.mychange ? this.resolveAddress(opts.mychange) : undefined;
      const sourceAddresses: Address[] = [];
      for (const s of senders) {
        const a = this.resolveAddress(s);
        if (a.kind(this.network.address) === 'p2sh') throw walletError('fromaddress_invalid', `invalid sender did/address ${s}`);
        if (!sourceAddresses.some((x) => x.equals(a))) sourceAddresses.push(a);
      }
      const receivers = this.parseReceivers(opts.receivers);
      if (receivers.length === 0) throw walletError('toaddress_invalid', 'receivers can not be empty!');
      const fee = opts.fee ?? MIN_FEE;
      checkFee(fee);
      if (opts.message) checkMemo(opts.message);
      const locktime = opts.locktime ?? 0;
      const selection = { locktime, minConfirmations: opts.minConfirmations ?? 3 };
      const view = this.view();
      const { taken, sequences } = this.specifiedUtxos(view, utxos, selection);
      const payment = receivers.reduce((s, r) => s + r.value, 0n) + fee;
      const { coins, total } = selectCoins(view, sourceAddresses, payment, selection, taken);
      if (coins.length === 0) throw walletError('tx_source', 'not enough etp or asset in the from address!');
      if (total < payment) throw walletError('account_balance_lack', `not enough balance, unspent = ${total}, payment = ${payment}`);
      const outputs: Receiver[] = receivers.map((r) => ({ ...r, attachment: Attachment.etp(1) }));
      if (total > payment) outputs.push({ address: change ?? Address.fromString(coins[coins.length - 1].address), value: total - payment, attachment: Attachment.etp(1) });
      // base_transaction_constructor::populate_change: the message follows the change.
      if (opts.message) outputs.push({ address: change ?? Address.fromString(coins[0].address), value: 0n, attachment: Attachment.message(opts.message) });
      const tx = this.assemble(coins, outputs, locktime);
      tx.inputs.forEach((input, i) => {
        const wanted = sequences.get(input.prevout.keyString());
        // createrawtx.cpp: a given sequence replaces one that carries no relative lock.
        if (wanted !== undefined && ((input.sequence & 0x80000000) !== 0 || (input.sequence & 0x000fffff) === 0)) input.sequence = wanted;
        if (opts.putscript) input.script = coins[i].coin.output.script;
      });
      tx.invalidate();
      return tx;
    });
  }

  /** createrawtx -u "hash:index[:sequence]": each must exist and be spendable now. */
  private specifiedUtxos(view: CoinView, items: readonly string[], selection: { locktime: number }): { taken: SelectedCoin[]; sequences: Map<string, number> } {
    const taken: SelectedCoin[] = [];
    const sequences = new Map<string, number>();
    for (const item of items) {
      const parts = item.split(':');
      if (parts.length !== 2 && parts.length !== 3) throw walletError('argument_legality', `invalid utxo: ${item}`);
      let hash: Buffer;
      try {
        hash = hashFromHex(parts[0]);
      } catch {
        throw walletError('argument_legality', `invalid utxo: ${item}`);
      }
      if (!/^\d+$/.test(parts[1]) || Number(parts[1]) > 0xffffffff) throw walletError('argument_legality', 'wrong utxo index!');
      const op = new OutPoint(hash, Number(parts[1]));
      const confirmed = this.chain.store.getTx(hash);
      const pooled = confirmed ? undefined : this.mempool.get(hash);
      const tx = confirmed?.tx ?? pooled?.tx;
      if (!tx) throw walletError('tx_notfound', `transaction[${parts[0]}] does not exist!`);
      if (op.index >= tx.outputs.length) throw walletError('tx_notfound', `output index[${parts[1]}] of transaction[${parts[0]}] is out of range!`);
      const key = op.keyString();
      if (parts.length === 3) {
        if (sequences.has(key)) throw walletError('argument_legality', `duplicate utxo: ${item}`);
        if (!/^\d+$/.test(parts[2]) || Number(parts[2]) > 0xffffffff) throw walletError('argument_legality', 'wrong utxo sequence!');
        sequences.set(key, Number(parts[2]));
      }
      const coinRecord = confirmed ? this.chain.store.getCoin(op.toKey()) : null;
      const coin: WalletCoin | null = confirmed
        ? coinRecord && { outpoint: op, output: coinRecord.output, height: coinRecord.height, coinbase: coinRecord.coinbase, spentInPool: this.mempool.spenderOf(op) !== undefined }
        : { outpoint: op, output: tx.outputs[op.index], height: null, coinbase: false, spentInPool: this.mempool.spenderOf(op) !== undefined };
      if (!coin) throw walletError('generic', 'output spent error.');
      if (coin.output.attachment.type !== 0) throw walletError('argument_legality', `utxo ${item} is not an ETP output`);
      // Given outputs need no minimum confirmations, but must be spendable.
      const sequence = spendableSequence(view, coin, { locktime: selection.locktime });
      if (sequence === null) throw walletError('generic', 'output spent error.');
      const address = scriptAddress(coin.output.script, this.network.address);
      if (!address) throw walletError('argument_legality', `utxo ${item} does not pay an address`);
      if (!taken.some((t) => t.coin.outpoint.toKey().equals(op.toKey()))) taken.push({ coin, address: address.toString(), sequence });
    }
    return { taken, sequences };
  }

  /**
   * signrawtx (signrawtx.cpp): P2PKH inputs are signed with the account's key
   * of the paying address, or with the given keys; inputs spending a script
   * address get, per account key found in the redeem script, a signature
   * (returned separately, the transaction is then not complete).
   */
  signRawTx(txOrHex: Transaction | string, opts: SignRawTxOptions): Promise<SignRawTxResult> {
    return this.run(async () => {
      const wifs = opts.wifs ?? [];
      if (wifs.length === 0 && (!opts.name || !opts.password)) throw walletError('argument_legality', 'Missing account/password or private key!');
      const u = wifs.length === 0 ? await this.unlock(opts.name!, opts.password!) : null;
      try {
        return this.signRawTxWith(u, wifs, txOrHex, opts.offline === true);
      } finally {
        u?.dataKey.fill(0);
      }
    });
  }

  private signRawTxWith(u: Unlocked | null, wifs: readonly string[], txOrHex: Transaction | string, offline: boolean): SignRawTxResult {
    const keys = wifs.map((w) => this.parsePrivateKey(w));
    try {
      const tx = typeof txOrHex === 'string' ? this.decodeRawTx(txOrHex) : txOrHex.clone();
      const prevScripts = tx.inputs.map((input) => {
        if (offline) {
          if (input.script.length === 0) throw walletError('argument_legality', "Sign rawtx offline must specify the rawtx's input script!");
          return input.script;
        }
        const prev = this.previousOutput(input.prevout);
        if (!prev) throw walletError('argument_legality', `invalid transaction hash ${input.prevout.txidHex()}`);
        return prev.script;
      });
      const scriptSignatures = new Map<number, Map<string, string>>();
      prevScripts.forEach((prevScript, index) => {
        const address = scriptAddress(prevScript, this.network.address);
        if (!address || address.kind(this.network.address) === 'p2sh') {
          if (!u) throw walletError('argument_legality', 'Please use account/password to sign pay-to-script raw tx.');
          scriptSignatures.set(index, this.signScriptInput(u, tx, index, prevScript, address));
          return;
        }
        if (u) {
          const rec = this.store.ownedAddress(u.record.name, address.toString());
          if (!rec || rec.kind !== 'hd') throw walletError('argument_legality', `Address ${address.toString()} is not owned.`);
          this.signKeyHashInput(u, tx, index, rec, prevScript);
        } else {
          const key = keys.find((k) => k.hash.equals(address.hash));
          if (!key) throw walletError('argument_legality', `No private key matches address ${address.toString()}`);
          const sig = endorse(tx, index, prevScript, key.privateKey, this.backend);
          tx.inputs[index].script = keyHashScriptSig(sig, key.publicKey, prevScript);
        }
      });
      tx.invalidate();
      return { tx, scriptSignatures: scriptSignatures.size > 0 ? scriptSignatures : null };
    } finally {
      for (const k of keys) k.privateKey.fill(0);
    }
  }

  private signScriptInput(u: Unlocked, tx: Transaction, index: number, prevScript: Script, address: Address | null): Map<string, string> {
    const name = u.record.name;
    const text = address?.toString() ?? '';
    const rec = address ? this.store.ownedAddress(name, text) : null;
    if (!rec || (rec.kind !== 'script' && rec.kind !== 'multisig')) throw walletError('argument_legality', `invalid script: ${prevScript.toAsm()}`);
    if (!rec.script) throw walletError('argument_legality', `watch-only script address: ${prevScript.toAsm()}`);
    const redeem = Script.fromHex(rec.script);
    const ops = redeem.ops;
    if (!ops) throw walletError('redeem_script_data', 'error occured when parse redeem script data.');
    const signatures = new Map<string, string>();
    for (const pk of new Set(ops.filter((o) => o.data?.length === 33).map((o) => o.data!.toString('hex')))) {
      const keyAddress = publicKeyAddress(Buffer.from(pk, 'hex'), this.network.address).toString();
      const own = this.store.ownedAddress(name, keyAddress);
      if (!own || own.kind !== 'hd') continue;
      const key = this.privateKeyOf(u, own);
      try {
        signatures.set(pk, endorse(tx, index, redeem, key, this.backend).toString('hex'));
      } finally {
        key.fill(0);
      }
    }
    return signatures;
  }

  /** A WIF or hex secret (parse_private_key); the key itself never appears in an error. */
  private parsePrivateKey(text: string): { privateKey: Buffer; publicKey: Buffer; hash: Buffer } {
    const t = text.trim();
    let privateKey: Buffer | null = null;
    let compressed = true;
    try {
      const w = decodeWif(t, null);
      privateKey = w.privateKey;
      compressed = w.compressed;
    } catch {
      if (/^[0-9a-fA-F]{64}$/.test(t) && this.backend.privateKeyVerify(Buffer.from(t, 'hex'))) privateKey = Buffer.from(t, 'hex');
    }
    if (!privateKey) throw walletError('argument_legality', 'invalid private key (expected WIF or 64 hex digits)');
    const publicKey = Buffer.from(this.backend.publicKeyCreate(privateKey, compressed));
    return { privateKey, publicKey, hash: publicKeyAddress(publicKey, this.network.address).hash };
  }

  /**
   * sendrawtx (sendrawtx.cpp): deposits refused after PoS, the fee window,
   * then the pool; a failing multisig spend is retried once with its
   * signatures put in key order.
   */
  sendRawTx(txOrHex: Transaction | string): Promise<string> {
    return this.run(async () => {
      const tx = typeof txOrHex === 'string' ? this.decodeRawTx(txOrHex) : txOrHex.clone();
      if (this.chain.height >= this.network.posEnabledHeight && tx.outputs.some((o) => o.script.pattern() === 'pay_key_hash_with_lock_height')) {
        throw walletError('tx_validate', 'deposit is forbidden after PoS enabled.');
      }
      let valueIn = 0n;
      for (const input of tx.inputs) {
        const prev = this.previousOutput(input.prevout);
        if (!prev) throw walletError('tx_validate', 'get transaction inputs etp value error!');
        valueIn += prev.value;
      }
      const valueOut = tx.outputs.reduce((s, o) => s + o.value, 0n);
      if (valueIn <= valueOut) throw walletError('tx_validate', 'no enough transaction fee');
      checkFee(valueIn - valueOut);
      try {
        await this.addToPool(tx);
      } catch (first) {
        const multisig = tx.inputs.some((i) => isMultisigSpend(i.script));
        if (!(first instanceof WalletError) || first.code !== RPC_ERROR_CODES.tx_validate || !multisig) throw first;
        if (!this.sortMultisigSignatures(tx)) throw walletError('tx_validate', `validate multi-sig transaction failure:${first.message}`);
        tx.invalidate();
        await this.addToPool(tx);
      }
      this.log.info({ txid: tx.txid() }, 'raw transaction submitted');
      return tx.txid();
    });
  }

  /** Put every multisig input's signatures in key order; false when one then has fewer than m. */
  private sortMultisigSignatures(tx: Transaction): boolean {
    let changed = false;
    for (let i = 0; i < tx.inputs.length; i++) {
      const parsed = readMultisigInput(tx.inputs[i].script);
      if (!parsed) continue;
      const ordered = orderMultisigSignatures(tx, i, parsed.redeem, parsed.signatures, this.backend);
      if (ordered.length < parsed.redeem.m) return false;
      tx.inputs[i].script = multisigScriptSig(ordered, parsed.redeem.script);
      changed = true;
    }
    return changed;
  }

  // --------------------------------------------------------------- multisig

  /**
   * getnewmultisig (getnewmultisig.cpp): the own key must be one of the
   * account's; keys are sorted as hex strings for the redeem script
   * (account_multisig::set_cosigner_pubkeys), addresses are P2SH.
   */
  newMultisig(name: string, password: string, spec: MultisigSpec): Promise<MultisigInfo> {
    return this.withAccount(name, password, async (u) => {
      const existing = this.store.addressesOf(name);
      const { record, address } = this.buildMultisig(u, existing, spec);
      u.record.multisigs.push(record);
      this.store.saveAccount(u.record, existing.some((a) => a.address === address.address) ? [] : [address]);
      this.log.info({ account: name, address: record.address, m: record.m, n: record.n }, 'multisig address created');
      return multisigInfo(record);
    });
  }

  /** Validate a multisig spec against the account (in memory; the caller saves). */
  private buildMultisig(u: Unlocked, addresses: readonly AddressRecord[], spec: MultisigSpec): { record: MultisigRecord; address: AddressRecord } {
    const keys = [...(spec.publicKeys ?? [])];
    if (keys.length === 0) throw walletError('multisig_cosigne', 'multisig cosigner public key needed.');
    if (new Set(keys).size !== keys.length) throw walletError('multisig_cosigne', 'multisig cosigner public key has duplicated items.');
    if (spec.m < 1) throw walletError('signature_amount', 'signature number less than 1.');
    if (spec.n < 1 || spec.n > 20) throw walletError('pubkey_amount', `public key number ${spec.n} less than 1 or bigger than 20.`);
    if (spec.m > spec.n) throw walletError('signature_amount', `signature number ${spec.m} bigger than public key number ${spec.n}`);
    const self = spec.selfPublicKey;
    if (!self) throw walletError('pubkey_notfound', 'self pubkey key not found!');
    if (!keys.includes(self)) keys.push(self);
    if (keys.length !== spec.n) throw walletError('pubkey_amount', 'public key number not match with n.');
    const own = addresses.find((a) => a.kind === 'hd' && a.publicKey === self);
    if (!own) throw walletError('pubkey_dismatch', `${self} not belongs to this account`);
    const sorted = [...keys].sort();
    let redeem: Script;
    try {
      redeem = multisigScript(spec.m, sorted.map((k) => fromHex(k, 'public key')));
    } catch {
      throw walletError('multisig_script', `invalid multisig script : ${multisigScriptText(spec.m, spec.n, sorted)}`);
    }
    const same = u.record.multisigs.some((r) => r.m === spec.m && r.n === spec.n && r.selfPublicKey === self && r.publicKeys.length === sorted.length && r.publicKeys.every((k) => sorted.includes(k)));
    if (same) throw walletError('multisig_exist', 'multisig already exists.');
    const p2sh = new Address(this.network.address.scriptHash, scriptHash(redeem)).toString();
    const record: MultisigRecord = { index: u.record.multisigs.length + 1, m: spec.m, n: spec.n, publicKeys: sorted, selfPublicKey: self, description: spec.description ?? '', address: p2sh };
    const address: AddressRecord = { seq: u.record.nextSeq++, kind: 'multisig', address: p2sh, script: redeem.toHex(), description: record.description };
    return { record, address };
  }

  listMultisig(name: string, password: string): Promise<MultisigInfo[]> {
    return this.withAccount(name, password, async (u) => {
      return u.record.multisigs.map(multisigInfo);
    });
  }

  /** deletemultisig ADDRESS: the records with that address, removed. */
  deleteMultisig(name: string, password: string, address: string): Promise<MultisigInfo[]> {
    return this.withAccount(name, password, async (u) => {
      const text = this.resolveAddress(address).toString();
      const removed = u.record.multisigs.filter((m) => m.address === text);
      if (removed.length === 0) throw walletError('multisig_notfound', `${text} multisig record not found.`);
      u.record.multisigs = u.record.multisigs.filter((m) => m.address !== text);
      const rec = this.store.ownedAddress(name, text);
      if (rec && rec.kind === 'multisig') this.store.removeAddress(u.record, rec);
      else this.store.saveAccount(u.record);
      return removed.map(multisigInfo);
    });
  }

  /**
   * createmultisigtx (createmultisigtx.cpp, sending_multisig_tx): coins of the
   * account's multisig address only, change back to it, every input signed by
   * this account's cosigner key; not broadcast.
   */
  createMultisigTx(name: string, password: string, from: string, to: string, amount: bigint, opts: { type?: number; fee?: bigint } = {}): Promise<Transaction> {
    return this.withAccount(name, password, async (u) => {
      const source = Address.parse(from.trim(), this.network.address);
      if (!source) throw walletError('fromaddress_invalid', 'invalid from address!');
      if (source.kind(this.network.address) !== 'p2sh') throw walletError('fromaddress_invalid', 'from address is not a script address.');
      const multisig = u.record.multisigs.find((m) => m.address === source.toString());
      if (!multisig) throw walletError('multisig_notfound', 'multisig of from address is not found.');
      const target = Address.parse(to.trim(), this.network.address);
      if (!target) throw walletError('toaddress_invalid', 'invalid to address!');
      if ((opts.type ?? 0) !== 0) throw walletError('argument_legality', (opts.type ?? 0) === 3 ? 'asset transactions (type 3) are not supported by this node yet' : 'invalid transaction type.');
      if (amount <= 0n) throw walletError('argument_legality', 'invalid amount parameter!');
      const fee = opts.fee ?? MIN_FEE;
      checkFee(fee);
      const payment = amount + fee;
      const { coins, total } = selectCoins(this.view(), [source], payment, {});
      if (coins.length === 0) throw walletError('tx_source', 'not enough etp or asset in from address, or you do not own the from address!');
      if (total < payment) throw walletError('account_balance_lack', `not enough balance, unspent = ${total}, payment = ${payment}`);
      const outputs: Receiver[] = [{ address: target, value: amount, attachment: Attachment.etp(1) }];
      if (total > payment) outputs.push({ address: source, value: total - payment, attachment: Attachment.etp(1) });
      const tx = this.assemble(coins, outputs, 0);
      const redeem = redeemScriptOf(multisig);
      const keyRecord = this.store.addressesOf(name).find((a) => a.kind === 'hd' && a.publicKey === multisig.selfPublicKey);
      if (!keyRecord) throw walletError('prikey_notfound', `The private key of ${multisig.selfPublicKey} not found.`);
      const key = this.privateKeyOf(u, keyRecord);
      try {
        for (let i = 0; i < tx.inputs.length; i++) tx.inputs[i].script = multisigScriptSig([endorse(tx, i, redeem, key, this.backend)], redeem);
      } finally {
        key.fill(0);
      }
      tx.invalidate();
      return tx;
    });
  }

  /**
   * signmultisigtx (signmultisigtx.cpp): add this account's signature to each
   * multisig input it is a cosigner of, keep at most m in key order, and with
   * `broadcast` submit the transaction (which fails validation while
   * signatures are missing).
   */
  signMultisigTx(name: string, password: string, txOrHex: Transaction | string, opts: { selfPublicKey?: string; broadcast?: boolean } = {}): Promise<{ tx: Transaction; complete: boolean }> {
    return this.withAccount(name, password, async (u) => {
      const tx = typeof txOrHex === 'string' ? this.decodeRawTx(txOrHex) : txOrHex.clone();
      const own = this.store.addressesOf(name).filter((a) => a.kind === 'hd');
      if (opts.selfPublicKey && !own.some((a) => a.publicKey === opts.selfPublicKey)) {
        throw walletError('pubkey_dismatch', `public key ${opts.selfPublicKey} is not owned by ${name}`);
      }
      let complete = true;
      for (let i = 0; i < tx.inputs.length; i++) {
        const parsed = readMultisigInput(tx.inputs[i].script);
        if (!parsed) continue;
        const address = new Address(this.network.address.scriptHash, scriptHash(parsed.redeem.script)).toString();
        const records = u.record.multisigs.filter((m) => m.address === address);
        if (records.length === 0) throw walletError('multisig_notfound', `${address} multisig record not found.`);
        const signatures = [...parsed.signatures];
        if (signatures.length < parsed.redeem.m) {
          for (const r of records) {
            if (opts.selfPublicKey && opts.selfPublicKey !== r.selfPublicKey) continue;
            const keyRecord = own.find((a) => a.publicKey === r.selfPublicKey);
            if (!keyRecord) throw walletError('prikey_notfound', `The private key of ${r.selfPublicKey} not found.`);
            const key = this.privateKeyOf(u, keyRecord);
            try {
              signatures.push(endorse(tx, i, parsed.redeem.script, key, this.backend));
            } finally {
              key.fill(0);
            }
          }
        }
        const ordered = orderMultisigSignatures(tx, i, parsed.redeem, signatures, this.backend);
        if (ordered.length < parsed.redeem.m) complete = false;
        tx.inputs[i].script = multisigScriptSig(ordered, parsed.redeem.script);
      }
      tx.invalidate();
      if (opts.broadcast) {
        await this.addToPool(tx);
        this.log.info({ txid: tx.txid() }, 'multisig transaction submitted');
      }
      return { tx, complete };
    });
  }
}

function redeemScriptOf(r: MultisigRecord): Script {
  return multisigScript(r.m, r.publicKeys.map((k) => Buffer.from(k, 'hex')));
}

function checkAddressCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_ADDRESS_BATCH) throw walletError('address_amount', 'invalid address number parameter');
}

/** -n / -g / -l of listbalances: -n alone means ≥ 1; -l 0 means no upper bound. */
function passesFilter(amount: bigint, filter: BalanceFilter): boolean {
  const greater = filter.nozero && !filter.greaterEqual ? 1n : (filter.greaterEqual ?? 0n);
  if (amount < greater) return false;
  return !filter.lesserEqual || amount <= filter.lesserEqual;
}

function balanceInfo(address: string, b: AddressBalance): AddressBalanceInfo {
  return { address, confirmed: b.confirmed, received: b.received, unspent: b.unspent, available: b.available, frozen: b.frozen };
}

/**
 * Unexpired deposits paying `address` (sync_fetch_deposited_balance): one
 * entry per deposit transaction, its lock period as `deposited_height`, the
 * height it unlocks at as `expiration_height`.
 */
function depositsOf(view: CoinView, address: Address): DepositInfo[] {
  const byTx = new Map<string, DepositInfo>();
  for (const coin of view.coins(address)) {
    if (coin.height === null || coin.spentInPool) continue;
    const lock = depositLockHeight(coin.output.script);
    if (lock === null || lock <= view.tipHeight - coin.height) continue;
    const txid = coin.outpoint.txidHex();
    const entry = byTx.get(txid);
    if (entry) entry.deposited_balance += coin.output.value;
    else byTx.set(txid, { address: address.toString(), deposited_balance: coin.output.value, bonus_balance: 0n, deposited_height: lock, expiration_height: coin.height + lock, tx_hash: txid });
  }
  return [...byTx.values()];
}

function isMultisigSpend(script: Script): boolean {
  try {
    return readMultisigInput(script) !== null;
  } catch {
    return false;
  }
}

