/**
 * The wallet's JSON-RPC methods: the reference's account, ETP transfer,
 * balance, raw-transaction and multisig commands (mvs-rpc §2.5–§2.7, §2.13)
 * with the parameter specs of src/rpc/catalog.ts and v3 result shapes.
 *
 *   registerWalletMethods(registry, wallet);
 *
 * registers all of them. With --no-wallet pass a Wallet built with
 * `path: null`: account-bound methods then answer 1000 (as the reference does
 * with disable_account_operations), while getaddressetp, createrawtx,
 * decoderawtx, sendrawtx, signrawtx --wif and listtxs --address keep working.
 *
 * Deviation: every API version (/rpc, /rpc/v2, /rpc/v3) gets the v3 shapes;
 * transactions are formatted per version by src/rpc/format.ts.
 */
import type { Registry, MethodArgs, MethodHandler, MethodInfo, CallMeta } from '../rpc/registry.js';
import { METHOD_CATALOG } from '../rpc/catalog.js';
import { formatTransaction, type FormatContext } from '../rpc/format.js';
import type { JsonValue } from '../rpc/json.js';
import type { Transaction } from '../primitives/transaction.js';
import { Wallet, parseLanguage, parseRange, type BalanceFilter } from './wallet.js';

function str(args: MethodArgs, name: string): string {
  const v = args[name];
  return v === undefined || v === null ? '' : String(v);
}

function optStr(args: MethodArgs, name: string): string | undefined {
  const v = str(args, name);
  return v === '' ? undefined : v;
}

