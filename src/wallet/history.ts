/**
 * listtxs (mvs-rpc §2.4; mvs-org/metaverse:
 * src/lib/explorer/extensions/commands/listtxs.cpp): the transactions that
 * touch a set of addresses, one page at a time.
 *
 * The reference reads each address's business records
 * (address_asset_database::get): every output paid to the address and every
 * input spending one of its outputs whose height is in [from, to) (to = 0:
 * no bound), filtered by asset symbol when one is given (only outputs carry
 * one). Transactions are deduplicated by hash and sorted by height,
 * descending. Here the records come from the chain's address index
 * (`store.addressHistory`, kept by the chain in the same write transaction as
 * the UTXO set, so it follows reorgs) plus the memory pool, whose
 * transactions have height 0 (as gettx reports them) and so come last, and
 * only when `from` is 0.
 *
 * Deviation: the reference's second sort is not stable, so its order within
 * one height is unspecified; here ties keep the first sort's order, the raw
 * (internal byte order) hash ascending.
 */
import { scriptAddress, type Address, type AddressVersions } from '../primitives/address.js';
import { ATTACHMENT_TYPE, text } from '../primitives/attachment.js';
import type { OutPoint, Transaction, TxOutput } from '../primitives/transaction.js';
import { attenuationParts } from '../primitives/script.js';
import { attenuationModelParam, exactInteger, formatAttachment, inputAddress, inputScriptText, lockedHeightRange } from '../rpc/format.js';
import type { JsonValue } from '../rpc/json.js';
import { walletError } from './errors.js';
import { addressKey, type WalletChain, type WalletMempool } from './coins.js';

const MAX_U32 = 0xffffffff;

/** listtxs -l: the page size is 1..100 (default 100). */
export const MAX_PAGE_LIMIT = 100;

export interface HistoryQuery {
  /** -e "from:to": heights in [from, to); to = 0 means no upper bound. */
  fromHeight?: number;
  toHeight?: number;
  /** -s: only outputs carrying this asset (already upper-cased and known to be issued). */
  symbol?: string;
  /** -l, 1..100. */
  limit: number;
  /** -i, from 1. */
  index: number;
}

export interface TxInputRow {
  address: string | null;
  script: string;
}

export interface TxOutputRow {
  address: string | null;
  own: boolean;
  script: string;
  locked_height_range: number | bigint;
  etp_value: number | bigint;
  attenuation_model_param?: { [key: string]: JsonValue };
  attachment: { [key: string]: JsonValue };
}

export interface TxRow {
  hash: string;
  height: number;
  timestamp: number;
  direction: 'send' | 'receive';
  inputs: TxInputRow[];
  outputs: TxOutputRow[];
}

export interface TxPage {
  total_page: number;
  current_page: number;
  transaction_count: number;
  transactions: TxRow[];
}

interface Listed {
  txid: Buffer;
  height: number;
  timestamp: number;
}

/** The asset symbol an output's attachment names (issue, transfer, certificate), else ''. */
function assetSymbolOf(output: TxOutput): string {
  const b = output.attachment.body;
  if (b.kind === 'asset_issue' || b.kind === 'asset_transfer' || b.kind === 'cert') return text(b.symbol);
  return '';
}

/** Reads the chain's address index and the pool for listtxs. */
export class TxHistory {
  private readonly versions: AddressVersions;

  constructor(
    private readonly chain: WalletChain,
    private readonly mempool: WalletMempool,
  ) {
    this.versions = chain.network.address;
  }

  /** Whether `symbol` (upper case) was issued on the chain (listtxs checks get_issued_asset). */
  isIssuedAsset(symbol: string): boolean {
    return this.chain.store.getAssetIssue(Buffer.from(symbol, 'utf8')) !== null;
  }

  /** The decimal number of an issued asset (added to asset-transfer attachments, as listtxs does). */
  private decimalNumber(symbol: string): number | null {
    const issue = this.chain.store.getAssetIssue(Buffer.from(symbol, 'utf8'));
    if (!issue) return null;
    const body = this.chain.store.getTx(issue.txid)?.tx.outputs[issue.index]?.attachment.body;
    return body?.kind === 'asset_issue' ? body.decimalNumber : null;
  }

