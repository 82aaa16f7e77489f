export { KeyError, isKeyError, type KeyErrorCode } from './errors.js';
export { WIF_PREFIX, encodeWif, decodeWif, type DecodedWif } from './wif.js';
export {
  MNEMONIC_LANGUAGES,
  GENERATED_ENTROPY_BYTES,
  type MnemonicLanguage,
  wordlist,
  splitMnemonic,
  entropyToMnemonic,
  mnemonicToEntropy,
  validateMnemonic,
  mnemonicToSeed,
  mnemonicToSeedAsync,
  generateMnemonic,
} from './bip39.js';
export { HDKey, HARDENED_OFFSET, BIP32_VERSIONS, type ExtendedKeyVersions } from './bip32.js';
export { publicKeyAddress, accountMasterKey, deriveAccountKey, deriveAccountKeys, type AccountKey } from './account.js';
export { messageDigest, signMessage, signMessageRaw, verifyMessage, recoverMessagePublicKey } from './message.js';
