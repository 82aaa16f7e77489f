/** The wallet: accounts, keystore, balances, transfers, raw transactions, multisig (docs/wallet.md). */
export {
  Wallet,
  WALLET_DISABLED,
  MIN_FEE,
  MAX_FEE,
  MAX_ADDRESS_BATCH,
  MAINNET_SEND_HEIGHT,
  MAX_MEMO_BYTES,
  mnemonicWords,
  parseLanguage,
  parseRange,
  parseHeightRange,
  type ListTxsOptions,
  type WalletOptions,
  type WalletSession,
  type LanguageOption,
  type SendOptions,
  type SendMoreOptions,
  type CreateRawTxOptions,
  type SignRawTxOptions,
  type SignRawTxResult,
  type MultisigSpec,
  type MultisigInfo,
  type AccountBalance,
  type AddressBalanceInfo,
  type UtxoInfo,
  type DepositInfo,
  type BalanceFilter,
} from './wallet.js';
export { WalletError, isWalletError, walletError, BAD_CREDENTIALS } from './errors.js';
export { CoinView, addressKey, selectCoins, type WalletChain, type WalletMempool, type WalletCoin, type AddressBalance, type FrozenReason } from './coins.js';
export { TxHistory, MAX_PAGE_LIMIT, type HistoryQuery, type TxPage, type TxRow, type TxInputRow, type TxOutputRow } from './history.js';
export { DEFAULT_KDF_COST, MIN_KDF_COST, type KdfCost, type KdfParams } from './secretbox.js';
export { evpBytesToKey, cryptoJsEncrypt, cryptoJsDecrypt, encryptKeyfileMnemonic, decryptKeyfileMnemonic, parseKeyfile, formatKeyfile, type Keyfile } from './keyfile.js';
export { WalletStore, WALLET_TABLES, WALLET_STORE_VERSION, type AccountRecord, type AddressRecord, type MultisigRecord } from './store.js';
export { registerWalletMethods, WALLET_METHODS } from './rpc.js';