  /** Confirmed and pool transactions touching `addresses` under `query`, deduplicated, newest first. */
  private collect(addresses: readonly Address[], query: HistoryQuery): Listed[] {
    const from = query.fromHeight ?? 0;
    const to = query.toHeight ?? 0;
    const symbol = query.symbol ?? '';
    const found = new Map<string, Listed>();
    const timestamps = new Map<number, number>();
    const timestampAt = (height: number): number => {
      let t = timestamps.get(height);
      if (t === undefined) {
        t = this.chain.getRecordAt(height)?.header.timestamp ?? 0;
        timestamps.set(height, t);
      }
      return t;
    };
    const keys = new Set<string>();
    for (const address of addresses) {
      const key = addressKey(address);
      keys.add(key.toString('latin1'));
      // Index keys hold u32 heights; a bound beyond them selects what a u32 bound would.
      const rows = this.chain.store.addressHistory(key, { fromHeight: Math.min(from, MAX_U32), toHeight: to === 0 || to > MAX_U32 ? undefined : to });
      for (const row of rows) {
        const k = row.txid.toString('latin1');
        if (found.has(k)) continue;
        if (symbol !== '') {
          // Spends carry no asset data in the reference's records, so a symbol keeps outputs only.
          if (row.kind !== 0) continue;
          const output = this.chain.store.getTx(row.txid)?.tx.outputs[row.index];
          if (!output || assetSymbolOf(output) !== symbol) continue;
        }
        found.set(k, { txid: row.txid, height: row.height, timestamp: timestampAt(row.height) });
      }
    }
    // Pool transactions are at height 0: inside [from, to) only when from is 0.
    if (from === 0) {
      for (const entry of this.mempool.all()) {
        const k = entry.txid.toString('latin1');
        if (found.has(k) || !this.poolTouches(entry.tx, keys, symbol)) continue;
        found.set(k, { txid: entry.txid, height: 0, timestamp: entry.time });
      }
    }
    const list = [...found.values()];
    list.sort((a, b) => b.height - a.height || Buffer.compare(a.txid, b.txid));
    return list;
  }

  /** Whether a pool transaction pays one of `keys` (with the symbol, if any) or, without a symbol, spends from one. */
  private poolTouches(tx: Transaction, keys: ReadonlySet<string>, symbol: string): boolean {
    const ours = (output: TxOutput | undefined): boolean => {
      const a = output ? scriptAddress(output.script, this.versions) : null;
      return a !== null && keys.has(addressKey(a).toString('latin1'));
    };
    if (tx.outputs.some((o) => ours(o) && (symbol === '' || assetSymbolOf(o) === symbol))) return true;
    if (symbol !== '') return false;
    return tx.inputs.some((input) => ours(this.previousOutput(input.prevout)));
  }

  private previousOutput(prevout: OutPoint): TxOutput | undefined {
    const coin = this.chain.store.getCoin(prevout.toKey());
    if (coin) return coin.output;
    return this.mempool.get(prevout.hash)?.tx.outputs[prevout.index];
  }

  private transaction(txid: Buffer): Transaction | null {
    return this.chain.store.getTx(txid)?.tx ?? this.mempool.get(txid)?.tx ?? null;
  }

  /**
   * One page of the transactions touching `addresses`. `own(address)` tells
   * whether an address belongs to the calling account (false for every
   * address without one): it sets each output's `own`, and a transaction is
   * "send" when one of its inputs spends from an owned address, else "receive".
   */
  page(addresses: readonly Address[], query: HistoryQuery, own: (address: string) => boolean): TxPage {
    const list = this.collect(addresses, query);
    // The reference checks the page parameters after collecting, in this order.
    if (query.index < 1) throw walletError('argument_legality', 'page index parameter cannot be zero');
    if (query.limit < 1) throw walletError('argument_legality', 'page record limit parameter cannot be zero');
    if (query.limit > MAX_PAGE_LIMIT) throw walletError('argument_legality', 'page record limit cannot be bigger than 100.');
    const start = (query.index - 1) * query.limit;
    if (list.length === 0 || start >= list.length) throw walletError('argument_legality', 'no record in this page');
    const totalPage = Math.ceil(list.length / query.limit);
    const count = Math.min(query.limit, list.length - start);
    const transactions: TxRow[] = [];
    for (const item of list.slice(start, start + count)) {
      const tx = this.transaction(item.txid);
      if (!tx) continue;
      transactions.push(this.row(tx, item, own));
    }
    return { total_page: totalPage, current_page: query.index, transaction_count: count, transactions };
  }

  private row(tx: Transaction, item: Listed, own: (address: string) => boolean): TxRow {
    const ctx = { apiVersion: 3 as const, addresses: this.versions };
    const inputs = tx.inputs.map((input): TxInputRow => ({ address: inputAddress(input, this.versions), script: inputScriptText(input) }));
    const outputs = tx.outputs.map((output): TxOutputRow => {
      const address = scriptAddress(output.script, this.versions)?.toString() ?? null;
      const attachment = formatAttachment(output.attachment, ctx);
      const body = output.attachment.body;
      if (output.attachment.type === ATTACHMENT_TYPE.ASSET && body.kind === 'asset_transfer') {
        // asset-transfer carries no decimal number; listtxs adds the issued asset's.
        const decimals = this.decimalNumber(text(body.symbol));
        if (decimals !== null) attachment.decimal_number = decimals;
      }
      const attenuation = attenuationParts(output.script);
      const out: TxOutputRow = {
        address,
        own: address !== null && own(address),
        script: output.script.toAsm(),
        locked_height_range: exactInteger(lockedHeightRange(output.script)),
        etp_value: exactInteger(output.value),
        attachment,
      };
      if (attenuation) out.attenuation_model_param = attenuationModelParam(attenuation.param.toString('latin1'));
      return out;
    });
    const sends = inputs.some((i) => i.address !== null && own(i.address));
    return { hash: tx.txid(), height: item.height, timestamp: item.timestamp, direction: sends ? 'send' : 'receive', inputs, outputs };
  }
}