function list(args: MethodArgs, name: string): string[] {
  const v = args[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function big(args: MethodArgs, name: string): bigint {
  const v = args[name];
  return typeof v === 'bigint' ? v : BigInt((v as number | undefined) ?? 0);
}

function num(args: MethodArgs, name: string): number {
  const v = args[name];
  return typeof v === 'bigint' ? Number(v) : ((v as number | undefined) ?? 0);
}

function flag(args: MethodArgs, name: string): boolean {
  return args[name] === true;
}

function fmt(meta: CallMeta, wallet: Wallet): FormatContext {
  return { apiVersion: meta.apiVersion, addresses: wallet.network.address };
}

function txb(tx: Transaction, meta: CallMeta, wallet: Wallet): JsonValue {
  return formatTransaction(tx, fmt(meta, wallet));
}

/** prop_list_of_rawtx(tx, true): `{hash, rawtx}`. */
function rawTx(tx: Transaction): JsonValue {
  return { hash: tx.txid(), rawtx: tx.toHex() };
}

function balanceFilter(args: MethodArgs): BalanceFilter {
  return { nozero: flag(args, 'nozero'), greaterEqual: big(args, 'greater_equal'), lesserEqual: big(args, 'lesser_equal') };
}

/** Objects with their keys in jsoncpp's sorted member order, as mvsd writes every result. */
function jsoncppOrder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsoncppOrder);
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = jsoncppOrder((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export function registerWalletMethods<Ctx>(target: Registry<Ctx>, wallet: Wallet): void {
  const c = METHOD_CATALOG;
  const registry = {
    implement: (info: MethodInfo, handler: MethodHandler<Ctx>) => target.implement(info, async (args, ctx, meta) => jsoncppOrder(await handler(args, ctx, meta))),
  };

  // §2.6 Accounts -----------------------------------------------------------
  registry.implement(c.getnewaccount, async (args) => {
    const name = str(args, 'ACCOUNTNAME');
    const password = str(args, 'ACCOUNTAUTH');
    const language = parseLanguage(optStr(args, 'language'));
    if (name === '' && password === '') return wallet.generateKey(language);
    return wallet.createAccount(name, password, language);
  });
  registry.implement(c.getaccount, (args) => wallet.getAccount(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH'), str(args, 'LASTWORD')));
  registry.implement(c.deleteaccount, (args) => wallet.deleteAccount(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH'), str(args, 'LASTWORD')));
  registry.implement(c.importaccount, (args) =>
    wallet.importAccount(str(args, 'accountname'), str(args, 'password'), list(args, 'WORD'), {
      language: parseLanguage(optStr(args, 'language')),
      count: num(args, 'hd_index'),
    }),
  );
  registry.implement(c.changepasswd, (args) => wallet.changePassword(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH'), str(args, 'password')));
  registry.implement(c.getnewaddress, (args) => wallet.newAddresses(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH'), num(args, 'number')));
  registry.implement(c.listaddresses, (args) =>
    flag(args, 'script')
      ? wallet.listScriptAddresses(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH'))
      : wallet.listAddresses(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH')),
  );
  registry.implement(c.dumpkeyfile, async (args) => {
    const [name, password, lastWord] = [str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH'), str(args, 'LASTWORD')];
    if (flag(args, 'data')) return (await wallet.exportKeyfile(name, password, lastWord));
    return wallet.dumpKeyfile(name, password, lastWord, optStr(args, 'DESTINATION'));
  });
  registry.implement(c.importkeyfile, (args) =>
    wallet.importKeyfile(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH'), { file: str(args, 'FILE'), content: str(args, 'FILECONTENT') }),
  );
  registry.implement(c.importaddress, (args) => wallet.importAddress(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH'), str(args, 'SCRIPT'), str(args, 'description')));

  // §2.7 Balances and transfers --------------------------------------------------
  registry.implement(c.getbalance, (args) => wallet.getBalance(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH')));
  registry.implement(c.listbalances, async (args) => {
    const [name, password] = [str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH')];
    const filter = balanceFilter(args);
    const rows = flag(args, 'deposited') ? await wallet.listDeposits(name, password, filter) : await wallet.listBalances(name, password, filter);
    return rows;
  });
  registry.implement(c.getaddressetp, (args) => {
    const address = str(args, 'ADDRESS');
    if (flag(args, 'deposited')) return wallet.addressDeposits(address);
    if (flag(args, 'utxo')) {
      const range = optStr(args, 'range');
      return wallet.addressUtxos(address, range ? parseRange(range, 'value') : undefined);
    }
    return wallet.addressBalance(address);
  });
  // send and sendfrom share their options (send.cpp, sendfrom.cpp).
  const sendOptions = (args: MethodArgs) => {
    const exclude = optStr(args, 'exclude');
    return {
      change: optStr(args, 'change'),
      memo: optStr(args, 'memo'),
      fee: big(args, 'fee'),
      locktime: num(args, 'locktime'),
      exclude: exclude ? parseRange(exclude, 'exclude') : undefined,
    };
  };
  registry.implement(c.send, async (args, _ctx, meta) => {
    const tx = await wallet.send(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH'), str(args, 'TO_'), big(args, 'AMOUNT'), sendOptions(args));
    return txb(tx, meta, wallet);
  });
  registry.implement(c.sendfrom, async (args, _ctx, meta) => {
    const tx = await wallet.sendFrom(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH'), str(args, 'FROM_'), str(args, 'TO_'), big(args, 'AMOUNT'), sendOptions(args));
    return txb(tx, meta, wallet);
  });
  registry.implement(c.sendmore, async (args, _ctx, meta) => {
    const tx = await wallet.sendMore(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH'), list(args, 'receivers'), {
      from: optStr(args, 'from'),
      change: optStr(args, 'mychange'),
      memo: optStr(args, 'memo'),
      fee: big(args, 'fee'),
    });
    return txb(tx, meta, wallet);
  });

  // §2.4 listtxs: an account's or one address's transactions, paged.
  registry.implement(c.listtxs, (args) =>
    wallet.listTxs({
      name: optStr(args, 'ACCOUNTNAME'),
      password: optStr(args, 'ACCOUNTAUTH'),
      address: optStr(args, 'address'),
      height: optStr(args, 'height'),
      symbol: optStr(args, 'symbol'),
      limit: big(args, 'limit'),
      index: big(args, 'index'),
    }),
  );

  // §2.5 Raw transactions ------------------------------------------------------
  registry.implement(c.createrawtx, async (args) => {
    const tx = await wallet.createRawTx({
      type: num(args, 'type'),
      senders: list(args, 'senders'),
      utxos: list(args, 'utxos'),
      receivers: list(args, 'receivers'),
      symbol: optStr(args, 'symbol'),
      mychange: optStr(args, 'mychange'),
      message: optStr(args, 'message'),
      locktime: num(args, 'locktime'),
      putscript: flag(args, 'putscript'),
      fee: big(args, 'fee'),
      minConfirmations: num(args, 'utxominimumconfirmations'),
    });
    return tx.toHex();
  });
  registry.implement(c.decoderawtx, (args, _ctx, meta) => txb(wallet.decodeRawTx(str(args, 'TRANSACTION')), meta, wallet));
  registry.implement(c.signrawtx, async (args) => {
    const result = await wallet.signRawTx(str(args, 'TRANSACTION'), {
      name: optStr(args, 'ACCOUNTNAME'),
      password: optStr(args, 'ACCOUNTAUTH'),
      wifs: list(args, 'wif'),
      offline: flag(args, 'offline'),
    });
    if (!result.scriptSignatures) return rawTx(result.tx);
    // signrawtx.cpp: with a pay-to-script input the answer is only the signatures per input.
    const out: Record<string, JsonValue> = {};
    for (const [index, sigs] of [...result.scriptSignatures].sort((a, b) => a[0] - b[0])) out[String(index)] = Object.fromEntries([...sigs].sort());
    return out;
  });
  registry.implement(c.sendrawtx, (args) => wallet.sendRawTx(str(args, 'TRANSACTION')));

  // §2.13 Multisig -------------------------------------------------------------
  registry.implement(c.getpublickey, (args) => wallet.getPublicKey(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH'), str(args, 'ADDRESS')));
  registry.implement(c.getnewmultisig, (args) =>
    wallet.newMultisig(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH'), {
      m: num(args, 'signaturenum'),
      n: num(args, 'publickeynum'),
      selfPublicKey: str(args, 'selfpublickey'),
      publicKeys: list(args, 'publickey'),
      description: str(args, 'description'),
    }),
  );
  registry.implement(c.listmultisig, (args) => wallet.listMultisig(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH')));
  registry.implement(c.deletemultisig, (args) => wallet.deleteMultisig(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH'), str(args, 'ADDRESS')));
  registry.implement(c.createmultisigtx, async (args) => {
    const tx = await wallet.createMultisigTx(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH'), str(args, 'FROMADDRESS'), str(args, 'TOADDRESS'), big(args, 'AMOUNT'), {
      type: num(args, 'type'),
      fee: big(args, 'fee'),
    });
    return tx.toHex();
  });
  registry.implement(c.signmultisigtx, async (args) => {
    const { tx } = await wallet.signMultisigTx(str(args, 'ACCOUNTNAME'), str(args, 'ACCOUNTAUTH'), str(args, 'TRANSACTION'), {
      selfPublicKey: optStr(args, 'selfpublickey'),
      broadcast: flag(args, 'broadcast'),
    });
    return rawTx(tx);
  });
}

/** The names this module registers (for docs and the composition root). */
export const WALLET_METHODS = [
  'getnewaccount',
  'getaccount',
  'deleteaccount',
  'importaccount',
  'changepasswd',
  'getnewaddress',
  'listaddresses',
  'dumpkeyfile',
  'importkeyfile',
  'importaddress',
  'getbalance',
  'listbalances',
  'getaddressetp',
  'send',
  'sendfrom',
  'sendmore',
  'listtxs',
  'createrawtx',
  'decoderawtx',
  'signrawtx',
  'sendrawtx',
  'getpublickey',
  'getnewmultisig',
  'listmultisig',
  'deletemultisig',
  'createmultisigtx',
  'signmultisigtx',
] as const;
