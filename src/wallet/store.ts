import { open, type RootDatabase, type Database } from 'lmdb';
import { lmdbOpenRefusal } from '../util/lmdb-file.js';
import { mkdirSync } from 'node:fs';
import type { MnemonicLanguage } from '../crypto/keys/index.js';
import type { KdfParams } from './secretbox.js';

/**
 * The wallet's own LMDB environment (`<datadir>/wallet`), separate from the
 * chain store so a wallet can be backed up, moved or disabled on its own.
 * Values are JSON; every secret in them is an AES-256-GCM blob (secretbox.ts),
 * names, addresses, public keys and scripts are clear.
 *
 * | table    | key                   | value |
 * |----------|-----------------------|-------|
 * | meta     | "version", "network"  | number / network name |
 * | account  | account name          | AccountRecord |
 * | address  | [account name, seq]   | AddressRecord (seq = insertion order: listaddresses reads it backwards) |
 * | owner    | [account name, address] | seq of that address's record |
 *
 * An account's changes are written in one transaction (transactionSync).
 */
export const WALLET_STORE_VERSION = 1;
export const WALLET_TABLES = ['meta', 'account', 'address', 'owner'] as const;

export interface MultisigRecord {
  /** 1-based position in the account's multisig list at creation (account_multisig index). */
  index: number;
  m: number;
  n: number;
  /** Every public key of the script (own key included), sorted as hex strings: the redeem script order. */
  publicKeys: string[];
  selfPublicKey: string;
  description: string;
  /** P2SH address of the redeem script. */
  address: string;
}

export interface AccountRecord {
  version: 1;
  name: string;
  kdf: KdfParams;
  /** The account's data key, sealed with the password key. */
  dataKey: string;
  /** The mnemonic (words joined by single spaces), sealed with the data key. */
  mnemonic: string;
  language: MnemonicLanguage;
  /** HD addresses derived so far: the next address is m/hdIndex (account hd_index). */
  hdIndex: number;
  /** Next address-record sequence number. */
  nextSeq: number;
  multisigs: MultisigRecord[];
}

export type AddressKind = 'hd' | 'multisig' | 'script';

export interface AddressRecord {
  seq: number;
  kind: AddressKind;
  address: string;
  /** hd: child index i of m/i. */
  hdIndex?: number;
  /** hd: compressed public key hex. */
  publicKey?: string;
  /** hd: its private key; multisig: the account's own cosigner key. Sealed with the data key. */
  secret?: string;
  /** multisig / imported script: redeem script hex (empty for a watch-only address). */
  script?: string;
  description?: string;
}

export class WalletStoreError extends Error {
  readonly code: 'STORE_VERSION' | 'STORE_NETWORK' | 'STORE_IO' | 'STORE_CORRUPT';
  constructor(code: WalletStoreError['code'], message: string) {
    super(message);
    this.name = 'WalletStoreError';
    this.code = code;
  }
}

export interface WalletStoreOptions {
  path: string;
  networkName: string;
  /** Skip fsync on commit (tests). */
  noSync?: boolean;
}

export class WalletStore {
  private readonly env: RootDatabase;
  private readonly meta: Database<unknown, string>;
  private readonly accounts: Database<AccountRecord, string>;
  private readonly addresses: Database<AddressRecord, [string, number]>;
  private readonly owners: Database<number, [string, string]>;

  constructor(opts: WalletStoreOptions) {
    // lmdb-js crashes the process on a damaged data file instead of failing: look first.
    const refusal = lmdbOpenRefusal(opts.path);
    if (refusal) {
      throw new WalletStoreError(refusal.code, `wallet store at ${opts.path} ${refusal.detail}. Restore a copy, or move that folder aside and import the accounts again from their mnemonics`);
    }
    try {
      mkdirSync(opts.path, { recursive: true });
      this.env = open({ path: opts.path, maxDbs: WALLET_TABLES.length + 2, noSync: opts.noSync ?? false });
    } catch (err) {
      throw new WalletStoreError('STORE_IO', `cannot open wallet store at ${opts.path}: ${(err as Error).message}`);
    }
    this.meta = this.env.openDB('meta', { encoding: 'json' });
    this.accounts = this.env.openDB('account', { encoding: 'json' });
    this.addresses = this.env.openDB('address', { encoding: 'json' });
    this.owners = this.env.openDB('owner', { encoding: 'json' });
    this.checkVersion(opts.networkName);
  }

  private checkVersion(network: string): void {
    const version = this.meta.get('version') as number | undefined;
    if (version === undefined) {
      this.env.transactionSync(() => {
        this.meta.putSync('version', WALLET_STORE_VERSION);
        this.meta.putSync('network', network);
      });
      return;
    }
    if (version !== WALLET_STORE_VERSION) throw new WalletStoreError('STORE_VERSION', `wallet store version ${version} is not ${WALLET_STORE_VERSION}`);
    const stored = this.meta.get('network');
    if (stored !== network) throw new WalletStoreError('STORE_NETWORK', `wallet store belongs to network '${String(stored)}', not '${network}'`);
  }

  async close(): Promise<void> {
    await this.env.close();
  }

  getAccount(name: string): AccountRecord | null {
    return this.accounts.get(name) ?? null;
  }

  hasAccount(name: string): boolean {
    return this.accounts.doesExist(name);
  }

  accountCount(): number {
    return this.accounts.getCount();
  }

  /** Address records of an account in insertion order. */
  addressesOf(name: string): AddressRecord[] {
    const out: AddressRecord[] = [];
    for (const { value } of this.addresses.getRange({ start: [name, 0], end: [name, Number.MAX_SAFE_INTEGER] })) out.push(value);
    return out;
  }

  /** The account's record for `address`, or null when the account does not hold it. */
  ownedAddress(name: string, address: string): AddressRecord | null {
    const seq = this.owners.get([name, address]);
    if (seq === undefined) return null;
    return this.addresses.get([name, seq]) ?? null;
  }

  /** Write an account and (new or changed) address records in one transaction. */
  saveAccount(account: AccountRecord, changed: readonly AddressRecord[] = []): void {
    this.env.transactionSync(() => {
      this.accounts.putSync(account.name, account);
      for (const a of changed) {
        this.addresses.putSync([account.name, a.seq], a);
        this.owners.putSync([account.name, a.address], a.seq);
      }
    });
  }

  /** Remove one address record (deletemultisig). */
  removeAddress(account: AccountRecord, record: AddressRecord): void {
    this.env.transactionSync(() => {
      this.accounts.putSync(account.name, account);
      this.addresses.removeSync([account.name, record.seq]);
      this.owners.removeSync([account.name, record.address]);
    });
  }

  /** Remove an account and everything it owns, in one transaction. */
  deleteAccount(name: string): void {
    const records = this.addressesOf(name);
    this.env.transactionSync(() => {
      for (const a of records) {
        this.addresses.removeSync([name, a.seq]);
        this.owners.removeSync([name, a.address]);
      }
      this.accounts.removeSync(name);
    });
  }
}
